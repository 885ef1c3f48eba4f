// The per-request floor of fallback handshakes. The fallback TLS profile (SNIFallbackProtocol,
// SNIFallbackCipherSuite) opens the handshake of an old client; it must never open a vhost to a
// connection that vhost's own settings (SSLProtocol, SSLCipherSuite, security level) would have
// refused. This is the pure decision: what a vhost's TLS settings accept, what a connection
// negotiated, and whether the one admits the other, by the rules OpenSSL's default security
// callback applies at a handshake. The glue reads both from OpenSSL.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace snifallback {

// What a vhost's own TLS settings accept (from its SSL_CTX).
struct TlsFloor {
    std::uint16_t min_version = 0;  // wire version; 0: no minimum set
    std::uint16_t max_version = 0;  // 0: no maximum set
    int security_level = 0;
    std::vector<std::string> ciphers;  // OpenSSL names its cipher list holds (TLS 1.3 suites too)
    bool openssl3_rules = true;        // OpenSSL 3: TLS below 1.2 only at security level 0
};

// What a connection negotiated: its version and cipher, and the strength of the keys it used.
struct NegotiatedTls {
    std::uint16_t version = 0;  // wire version
    std::string cipher;         // OpenSSL name
    int cipher_bits = 0;        // the cipher's strength (SSL_CIPHER_get_bits)
    bool anonymous = false;     // no server authentication (aNULL)
    bool mac_md5 = false;
    bool mac_sha1 = false;
    bool rc4 = false;
    bool forward_secret = false;  // (EC)DHE key exchange, or a TLS 1.3 suite
    bool tls13_suite = false;
    int key_bits = -1;      // security bits of the served certificate's key; -1: not known
    int tmp_key_bits = -1;  // security bits of the ephemeral key; -1: none or not known
};

// The lowest security bits OpenSSL's security level `level` asks for: 0, 80, 112, 128, 192, 256.
int security_level_bits(int level) noexcept;

// Whether a vhost with `floor` accepts `tls`; when not, `why` (if given) says what it refuses, e.g.
// "TLSv1 is below its lowest protocol, TLSv1.2".
bool floor_accepts(const TlsFloor &floor, const NegotiatedTls &tls, std::string *why = nullptr);

// Whether `version` is one `floor` accepts at all (its range and security level).
bool floor_accepts_version(const TlsFloor &floor, std::uint16_t version) noexcept;

// Whether a fallback profile that accepts what `profile` describes may let in a connection that
// `vhost` refuses: a version the vhost refuses, a cipher its list lacks, or a lower security level
// (which lets weaker ciphers and keys through). Used for the start-up forecast.
bool profile_reaches_below(const TlsFloor &profile, const TlsFloor &vhost);

}  // namespace snifallback
