#include "httpd/health_check.h"

#include "httpd/address_list.h"
#include "httpd/client_address.h"
#include "httpd/connection_state.h"
#include "httpd/server_config.h"
#include "httpd/vhost_lookup.h"

namespace snifallback::glue {

const char *set_health_check_from(cmd_parms *cmd, void *, int argc, char *const argv[]) {
    if (const char *error = check_scope(cmd, Scope::server_or_vhost)) return error;
    VhostSettings &settings = server_config(cmd->server).vhost;
    settings.health_check_source = directive_source(cmd);
    return parse_address_list(cmd, argc, argv, settings.health_check_from);
}

int check_health_check_placement(apr_pool_t *p, server_rec *main_server) {
    const VhostSettings &global = server_config(main_server).vhost;
    const VhostAddresses addresses(main_server);
    int result = OK;
    for (server_rec *s = main_server->next; s; s = s->next) {
        const VhostSettings &own = server_config(s).vhost;
        if (own.health_check_from == nullptr || own.health_check_from == global.health_check_from)
            continue;  // inherited from the server config
        if (const char *misplaced = misplaced_in_vhost(
                p, addresses, s, own.health_check_source.file, own.health_check_source.line,
                "health checks are told apart at the handshake, under the address's first "
                "vhost")) {
            ap_log_error(APLOG_MARK, APLOG_STARTUP | APLOG_EMERG, 0, nullptr,
                         "SNIF0090: SNIFallbackHealthCheckFrom%s", misplaced);
            result = HTTP_INTERNAL_SERVER_ERROR;
        }
    }
    return result;
}

bool from_health_checker(ConnectionState &state) {
    if (state.health_check_from == nullptr) return false;
    settle_client_address(state);
    return address_in_list(state.health_check_from, state.client_addr);
}

}  // namespace snifallback::glue
