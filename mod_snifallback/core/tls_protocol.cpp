#include "core/tls_protocol.h"

#include "core/ascii.h"
#include "core/client_hello.h"
#include "core/tls_constants.h"

namespace snifallback {
namespace {

constexpr std::uint16_t versions[] = {tls::version_ssl3, tls::version_1_0, tls::version_1_1,
                                      tls::version_1_2, tls::version_1_3};

int bit_of(std::uint16_t version) noexcept {
    for (int i = 0; i < 5; ++i) {
        if (versions[i] == version) return i;
    }
    return -1;
}

// The versions a word names: one, or four for "all".
std::vector<std::uint16_t> named_versions(std::string_view word) {
    if (equal_ignoring_case(word, "all")) {
        return {tls::version_1_0, tls::version_1_1, tls::version_1_2, tls::version_1_3};
    }
    for (std::uint16_t version : versions) {
        if (equal_ignoring_case(word, protocol_name(version))) return {version};
    }
    return {};
}

}  // namespace

bool ProtocolSet::contains(std::uint16_t version) const noexcept {
    const int bit = bit_of(version);
    return bit >= 0 && (bits_ & (1u << bit)) != 0;
}

void ProtocolSet::add(std::uint16_t version) noexcept {
    const int bit = bit_of(version);
    if (bit >= 0) bits_ = static_cast<std::uint8_t>(bits_ | (1u << bit));
}

void ProtocolSet::remove(std::uint16_t version) noexcept {
    const int bit = bit_of(version);
    if (bit >= 0) bits_ = static_cast<std::uint8_t>(bits_ & ~(1u << bit));
}

std::uint16_t ProtocolSet::lowest() const noexcept {
    for (std::uint16_t version : versions) {
        if (contains(version)) return version;
    }
    return 0;
}

std::uint16_t ProtocolSet::highest() const noexcept {
    for (int i = 4; i >= 0; --i) {
        if (contains(versions[i])) return versions[i];
    }
    return 0;
}

std::string parse_protocols(const std::vector<std::string_view> &words, ProtocolSet &out) {
    ProtocolSet set;
    for (std::string_view word : words) {
        const char sign = !word.empty() && (word[0] == '+' || word[0] == '-') ? word[0] : '\0';
        const std::string_view name = sign ? word.substr(1) : word;
        const std::vector<std::uint16_t> named = named_versions(name);
        if (named.empty()) {
            return "unknown protocol '" + std::string(word) +
                   "'; use SSLProtocol's words: all, SSLv3, TLSv1, TLSv1.1, TLSv1.2, TLSv1.3, "
                   "each optionally preceded by + or -";
        }
        if (sign == '\0') set = ProtocolSet{};
        for (std::uint16_t version : named) {
            if (sign == '-') {
                set.remove(version);
            } else {
                set.add(version);
            }
        }
    }
    if (set.empty()) return "no protocol is left enabled";
    out = set;
    return {};
}

std::string protocol_name(std::uint16_t version) {
    return tls_version_name(version);
}

int cipher_string_security_level(std::string_view cipher_string) noexcept {
    constexpr std::string_view key = "@SECLEVEL=";
    int level = -1;
    for (std::size_t at = cipher_string.find(key); at != std::string_view::npos;
         at = cipher_string.find(key, at + 1)) {
        const std::size_t digit = at + key.size();
        if (digit < cipher_string.size() && cipher_string[digit] >= '0' &&
            cipher_string[digit] <= '9') {
            level = cipher_string[digit] - '0';  // the last one wins, as in OpenSSL
        }
    }
    return level;
}

}  // namespace snifallback
