// The test suite's JSON reader: strict RFC 8259 (no extensions, no duplicate keys, no raw control
// characters, raw UTF-8 must be well-formed, no lone surrogates), so reading a rendered record back
// also proves it valid. Object members keep their order. Test code only; throws
// std::runtime_error on malformed input.
#pragma once

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace json_lite {

// ---- UTF-8, written independently of the code under test: decode, then reject what is not
// well-formed (overlong, surrogate, beyond U+10FFFF, bad or missing continuation bytes).

// Length of the well-formed sequence at `pos`, or 0; `code` receives its code point.
inline std::size_t utf8_at(std::string_view s, std::size_t pos, std::uint32_t &code) {
    const auto b = [&](std::size_t i) { return static_cast<std::uint8_t>(s[pos + i]); };
    const std::uint8_t lead = b(0);
    std::size_t length = 0;
    std::uint32_t minimum = 0;
    if (lead < 0x80) {
        code = lead;
        return 1;
    } else if ((lead & 0xe0) == 0xc0) {
        length = 2, code = lead & 0x1fu, minimum = 0x80;
    } else if ((lead & 0xf0) == 0xe0) {
        length = 3, code = lead & 0x0fu, minimum = 0x800;
    } else if ((lead & 0xf8) == 0xf0) {
        length = 4, code = lead & 0x07u, minimum = 0x10000;
    } else {
        return 0;
    }
    if (s.size() - pos < length) return 0;
    for (std::size_t i = 1; i < length; ++i) {
        if ((b(i) & 0xc0) != 0x80) return 0;
        code = (code << 6) | (b(i) & 0x3fu);
    }
    if (code < minimum || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) return 0;
    return length;
}

inline void append_utf8(std::string &out, std::uint32_t code) {
    if (code < 0x80) {
        out.push_back(static_cast<char>(code));
    } else if (code < 0x800) {
        out.push_back(static_cast<char>(0xc0 | (code >> 6)));
        out.push_back(static_cast<char>(0x80 | (code & 0x3f)));
    } else if (code < 0x10000) {
        out.push_back(static_cast<char>(0xe0 | (code >> 12)));
        out.push_back(static_cast<char>(0x80 | ((code >> 6) & 0x3f)));
        out.push_back(static_cast<char>(0x80 | (code & 0x3f)));
    } else {
        out.push_back(static_cast<char>(0xf0 | (code >> 18)));
        out.push_back(static_cast<char>(0x80 | ((code >> 12) & 0x3f)));
        out.push_back(static_cast<char>(0x80 | ((code >> 6) & 0x3f)));
        out.push_back(static_cast<char>(0x80 | (code & 0x3f)));
    }
}

// ---- A strict RFC 8259 reader (no extensions, no duplicate keys, raw UTF-8 must be
// well-formed), keeping the order of object members.
struct Value {
    enum class Type { null, boolean, number, string, array, object };
    Type type = Type::null;
    std::string text;  // string value (decoded), number literal, "true"/"false"
    std::vector<Value> items;
    std::vector<std::pair<std::string, Value>> members;

    const Value &at(std::string_view key) const {
        for (const auto &member : members) {
            if (member.first == key) return member.second;
        }
        throw std::runtime_error("no member " + std::string(key));
    }
    // Member lookup where a missing member reads as null.
    const Value &operator[](std::string_view key) const {
        static const Value null_value;
        for (const auto &member : members) {
            if (member.first == key) return member.second;
        }
        return null_value;
    }
    bool is_null() const { return type == Type::null; }
    const std::string &str() const {
        if (type != Type::string) throw std::runtime_error("json: not a string");
        return text;
    }
    bool truth() const {
        if (type != Type::boolean) throw std::runtime_error("json: not a boolean");
        return text == "true";
    }
};

class StrictJson {
  public:
    static Value parse(std::string_view text) {
        StrictJson reader(text);
        reader.space();
        Value value = reader.value(0);
        reader.space();
        if (reader.pos_ != text.size()) reader.fail("trailing characters");
        return value;
    }

  private:
    explicit StrictJson(std::string_view text) : s_(text) {}

    [[noreturn]] void fail(const std::string &what) const {
        throw std::runtime_error("json: " + what + " at " + std::to_string(pos_));
    }
    bool at_end() const { return pos_ >= s_.size(); }
    char peek() const {
        if (at_end()) fail("unexpected end");
        return s_[pos_];
    }
    void expect(char c) {
        if (peek() != c) fail(std::string("expected '") + c + "'");
        ++pos_;
    }
    void space() {
        while (!at_end() &&
               (s_[pos_] == ' ' || s_[pos_] == '\t' || s_[pos_] == '\n' || s_[pos_] == '\r')) {
            ++pos_;
        }
    }
    void literal(std::string_view word) {
        if (s_.substr(pos_, word.size()) != word) fail("bad literal");
        pos_ += word.size();
    }

    Value value(int depth) {
        if (depth > 32) fail("too deep");
        Value out;
        const char c = peek();
        if (c == '{') {
            out.type = Value::Type::object;
            ++pos_;
            space();
            if (peek() == '}') {
                ++pos_;
                return out;
            }
            for (;;) {
                space();
                std::string key = string();
                for (const auto &member : out.members) {
                    if (member.first == key) fail("duplicate key " + key);
                }
                space();
                expect(':');
                space();
                out.members.emplace_back(std::move(key), value(depth + 1));
                space();
                if (peek() == ',') {
                    ++pos_;
                    continue;
                }
                expect('}');
                return out;
            }
        }
        if (c == '[') {
            out.type = Value::Type::array;
            ++pos_;
            space();
            if (peek() == ']') {
                ++pos_;
                return out;
            }
            for (;;) {
                space();
                out.items.push_back(value(depth + 1));
                space();
                if (peek() == ',') {
                    ++pos_;
                    continue;
                }
                expect(']');
                return out;
            }
        }
        if (c == '"') {
            out.type = Value::Type::string;
            out.text = string();
            return out;
        }
        if (c == 'n') {
            literal("null");
            return out;
        }
        if (c == 't' || c == 'f') {
            out.type = Value::Type::boolean;
            out.text = c == 't' ? "true" : "false";
            literal(out.text);
            return out;
        }
        out.type = Value::Type::number;
        out.text = number();
        return out;
    }

    std::string number() {
        const std::size_t start = pos_;
        const auto digit = [&] { return !at_end() && s_[pos_] >= '0' && s_[pos_] <= '9'; };
        if (!at_end() && s_[pos_] == '-') ++pos_;
        if (!digit()) fail("bad number");
        if (s_[pos_] == '0') {
            ++pos_;
        } else {
            while (digit()) ++pos_;
        }
        if (!at_end() && s_[pos_] == '.') {
            ++pos_;
            if (!digit()) fail("bad fraction");
            while (digit()) ++pos_;
        }
        if (!at_end() && (s_[pos_] == 'e' || s_[pos_] == 'E')) {
            ++pos_;
            if (!at_end() && (s_[pos_] == '+' || s_[pos_] == '-')) ++pos_;
            if (!digit()) fail("bad exponent");
            while (digit()) ++pos_;
        }
        return std::string(s_.substr(start, pos_ - start));
    }

    std::uint32_t hex4() {
        if (s_.size() - pos_ < 4) fail("short \\u");
        std::uint32_t code = 0;
        for (int i = 0; i < 4; ++i) {
            const char c = s_[pos_++];
            std::uint32_t digit = 0;
            if (c >= '0' && c <= '9')
                digit = static_cast<std::uint32_t>(c - '0');
            else if (c >= 'a' && c <= 'f')
                digit = static_cast<std::uint32_t>(c - 'a' + 10);
            else if (c >= 'A' && c <= 'F')
                digit = static_cast<std::uint32_t>(c - 'A' + 10);
            else
                fail("bad hex digit");
            code = code * 16 + digit;
        }
        return code;
    }

    std::string string() {
        expect('"');
        std::string out;
        for (;;) {
            const char c = peek();
            const auto byte = static_cast<std::uint8_t>(c);
            if (c == '"') {
                ++pos_;
                return out;
            }
            if (byte < 0x20) fail("raw control character in string");
            if (c != '\\') {
                std::uint32_t code = 0;
                const std::size_t length = utf8_at(s_, pos_, code);
                if (length == 0) fail("invalid UTF-8 in string");
                out.append(s_.substr(pos_, length));
                pos_ += length;
                continue;
            }
            ++pos_;
            const char e = peek();
            ++pos_;
            switch (e) {
                case '"':
                    out.push_back('"');
                    break;
                case '\\':
                    out.push_back('\\');
                    break;
                case '/':
                    out.push_back('/');
                    break;
                case 'b':
                    out.push_back('\b');
                    break;
                case 'f':
                    out.push_back('\f');
                    break;
                case 'n':
                    out.push_back('\n');
                    break;
                case 'r':
                    out.push_back('\r');
                    break;
                case 't':
                    out.push_back('\t');
                    break;
                case 'u': {
                    std::uint32_t code = hex4();
                    if (code >= 0xdc00 && code <= 0xdfff) fail("lone low surrogate");
                    if (code >= 0xd800 && code <= 0xdbff) {
                        if (s_.substr(pos_, 2) != "\\u") fail("lone high surrogate");
                        pos_ += 2;
                        const std::uint32_t low = hex4();
                        if (low < 0xdc00 || low > 0xdfff) fail("bad low surrogate");
                        code = 0x10000 + ((code - 0xd800) << 10) + (low - 0xdc00);
                    }
                    append_utf8(out, code);
                    break;
                }
                default:
                    fail("bad escape");
            }
        }
    }

    std::string_view s_;
    std::size_t pos_ = 0;
};

inline Value parse(std::string_view text) { return StrictJson::parse(text); }

}  // namespace json_lite
