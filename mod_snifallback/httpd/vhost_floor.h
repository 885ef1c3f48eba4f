// The per-request floor of fallback handshakes (core/tls_floor.h), read from OpenSSL.
//
// The fallback profile opens the handshake of an old client under the address's first vhost.
// Each vhost's own SSLProtocol, SSLCipherSuite and security level still decide what it serves:
// a request on such a connection whose vhost (the Host's, or a `vhost` route's target) refuses the
// negotiated version, cipher or key strength never reaches it. mod_ssl cannot see this: its
// SSLVHostSNIPolicy compares vhost configurations, and the profile changed the connection, not a
// configuration.
#pragma once

#include <string>

#include "httpd/module.h"
#include "httpd/vhost_lookup.h"

#include <openssl/ssl.h>

namespace snifallback::glue {

struct ConnectionState;

// post_config, after mod_ssl: every vhost's floor, from the SSL_CTX mod_ssl built for it.
int build_tls_floors(apr_pool_t *p, server_rec *main_server);

// At the end of a fallback handshake: what it negotiated (version, cipher, key bits).
void note_negotiated_tls(ConnectionState &state, SSL *ssl);

// Whether `vhost` refuses what the connection negotiated: on connections the profile shaped, and
// on every fallback connection when `always` (a `vhost` route, which passes mod_ssl's own check);
// `why` says what it refuses. A vhost without TLS settings refuses everything.
bool below_vhost_floor(const ConnectionState &state, const server_rec *vhost, bool always,
                       std::string *why);

// Whether the profile of `handshake`'s address may let in a connection `vhost` refuses (for the
// start-up forecast); false when the address has no profile.
bool profile_may_reach_below(const server_rec *handshake, const server_rec *vhost);

}  // namespace snifallback::glue
