// Shared declarations of the httpd glue: the module record, per-server configuration and the
// per-connection state that the OpenSSL callbacks fill and the request hook reads.
#pragma once

#include <cstdint>
#include <string>

#include "httpd.h"
#include "http_config.h"
#include "http_log.h"
#include "apr_pools.h"

#include <openssl/ssl.h>

#include "core/client_hello.h"

extern "C" module AP_MODULE_DECLARE_DATA snifallback_module;

#ifdef APLOG_USE_MODULE
APLOG_USE_MODULE(snifallback);
#endif

namespace snifallback::glue {

// Which ClientHellos are fingerprinted (SNIFallbackFingerprint).
enum class FingerprintMode { unset, nosni, all, off };

// Per-server (main server and each <VirtualHost>) configuration. Fields start "unset" so that a
// vhost inherits what it does not set (one defaults table: effective_* below).
struct ServerConfig {
    FingerprintMode fingerprint = FingerprintMode::unset;
    // The SSL_CTX mod_ssl built for this server (init_server hook); null for non-TLS servers.
    SSL_CTX *ssl_ctx = nullptr;
};

ServerConfig *server_config(const server_rec *s) noexcept;
FingerprintMode effective_fingerprint(const ServerConfig &config) noexcept;

// What the module learned about one inbound TLS connection. Lives in the connection's pool; its
// destructor runs from a pool cleanup.
struct ConnectionState {
    enum class Sni : std::uint8_t { unknown, present, absent };

    conn_rec *connection = nullptr;
    SSL *ssl = nullptr;
    FingerprintMode fingerprint = FingerprintMode::nosni;
    bool hello_seen = false;
    Sni sni = Sni::unknown;
    ParseError parse_error = ParseError::ok;
    std::uint16_t offered_max_version = 0;
    std::string ja3;  // JA3 text, empty unless fingerprinted
    std::string ja3_hash;
    std::string ja4;
};

// The state of a connection, following an HTTP/2 secondary connection to its master; null for
// connections the module does not observe (plain HTTP, proxy, TLS handled by another module).
ConnectionState *connection_state(conn_rec *c) noexcept;

// Resolves Sni::unknown (our parser refused a hello OpenSSL accepted) by asking OpenSSL.
bool connection_lacks_sni(ConnectionState &state) noexcept;

void register_handshake_hooks(apr_pool_t *p);
void register_request_hooks(apr_pool_t *p);
extern const command_rec directives[];
void *create_server_config(apr_pool_t *p, server_rec *s);
void *merge_server_config(apr_pool_t *p, void *base, void *add);

}  // namespace snifallback::glue
