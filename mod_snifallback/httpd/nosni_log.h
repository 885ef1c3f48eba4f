// The fallback clients' log (SNIFallbackLog): fills the core's records from connections and requests and
// hands the rendered lines to the log writer. The glue never formats; the core never sees a pool.
#pragma once

#include "httpd/module.h"

namespace snifallback::glue {

struct ConnectionState;

// open_logs hook: opens SNIFallbackLog in the parent, as mod_log_config opens its logs.
int open_nosni_log(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp, server_rec *s);

// The handshake of a fallback client ended (outcome already set): counts it as established or
// failed, and writes its handshake record when the address's SNIFallbackClients selects its
// class. A no-op for clients served by name and for a handshake already ended.
void end_handshake(ConnectionState &state);

// log_transaction hook: for a request the module decided for (a fallback client whose class the
// request's vhost selects), counts it, records the client in the inventory and writes its request
// record (with the final status).
int record_request(request_rec *r);

// Writes a probe record: what the browser SNI probe reported.
void log_probe(request_rec *r, const char *result, const char *page);

}  // namespace snifallback::glue
