// SNIFallbackCertificate: which certificate fallback clients get (those without SNI, and those
// with an IP literal or unknown name in it when SNIFallbackClients selects them).
//
// A per-connection certificate callback, set in pre_handshake, clears the default vhost's
// certificates for such a client and installs the chosen vhost's (every key type, with chains).
// The SSL_CTX is never switched, so the default vhost's protocol range and client-certificate
// settings stay in force. Fallback connections get a session id context of their own, so their
// sessions never resume into sessions of clients served by name, or back.
#pragma once

#include "httpd/module.h"
#include "httpd/vhost_lookup.h"

#include <vector>

#include <openssl/ssl.h>

namespace snifallback::glue {

struct ConnectionState;

// The directive.
const char *set_fallback_certificate(cmd_parms *cmd, void *, const char *arg);
// check_config: names that exist, and the directive where it has an effect (`apachectl -t`).
int check_fallback_certificates(apr_pool_t *p, server_rec *main_server);
// post_config, after mod_ssl: collects the named vhosts' certificates for each address.
int resolve_fallback_certificates(apr_pool_t *p, server_rec *main_server,
                                  const VhostAddresses &addresses);
// pre_handshake: the connection's certificate callback, when its address has a fallback.
void attach_fallback_certificate(ConnectionState &state, SSL *ssl);
// Every server certificate mod_ssl configured in `ctx` (one per key type).
std::vector<X509 *> server_certificates(SSL_CTX *ctx);

}  // namespace snifallback::glue
