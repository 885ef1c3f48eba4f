#include <catch2/catch.hpp>
#include <fstream>
#include <vector>

#include <memory>
#include <set>
#include <string>

#include "core/client_hello.h"
#include "hello_builder.h"

using snifallback::ClientHello;
using snifallback::ParseError;
using test::Bytes;

namespace {

ParseError parse(const Bytes &bytes, ClientHello &hello) {
    return snifallback::parse_client_hello(bytes.data(), bytes.size(), hello);
}

ParseError parse(const Bytes &bytes) {
    ClientHello hello;
    return parse(bytes, hello);
}

}  // namespace

TEST_CASE("A typical hello: every field, in wire order, GREASE kept") {
    ClientHello hello;
    REQUIRE(parse(test::handshake(test::typical_hello()), hello) == ParseError::ok);
    CHECK(hello.legacy_version == 0x0303);
    CHECK(hello.highest_version == 0x0304);
    CHECK(hello.cipher_suites ==
          std::vector<std::uint16_t>{0x0a0a, 0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f});
    CHECK(hello.extensions == std::vector<std::uint16_t>{0x1a1a, 0x0000, 0x0017, 0x000a, 0x000b,
                                                         0x0010, 0x000d, 0x002b, 0x4a4a});
    CHECK(hello.supported_versions == std::vector<std::uint16_t>{0x3a3a, 0x0304, 0x0303});
    CHECK(hello.supported_groups == std::vector<std::uint16_t>{0x2a2a, 0x001d, 0x0017});
    CHECK(hello.ec_point_formats == std::vector<std::uint8_t>{0});
    CHECK(hello.signature_algorithms == std::vector<std::uint16_t>{0x0403, 0x0804, 0x0401});
    CHECK(hello.alpn == std::vector<std::string>{"h2", "http/1.1"});
    CHECK(hello.sni_present);
    CHECK(hello.sni == "www.example.org");
}

TEST_CASE("Records and handshake give the same hello, however the records fragment it") {
    const Bytes message = test::handshake(test::typical_hello());
    ClientHello reference;
    REQUIRE(parse(message, reference) == ParseError::ok);
    const std::size_t fragment = GENERATE(as<std::size_t>{}, 1, 2, 3, 4, 5, 7, 64, 100, 16384);
    INFO("fragment " << fragment);
    ClientHello hello;
    REQUIRE(parse(test::records(message, fragment), hello) == ParseError::ok);
    CHECK(hello.extensions == reference.extensions);
    CHECK(hello.cipher_suites == reference.cipher_suites);
    CHECK(hello.sni == reference.sni);
    CHECK(hello.alpn == reference.alpn);
    CHECK(hello.signature_algorithms == reference.signature_algorithms);
}

TEST_CASE("Bytes after the first handshake message are ignored") {
    const Bytes message = test::handshake(test::typical_hello());
    Bytes stream = test::records(message, 100);
    // An application-data record and junk after the hello.
    stream.insert(stream.end(), {23, 3, 3, 0, 2, 0xde, 0xad, 0xff});
    CHECK(parse(stream) == ParseError::ok);
    Bytes trailing = message;
    trailing.insert(trailing.end(), {0x02, 0x00, 0x00});
    CHECK(parse(trailing) == ParseError::ok);
    // The rest of the message shares the record with the end of the hello.
    Bytes shared = message;
    shared.insert(shared.end(), {0x0b, 0x00, 0x00, 0x00});
    CHECK(parse(test::records(shared)) == ParseError::ok);
}

TEST_CASE("A hello without an extensions block (SSLv3 / TLS 1.0 style)") {
    test::HelloSpec spec;
    spec.version = 0x0300;
    spec.session_id_bytes = 0;
    spec.with_extensions_block = false;
    ClientHello hello;
    REQUIRE(parse(test::handshake(spec), hello) == ParseError::ok);
    CHECK(hello.extensions.empty());
    CHECK(hello.highest_version == 0x0300);
    CHECK_FALSE(hello.sni_present);
}

TEST_CASE("supported_versions: the highest non-GREASE entry, else the legacy version") {
    ClientHello hello;
    test::HelloSpec spec;
    spec.ext(0x002b, test::u16_list_body({0x0303, 0x0304, 0xfafa}, 1));
    REQUIRE(parse(test::handshake(spec), hello) == ParseError::ok);
    CHECK(hello.highest_version == 0x0304);

    test::HelloSpec grease_only;
    grease_only.version = 0x0302;
    grease_only.ext(0x002b, test::u16_list_body({0x0a0a}, 1));
    REQUIRE(parse(test::handshake(grease_only), hello) == ParseError::ok);
    CHECK(hello.highest_version == 0x0302);
}

TEST_CASE("SNI: only host_name entries count; the first is kept, bytes untouched") {
    ClientHello hello;
    test::HelloSpec other_type;
    other_type.ext(0x0000, test::sni_body({{7, "not-a-host"}}));
    REQUIRE(parse(test::handshake(other_type), hello) == ParseError::ok);
    CHECK_FALSE(hello.sni_present);
    CHECK(hello.sni.empty());

    test::HelloSpec two;
    two.ext(0x0000, test::sni_body({{7, "x"}, {0, "192.0.2.1"}, {0, "second.example"}}));
    REQUIRE(parse(test::handshake(two), hello) == ParseError::ok);
    CHECK(hello.sni_present);
    CHECK(hello.sni == "192.0.2.1");

    test::HelloSpec odd;
    odd.ext(0x0000, test::sni_body({{0, std::string("a\0b\xff", 4)}}));
    REQUIRE(parse(test::handshake(odd), hello) == ParseError::ok);
    CHECK(hello.sni == std::string("a\0b\xff", 4));

    test::HelloSpec empty_list;
    empty_list.ext(0x0000, {0, 0});
    REQUIRE(parse(test::handshake(empty_list), hello) == ParseError::ok);
    CHECK_FALSE(hello.sni_present);

    test::HelloSpec too_long;
    too_long.ext(0x0000, test::sni_body({{0, std::string(256, 'a')}}));
    CHECK(parse(test::handshake(too_long)) == ParseError::malformed_extension);
}

TEST_CASE("A reused ClientHello is reset by every parse") {
    ClientHello hello;
    REQUIRE(parse(test::handshake(test::typical_hello()), hello) == ParseError::ok);
    test::HelloSpec bare;
    REQUIRE(parse(test::handshake(bare), hello) == ParseError::ok);
    CHECK_FALSE(hello.sni_present);
    CHECK(hello.sni.empty());
    CHECK(hello.alpn.empty());
    CHECK(hello.supported_groups.empty());
    CHECK(hello.highest_version == 0x0303);
    CHECK(parse(Bytes{0x01, 0x00}, hello) == ParseError::truncated);
    CHECK(hello.cipher_suites.empty());
}

TEST_CASE("Malformed input gives the matching error") {
    using test::HelloSpec;
    const Bytes good = test::handshake(test::typical_hello());

    CHECK(parse(Bytes{}) == ParseError::empty);
    CHECK(snifallback::parse_client_hello(nullptr, 0, *std::make_unique<ClientHello>()) ==
          ParseError::empty);
    CHECK(parse(Bytes{0x17, 0x03, 0x03, 0x00, 0x01, 0x00}) == ParseError::not_handshake);
    CHECK(parse(Bytes{0x80, 0x2e, 0x01}) == ParseError::not_handshake);  // SSLv2-style hello
    CHECK(parse(Bytes{0x02, 0x00, 0x00, 0x00}) == ParseError::not_client_hello);
    CHECK(parse(test::records(Bytes{0x02, 0x00, 0x00, 0x00})) == ParseError::not_client_hello);

    // Record header problems.
    Bytes bad_version = test::records(good);
    bad_version[1] = 0x02;
    CHECK(parse(bad_version) == ParseError::bad_record);
    CHECK(parse(Bytes{22, 3, 1, 0, 0}) == ParseError::bad_record);
    CHECK(parse(Bytes{22, 3, 1, 0x40, 0x01}) == ParseError::bad_record);  // > 2^14
    Bytes interleaved = test::records(Bytes(good.begin(), good.begin() + 10));
    interleaved.insert(interleaved.end(), {21, 3, 3, 0, 2, 2, 40});  // an alert mid-hello
    CHECK(parse(interleaved) == ParseError::not_handshake);

    // Sizes and counts.
    CHECK(parse(Bytes{0x01, 0x01, 0x00, 0x00}) == ParseError::too_large);
    CHECK(parse(test::records(Bytes{0x01, 0x01, 0x00, 0x00}, 2)) == ParseError::too_large);
    HelloSpec many_ciphers;
    many_ciphers.ciphers.assign(513, 0x002f);
    CHECK(parse(test::handshake(many_ciphers)) == ParseError::too_many);
    HelloSpec many_extensions;
    for (std::uint16_t t = 0x0100; t < 0x0100 + 129; ++t) many_extensions.ext(t, {});
    CHECK(parse(test::handshake(many_extensions)) == ParseError::too_many);
    HelloSpec many_groups;
    many_groups.ext(0x000a, test::u16_list_body(std::vector<std::uint16_t>(257, 0x001d)));
    CHECK(parse(test::handshake(many_groups)) == ParseError::too_many);

    // Inner lengths.
    HelloSpec long_session;
    long_session.session_id_bytes = 33;
    CHECK(parse(test::handshake(long_session)) == ParseError::bad_length);
    Bytes odd_ciphers = test::handshake(HelloSpec{});
    odd_ciphers[4 + 2 + 32 + 1 + 32 + 1] = 5;  // cipher list length 6 -> 5
    CHECK(parse(odd_ciphers) == ParseError::bad_length);
    Bytes extra_byte = good;
    extra_byte.push_back(0);
    extra_byte[3] = static_cast<std::uint8_t>(extra_byte[3] + 1);  // message claims the extra byte
    CHECK(parse(extra_byte) == ParseError::bad_length);

    HelloSpec duplicate;
    duplicate.ext(0x0017, {}).ext(0x0017, {});
    CHECK(parse(test::handshake(duplicate)) == ParseError::duplicate_extension);
    HelloSpec duplicate_grease;
    duplicate_grease.ext(0x0a0a, {}).ext(0x0a0a, {0});
    CHECK(parse(test::handshake(duplicate_grease)) == ParseError::ok);

    // Bodies of the extensions we read.
    for (std::uint16_t type :
         std::initializer_list<std::uint16_t>{0x0000, 0x000a, 0x000b, 0x000d, 0x0010, 0x002b}) {
        INFO("extension " << type);
        HelloSpec empty_body;
        empty_body.ext(type, {});
        CHECK(parse(test::handshake(empty_body)) == ParseError::malformed_extension);
        HelloSpec overlong;
        overlong.ext(type, {0x00, 0x09, 0x00});
        CHECK(parse(test::handshake(overlong)) == ParseError::malformed_extension);
    }
    HelloSpec odd_list;
    odd_list.ext(0x000d, {0x00, 0x03, 0x04, 0x03, 0x08});
    CHECK(parse(test::handshake(odd_list)) == ParseError::malformed_extension);
    HelloSpec alpn_overrun;
    alpn_overrun.ext(0x0010, {0x00, 0x03, 0x05, 'h', '2'});
    CHECK(parse(test::handshake(alpn_overrun)) == ParseError::malformed_extension);
}

TEST_CASE("Every truncation of a valid hello is refused, in both forms") {
    const Bytes message = test::handshake(test::typical_hello());
    const Bytes stream = test::records(message, 50);
    for (std::size_t n = 1; n < message.size(); ++n) {
        const Bytes prefix(message.begin(), message.begin() + static_cast<std::ptrdiff_t>(n));
        INFO("message prefix " << n);
        CHECK(parse(prefix) != ParseError::ok);
    }
    for (std::size_t n = 1; n < stream.size(); ++n) {
        const Bytes prefix(stream.begin(), stream.begin() + static_cast<std::ptrdiff_t>(n));
        INFO("record prefix " << n);
        CHECK(parse(prefix) == ParseError::truncated);
    }
}

TEST_CASE("Error names are distinct and stable; version names") {
    std::set<std::string> names;
    for (int e = 0; e <= static_cast<int>(ParseError::malformed_extension); ++e) {
        names.insert(snifallback::to_string(static_cast<ParseError>(e)));
    }
    CHECK(names.size() == 11);
    CHECK(std::string(snifallback::to_string(ParseError::truncated)) == "truncated");
    CHECK(snifallback::tls_version_name(0x0304) == "TLSv1.3");
    CHECK(snifallback::tls_version_name(0x0303) == "TLSv1.2");
    CHECK(snifallback::tls_version_name(0x0301) == "TLSv1");
    CHECK(snifallback::tls_version_name(0x0300) == "SSLv3");
    CHECK(snifallback::tls_version_name(0x7f12) == "0x7f12");
}

TEST_CASE("GREASE values") {
    CHECK(snifallback::tls::is_grease(0x0a0a));
    CHECK(snifallback::tls::is_grease(0xfafa));
    CHECK_FALSE(snifallback::tls::is_grease(0x0a1a));
    CHECK_FALSE(snifallback::tls::is_grease(0x1301));
    int count = 0;
    for (unsigned v = 0; v <= 0xffff; ++v)
        count += snifallback::tls::is_grease(static_cast<std::uint16_t>(v));
    CHECK(count == 16);
}

TEST_CASE("scan_for_sni agrees with the full parser on every captured and public hello",
          "[client_hello][sni_scan]") {
    // The vectors the table-driven test reads: our own captures (always there).
    std::ifstream in(SNIFALLBACK_OWN_VECTORS_FOR_SCAN);
    REQUIRE(in.good());
    std::string line;
    int checked = 0;
    while (std::getline(in, line)) {
        const auto key = line.find("\"handshake_hex\": \"");
        if (key == std::string::npos) continue;
        const auto start = key + 18;
        const std::string hex = line.substr(start, line.find('"', start) - start);
        std::vector<std::uint8_t> bytes;
        for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
            bytes.push_back(static_cast<std::uint8_t>(std::stoi(hex.substr(i, 2), nullptr, 16)));
        }
        snifallback::ClientHello hello;
        REQUIRE(snifallback::parse_client_hello_message(bytes.data(), bytes.size(), hello) ==
                snifallback::ParseError::ok);
        std::string_view name;
        const auto scan = snifallback::scan_for_sni(bytes.data(), bytes.size(), &name);
        CHECK(scan == (hello.sni_present ? snifallback::SniScan::present
                                         : snifallback::SniScan::absent));
        if (hello.sni_present) CHECK(name == hello.sni);  // the same first host_name entry
        // a truncated message is never answered: the full parser says why
        for (std::size_t cut = 0; cut < bytes.size(); cut += 7) {
            CHECK(snifallback::scan_for_sni(bytes.data(), cut) == snifallback::SniScan::unknown);
        }
        ++checked;
    }
    CHECK(checked >= 20);
}
