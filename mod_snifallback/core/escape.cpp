#include "core/escape.h"

#include <algorithm>
#include <cstdint>

#include "core/hex.h"

namespace snifallback {
namespace {

std::uint8_t byte_at(std::string_view text, std::size_t pos) noexcept {
    return static_cast<std::uint8_t>(text[pos]);
}

bool is_continuation(std::uint8_t byte) noexcept {
    return (byte & 0xc0) == 0x80;
}

void append_json_u(std::string &out, unsigned code) {
    out += "\\u";
    out.push_back(hex_digits_lower[(code >> 12) & 0xf]);
    out.push_back(hex_digits_lower[(code >> 8) & 0xf]);
    out.push_back(hex_digits_lower[(code >> 4) & 0xf]);
    out.push_back(hex_digits_lower[code & 0xf]);
}

void append_x(std::string &out, std::uint8_t byte) {
    out += "\\x";
    out.push_back(hex_digits_lower[byte >> 4]);
    out.push_back(hex_digits_lower[byte & 0xf]);
}

// The code point of a well-formed sequence of `length` bytes at `pos`.
unsigned decode(std::string_view text, std::size_t pos, std::size_t length) noexcept {
    const std::uint8_t lead = byte_at(text, pos);
    unsigned code = 0;
    switch (length) {
        case 1:
            return lead;
        case 2:
            code = lead & 0x1fu;
            break;
        case 3:
            code = lead & 0x0fu;
            break;
        default:
            code = lead & 0x07u;
            break;
    }
    for (std::size_t i = 1; i < length; ++i) code = (code << 6) | (byte_at(text, pos + i) & 0x3fu);
    return code;
}

// Code points that are well-formed but still escaped: C1 controls and the two Unicode line
// separators that JavaScript and some line splitters treat as line ends.
bool escape_code_point(unsigned code) noexcept {
    return (code >= 0x80 && code <= 0x9f) || code == 0x2028 || code == 0x2029;
}

// Printable ASCII that no style escapes: what append_unit copies unchanged. A table, because the
// run loop of append_escaped asks this of nearly every byte of every record.
struct PlainBytes {
    bool in_text[256] = {};
    bool in_list_element[256] = {};
    constexpr PlainBytes() {
        for (int byte = 0x20; byte < 0x7f; ++byte) {
            const bool plain = byte != '"' && byte != '\\';
            in_text[byte] = plain;
            in_list_element[byte] = plain && byte != ',';
        }
    }
};
constexpr PlainBytes plain_bytes;

const bool *plain_table(EscapeStyle style) noexcept {
    return style == EscapeStyle::logfmt_list_element ? plain_bytes.in_list_element
                                                     : plain_bytes.in_text;
}

// Appends the escaped form of the unit at `pos`; returns the number of input bytes it covered.
std::size_t append_unit(std::string &out, std::string_view value, std::size_t pos,
                        EscapeStyle style) {
    const std::uint8_t byte = byte_at(value, pos);
    const bool json = style == EscapeStyle::json;
    switch (byte) {
        case '"':
            out += "\\\"";
            return 1;
        case '\\':
            out += "\\\\";
            return 1;
        case '\n':
            out += "\\n";
            return 1;
        case '\r':
            out += "\\r";
            return 1;
        case '\t':
            out += "\\t";
            return 1;
        case ',':
            if (style == EscapeStyle::logfmt_list_element)
                append_x(out, byte);
            else
                out.push_back(',');
            return 1;
        default:
            break;
    }
    if (byte < 0x20 || byte == 0x7f) {
        if (json)
            append_json_u(out, byte);
        else
            append_x(out, byte);
        return 1;
    }
    if (byte < 0x80) {
        out.push_back(static_cast<char>(byte));
        return 1;
    }
    const std::size_t length = utf8_sequence_length(value, pos);
    if (length == 0) {
        if (json)
            out += "\\ufffd";
        else
            append_x(out, byte);
        return 1;
    }
    const unsigned code = decode(value, pos, length);
    if (escape_code_point(code)) {
        if (json) {
            append_json_u(out, code);
        } else {
            for (std::size_t i = 0; i < length; ++i) append_x(out, byte_at(value, pos + i));
        }
    } else {
        out.append(value.substr(pos, length));
    }
    return length;
}

}  // namespace

std::size_t utf8_sequence_length(std::string_view text, std::size_t pos) noexcept {
    const std::size_t left = text.size() - pos;
    const std::uint8_t lead = byte_at(text, pos);
    if (lead < 0x80) return 1;
    std::size_t length = 0;
    std::uint8_t second_min = 0x80;
    std::uint8_t second_max = 0xbf;
    if (lead >= 0xc2 && lead <= 0xdf) {
        length = 2;
    } else if (lead >= 0xe0 && lead <= 0xef) {
        length = 3;
        if (lead == 0xe0) second_min = 0xa0;  // overlong
        if (lead == 0xed) second_max = 0x9f;  // UTF-16 surrogates
    } else if (lead >= 0xf0 && lead <= 0xf4) {
        length = 4;
        if (lead == 0xf0) second_min = 0x90;  // overlong
        if (lead == 0xf4) second_max = 0x8f;  // above U+10FFFF
    } else {
        return 0;  // continuation byte, C0/C1 (overlong two-byte), F5-FF
    }
    if (left < length) return 0;
    const std::uint8_t second = byte_at(text, pos + 1);
    if (second < second_min || second > second_max) return 0;
    for (std::size_t i = 2; i < length; ++i) {
        if (!is_continuation(byte_at(text, pos + i))) return 0;
    }
    return length;
}

bool append_escaped(std::string &out, std::string_view value, EscapeStyle style,
                    std::size_t budget) {
    const std::size_t start = out.size();
    const std::size_t keep =
        budget > truncation_marker.size() ? budget - truncation_marker.size() : 0;
    std::size_t cut = start;  // end of the last whole unit that fits in `keep`
    std::size_t pos = 0;
    const bool *const plain = plain_table(style);
    while (pos < value.size()) {
        // Fast path: a run of bytes that stand for themselves (most of any real value) is copied
        // in one piece, as far as it fits in `keep`; everything else goes unit by unit.
        const std::size_t written_before = out.size() - start;
        if (written_before < keep) {
            const std::size_t room = std::min(keep - written_before, value.size() - pos);
            std::size_t run = 0;
            while (run < room && plain[byte_at(value, pos + run)]) ++run;
            if (run > 0) {
                out.append(value.data() + pos, run);
                pos += run;
                cut = out.size();
                continue;
            }
        }
        pos += append_unit(out, value, pos, style);
        const std::size_t written = out.size() - start;
        if (written <= keep) {
            cut = out.size();
        } else if (written > budget) {
            out.resize(cut);
            out.append(truncation_marker);
            return false;
        }
    }
    return true;
}

}  // namespace snifallback
