// TLS that ends in front of Apache (HAProxy `mode http`, a cloud load balancer, a CDN): Apache
// sees no ClientHello, but a trusted proxy can pass on what it saw in request headers
// (SNIFallbackTrustedProxy, SNIFallbackProxyHeaders). Requests from a trusted proxy that carry
// them are classified from them, with the same name index as a handshake on the address, and are
// then decided, recorded (source "proxy-header"), counted and acted on like the requests of a
// directly observed connection. From anyone else the same headers are removed before the request
// goes further, so a client cannot choose its own class.
#pragma once

#include "httpd/module.h"

namespace snifallback::glue {

struct ConnectionState;

// SNIFallbackTrustedProxy address|network... (server config).
const char *set_trusted_proxy(cmd_parms *cmd, void *, int argc, char *const argv[]);
// SNIFallbackProxyHeaders sni=Header [has-sni=Header] [ja4=Header] [ja3=Header] (server config).
const char *set_proxy_headers(cmd_parms *cmd, void *, int argc, char *const argv[]);

// post_config: one of the two directives without the other does not do what it seems to say
// (SNIF0091, SNIF0092).
void warn_about_proxy_settings(server_rec *main_server);

// post_read_request, before every other module's: removes the SNIFallbackProxyHeaders headers
// from a request that does not come from a trusted proxy, so that no module or application sees
// a client's forgery (mod_setenvif, mod_rewrite, CGI, a backend).
int remove_untrusted_proxy_headers(request_rec *r);

// post_read_request, first thing of the module's decision: for a request from a trusted proxy
// that carries SNIFallbackProxyHeaders, the state they describe (a state of its own, in the
// request's pool, remembered for the later hooks); null otherwise.
const ConnectionState *state_from_proxy_headers(request_rec *r);

// The state a request's proxy headers described, if state_from_proxy_headers made one.
ConnectionState *proxied_state(const request_rec *r) noexcept;

}  // namespace snifallback::glue
