// Facts about an HTTP Host value (untrusted client text).
#pragma once

#include <string_view>

namespace snifallback {

// True when `host` (a Host header or :authority, optionally with ":port") names an IP address
// rather than a DNS name: "192.0.2.1", "192.0.2.1:8443", "[2001:db8::1]", "[::1]:443".
// Such requests are exempt from SNIFallbackAction by default: a client cannot put an IP address
// into SNI, and load-balancer health checks connect by address.
bool host_is_ip_literal(std::string_view host) noexcept;

// True when `text` is an IP address and nothing else: IPv4 in dotted-quad form (a trailing dot
// allowed), or IPv6, bare or in brackets ("::1", "[::1]"). No port. For SNI host names.
bool is_ip_address(std::string_view text) noexcept;

}  // namespace snifallback
