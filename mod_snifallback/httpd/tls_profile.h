// SNIFallbackProtocol and SNIFallbackCipherSuite: the TLS profile of fallback handshakes.
//
// The message callback sees the ClientHello before OpenSSL picks the version and the cipher, and
// by then the module knows the client's class. For a fallback client its address selects, the
// profile is set on that connection's SSL alone (SSL_set_min/max_proto_version,
// SSL_set_cipher_list, which also takes @SECLEVEL=n). A client that sends a served name keeps
// its vhost's settings exactly: nothing is set on its connection. A client cannot be pushed onto
// the profile by an attacker without breaking the handshake transcript, which covers the
// ClientHello the client sent (and thus its SNI).
#pragma once

#include "httpd/module.h"
#include "httpd/vhost_lookup.h"

#include <openssl/ssl.h>

namespace snifallback::glue {

struct ConnectionState;

const char *set_fallback_protocol(cmd_parms *cmd, void *, int argc, char *const argv[]);
// `flag`: "allow-null-anonymous" lets a string that allows ciphers without encryption (NULL) or
// without server authentication (anonymous) pass; without it such a string fails.
const char *set_fallback_cipher_suite(cmd_parms *cmd, void *, const char *arg, const char *flag);

// check_config: the profile is set where it has an effect (the server config, or an address's
// default vhost), so `apachectl -t` already fails otherwise.
int check_tls_profiles(apr_pool_t *p, server_rec *main_server);
// post_config, after mod_ssl: warns once per address whose profile lets in TLS below 1.2 or a
// security level below 2, and where a `vhost` route target refuses versions the profile allows.
int report_tls_profiles(apr_pool_t *p, server_rec *main_server, const VhostAddresses &addresses);

// At the ClientHello of a fallback client its address selects: the profile, on this SSL only.
void apply_tls_profile(const ConnectionState &state, SSL *ssl);

}  // namespace snifallback::glue
