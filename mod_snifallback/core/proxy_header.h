// The PROXY protocol header (HAProxy's "PROXY protocol" v1 text and v2 binary forms) that a TCP
// load balancer writes before the client's bytes: the client's address as the balancer saw it.
//
// mod_remoteip reads and removes the header (RemoteIPProxyProtocol On); httpd 2.4 then gives the
// address to each request (r->useragent_ip) but leaves the connection's (c->client_ip) the
// balancer's. The glue looks at the same first bytes as they pass to mod_remoteip, so that the
// handshake, which happens before any request, knows the client's address too. Only what the
// header says is parsed here; whether it is believed is mod_remoteip's configuration (a header it
// does not consume reaches OpenSSL as garbage and no handshake happens).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace snifallback {

// The longest prefix the scanner needs: a v1 line is at most 107 bytes; a v2 header's addresses
// end at byte 52 (TCP over IPv6).
inline constexpr std::size_t proxy_header_scan_bytes = 108;

enum class ProxyHeaderScan {
    need_more,  // a prefix of a header, or too short to tell
    none,       // not a PROXY header (or one that carries no client address: LOCAL, UNKNOWN)
    found,      // a header with a TCP client address
};

struct ProxiedAddress {
    std::string ip;  // canonical text form (inet_ntop)
    std::uint16_t port = 0;
    bool ipv6 = false;
    unsigned char bytes[16] = {};  // network order: 4 (IPv4) or 16 (IPv6) used
};

// Scans the first `len` bytes of a connection. `found` fills `out`.
ProxyHeaderScan scan_proxy_header(const unsigned char *data, std::size_t len, ProxiedAddress &out);

}  // namespace snifallback
