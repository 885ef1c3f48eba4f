// TLS alert names, as the handshake record's outcome spells them ("alert:bad_certificate").
#pragma once

#include <cstdint>
#include <string>

namespace snifallback {

// The IANA registry name of a TLS alert description (RFC 8446 section 6, RFC 5246 7.2), e.g.
// 42 -> "bad_certificate"; an unassigned code renders as "alert_<code>".
std::string tls_alert_name(std::uint8_t description);

}  // namespace snifallback
