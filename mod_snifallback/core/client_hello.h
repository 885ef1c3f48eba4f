// Bounded parser of a TLS ClientHello. Pure C++17: no httpd, APR or OpenSSL types.
//
// Input is either the bare handshake message (type 0x01, 3-byte length, body) as OpenSSL's message
// callback hands it over, or the raw TLS record stream a client sends (one or more records of
// content type 22, the hello possibly fragmented across them). Every length is checked against the
// bytes that are really there; counts and sizes have hard limits.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/tls_constants.h"

namespace snifallback {

// Why a ClientHello could not be parsed. `ok` means the hello is complete and well-formed.
enum class ParseError {
    ok = 0,
    empty,                // no bytes at all
    truncated,            // a length points past the end of the input
    not_handshake,        // record stream whose first record is not a handshake (content type 22)
    not_client_hello,     // handshake message type is not client_hello (1)
    bad_record,           // record header is malformed (version or length out of range)
    bad_length,           // an inner length is inconsistent (odd cipher list, overlong vector ...)
    too_large,            // the hello exceeds the hard size limit
    too_many,             // a list exceeds its hard count limit
    duplicate_extension,  // the same extension type twice (RFC 8446 4.2 forbids it)
    malformed_extension,  // an extension we read (SNI, ALPN, versions ...) has a bad body
};

// Short stable text for logs and the CLI, e.g. "truncated".
const char *to_string(ParseError error) noexcept;

// Hard limits: a real hello is well under these; anything larger is refused, not truncated.
struct ParseLimits {
    static constexpr std::size_t max_hello_bytes = 64 * 1024;  // handshake message, header included
    static constexpr std::size_t max_cipher_suites = 512;
    static constexpr std::size_t max_extensions = 128;
    static constexpr std::size_t max_list_entries = 256;  // groups, sigalgs, versions, ALPN
    static constexpr std::size_t max_name_bytes = 255;    // one SNI host name / ALPN value
};

// "TLSv1.3", "TLSv1.2", ..., "SSLv3", or "0x7f12" for anything else.
std::string tls_version_name(std::uint16_t version);

struct ClientHello {
    std::uint16_t legacy_version = 0;          // client_version field
    std::uint16_t highest_version = 0;         // highest non-GREASE supported_versions, else legacy
    std::vector<std::uint16_t> cipher_suites;  // as offered, GREASE included
    std::vector<std::uint16_t> extensions;     // extension types in wire order, GREASE included
    std::vector<std::uint16_t> supported_versions;
    std::vector<std::uint16_t> supported_groups;
    std::vector<std::uint8_t> ec_point_formats;
    std::vector<std::uint16_t> signature_algorithms;
    std::vector<std::string> alpn;  // protocol names as bytes (may be non-printable)
    bool sni_present = false;       // a server_name extension with a host_name entry
    std::string sni;                // first host_name entry, raw bytes (untrusted)
    // An SSLv2-format (SSL 2.0-compatible) hello: no extensions, hence no SNI; cipher_suites holds
    // the TLS suites among its 3-byte cipher specs (those whose first byte is 0), and
    // sslv2_only_specs counts the others (SSL 2.0 kinds, which have no TLS code).
    bool sslv2_format = false;
    std::size_t sslv2_only_specs = 0;
};

// Parse a bare handshake message: 0x01, 3-byte length, body.
ParseError parse_client_hello_message(const std::uint8_t *data, std::size_t size, ClientHello &out);

// Parse a record stream that starts at a TLS record header (0x16 0x03 ...): reassembles the first
// handshake message across records and parses it.
ParseError parse_client_hello_records(const std::uint8_t *data, std::size_t size, ClientHello &out);

// The one question asked of every ClientHello, answered without building a ClientHello: does a
// bare handshake message carry a server_name extension with a host_name entry? `unknown` when the
// bytes are too broken to say (the full parser then gives the reason). When present and
// `host_name` is given, it is set to the first host_name entry's bytes, a view into `data`.
enum class SniScan { present, absent, unknown };
SniScan scan_for_sni(const std::uint8_t *data, std::size_t size,
                     std::string_view *host_name = nullptr) noexcept;

// An SSLv2-format ClientHello message, as OpenSSL's message callback hands over an
// SSL 2.0-compatible hello (with version SSL2_VERSION and content type 0): type 1, version,
// cipher-spec length, session-id length, challenge length (2 bytes each), the cipher specs (3 bytes
// each), session id and challenge, and nothing after. Lengths are checked as OpenSSL checks them
// (specs a non-zero multiple of 3, session id at most 32 bytes, challenge 16 to 32 bytes).
ParseError parse_sslv2_client_hello_message(const std::uint8_t *data, std::size_t size,
                                            ClientHello &out);

// Whether `data` starts like an SSLv2-format ClientHello record: a 2-byte header with the high bit
// set, then message type 1 and a version of 3.x.
bool looks_like_sslv2_client_hello(const std::uint8_t *data, std::size_t size) noexcept;

// Either form: records when the input starts with 0x16, a bare message when it starts with 0x01,
// an SSLv2-format hello record (2-byte header, high bit set, then type 1); other record types
// (20-24) and other SSLv2-style input give not_handshake, other first bytes not_client_hello.
ParseError parse_client_hello(const std::uint8_t *data, std::size_t size, ClientHello &out);

}  // namespace snifallback
