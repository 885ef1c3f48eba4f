// The handshake side: mod_ssl's optional hooks and the per-connection OpenSSL callbacks.
//
// Path (design.md section 4): mod_ssl runs pre_handshake right after SSL_new() for each inbound
// connection; there we install a message callback that sees the raw ClientHello before OpenSSL,
// mod_ssl's own ClientHello callback or the SNI callback process it.
#include <new>
#include <utility>

#include "httpd/glue.h"

#include "http_connection.h"
#include "mod_ssl_openssl.h"

#include "core/fingerprint.h"
#include "core/tls_alert.h"
#include "httpd/shared_stats.h"

namespace snifallback::glue {
namespace {

constexpr int content_type_alert = 21;      // SSL3_RT_ALERT
constexpr int content_type_handshake = 22;  // SSL3_RT_HANDSHAKE
constexpr unsigned char handshake_client_hello = 1;
constexpr unsigned char handshake_finished = 20;

apr_status_t connection_state_cleanup(void *data) {
    static_cast<ConnectionState *>(data)->~ConnectionState();
    return APR_SUCCESS;
}

// Runs before every ordinary cleanup of the connection pool, while the connection is whole: a
// no-SNI connection that never finished its handshake nor sent an alert gets its "closed" record.
apr_status_t connection_end(void *data) {
    auto *state = static_cast<ConnectionState *>(data);
    if (!state->handshake_logged && state->sni == ConnectionState::Sni::absent) {
        state->outcome = "closed";
        log_handshake(*state);
    }
    if (state->sni == ConnectionState::Sni::absent) remember_client(*state, nullptr);
    return APR_SUCCESS;
}

ConnectionState *new_connection_state(conn_rec *c, FingerprintMode mode) {
    void *memory = apr_pcalloc(c->pool, sizeof(ConnectionState));
    auto *state = new (memory) ConnectionState();
    state->connection = c;
    state->fingerprint = mode;
    state->cert_vhost = c->base_server->server_hostname;
    apr_pool_cleanup_register(c->pool, state, connection_state_cleanup, apr_pool_cleanup_null);
    apr_pool_pre_cleanup_register(c->pool, state, connection_end);
    return state;
}

bool wants_fingerprint(const ConnectionState &state) noexcept {
    switch (state.fingerprint) {
        case FingerprintMode::all: return true;
        case FingerprintMode::nosni: return state.sni == ConnectionState::Sni::absent;
        default: return false;
    }
}

void observe_client_hello(ConnectionState &state, SSL *ssl, const unsigned char *buf,
                          std::size_t len) {
    // Clients that send SNI cost one scan for the server_name extension, unless every hello is
    // to be fingerprinted.
    if (state.fingerprint != FingerprintMode::all && scan_for_sni(buf, len) == SniScan::present) {
        state.sni = ConnectionState::Sni::present;
        return;
    }
    ClientHello hello;
    state.parse_error = parse_client_hello_message(buf, len, hello);
    if (state.parse_error != ParseError::ok) {
        // OpenSSL decides whether the hello is acceptable; we only lose our view of it.
        ap_log_cerror(APLOG_MARK, APLOG_DEBUG, 0, state.connection,
                      "SNIF0002: ClientHello not understood (%s); SNI will be asked of OpenSSL "
                      "once the handshake completes",
                      to_string(state.parse_error));
        return;
    }
    state.sni = hello.sni_present ? ConnectionState::Sni::present : ConnectionState::Sni::absent;
    state.offered_max_version = hello.highest_version;
    if (wants_fingerprint(state)) {
        state.ja3 = ja3_string(hello);
        state.ja3_hash = ja3_hash(state.ja3);
        state.ja4 = ja4(hello);
    }
    if (state.sni == ConnectionState::Sni::absent) {
        count_no_sni_hello(state.connection->base_server);
        state.offered_alpn = std::move(hello.alpn);  // last use of `hello`
        // Before OpenSSL looks the session up: no-SNI sessions live in a context of their own.
        isolate_no_sni_sessions(state, ssl);
    }
}

// Both Finished messages passed: the handshake is complete. Negotiated facts are read from the SSL
// here, inside a callback, where it is certainly alive.
void note_established(ConnectionState &state, SSL *ssl) {
    if (state.sni == ConnectionState::Sni::unknown) {  // our parser refused the hello: ask OpenSSL
        const bool sent = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name) != nullptr;
        state.sni = sent ? ConnectionState::Sni::present : ConnectionState::Sni::absent;
        if (!sent) count_no_sni_hello(state.connection->base_server);
    }
    state.outcome = "established";
    state.tls_version = SSL_get_version(ssl);
    state.tls_version_number = SSL_version(ssl);
    if (const SSL_CIPHER *cipher = SSL_get_current_cipher(ssl)) {
        state.cipher = SSL_CIPHER_get_name(cipher);
    }
    log_handshake(state);
}

void observe_message(ConnectionState &state, int write_p, int content_type,
                     const unsigned char *bytes, std::size_t len, SSL *ssl) {
    if (content_type == content_type_handshake && len > 0) {
        if (bytes[0] == handshake_client_hello && write_p == 0 && !state.hello_seen) {
            state.hello_seen = true;  // a second hello after HelloRetryRequest changes nothing
            // Counted at the ClientHello: a TCP connection that never sends one is no TLS client.
            count_tls_connection(state.connection->base_server);
            observe_client_hello(state, ssl, bytes, len);
        } else if (bytes[0] == handshake_finished) {
            (write_p ? state.server_finished : state.client_finished) = true;
            if (state.client_finished && state.server_finished && !state.handshake_logged) {
                note_established(state, ssl);
            }
        }
    } else if (content_type == content_type_alert && len >= 2 && !state.handshake_logged &&
               state.sni == ConnectionState::Sni::absent) {
        state.outcome = "alert:" + tls_alert_name(bytes[1]);
        log_handshake(state);
    }
}

// OpenSSL message callback: sees every handshake message and alert of the connection, in both
// directions, before OpenSSL acts on what it reads.
extern "C" void on_tls_message(int write_p, int, int content_type, const void *buf, size_t len,
                               SSL *ssl, void *arg) noexcept {
    auto *state = static_cast<ConnectionState *>(arg);
    if (state == nullptr) return;
    try {
        observe_message(*state, write_p, content_type, static_cast<const unsigned char *>(buf), len,
                        ssl);
        // Never clear the callback from a write: OpenSSL 3.0 reads the pointer once and calls it
        // twice for a TLS 1.3 record (clearing there crashed every HTTP/2 connection).
        if (write_p != 0) return;
        // SNI clients need nothing more from us after their hello; no-SNI ones (and hellos our
        // parser refused) after their handshake record.
        const bool done = (state->hello_seen && state->sni == ConnectionState::Sni::present) ||
                          (state->handshake_logged && SSL_is_init_finished(ssl));
        if (done) {
            SSL_set_msg_callback(ssl, nullptr);
            SSL_set_msg_callback_arg(ssl, nullptr);
        }
    } catch (...) {
        // Nothing may cross into OpenSSL; the connection goes unobserved from here on.
        if (write_p == 0) SSL_set_msg_callback(ssl, nullptr);
    }
}

int on_init_server(server_rec *s, apr_pool_t *, int is_proxy, SSL_CTX *ctx) {
    if (is_proxy) return DECLINED;
    if (ServerConfig *config = server_config(s)) config->ssl_ctx = ctx;
    return OK;
}

int on_pre_handshake(conn_rec *c, SSL *ssl, int is_proxy) {
    if (is_proxy || ssl == nullptr) return DECLINED;
    try {
        const ServerConfig *config = server_config(c->base_server);
        const FingerprintMode mode = config ? effective_fingerprint(*config) : FingerprintMode::nosni;
        ConnectionState *state = new_connection_state(c, mode);
        ap_set_module_config(c->conn_config, &snifallback_module, state);
        SSL_set_msg_callback(ssl, on_tls_message);
        SSL_set_msg_callback_arg(ssl, state);
        attach_fallback_certificate(*state, ssl);
    } catch (const std::bad_alloc &) {
        ap_log_cerror(APLOG_MARK, APLOG_ERR, 0, c,
                      "SNIF0001: out of memory setting up the ClientHello observer; "
                      "connection served unobserved");
        return DECLINED;
    }
    return OK;
}

}  // namespace

ConnectionState *connection_state(conn_rec *c) noexcept {
    if (c == nullptr) return nullptr;
    if (c->master) c = c->master;  // HTTP/2 stream: the TLS state is the master connection's
    return static_cast<ConnectionState *>(ap_get_module_config(c->conn_config, &snifallback_module));
}

bool connection_lacks_sni(const ConnectionState &state) noexcept {
    return state.sni == ConnectionState::Sni::absent;
}

namespace {

int on_check_config(apr_pool_t *pconf, apr_pool_t *, apr_pool_t *, server_rec *s) {
    const int certificates = check_fallback_certificates(pconf, s);
    const int actions = check_actions(pconf, s);
    return certificates != OK ? certificates : actions;
}

int on_post_config(apr_pool_t *pconf, apr_pool_t *, apr_pool_t *, server_rec *s) {
    int result = resolve_fallback_certificates(pconf, s);
    if (result == OK) result = verify_routes(pconf, s);
    if (result == OK) result = stats_post_config(pconf, s);
    return result;
}

int on_pre_config(apr_pool_t *pconf, apr_pool_t *, apr_pool_t *) {
    return stats_pre_config(pconf);
}

void on_child_init(apr_pool_t *pchild, server_rec *s) { stats_child_init(pchild, s); }

}  // namespace

void register_handshake_hooks(apr_pool_t *) {
    // check_config runs under `apachectl -t` too: bad names fail the config test.
    ap_hook_pre_config(on_pre_config, nullptr, nullptr, APR_HOOK_MIDDLE);
    ap_hook_check_config(on_check_config, nullptr, nullptr, APR_HOOK_MIDDLE);
    ap_hook_child_init(on_child_init, nullptr, nullptr, APR_HOOK_MIDDLE);
    // After mod_ssl: its post_config builds the SSL_CTXs (and runs our init_server hook).
    static const char *const after_ssl[] = {"mod_ssl.c", nullptr};
    ap_hook_post_config(on_post_config, after_ssl, nullptr, APR_HOOK_MIDDLE);
    // Optional hooks: they exist only when mod_ssl is loaded; without it the module has nothing to see.
    APR_OPTIONAL_HOOK(ssl, init_server, on_init_server, nullptr, nullptr, APR_HOOK_MIDDLE);
    APR_OPTIONAL_HOOK(ssl, pre_handshake, on_pre_handshake, nullptr, nullptr, APR_HOOK_MIDDLE);
}

}  // namespace snifallback::glue
