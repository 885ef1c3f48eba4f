// The no-SNI log (SNIFallbackLog): fills the core's records from connections and requests and
// hands the rendered lines to the log writer. The glue never formats; the core never sees a pool.
#pragma once

#include "httpd/module.h"

namespace snifallback::glue {

struct ConnectionState;

// open_logs hook: opens SNIFallbackLog in the parent, as mod_log_config opens its logs.
int open_nosni_log(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp, server_rec *s);

// Writes the connection's handshake record now (outcome already set); a no-op unless the
// connection had no SNI and no record was written for it yet. Counts the handshake's end.
void log_handshake(ConnectionState &state);

// log_transaction hook: for a request of a no-SNI connection, counts it, records the client in
// the inventory and writes its request record (with the final status).
int record_request(request_rec *r);

// Writes a probe record: what the browser SNI probe reported.
void log_probe(request_rec *r, const char *result, const char *page);

}  // namespace snifallback::glue
