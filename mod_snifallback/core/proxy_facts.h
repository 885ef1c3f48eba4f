// What a trusted proxy that ended TLS in front of Apache says about the client's ClientHello, in
// request headers (SNIFallbackProxyHeaders): the SNI name, whether one was sent, and a JA4 and
// JA3 it computed. Header values are untrusted text even from a trusted proxy (it may copy the
// client's bytes): every value is bounded and checked for its form before it is used.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace snifallback {

// Longest accepted values: an SNI host_name is at most 255 bytes (RFC 6066), a JA4 is 36
// characters ("t13d1516h2_8daaf6152771_02713d6af862"), a JA3 hash 32 hex digits, a JA3 text the
// record's limit.
inline constexpr std::size_t max_proxy_sni = 255;
inline constexpr std::size_t max_proxy_ja4 = 48;
inline constexpr std::size_t max_proxy_ja3 = 448;

struct ProxyFacts {
    bool sni_present = false;
    std::string sni;       // as sent (empty without SNI); at most max_proxy_sni bytes
    std::string ja4;       // empty unless given and well-formed
    std::string ja3;       // the JA3 text, when the header carried it
    std::string ja3_hash;  // the JA3 MD5 (given, or computed from the text)
};

// The facts of one request's headers; a null value is a header that is absent (or not
// configured). nullopt when they say nothing about SNI: no SNI header and no has-SNI header (or
// only values that are neither), so the request is not classified from them.
//   has_sni: "1", "true", "yes", "on" / "0", "false", "no", "off" (any case); else ignored.
//   sni: the name; empty means no SNI unless has_sni says otherwise. A name longer than
//        max_proxy_sni is kept cut (it is no name any vhost serves).
//   ja4: [A-Za-z0-9_] only, at most max_proxy_ja4; ja3: 32 hex digits (a hash) or the JA3 text
//        (digits, ',' and '-' only, at most max_proxy_ja3), else ignored.
std::optional<ProxyFacts> read_proxy_facts(const char *sni, const char *has_sni, const char *ja4,
                                           const char *ja3);

}  // namespace snifallback
