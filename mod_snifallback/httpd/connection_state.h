// What the module learned about one inbound TLS connection: one ConnectionState per connection,
// created in mod_ssl's pre_handshake hook and living in the connection's pool.
//
// Who writes which field, and when (HTTP/2 runs a connection's requests on several threads at
// once, all reading this one state through the master connection):
//   - Handshake fields (everything not named below) are written only by the thread that runs the
//     handshake: in pre_handshake and in OpenSSL's callbacks. They are final once the handshake
//     record of an established connection is written, because the message callback is removed
//     right after; request hooks only read them.
//   - inventory_recorded is atomic: several request hooks may race for it; one wins.
//   - outcome and handshake_ended are written once more at connection end (the pool's
//     pre-cleanup), when no request of the connection runs any more.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "httpd/server_config.h"

#include "core/client_class.h"
#include "core/client_hello.h"
#include "core/tls_floor.h"

namespace snifallback::glue {

struct ConnectionState {
    conn_rec *connection = nullptr;
    FingerprintMode fingerprint = FingerprintMode::nosni;
    const NameIndex *served_names = nullptr;  // of the address; null: every SNI name is served
    ClientClassSet handshake_classes;         // SNIFallbackClients of the address's default vhost
    const TlsProfileSetting *tls_profile = nullptr;  // the address's; null: none set
    const apr_array_header_t *health_check_from = nullptr;  // the address's; null: none set
    bool observing = true;  // false once a callback failed: the module lets the connection be
    bool hello_seen = false;
    bool classified = false;  // client_class is known (from our parser, or OpenSSL's at the end)
    ClientClass client_class = ClientClass::served;
    std::string sni;          // the name sent in SNI, for the ip-literal and unknown-name classes
    ParseError parse_error = ParseError::ok;
    std::uint16_t offered_max_version = 0;
    std::vector<std::string> offered_alpn;
    std::string ja3;  // JA3 text, empty unless fingerprinted
    std::string ja3_hash;
    std::string ja4;
    // SNIFallbackClientNames' name for the fingerprints (fallback clients only); null: unknown.
    // Points into this generation's configuration pool, which outlives the connection.
    const std::string *client_name = nullptr;

    // Handshake progress, seen through the message callback only. The SSL itself is never kept:
    // mod_ssl frees it whenever it gives up on a connection (plain HTTP on the TLS port, errors),
    // so it is only touched inside OpenSSL's callbacks, where it is certainly alive.
    bool client_finished = false;   // read the client's Finished
    bool server_finished = false;   // wrote our Finished
    bool handshake_ended = false;   // established or failed: counted, and recorded if selected
    std::string outcome;            // "established", "alert:<name>", "closed"
    std::string tls_version;        // negotiated, once established
    int tls_version_number = 0;     // the same as OpenSSL's SSL_version()
    std::string cipher;
    std::string rendered_connection;   // the record fields above, rendered with the handshake record
    const char *cert_vhost = nullptr;  // ServerName whose certificate was served
    const FallbackCertificate *fallback = nullptr;  // SNIFallbackCertificate of this address
    bool profile_applied = false;  // the fallback TLS profile shaped this handshake
    NegotiatedTls negotiated;      // with the profile: what the handshake settled (core/tls_floor.h)

    // The client's address as httpd uses it (after mod_remoteip's PROXY protocol handling), settled
    // at the ClientHello of a fallback client (client_address.h); peer_ip: the socket's remote
    // address (the balancer) when it differs, else empty.
    bool address_settled = false;
    std::string client_ip;
    int client_port = 0;
    std::string peer_ip;
    apr_sockaddr_t *client_addr = nullptr;  // the same address, for matching networks
    // From an address of the address's SNIFallbackHealthCheckFrom: counted as a health check and
    // otherwise left alone (never classified, recorded, inventoried or acted on).
    bool health_check = false;
    // A request's state made from a trusted proxy's headers (proxy_headers.h), not a connection's.
    bool from_proxy_headers = false;

    std::atomic<bool> inventory_recorded{false};  // counted in the client inventory
    std::atomic<bool> probe_reported{false};      // a probe report was logged (one per connection)

    // A client mod_ssl cannot serve by name: no SNI, or an IP literal or unknown name in it.
    bool is_fallback() const noexcept { return classified && client_class != ClientClass::served; }
    bool lacks_sni() const noexcept { return classified && client_class == ClientClass::no_sni; }
    // A fallback client whose class the address's SNIFallbackClients selects: it gets the fallback
    // certificate and TLS profile, a handshake record and a place in the inventory.
    bool selected_at_handshake() const noexcept {
        return is_fallback() && handshake_classes.contains(client_class);
    }
};

// A new state for `c`, registered in its pool (destructor, and the record of a connection that
// ends before its handshake does) and attached to the connection.
ConnectionState &attach_connection_state(conn_rec *c, FingerprintMode mode);

// The state of a connection, following an HTTP/2 secondary connection to its master; null for
// connections the module does not observe (plain HTTP, proxy, TLS handled by another module).
ConnectionState *connection_state(conn_rec *c) noexcept;

}  // namespace snifallback::glue
