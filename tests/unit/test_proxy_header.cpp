#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "core/proxy_header.h"

using snifallback::ProxiedAddress;
using snifallback::ProxyHeaderScan;
using snifallback::scan_proxy_header;

namespace {

ProxyHeaderScan scan(const std::string &bytes, ProxiedAddress &out) {
    return scan_proxy_header(reinterpret_cast<const unsigned char *>(bytes.data()), bytes.size(),
                             out);
}

std::string v2(unsigned char command, unsigned char family, const std::vector<int> &body) {
    std::string out("\r\n\r\n\0\r\nQUIT\n", 12);
    out += static_cast<char>(0x20 | command);
    out += static_cast<char>(family);
    out += static_cast<char>(body.size() >> 8);
    out += static_cast<char>(body.size() & 0xFF);
    for (const int b : body) out += static_cast<char>(b);
    return out;
}

}  // namespace

TEST_CASE("PROXY v1 lines give the client's address and port") {
    const auto [line, ip, port] = GENERATE(table<std::string, std::string, int>({
        {"PROXY TCP4 127.0.0.3 127.0.0.1 40000 443\r\n", "127.0.0.3", 40000},
        {"PROXY TCP6 ::1 ::1 1 443\r\n", "::1", 1},
        {"PROXY TCP6 2001:DB8:0:0::7 ::1 65535 443\r\nTLS bytes", "2001:db8::7", 65535},
    }));
    ProxiedAddress out;
    CHECK(scan(line, out) == ProxyHeaderScan::found);
    CHECK(out.ip == ip);
    CHECK(out.port == port);
    // every proper prefix asks for more
    for (std::size_t n = 0; n < line.find("\r\n") + 1; ++n) {
        ProxiedAddress partial;
        CHECK(scan(line.substr(0, n), partial) == ProxyHeaderScan::need_more);
    }
}

TEST_CASE("PROXY v1 lines without a usable client address are not taken") {
    const std::string line = GENERATE(
        as<std::string>{}, "PROXY UNKNOWN\r\n", "PROXY UNKNOWN 1.2.3.4 1.2.3.4 1 2\r\n",
        "PROXY TCP4 1.2.3 127.0.0.1 1 2\r\n", "PROXY TCP4 ::1 127.0.0.1 1 2\r\n",
        "PROXY TCP4 1.2.3.4 127.0.0.1 65536 2\r\n", "PROXY TCP4 1.2.3.4 127.0.0.1 -1 2\r\n",
        "PROXY TCP4 1.2.3.4  127.0.0.1 1 2\r\n", "PROXY TCP4 1.2.3.4 127.0.0.1 1 2 3\r\n",
        "PROXY TCP4 localhost 127.0.0.1 1 2\r\n", "GET / HTTP/1.1\r\n", "\x16\x03\x01\x02\x00");
    ProxiedAddress out;
    CHECK(scan(line, out) == ProxyHeaderScan::none);
}

TEST_CASE("a PROXY v1 line longer than the protocol allows is not taken") {
    ProxiedAddress out;
    CHECK(scan("PROXY TCP4 " + std::string(120, '1'), out) == ProxyHeaderScan::none);
}

TEST_CASE("PROXY v2 headers give the client's address and port") {
    ProxiedAddress out;
    const std::string ipv4 = v2(1, 0x11, {127, 0, 0, 4, 127, 0, 0, 1, 0x9C, 0x40, 1, 0xBB});
    CHECK(scan(ipv4, out) == ProxyHeaderScan::found);
    CHECK(out.ip == "127.0.0.4");
    CHECK(out.port == 40000);
    CHECK(!out.ipv6);
    CHECK((out.bytes[0] == 127 && out.bytes[3] == 4));
    for (std::size_t n = 0; n < ipv4.size(); ++n) {
        ProxiedAddress partial;
        CHECK(scan(ipv4.substr(0, n), partial) == ProxyHeaderScan::need_more);
    }
    std::vector<int> body(36, 0);
    body[15] = 1;                                       // source ::1
    body[32] = 0x01, body[33] = 0xBB;                   // source port 443
    body.insert(body.end(), {0x04, 0x00, 0x01, 0x00});  // a TLV after the addresses
    CHECK(scan(v2(1, 0x21, body), out) == ProxyHeaderScan::found);
    CHECK(out.ip == "::1");
    CHECK(out.port == 443);
    CHECK(out.ipv6);
    CHECK((out.bytes[0] == 0 && out.bytes[15] == 1));
}

TEST_CASE("PROXY v2 headers without a usable client address are not taken") {
    const std::vector<int> ipv4{127, 0, 0, 4, 127, 0, 0, 1, 0, 1, 0, 2};
    ProxiedAddress out;
    CHECK(scan(v2(0, 0x11, ipv4), out) == ProxyHeaderScan::none);  // LOCAL (health checks)
    CHECK(scan(v2(1, 0x12, ipv4), out) == ProxyHeaderScan::none);  // UDP
    CHECK(scan(v2(1, 0x31, ipv4), out) == ProxyHeaderScan::none);  // UNIX
    CHECK(scan(v2(1, 0x21, ipv4), out) == ProxyHeaderScan::none);  // IPv6 but too short a length
    std::string bad_version = v2(1, 0x11, ipv4);
    bad_version[12] = 0x31;
    CHECK(scan(bad_version, out) == ProxyHeaderScan::none);
}
