// What the module decided for one request of a fallback connection. Written once, by the request
// hook that runs before mod_ssl's, into the request's own configuration vector; the later hooks
// (routing, counters, the request record) read it from there. The environment variables the
// module sets are outputs for the administrator and are never read back: SetEnv, SetEnvIf or a
// RewriteRule [E=...] cannot change what the module counts or logs.
#pragma once

#include "httpd/module.h"

#include "core/action.h"

namespace snifallback::glue {

struct ConnectionState;

struct RequestState {
    const server_rec *vhost = nullptr;  // the vhost the decision was made for (Host's)
    Decision decision;                  // the action decided, or why the request is exempt
    bool enforced = false;              // whether the response carries the action
    const char *target = nullptr;       // redirect: the Location; vhost: the target's ServerName
    server_rec *route_to = nullptr;     // vhost: where the request moves once mod_ssl's check ran
    // What a trusted proxy's headers said about the client's TLS (proxy_headers.h), in the
    // request's pool; null for requests classified by their own connection's handshake.
    ConnectionState *proxied = nullptr;
};

// The request's state; created on first use, in the request's pool.
inline RequestState &request_state(request_rec *r) {
    auto *state = static_cast<RequestState *>(
        ap_get_module_config(r->request_config, &snifallback_module));
    if (state == nullptr) {
        state = static_cast<RequestState *>(apr_pcalloc(r->pool, sizeof(RequestState)));
        *state = RequestState{};
        ap_set_module_config(r->request_config, &snifallback_module, state);
    }
    return *state;
}

// The request's state, or null when no decision was made for it (e.g. httpd refused the request
// line before the module's hook ran).
inline const RequestState *find_request_state(const request_rec *r) noexcept {
    return static_cast<const RequestState *>(
        ap_get_module_config(r->request_config, &snifallback_module));
}

}  // namespace snifallback::glue
