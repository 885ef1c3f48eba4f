// The handshake side: mod_ssl's optional hooks and the per-connection OpenSSL callbacks.
//
// mod_ssl runs pre_handshake right after SSL_new() for each inbound connection; there the module
// installs a message callback that sees the raw ClientHello before OpenSSL, mod_ssl's own
// ClientHello callback or its SNI callback process it, and every alert and Finished message after.
#pragma once

#include "httpd/module.h"

#include <openssl/ssl.h>

namespace snifallback::glue {

// mod_ssl's init_server: remembers each vhost's SSL_CTX.
int remember_ssl_context(server_rec *s, apr_pool_t *p, int is_proxy, SSL_CTX *ctx);
// mod_ssl's pre_handshake: attaches the module's state and callbacks to an inbound connection.
int observe_handshake(conn_rec *c, SSL *ssl, int is_proxy);

}  // namespace snifallback::glue
