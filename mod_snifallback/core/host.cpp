#include "core/host.h"

#include <arpa/inet.h>

#include <array>
#include <cstring>

namespace snifallback {
namespace {

bool all_digits(std::string_view text) noexcept {
    if (text.empty()) return false;
    for (char c : text) {
        if (c < '0' || c > '9') return false;
    }
    return true;
}

// inet_pton wants a NUL-terminated string; addresses are short, so a fixed buffer suffices.
bool parses_as(int family, std::string_view text) noexcept {
    std::array<char, 64> buffer{};
    if (text.empty() || text.size() >= buffer.size()) return false;
    std::memcpy(buffer.data(), text.data(), text.size());
    std::array<unsigned char, 16> address{};
    return inet_pton(family, buffer.data(), address.data()) == 1;
}

}  // namespace

bool host_is_ip_literal(std::string_view host) noexcept {
    if (!host.empty() && host.front() == '[') {
        const std::size_t close = host.find(']');
        if (close == std::string_view::npos) return false;
        std::string_view rest = host.substr(close + 1);
        if (!rest.empty() && (rest.front() != ':' || !all_digits(rest.substr(1)))) return false;
        return parses_as(AF_INET6, host.substr(1, close - 1));
    }
    const std::size_t colon = host.find(':');
    if (colon != std::string_view::npos) {
        if (!all_digits(host.substr(colon + 1))) return false;
        host = host.substr(0, colon);
    }
    if (!host.empty() && host.back() == '.') host.remove_suffix(1);  // "192.0.2.1." is still an address
    return parses_as(AF_INET, host);
}

bool is_ip_address(std::string_view text) noexcept {
    if (text.size() >= 2 && text.front() == '[' && text.back() == ']') {
        return parses_as(AF_INET6, text.substr(1, text.size() - 2));
    }
    if (parses_as(AF_INET6, text)) return true;
    if (!text.empty() && text.back() == '.') text.remove_suffix(1);
    return parses_as(AF_INET, text);
}

}  // namespace snifallback
