// Hexadecimal text <-> bytes, for fingerprints, test vectors and the command-line tool.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace snifallback {

// The one table of hexadecimal digits: lower case for fingerprints, hashes and escapes, upper case
// for percent-encoding (RFC 3986 section 2.1 recommends it).
inline constexpr char hex_digits_lower[] = "0123456789abcdef";
inline constexpr char hex_digits_upper[] = "0123456789ABCDEF";

// Appends the lower-case hex digits of `size` bytes to `out`.
void append_hex(std::string &out, const std::uint8_t *data, std::size_t size);

// Decodes hex text, upper or lower case, ignoring ASCII whitespace anywhere (so "16 03 01" and
// "160301" are the same). False, with `out` unspecified, on any other character or an odd number
// of digits.
bool decode_hex(std::string_view text, std::vector<std::uint8_t> &out);

}  // namespace snifallback
