// The forecast, computed at start-up: for every vhost, what a request of a client without SNI
// gets today. The module's action when it enforces one; otherwise what mod_ssl's request checks
// answer, by the rules of core/forecast.h applied to this configuration: SSLVHostSNIPolicy and
// SSLStrictSNIVHostCheck as read from the configuration tree, and the vhosts' TLS settings as
// mod_ssl built them (certificates, protocols, ciphers, client verification).
#pragma once

#include "httpd/module.h"
#include "httpd/vhost_lookup.h"

namespace snifallback::glue {

// post_config, after mod_ssl: fills StartupState::forecast of every vhost, logs one info line
// per vhost (SNIF0035) and one warning per address whose vhosts answer 421 (SNIF0036).
int forecast_requests(apr_pool_t *p, server_rec *main_server, const VhostAddresses &addresses);

}  // namespace snifallback::glue
