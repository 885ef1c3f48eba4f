// Facts about an HTTP Host value (untrusted client text).
#pragma once

#include <string_view>

namespace snifallback {

// True when `host` (a Host header or :authority, optionally with ":port") names an IP address
// rather than a DNS name: "192.0.2.1", "192.0.2.1:8443", "[2001:db8::1]", "[::1]:443".
// Such requests are exempt from SNIFallbackAction by default: a client cannot put an IP address
// into SNI, and load-balancer health checks connect by address.
bool host_is_ip_literal(std::string_view host) noexcept;

}  // namespace snifallback
