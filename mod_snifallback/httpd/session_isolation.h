// Sessions of fallback handshakes live apart from those of clients served by name.
//
// A session made through the fallback profile or certificate must never resume as a client served
// by name (it would carry the profile's version and cipher, or the fallback certificate, to a
// vhost whose own settings refuse them), and a session made by name must never resume for a
// fallback client. OpenSSL resumes a session (TLS 1.2 session id or ticket, TLS 1.3 PSK) only in
// the session-id context it was made in; mod_ssl gives a connection its first vhost's context
// and, for a name it serves, that vhost's. The module gives every fallback hello a context of its
// own from the message callback, at the ClientHello, before OpenSSL looks a session up.
//
// The context is derived from the address's first vhost, the fallback certificate's vhost, the
// client's class and the name it sent, so that a resumed connection has the class and name of the
// handshake that made its session: what mod_ssl reads with SSL_get_servername() on resumption
// (the session's name in TLS 1.2, the hello's in TLS 1.3) is then what the module classified. A
// hello the module's scan cannot read gets a context of its own too (fallback-safe: it resumes
// only sessions of such hellos, and is classified from OpenSSL's answer at the handshake's end).
#pragma once

#include <openssl/ssl.h>

namespace snifallback::glue {

struct ConnectionState;

// At the ClientHello of a fallback client, or of a hello whose SNI could not be read.
void isolate_fallback_sessions(const ConnectionState &state, SSL *ssl);

}  // namespace snifallback::glue
