#include <catch2/catch.hpp>

#include <algorithm>
#include <string>
#include <vector>

#include "core/client_hello.h"
#include "core/fingerprint.h"
#include "hello_builder.h"

using snifallback::ClientHello;

namespace {

// The example of FoxIO's technical_details/JA4.md: 15 ciphers, 16 extensions, ALPN h2, TLS 1.3.
ClientHello spec_example() {
    ClientHello hello;
    hello.legacy_version = 0x0303;
    hello.highest_version = 0x0304;
    hello.cipher_suites = {0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9,
                           0xcca8, 0xc013, 0xc014, 0x009c, 0x009d, 0x002f, 0x0035};
    hello.extensions = {0x001b, 0x0000, 0x0033, 0x0010, 0x4469, 0x0017, 0x002d, 0x000d,
                        0x0005, 0x0023, 0x0012, 0x002b, 0xff01, 0x000b, 0x000a, 0x0015};
    hello.signature_algorithms = {0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601};
    hello.alpn = {"h2", "http/1.1"};
    hello.sni_present = true;
    hello.sni = "example.org";
    return hello;
}

std::string alpn_part(const std::vector<std::string> &alpn) {
    ClientHello hello = spec_example();
    hello.alpn = alpn;
    return snifallback::ja4(hello).substr(8, 2);
}

}  // namespace

TEST_CASE("JA4 and JA4_r of the specification's example") {
    const ClientHello hello = spec_example();
    CHECK(snifallback::ja4(hello) == "t13d1516h2_8daaf6152771_e5627efa2ab1");
    CHECK(snifallback::ja4_r(hello) ==
          "t13d1516h2_002f,0035,009c,009d,1301,1302,1303,c013,c014,c02b,c02c,c02f,c030,cca8,cca9_"
          "0005,000a,000b,000d,0012,0015,0017,001b,0023,002b,002d,0033,4469,ff01_"
          "0403,0804,0401,0503,0805,0501,0806,0601");

    ClientHello no_sigalgs = hello;  // the string then ends without '_' (spec: 6d807ffa2a79)
    no_sigalgs.signature_algorithms.clear();
    CHECK(snifallback::ja4(no_sigalgs) == "t13d1516h2_8daaf6152771_6d807ffa2a79");
}

TEST_CASE("JA4 ignores GREASE everywhere and sorts: order and GREASE do not change it") {
    ClientHello hello = spec_example();
    const std::string reference = snifallback::ja4(hello);
    const std::string reference_ja3 = snifallback::ja3_string(hello);
    hello.cipher_suites.insert(hello.cipher_suites.begin(), 0x0a0a);
    hello.extensions.insert(hello.extensions.begin(), 0x1a1a);
    hello.extensions.push_back(0xfafa);
    hello.signature_algorithms.insert(hello.signature_algorithms.begin(), 0x2a2a);
    hello.supported_versions = {0x3a3a, 0x0304};
    CHECK(snifallback::ja4(hello) == reference);
    CHECK(snifallback::ja3_string(hello) == reference_ja3);

    // Chrome shuffles its extensions: JA3 changes, JA4 must not.
    std::reverse(hello.extensions.begin(), hello.extensions.end());
    std::reverse(hello.cipher_suites.begin(), hello.cipher_suites.end());
    CHECK(snifallback::ja4(hello) == reference);
    CHECK(snifallback::ja3_string(hello) != reference_ja3);
}

TEST_CASE("JA4 ALPN characters") {
    using V = std::vector<std::string>;
    CHECK(alpn_part(V{"h2"}) == "h2");
    CHECK(alpn_part(V{"http/1.1", "h2"}) == "h1");
    CHECK(alpn_part(V{"h"}) == "hh");  // one character is both first and last
    CHECK(alpn_part(V{}) == "00");
    CHECK(alpn_part(V{""}) == "00");
    // Non-alphanumeric first or last byte: first and last digit of the value's hex (spec examples).
    CHECK(alpn_part(V{"\xab"}) == "ab");
    CHECK(alpn_part(V{"\xab\xcd"}) == "ad");
    CHECK(alpn_part(V{"0\xab"}) == "3b");
    CHECK(alpn_part(V{"01\xab\xcd"}) == "3d");
    CHECK(alpn_part(V{"0\xab\xcd"
                      "1"}) == "01");
    CHECK(alpn_part(V{"\xba\xad", "http/1.1"}) == "bd");
    CHECK(alpn_part(V{"_h2/"}) == "5f");
    CHECK(alpn_part(V{"/"}) == "2f");
}

TEST_CASE("JA4 version, SNI and count fields") {
    ClientHello hello = spec_example();
    auto a = [&hello] { return snifallback::ja4(hello).substr(0, 10); };
    const std::vector<std::pair<std::uint16_t, std::string>> versions{
        {0x0304, "13"}, {0x0303, "12"}, {0x0302, "11"}, {0x0301, "10"},
        {0x0300, "s3"}, {0x0002, "s2"}, {0xfeff, "d1"}, {0xfefd, "d2"},
        {0xfefc, "d3"}, {0x7f12, "00"}, {0, "00"}};
    for (const auto &[version, code] : versions) {
        hello.highest_version = version;
        CHECK(a().substr(1, 2) == code);
    }
    hello.highest_version = 0x0304;

    // 'd' follows the server_name extension (the specification's rule), counted with ALPN.
    hello.extensions.erase(std::find(hello.extensions.begin(), hello.extensions.end(), 0x0000));
    CHECK(a() == "t13i1515h2");
    hello.extensions.erase(std::find(hello.extensions.begin(), hello.extensions.end(), 0x0010));
    CHECK(a() == "t13i1514h2");

    hello.cipher_suites.assign(150, 0x002f);
    hello.extensions.clear();
    for (std::uint16_t t = 0x0100; t < 0x0100 + 120; ++t) hello.extensions.push_back(t);
    CHECK(a() == "t13i9999h2");
    CHECK(snifallback::ja4(hello, snifallback::Transport::quic)[0] == 'q');
    CHECK(snifallback::ja4(hello, snifallback::Transport::dtls)[0] == 'd');
}

TEST_CASE("JA4 of empty lists: twelve zeros, and the raw form keeps the separators") {
    ClientHello hello;
    hello.legacy_version = 0x0303;
    hello.highest_version = 0x0303;
    CHECK(snifallback::ja4(hello) == "t12i000000_000000000000_000000000000");
    CHECK(snifallback::ja4_r(hello) == "t12i000000__");

    // Only SNI and ALPN: counted in a, nothing to hash in c.
    hello.cipher_suites = {0x1301, 0x1302};
    hello.extensions = {0x0000, 0x0010};
    hello.alpn = {"h2"};
    CHECK(snifallback::ja4(hello) == "t12d0202h2_62ed6f6ca7ad_000000000000");
    CHECK(snifallback::ja4_r(hello) == "t12d0202h2_1301,1302_");
}

TEST_CASE("JA3 string and MD5") {
    ClientHello hello;
    hello.legacy_version = 0x0303;
    hello.cipher_suites = {0x1301, 0x1302, 0x1303};
    hello.extensions = {0x0000, 0x002b};
    CHECK(snifallback::ja3_string(hello) == "771,4865-4866-4867,0-43,,");
    CHECK(snifallback::ja3_hash("771,4865-4866-4867,0-43,,") == "b05942cf9db38edab716bba670db271f");
    CHECK(snifallback::ja3_hash("") == "d41d8cd98f00b204e9800998ecf8427e");

    ClientHello full;
    const test::Bytes message = test::handshake(test::typical_hello());
    REQUIRE(snifallback::parse_client_hello_message(message.data(), message.size(), full) ==
            snifallback::ParseError::ok);
    // GREASE removed from ciphers, extensions and groups, wire order kept.
    CHECK(snifallback::ja3_string(full) ==
          "771,4865-4866-4867-49195-49199,0-23-10-11-16-13-43,29-23,0");
}
