// The TLS profile of fallback handshakes (SNIFallbackProtocol, SNIFallbackCipherSuite): the
// SSLProtocol syntax read as mod_ssl reads it, and what a cipher string says about its security
// level. Pure text and numbers; the glue hands the result to OpenSSL.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace snifallback {

// A set of protocol versions, by wire number (tls::version_*), SSLv3 to TLS 1.3.
class ProtocolSet {
  public:
    bool contains(std::uint16_t version) const noexcept;
    void add(std::uint16_t version) noexcept;
    void remove(std::uint16_t version) noexcept;
    bool empty() const noexcept { return bits_ == 0; }
    // The lowest and highest version in the set; 0 when empty. OpenSSL takes a range: versions
    // between them are allowed too, as mod_ssl does with SSLProtocol.
    std::uint16_t lowest() const noexcept;
    std::uint16_t highest() const noexcept;

  private:
    std::uint8_t bits_ = 0;
};

// Parses SSLProtocol's syntax: words SSLv3, TLSv1, TLSv1.1, TLSv1.2, TLSv1.3 or all (TLSv1 to
// TLSv1.3), case-insensitive, each optionally preceded by '+' (add) or '-' (remove); a word
// without a sign replaces what came before. Returns an empty string and sets `out`, or a message
// naming what is wrong and what is allowed.
std::string parse_protocols(const std::vector<std::string_view> &words, ProtocolSet &out);

// "TLSv1", "TLSv1.1", ... for a wire version; "SSLv3" (the words SSLProtocol uses).
std::string protocol_name(std::uint16_t version);

// The security level a cipher string sets with "@SECLEVEL=n", or -1 when it sets none.
int cipher_string_security_level(std::string_view cipher_string) noexcept;

}  // namespace snifallback
