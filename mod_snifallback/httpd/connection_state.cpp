#include "httpd/connection_state.h"

#include <new>

#include "httpd/hook_guard.h"
#include "httpd/nosni_log.h"
#include "httpd/shared_stats.h"

namespace snifallback::glue {
namespace {

apr_status_t destroy_connection_state(void *data) {
    static_cast<ConnectionState *>(data)->~ConnectionState();
    return APR_SUCCESS;
}

// Runs before every ordinary cleanup of the connection pool, while the connection is whole: a
// fallback connection that never finished its handshake nor sent an alert ends as "closed", and
// one that never sent a request gets its inventory sighting.
void connection_end(void *data) {
    auto &state = *static_cast<ConnectionState *>(data);
    if (!state.is_fallback()) return;
    if (!state.handshake_ended) {
        state.outcome = "closed";
        end_handshake(state);
    }
    if (state.selected_at_handshake()) remember_client(state, nullptr);
}

}  // namespace

ConnectionState &attach_connection_state(conn_rec *c, FingerprintMode mode) {
    void *memory = apr_pcalloc(c->pool, sizeof(ConnectionState));
    auto *state = new (memory) ConnectionState();
    state->connection = c;
    state->fingerprint = mode;
    state->cert_vhost = c->base_server->server_hostname;
    apr_pool_cleanup_register(c->pool, state, destroy_connection_state, apr_pool_cleanup_null);
    apr_pool_pre_cleanup_register(c->pool, state, guarded_cleanup<connection_end>);
    ap_set_module_config(c->conn_config, &snifallback_module, state);
    return *state;
}

ConnectionState *connection_state(conn_rec *c) noexcept {
    if (c == nullptr) return nullptr;
    if (c->master != nullptr) c = c->master;  // HTTP/2 stream: the TLS state is the master's
    return static_cast<ConnectionState *>(ap_get_module_config(c->conn_config, &snifallback_module));
}

}  // namespace snifallback::glue
