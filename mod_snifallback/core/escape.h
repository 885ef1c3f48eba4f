// Escaping of untrusted bytes for the no-SNI log, with a budget on the escaped length.
//
// Values come from clients (Host, URI, User-Agent, ALPN, ...) and may hold any bytes: CR, LF, NUL,
// ESC, quotes, backslashes, DEL, invalid UTF-8. Escaped text never contains a byte below 0x20, DEL,
// a C1 control (U+0080-U+009F), U+2028/U+2029 or invalid UTF-8, so one record is one line for
// every line splitter (including Python's str.splitlines) and one terminal-safe string.
//
// The input is read in units: a well-formed UTF-8 sequence (shortest form, no surrogates, at most
// U+10FFFF), or else one single byte (an "invalid byte": a stray continuation byte, C0, C1, F5-FF,
// an overlong or surrogate lead, or the first byte of a truncated sequence; the bytes after it are
// looked at again as units of their own). A unit is escaped whole or not at all, so truncation
// always cuts on a UTF-8 boundary.
//
// JSON (inside "..."):
//   "  -> \"      \  -> \\      LF -> \n   CR -> \r   TAB -> \t
//   other bytes 0x00-0x1F and DEL 0x7F -> \u00XX (lower-case hex)
//   U+0080-U+009F, U+2028, U+2029 (well-formed)  -> \u0080 ... \u009f, \u2028, \u2029
//   every invalid byte -> \ufffd (U+FFFD REPLACEMENT CHARACTER, written as an escape, so a
//   replacement made here is told apart in the raw log from a U+FFFD the client sent)
//   other well-formed UTF-8 -> kept as is
// logfmt (lossless: decoding gives back the exact bytes):
//   "  -> \"      \  -> \\      LF -> \n   CR -> \r   TAB -> \t
//   other bytes 0x00-0x1F and DEL 0x7F -> \xNN (two lower-case hex digits, one byte)
//   every invalid byte -> \xNN of that byte
//   U+0080-U+009F, U+2028, U+2029 -> \xNN for each of their UTF-8 bytes ("\xe2\x80\xa8")
//   in a list element also  ,  -> \x2c, and an empty element is written \_ (see record.h)
//   other well-formed UTF-8 -> kept as is
//   Whether a logfmt value needs quotes is decided on the escaped text (record.h).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace snifallback {

enum class EscapeStyle {
    json,                 // a JSON string's contents
    logfmt,               // a logfmt value's contents (before quoting)
    logfmt_list_element,  // the same, and ',' -> \x2c, so a comma-joined list splits back
};

// Appended where a value was cut. ASCII without a space, quote, '=', comma or backslash, so it
// reads the same in both formats and never needs escaping or quoting.
inline constexpr std::string_view truncation_marker = "...[truncated]";

// Length of the well-formed UTF-8 sequence that starts at `text[pos]` (1-4), or 0 when the byte
// there does not start one (pos must be < text.size()).
std::size_t utf8_sequence_length(std::string_view text, std::size_t pos) noexcept;

// Appends the escaped form of `value` to `out`, at most `budget` characters of it. When the whole
// escaped value fits, it is appended and the result is true. Otherwise the longest run of whole
// units whose escaped form fits in `budget - truncation_marker.size()` is appended, then
// truncation_marker, and the result is false. Reads no more of `value` than the budget needs, so
// a megabyte-long value costs no more than a short one. `budget` must be at least the marker's
// length.
bool append_escaped(std::string &out, std::string_view value, EscapeStyle style,
                    std::size_t budget);

}  // namespace snifallback
