#include "core/logfmt_reader.h"

#include <cstdint>

namespace snifallback {
namespace {

bool is_control(unsigned char byte) noexcept {
    return byte < 0x20 || byte == 0x7f;
}

// What each byte is to the scanning loops of parse_logfmt_line, which look at every byte of every
// line: tables, so that a run of ordinary bytes costs one lookup a byte.
struct ByteClasses {
    bool word[256] = {};    // may be part of a key or of a bare value
    bool quoted[256] = {};  // stands for itself inside quotes
    constexpr ByteClasses() {
        for (int byte = 0; byte < 256; ++byte) {
            const bool special = byte == '"' || byte == '\\' || byte < 0x20 || byte == 0x7f;
            word[byte] = !special && byte != ' ' && byte != '=';
            quoted[byte] = !special;
        }
    }
};
constexpr ByteClasses byte_classes;

bool is_key_byte(unsigned char byte) noexcept {
    return byte_classes.word[byte];
}

// A cheap stand-in for a key when looking for one given twice: equal keys have equal signatures,
// and the keys of a record but a few differ in length, first or last byte.
std::uint32_t signature(std::string_view key) noexcept {
    return static_cast<std::uint32_t>(key.size() << 16) |
           static_cast<std::uint32_t>(static_cast<unsigned char>(key.front()) << 8) |
           static_cast<unsigned char>(key.back());
}

int hex_value(char c) noexcept {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

// Length of the escape at text[pos] (text[pos] == '\\'), or 0 when it is not a valid one.
std::size_t escape_length(std::string_view text, std::size_t pos, bool allow_empty_element) {
    if (pos + 1 >= text.size()) return 0;
    switch (text[pos + 1]) {
        case '"':
        case '\\':
        case 'n':
        case 'r':
        case 't':
            return 2;
        case '_':
            return allow_empty_element ? 2 : 0;
        case 'x':
            if (pos + 3 < text.size() && hex_value(text[pos + 2]) >= 0 &&
                hex_value(text[pos + 3]) >= 0) {
                return 4;
            }
            return 0;
        default:
            return 0;
    }
}

std::string quoted_key(std::string_view key) {
    std::string out = "\"";
    // Keys hold no quote, backslash or control byte (is_key_byte), so they print as they are.
    out.append(key.substr(0, 64));
    if (key.size() > 64) out += "...";
    out += '"';
    return out;
}

}  // namespace

bool starts_with_logfmt_pair(std::string_view text) noexcept {
    std::size_t i = 0;
    while (i < text.size() && is_key_byte(static_cast<unsigned char>(text[i]))) ++i;
    return i > 0 && i < text.size() && text[i] == '=';
}

std::string parse_logfmt_line(std::string_view line, std::vector<LogfmtField> &fields) {
    fields.clear();
    std::size_t pos = 0;
    const std::size_t size = line.size();
    for (;;) {
        while (pos < size && line[pos] == ' ') ++pos;
        if (pos == size) break;
        // the key
        const std::size_t key_start = pos;
        while (pos < size && is_key_byte(static_cast<unsigned char>(line[pos]))) ++pos;
        const std::string_view key = line.substr(key_start, pos - key_start);
        if (pos == size || line[pos] == ' ') {
            return "a word without '=': " + quoted_key(key);
        }
        if (line[pos] != '=') {
            // stopped at a quote, backslash or control byte
            return key.empty() ? std::string(
                                     "a quote, backslash or control byte where a key "
                                     "should start")
                               : "a quote, backslash or control byte in the key " + quoted_key(key);
        }
        if (key.empty()) return "an empty key";
        ++pos;  // '='
        LogfmtField field;
        field.key = key;
        if (pos == size || line[pos] == ' ') {
            field.absent = true;
            field.raw = line.substr(pos, 0);  // empty, where the value would be
        } else if (line[pos] == '"') {
            field.quoted = true;
            const std::size_t value_start = ++pos;
            for (;;) {
                while (pos < size && byte_classes.quoted[static_cast<unsigned char>(line[pos])]) {
                    ++pos;
                }
                if (pos == size) return "unterminated quoted value of " + quoted_key(key);
                const unsigned char byte = static_cast<unsigned char>(line[pos]);
                if (byte == '"') break;
                if (byte == '\\') {
                    const std::size_t length = escape_length(line, pos, true);
                    if (length == 0) return "an invalid escape in the value of " + quoted_key(key);
                    field.escaped = true;
                    pos += length;
                    continue;
                }
                if (is_control(byte)) return "a control byte in the value of " + quoted_key(key);
                ++pos;
            }
            field.raw = line.substr(value_start, pos - value_start);
            ++pos;  // the closing quote
            if (pos < size && line[pos] != ' ') {
                return "text after the closing quote of " + quoted_key(key);
            }
        } else {
            const std::size_t value_start = pos;
            while (pos < size && byte_classes.word[static_cast<unsigned char>(line[pos])]) ++pos;
            if (pos < size && line[pos] != ' ') {
                if (is_control(static_cast<unsigned char>(line[pos]))) {
                    return "a control byte in the value of " + quoted_key(key);
                }
                return "an unquoted value with '\"', '=' or '\\' in " + quoted_key(key);
            }
            field.raw = line.substr(value_start, pos - value_start);
        }
        // A record has about 30 keys: comparing signatures with those before is cheaper than
        // hashing the keys; the keys themselves are compared only where the signatures match.
        field.signature = signature(key);
        for (const LogfmtField &before : fields) {
            if (before.signature == field.signature && before.key == key) {
                return "the key " + quoted_key(key) + " twice";
            }
        }
        fields.push_back(field);
    }
    return {};
}

bool decode_logfmt_value(std::string_view raw, std::string &out) {
    std::size_t pos = 0;
    while (pos < raw.size()) {
        const std::size_t slash = raw.find('\\', pos);
        if (slash == std::string_view::npos) {
            out.append(raw.data() + pos, raw.size() - pos);
            return true;
        }
        out.append(raw.data() + pos, slash - pos);
        if (escape_length(raw, slash, false) == 0) return false;
        switch (raw[slash + 1]) {
            case 'n':
                out.push_back('\n');
                break;
            case 'r':
                out.push_back('\r');
                break;
            case 't':
                out.push_back('\t');
                break;
            case 'x':
                out.push_back(static_cast<char>(static_cast<std::uint8_t>(
                    hex_value(raw[slash + 2]) * 16 + hex_value(raw[slash + 3]))));
                pos = slash + 4;
                continue;
            default:  // '"' or '\\'
                out.push_back(raw[slash + 1]);
                break;
        }
        pos = slash + 2;
    }
    return true;
}

bool split_logfmt_list(std::string_view raw, std::vector<std::string> &items) {
    items.clear();
    if (raw.empty()) return true;
    std::size_t start = 0;
    for (;;) {
        const std::size_t comma = raw.find(',', start);
        const std::string_view element =
            raw.substr(start, comma == std::string_view::npos ? raw.size() - start : comma - start);
        items.emplace_back();
        if (element == "\\_") {
            // the empty element
        } else if (element.empty() || !decode_logfmt_value(element, items.back())) {
            return false;  // an empty element is written \_; a \_ inside one is no escape
        }
        if (comma == std::string_view::npos) return true;
        start = comma + 1;
    }
}

}  // namespace snifallback
