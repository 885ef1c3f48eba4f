#include "httpd/handshake_observer.h"

#include <utility>

#include "core/fingerprint.h"
#include "core/tls_alert.h"
#include "core/tls_constants.h"
#include "httpd/client_address.h"
#include "httpd/client_names_config.h"
#include "httpd/connection_state.h"
#include "httpd/fallback_certificate.h"
#include "httpd/health_check.h"
#include "httpd/hook_guard.h"
#include "httpd/nosni_log.h"
#include "httpd/server_config.h"
#include "httpd/shared_stats.h"
#include "httpd/session_isolation.h"
#include "httpd/vhost_floor.h"
#include "httpd/tls_profile.h"

namespace snifallback::glue {
namespace {

bool wants_fingerprint(const ConnectionState &state) noexcept {
    switch (state.fingerprint) {
        case FingerprintMode::all: return true;
        case FingerprintMode::nosni: return state.is_fallback();
        default: return false;
    }
}

// Settles the connection's class; a fallback client is counted as such right away.
void classify(ConnectionState &state, bool sni_present, std::string_view host_name) {
    static const NameIndex no_names;
    // Without an index (an address mod_ssl gave no context) every name counts as served.
    state.client_class = state.served_names == nullptr && sni_present
                             ? ClientClass::served
                             : classify_client(sni_present, host_name,
                                               state.served_names ? *state.served_names : no_names);
    state.classified = true;
    if (!state.is_fallback()) return;
    settle_client_address(state);
    if (state.client_class != ClientClass::no_sni) state.sni.assign(host_name);
    count(class_counter(state.client_class, HandshakeStage::hello),
          state.connection->base_server);
}

// `sslv2`: an SSLv2-format (SSL 2.0-compatible) hello, which OpenSSL hands over as the SSLv2
// message. That format has no extensions, so its client sent no SNI.
void observe_client_hello(ConnectionState &state, SSL *ssl, const unsigned char *buf,
                          std::size_t len, bool sslv2) {
    // Clients that send a served name cost one scan for the server_name extension and one lookup
    // of the name, unless every hello is to be fingerprinted.
    std::string_view host_name;
    const SniScan scan = sslv2 ? SniScan::absent : scan_for_sni(buf, len, &host_name);
    if (scan != SniScan::unknown) {
        classify(state, scan == SniScan::present, host_name);
        if (!state.is_fallback() && state.fingerprint != FingerprintMode::all) return;
    }
    ClientHello hello;
    state.parse_error = sslv2 ? parse_sslv2_client_hello_message(buf, len, hello)
                              : parse_client_hello_message(buf, len, hello);
    if (state.parse_error == ParseError::ok) {
        if (!state.classified) classify(state, hello.sni_present, hello.sni);
        if (wants_fingerprint(state)) {
            state.ja3 = ja3_string(hello);
            state.ja3_hash = ja3_hash(state.ja3);
            state.ja4 = ja4(hello);
        }
        if (state.is_fallback()) {
            // Only here, on the fallback path: clients served by name never look a name up.
            if (!state.ja4.empty()) state.client_name = client_name(state.ja4, state.ja3_hash);
            state.offered_max_version = hello.highest_version;
            state.offered_alpn = std::move(hello.alpn);  // last use of `hello`
        }
    } else {
        // OpenSSL decides whether the hello is acceptable; we only lose our view of it. The class
        // comes from the scan when it could read the server_name extension, else from OpenSSL.
        ap_log_cerror(APLOG_MARK, APLOG_DEBUG, 0, state.connection,
                      "SNIF0002: ClientHello not understood (%s); %s", to_string(state.parse_error),
                      state.classified ? "its SNI was read, so it is classified and isolated as "
                                         "usual, without fingerprints"
                                       : "SNI will be asked of OpenSSL once the handshake "
                                         "completes; its sessions are kept apart meanwhile");
    }
    // Before OpenSSL looks the session up: sessions of fallback clients, and of hellos whose SNI
    // could not be read, live in contexts of their own, whatever the certificate.
    if (!state.classified || state.is_fallback()) isolate_fallback_sessions(state, ssl);
    // Before OpenSSL picks the version and the cipher. A hello whose class is not known gets
    // nothing: the profile only ever widens.
    if (state.selected_at_handshake() && state.tls_profile != nullptr) {
        apply_tls_profile(state, ssl);
        state.profile_applied = true;
    }
}

// Both Finished messages passed: the handshake is complete. Negotiated facts are read from the SSL
// here, inside a callback, where it is certainly alive.
void note_established(ConnectionState &state, SSL *ssl) {
    if (!state.classified) {  // our parser refused the hello: ask OpenSSL what the client sent
        const char *name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
        classify(state, name != nullptr, name ? name : "");
    }
    state.outcome = "established";
    if (state.is_fallback()) note_negotiated_tls(state, ssl);
    state.tls_version = SSL_get_version(ssl);
    state.tls_version_number = SSL_version(ssl);
    if (const SSL_CIPHER *cipher = SSL_get_current_cipher(ssl)) {
        state.cipher = SSL_CIPHER_get_name(cipher);
    }
    end_handshake(state);
}

// OpenSSL hands an SSLv2-format ClientHello to the message callback as protocol version
// SSL2_VERSION, content type 0, the message from its type byte on (the 2-byte record header
// removed), before it processes it.
bool is_sslv2_client_hello(int write_p, int version, int content_type, const unsigned char *bytes,
                           std::size_t len) noexcept {
    return write_p == 0 && version == SSL2_VERSION && content_type == 0 && len > 0 &&
           bytes[0] == tls::handshake_client_hello;
}

void observe_message(ConnectionState &state, int write_p, int version, int content_type,
                     const unsigned char *bytes, std::size_t len, SSL *ssl) {
    const bool sslv2_hello = is_sslv2_client_hello(write_p, version, content_type, bytes, len);
    if ((content_type == tls::content_handshake || sslv2_hello) && len > 0) {
        if (bytes[0] == tls::handshake_client_hello && write_p == 0 && !state.hello_seen) {
            state.hello_seen = true;  // a second hello after HelloRetryRequest changes nothing
            if (from_health_checker(state)) {
                // Counted as that and nothing else: not even as a TLS connection, so that the
                // share of fallback clients is a share of real clients.
                count(Counter::health_check, state.connection->base_server);
                state.health_check = true;
                state.observing = false;
                return;
            }
            // Counted at the ClientHello: a TCP connection that never sends one is no TLS client.
            count(Counter::tls, state.connection->base_server);
            observe_client_hello(state, ssl, bytes, len, sslv2_hello);
        } else if (bytes[0] == tls::handshake_finished) {
            (write_p ? state.server_finished : state.client_finished) = true;
            if (state.client_finished && state.server_finished && !state.handshake_ended) {
                note_established(state, ssl);
            }
        }
    } else if (content_type == tls::content_alert && len >= 2 && !state.handshake_ended &&
               state.is_fallback()) {
        state.outcome = "alert:" + tls_alert_name(bytes[1]);
        end_handshake(state);
    }
}

// Whether the connection needs the message callback any more. SNI clients need nothing after their
// hello; fallback clients (and hellos the parser refused) nothing after their handshake's end.
bool observation_done(const ConnectionState &state, SSL *ssl) {
    if (!state.observing) return true;
    return (state.hello_seen && state.classified && !state.is_fallback()) ||
           (state.handshake_ended && SSL_is_init_finished(ssl));
}

// OpenSSL message callback: sees every handshake message and alert of the connection, in both
// directions, before OpenSSL acts on what it reads.
extern "C" void on_tls_message(int write_p, int version, int content_type, const void *buf,
                               size_t len, SSL *ssl, void *arg) noexcept {
    auto *state = static_cast<ConnectionState *>(arg);
    if (state == nullptr) return;
    guard_tls_callback(
        [&] {
            if (state->observing) {
                observe_message(*state, write_p, version, content_type,
                                static_cast<const unsigned char *>(buf), len, ssl);
            }
        },
        [&]() noexcept { state->observing = false; });
    // Never clear the callback from a write: OpenSSL 3.0 reads the pointer once and calls it twice
    // for a TLS 1.3 record (clearing there crashed every HTTP/2 connection).
    if (write_p == 0 && observation_done(*state, ssl)) {
        SSL_set_msg_callback(ssl, nullptr);
        SSL_set_msg_callback_arg(ssl, nullptr);
    }
}

}  // namespace

int remember_ssl_context(server_rec *s, apr_pool_t *, int is_proxy, SSL_CTX *ctx) {
    if (is_proxy) return DECLINED;
    server_config(s).startup.ssl_ctx = ctx;
    return OK;
}

int observe_handshake(conn_rec *c, SSL *ssl, int is_proxy) {
    if (is_proxy || ssl == nullptr) return DECLINED;
    const ServerConfig &address = server_config(c->base_server);
    ConnectionState &state =
        attach_connection_state(c, address.module.effective_fingerprint());
    state.served_names = address.startup.served_names;
    state.handshake_classes = address.vhost.effective_clients();
    if (!address.vhost.tls_profile.empty()) state.tls_profile = &address.vhost.tls_profile;
    state.health_check_from = address.vhost.health_check_from;
    SSL_set_msg_callback(ssl, on_tls_message);
    SSL_set_msg_callback_arg(ssl, &state);
    attach_fallback_certificate(state, ssl);
    return OK;
}

}  // namespace snifallback::glue
