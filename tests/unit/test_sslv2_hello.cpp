// SSLv2-format (SSL 2.0-compatible) ClientHellos, as Java 6 sends its first hello by default.
#include <catch2/catch.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "core/client_hello.h"
#include "core/fingerprint.h"

using snifallback::ClientHello;
using snifallback::ParseError;
using Bytes = std::vector<std::uint8_t>;

namespace {

// JDK 6u45's default suites, 0x00 + TLS code each, with JSSE's SSL 2.0 equivalents after the
// suites that have one; the renegotiation SCSV last (tests/snifharness/sslv2.py builds the same).
const Bytes java6_specs = {
    0x00, 0x00, 0x04, 0x01, 0x00, 0x80, 0x00, 0x00, 0x05, 0x00, 0x00, 0x2f, 0x00, 0x00, 0x33,
    0x00, 0x00, 0x32, 0x00, 0x00, 0x0a, 0x07, 0x00, 0xc0, 0x00, 0x00, 0x16, 0x00, 0x00, 0x13,
    0x00, 0x00, 0x09, 0x06, 0x00, 0x40, 0x00, 0x00, 0x15, 0x00, 0x00, 0x12, 0x00, 0x00, 0x03,
    0x02, 0x00, 0x80, 0x00, 0x00, 0x08, 0x00, 0x00, 0x14, 0x00, 0x00, 0x11, 0x00, 0x00, 0xff,
};

Bytes message(const Bytes &specs, std::size_t session_id = 0, std::size_t challenge = 32,
              std::uint16_t version = 0x0301) {
    Bytes m = {0x01,
               static_cast<std::uint8_t>(version >> 8),
               static_cast<std::uint8_t>(version),
               static_cast<std::uint8_t>(specs.size() >> 8),
               static_cast<std::uint8_t>(specs.size()),
               static_cast<std::uint8_t>(session_id >> 8),
               static_cast<std::uint8_t>(session_id),
               static_cast<std::uint8_t>(challenge >> 8),
               static_cast<std::uint8_t>(challenge)};
    m.insert(m.end(), specs.begin(), specs.end());
    m.insert(m.end(), session_id + challenge, 0x5a);
    return m;
}

Bytes record(const Bytes &m) {
    Bytes r = {static_cast<std::uint8_t>(0x80 | (m.size() >> 8)),
               static_cast<std::uint8_t>(m.size())};
    r.insert(r.end(), m.begin(), m.end());
    return r;
}

ParseError parse_message(const Bytes &m, ClientHello &hello) {
    return snifallback::parse_sslv2_client_hello_message(m.data(), m.size(), hello);
}

}  // namespace

TEST_CASE("Java 6's SSLv2-format hello: version, TLS suites in order, no extensions, no SNI") {
    ClientHello hello;
    REQUIRE(parse_message(message(java6_specs), hello) == ParseError::ok);
    CHECK(hello.sslv2_format);
    CHECK(hello.legacy_version == 0x0301);
    CHECK(hello.highest_version == 0x0301);
    CHECK(hello.cipher_suites == std::vector<std::uint16_t>{0x0004, 0x0005, 0x002f, 0x0033, 0x0032,
                                                            0x000a, 0x0016, 0x0013, 0x0009, 0x0015,
                                                            0x0012, 0x0003, 0x0008, 0x0014, 0x0011,
                                                            0x00ff});
    CHECK(hello.sslv2_only_specs == 4);
    CHECK(hello.extensions.empty());
    CHECK_FALSE(hello.sni_present);
    CHECK(hello.alpn.empty());

    // The same through the record form (2-byte header with the high bit set)
    ClientHello from_record;
    const Bytes r = record(message(java6_specs));
    REQUIRE(snifallback::parse_client_hello(r.data(), r.size(), from_record) == ParseError::ok);
    CHECK(from_record.cipher_suites == hello.cipher_suites);
    CHECK(snifallback::looks_like_sslv2_client_hello(r.data(), r.size()));
}

TEST_CASE("JA3 and JA4 of an SSLv2-format hello") {
    ClientHello hello;
    REQUIRE(parse_message(message(java6_specs), hello) == ParseError::ok);
    // JA3: version, the TLS suites, and three empty fields (no extensions, groups, formats)
    CHECK(snifallback::ja3_string(hello) == "769,4-5-47-51-50-10-22-19-9-21-18-3-8-20-17-255,,,");
    // JA4: TLS over TCP, 1.0, no SNI, 16 suites, no extensions, no ALPN
    const std::string ja4 = snifallback::ja4(hello);
    CHECK(ja4.substr(0, 11) == "t10i160000_");
    CHECK(ja4.substr(24) == "000000000000");
}

TEST_CASE("Malformed SSLv2-format hellos are refused as OpenSSL refuses them") {
    ClientHello hello;
    CHECK(parse_message(Bytes{}, hello) == ParseError::empty);
    CHECK(parse_message(Bytes{0x02, 0x03, 0x01}, hello) == ParseError::not_client_hello);
    CHECK(parse_message(Bytes{0x01, 0x03, 0x01, 0x00}, hello) == ParseError::truncated);
    CHECK(parse_message(message(Bytes{}), hello) == ParseError::bad_length);      // no specs
    CHECK(parse_message(message(Bytes{0, 0}), hello) == ParseError::bad_length);  // not 3-byte
    CHECK(parse_message(message(java6_specs, 33), hello) == ParseError::bad_length);
    CHECK(parse_message(message(java6_specs, 0, 15), hello) == ParseError::bad_length);
    CHECK(parse_message(message(java6_specs, 0, 33), hello) == ParseError::bad_length);
    Bytes extra = message(java6_specs);
    extra.push_back(0);
    CHECK(parse_message(extra, hello) == ParseError::bad_length);
    Bytes shortened = message(java6_specs);
    shortened.pop_back();
    CHECK(parse_message(shortened, hello) == ParseError::truncated);
    CHECK_FALSE(hello.sslv2_format);
    for (std::ptrdiff_t n = 0; n < static_cast<std::ptrdiff_t>(shortened.size()); ++n) {
        CHECK(parse_message(Bytes(shortened.begin(), shortened.begin() + n), hello) !=
              ParseError::ok);
    }
    // A real SSL 2.0 hello (version 0x0002) is not an SSLv2-compatible TLS hello
    const Bytes v2 = record(message(java6_specs, 0, 32, 0x0002));
    CHECK_FALSE(snifallback::looks_like_sslv2_client_hello(v2.data(), v2.size()));
    CHECK(snifallback::parse_client_hello(v2.data(), v2.size(), hello) ==
          ParseError::not_handshake);
    // A record header announcing more than is there
    Bytes cut = record(message(java6_specs));
    cut.resize(cut.size() - 1);
    CHECK(snifallback::parse_client_hello(cut.data(), cut.size(), hello) == ParseError::truncated);
}
