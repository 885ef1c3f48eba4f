// Reading back the module's logfmt records: the exact inverse of render_logfmt (record.h) and of
// the logfmt escaping (escape.h).
//
// A line is key=value pairs separated by spaces. A key is one or more bytes other than space, '=',
// '"', '\' and control bytes. A value is
//   absent      key=  followed by a space or the end of the line (null: the value was not known)
//   bare        key=text  the bytes up to the next space, literally; they hold no '"', '=' or '\'
//               (the writer quotes every value that holds one)
//   quoted      key="text"  with the escapes \" \\ \n \r \t and \xNN (two hex digits, one byte);
//               a list element may also be \_ (the empty element) and holds ',' as \x2c
// No value holds a raw control byte (below 0x20, or DEL): the writer escapes them all.
//
// parse_logfmt_line splits a line and checks its syntax without decoding anything: values that
// hold escapes are decoded on demand (decode_logfmt_value, split_logfmt_list), so a reader that
// needs a few keys of a record decodes only those. Nothing here allocates except the output
// vectors and strings the caller passes, which are reused from line to line.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace snifallback {

struct LogfmtField {
    std::string_view key;
    // The value as written, without the quotes (views into the line; empty, just after '=', when
    // absent). Escapes are not decoded.
    std::string_view raw;
    bool absent = false;          // key= with nothing after '='
    bool quoted = false;          // the value was written in double quotes
    bool escaped = false;         // raw holds at least one '\' escape: decode before use
    std::uint32_t signature = 0;  // of the key, for parse_logfmt_line's check for a key twice
};

// Whether `text` starts with a logfmt pair ("key=..."): a key as above, then '='.
bool starts_with_logfmt_pair(std::string_view text) noexcept;

// Splits `line` (without its '\n') into `fields` (cleared first). On success the result is empty;
// otherwise it says what is wrong, e.g. "unterminated quoted value of \"uri\"", and `fields` holds
// the pairs before the fault. Rejects: a word without '=', an empty key, a quote or backslash in a
// key or a bare value, '=' in a bare value, a raw control byte, text after a closing quote other
// than a space, an unterminated quote, a '\' not followed by a valid escape (\" \\ \n \r \t \xNN,
// or \_ in a quoted value; whether \_ stands alone in a list element is split_logfmt_list's
// business), a key given twice.
std::string parse_logfmt_line(std::string_view line, std::vector<LogfmtField> &fields);

// Appends the bytes a text value stands for to `out` (a field's raw text: \_ is not a text
// escape). Returns false, leaving `out` with what was decoded so far, on an invalid escape.
bool decode_logfmt_value(std::string_view raw, std::string &out);

// The elements of a list value (alpn) into `items` (cleared first): split on ',', each element
// decoded, "\_" alone is the empty element; the empty raw text is the empty list. False on an
// invalid escape or a \_ that is not a whole element.
bool split_logfmt_list(std::string_view raw, std::vector<std::string> &items);

}  // namespace snifallback
