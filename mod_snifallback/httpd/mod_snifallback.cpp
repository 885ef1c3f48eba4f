// Module record and hook registration. The hooks themselves live in handshake.cpp (mod_ssl's
// optional hooks and the OpenSSL callbacks) and request.cpp (HTTP request time).
#include "httpd/glue.h"

namespace {

void register_hooks(apr_pool_t *p) {
    snifallback::glue::register_handshake_hooks(p);
    snifallback::glue::register_request_hooks(p);
}

}  // namespace

extern "C" {
module AP_MODULE_DECLARE_DATA snifallback_module = {
    STANDARD20_MODULE_STUFF,
    nullptr,                                    // per-directory config: the module has none
    nullptr,                                    // merge per-directory config
    snifallback::glue::create_server_config,    // per-server config
    snifallback::glue::merge_server_config,     // merge per-server config
    snifallback::glue::directives,              // directives
    register_hooks,
#if defined(AP_MODULE_FLAG_NONE)
    AP_MODULE_FLAG_ALWAYS_MERGE,
#endif
};
}
