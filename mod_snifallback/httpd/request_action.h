// SNIFallbackAction at request time: what a request on a connection without SNI gets, decided per
// virtual host (the one the Host header selects) before mod_ssl's request checks.
//
//   notice    answered here with the notice page and SNIFallbackNoticeStatus
//   redirect  answered here with the evaluated URL expression, origin fixed by the configuration
//   vhost     served by another vhost: the request keeps the handshake's vhost while mod_ssl's
//             check runs (it refuses a vhost switch without SNI under SSLVHostSNIPolicy secure),
//             then moves to the target in a hook after mod_ssl's. Targets that check client
//             certificates are refused at start-up, and a connection older than the target's
//             minimum protocol is refused at request time, so routing opens nothing that mod_ssl
//             would have kept shut.
#pragma once

#include "httpd/module.h"

namespace snifallback::glue {

// post_read_request, before mod_ssl's: sets the environment (SNI_MISSING, fingerprints), decides
// the action, answers notice and redirect, prepares a route.
int decide_request(request_rec *r);
// post_read_request, after mod_ssl's: moves a routed request to its target vhost.
int finish_route(request_rec *r);

}  // namespace snifallback::glue
