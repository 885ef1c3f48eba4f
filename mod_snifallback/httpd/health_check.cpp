#include "httpd/health_check.h"

#include "httpd/address_list.h"
#include "httpd/client_address.h"
#include "httpd/connection_state.h"
#include "httpd/server_config.h"
#include "httpd/vhost_lookup.h"

namespace snifallback::glue {

const char *set_health_check_from(cmd_parms *cmd, void *, int argc, char *const argv[]) {
    if (const char *error = check_scope(cmd, Scope::server_or_vhost)) return error;
    return parse_address_list(cmd, argc, argv, server_config(cmd->server).vhost.health_check_from);
}

int check_health_check_placement(apr_pool_t *, server_rec *main_server) {
    const apr_array_header_t *global = server_config(main_server).vhost.health_check_from;
    const VhostAddresses addresses(main_server);
    int result = OK;
    for (server_rec *s = main_server->next; s; s = s->next) {
        const apr_array_header_t *own = server_config(s).vhost.health_check_from;
        if (own == nullptr || own == global) continue;  // inherited from the server config
        server_rec *default_vhost = addresses.default_vhost_of(s);
        if (default_vhost == s) continue;
        ap_log_error(APLOG_MARK, APLOG_STARTUP | APLOG_EMERG, 0, nullptr,
                     "SNIF0090: SNIFallbackHealthCheckFrom in the vhost %s (%s:%d) has no effect "
                     "there: health checks are told apart at the handshake, under the address's "
                     "first vhost, %s (%s:%d); move it into that <VirtualHost> or to the server "
                     "config",
                     s->server_hostname ? s->server_hostname : "?",
                     s->defn_name ? s->defn_name : "?", s->defn_line_number,
                     default_vhost->server_hostname ? default_vhost->server_hostname : "?",
                     default_vhost->defn_name ? default_vhost->defn_name : "?",
                     default_vhost->defn_line_number);
        result = HTTP_INTERNAL_SERVER_ERROR;
    }
    return result;
}

bool from_health_checker(ConnectionState &state) {
    if (state.health_check_from == nullptr) return false;
    settle_client_address(state);
    return address_in_list(state.health_check_from, state.client_addr);
}

}  // namespace snifallback::glue
