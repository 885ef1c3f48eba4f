// SNIFallbackHealthCheckFrom: a load balancer's health checks (a TLS handshake without SNI every
// few seconds from every balancer node) told apart from legacy clients by their address, as httpd
// uses it after mod_remoteip's PROXY protocol handling.
#pragma once

#include "httpd/module.h"

namespace snifallback::glue {

struct ConnectionState;

// SNIFallbackHealthCheckFrom address|network... (server config or the address's first vhost).
const char *set_health_check_from(cmd_parms *cmd, void *, int argc, char *const argv[]);

// check_config: SNIFallbackHealthCheckFrom written in a vhost that is not the first of its
// address has no effect there; that fails the configuration test (SNIF0090).
int check_health_check_placement(apr_pool_t *p, server_rec *main_server);

// At the ClientHello: whether the connection comes from one of its address's health checkers.
// Such a connection is counted as connections.health_check and nothing else.
bool from_health_checker(ConnectionState &state);

}  // namespace snifallback::glue
