#include "core/hex.h"

namespace snifallback {
namespace {

int digit_value(char c) noexcept {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

bool is_space(char c) noexcept {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

}  // namespace

void append_hex(std::string &out, const std::uint8_t *data, std::size_t size) {
    const std::size_t start = out.size();
    out.resize(start + 2 * size);
    char *digit = out.data() + start;
    for (std::size_t i = 0; i < size; ++i) {
        *digit++ = hex_digits_lower[data[i] >> 4];
        *digit++ = hex_digits_lower[data[i] & 0x0f];
    }
}

bool decode_hex(std::string_view text, std::vector<std::uint8_t> &out) {
    out.clear();
    out.reserve(text.size() / 2);
    int high = -1;
    for (char c : text) {
        if (is_space(c)) continue;
        const int value = digit_value(c);
        if (value < 0) return false;
        if (high < 0) {
            high = value;
        } else {
            out.push_back(static_cast<std::uint8_t>((high << 4) | value));
            high = -1;
        }
    }
    return high < 0;
}

}  // namespace snifallback
