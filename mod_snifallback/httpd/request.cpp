// Request time: mark requests that arrived on a connection whose ClientHello carried no SNI.
#include "httpd/glue.h"

#include "http_config.h"
#include "http_protocol.h"
#include "http_request.h"
#include "apr_tables.h"
#include "mod_status.h"

#include <cstring>

#include "httpd/shared_stats.h"

namespace snifallback::glue {
namespace {

void set_fingerprint_env(request_rec *r, const ConnectionState &state) {
    if (state.ja4.empty()) return;
    apr_table_setn(r->subprocess_env, "SNIFALLBACK_JA3", state.ja3_hash.c_str());
    apr_table_setn(r->subprocess_env, "SNIFALLBACK_JA4", state.ja4.c_str());
}

int on_post_read_request(request_rec *r) {
    ConnectionState *state = connection_state(r->connection);
    if (state == nullptr) return DECLINED;
    try {
        // The state outlives the request (connection pool), so its strings can be set without copy.
        const bool lacks_sni = connection_lacks_sni(*state);
        if (lacks_sni) apr_table_setn(r->subprocess_env, "SNI_MISSING", "1");
        set_fingerprint_env(r, *state);
        if (lacks_sni) return apply_action(r, *state);
    } catch (...) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "SNIF0003: unexpected failure in request hook");
        // An action that cannot be decided must not fall through to what it was meant to stop.
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    return DECLINED;
}

int on_after_ssl_checks(request_rec *r) {
    try {
        return finish_route(r);
    } catch (...) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "SNIF0003: unexpected failure in request hook");
        return HTTP_INTERNAL_SERVER_ERROR;
    }
}

Decision::Kind decision_of(request_rec *r) {
    const char *action = apr_table_get(r->subprocess_env, "SNIFALLBACK_ACTION");
    if (action == nullptr) return Decision::Kind::none;
    for (auto kind : {Decision::Kind::exempt, Decision::Kind::notice, Decision::Kind::redirect,
                      Decision::Kind::vhost}) {
        if (!strcmp(action, decision_name(kind))) return kind;
    }
    return Decision::Kind::none;
}

int on_log_transaction(request_rec *r) {
    ConnectionState *state = connection_state(r->connection);
    if (state == nullptr || !connection_lacks_sni(*state)) return DECLINED;
    count_request(r->server, decision_of(r));
    remember_client(*state, apr_table_get(r->headers_in, "User-Agent"));
    log_request(r, *state);
    return DECLINED;
}

// One handler hook for the module's two handlers: every other request pays one comparison.
int on_handler(request_rec *r) {
    constexpr char prefix[] = "snifallback-";
    if (r->handler == nullptr || strncmp(r->handler, prefix, sizeof prefix - 1) != 0) {
        return DECLINED;
    }
    const int status = status_handler(r);
    return status != DECLINED ? status : probe_handler(r);
}

int on_open_logs(apr_pool_t *pconf, apr_pool_t *, apr_pool_t *, server_rec *s) {
    return open_nosni_log(pconf, s);
}

}  // namespace

void register_request_hooks(apr_pool_t *) {
    // Before mod_ssl: its post_read_request answers SSLStrictSNIVHostCheck's 403 and
    // SSLVHostSNIPolicy's 421, and the module's actions must be decided first.
    static const char *const run_before[] = {"mod_ssl.c", nullptr};
    ap_hook_post_read_request(on_post_read_request, nullptr, run_before, APR_HOOK_MIDDLE);
    // After mod_ssl: a `vhost` action moves the request to its target once mod_ssl's check ran.
    static const char *const run_after[] = {"mod_ssl.c", nullptr};
    ap_hook_post_read_request(on_after_ssl_checks, run_after, nullptr, APR_HOOK_MIDDLE);
    // The request record carries the final status, known only once the response is sent.
    ap_hook_log_transaction(on_log_transaction, nullptr, nullptr, APR_HOOK_MIDDLE);
    ap_hook_open_logs(on_open_logs, nullptr, nullptr, APR_HOOK_MIDDLE);
    ap_hook_handler(on_handler, nullptr, nullptr, APR_HOOK_MIDDLE);
    APR_OPTIONAL_HOOK(ap, status_hook, status_hook, nullptr, nullptr, APR_HOOK_MIDDLE);
}

}  // namespace snifallback::glue
