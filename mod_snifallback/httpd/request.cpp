// Request time: mark requests that arrived on a connection whose ClientHello carried no SNI.
#include "httpd/glue.h"

#include "http_protocol.h"
#include "http_request.h"
#include "apr_tables.h"

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
        if (connection_lacks_sni(*state)) {
            apr_table_setn(r->subprocess_env, "SNI_MISSING", "1");
        }
        set_fingerprint_env(r, *state);
    } catch (...) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "SNIF0003: unexpected failure in request hook");
    }
    return DECLINED;
}

}  // namespace

void register_request_hooks(apr_pool_t *) {
    // Before mod_ssl: its post_read_request answers SSLStrictSNIVHostCheck's 403 and
    // SSLVHostSNIPolicy's 421, and the module's actions must be decided first.
    static const char *const run_before[] = {"mod_ssl.c", nullptr};
    ap_hook_post_read_request(on_post_read_request, nullptr, run_before, APR_HOOK_MIDDLE);
}

}  // namespace snifallback::glue
