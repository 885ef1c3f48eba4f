#include "core/proxy_header.h"

#include <arpa/inet.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstring>
#include <string_view>

namespace snifallback {
namespace {

constexpr unsigned char v2_signature[12] = {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D,
                                            0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A};
constexpr std::string_view v1_prefix = "PROXY ";
constexpr std::size_t v1_max_line = 107;  // with its CRLF (the PROXY protocol's own limit)

bool starts_like(const unsigned char *data, std::size_t len, const void *prefix,
                 std::size_t prefix_len) {
    return std::memcmp(data, prefix, std::min(len, prefix_len)) == 0;
}

bool take_address(int family, const unsigned char *address, ProxiedAddress &out) {
    char text[INET6_ADDRSTRLEN];
    if (inet_ntop(family, address, text, sizeof text) == nullptr) return false;
    out.ip = text;
    out.ipv6 = family == AF_INET6;
    std::memcpy(out.bytes, address, out.ipv6 ? 16 : 4);
    return true;
}

// "PROXY TCP4 192.0.2.1 198.51.100.1 56324 443\r\n"
ProxyHeaderScan scan_v1(const unsigned char *data, std::size_t len, ProxiedAddress &out) {
    const std::string_view text(reinterpret_cast<const char *>(data), std::min(len, v1_max_line));
    const std::size_t end = text.find("\r\n");
    if (end == std::string_view::npos) {
        return len < v1_max_line ? ProxyHeaderScan::need_more : ProxyHeaderScan::none;
    }
    std::string_view words[6];
    std::string_view rest = text.substr(0, end);
    std::size_t count = 0;
    while (!rest.empty() && count < 6) {
        const std::size_t space = rest.find(' ');
        words[count++] = rest.substr(0, space);
        rest = space == std::string_view::npos ? std::string_view() : rest.substr(space + 1);
    }
    if (count != 6 || !rest.empty()) return ProxyHeaderScan::none;
    int family;
    if (words[1] == "TCP4")
        family = AF_INET;
    else if (words[1] == "TCP6")
        family = AF_INET6;
    else
        return ProxyHeaderScan::none;  // UNKNOWN, or anything else: no client address
    const std::string source(words[2]);
    unsigned char address[16];
    if (words[2].size() > INET6_ADDRSTRLEN || inet_pton(family, source.c_str(), address) != 1) {
        return ProxyHeaderScan::none;
    }
    if (words[4].empty() || words[4].size() > 5) return ProxyHeaderScan::none;
    unsigned port = 0;
    for (const char c : words[4]) {
        if (c < '0' || c > '9') return ProxyHeaderScan::none;
        port = port * 10 + static_cast<unsigned>(c - '0');
    }
    if (port > 65535 || !take_address(family, address, out)) return ProxyHeaderScan::none;
    out.port = static_cast<std::uint16_t>(port);
    return ProxyHeaderScan::found;
}

// 12-byte signature, version/command, family/transport, 16-bit length, then the addresses.
ProxyHeaderScan scan_v2(const unsigned char *data, std::size_t len, ProxiedAddress &out) {
    if (len < 16) return ProxyHeaderScan::need_more;
    if ((data[12] & 0xF0) != 0x20) return ProxyHeaderScan::none;
    if ((data[12] & 0x0F) != 0x01) return ProxyHeaderScan::none;  // LOCAL: the balancer's own
    const std::size_t declared = static_cast<std::size_t>(data[14]) << 8 | data[15];
    int family;
    std::size_t address_len, port_at;
    switch (data[13]) {
        case 0x11:
            family = AF_INET, address_len = 12, port_at = 16 + 8;
            break;  // TCP, IPv4
        case 0x21:
            family = AF_INET6, address_len = 36, port_at = 16 + 32;
            break;  // TCP, IPv6
        default:
            return ProxyHeaderScan::none;
    }
    if (declared < address_len) return ProxyHeaderScan::none;
    if (len < 16 + address_len) return ProxyHeaderScan::need_more;
    if (!take_address(family, data + 16, out)) return ProxyHeaderScan::none;
    out.port = static_cast<std::uint16_t>(data[port_at] << 8 | data[port_at + 1]);
    return ProxyHeaderScan::found;
}

}  // namespace

ProxyHeaderScan scan_proxy_header(const unsigned char *data, std::size_t len, ProxiedAddress &out) {
    if (len == 0) return ProxyHeaderScan::need_more;
    if (starts_like(data, len, v2_signature, sizeof v2_signature)) {
        return len < sizeof v2_signature ? ProxyHeaderScan::need_more : scan_v2(data, len, out);
    }
    if (starts_like(data, len, v1_prefix.data(), v1_prefix.size())) {
        return len < v1_prefix.size() ? ProxyHeaderScan::need_more : scan_v1(data, len, out);
    }
    return ProxyHeaderScan::none;
}

}  // namespace snifallback
