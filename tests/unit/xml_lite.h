// The test suite's well-formedness check for the status page, which is written to be well-formed
// XML as well as HTML: an optional <!DOCTYPE html>, then one root element; every element closed
// (or self-closed) in order; attribute values double-quoted, no attribute twice; text and values
// without a raw '<', every '&' starting &amp; &lt; &gt; &quot; &apos; or a numeric reference.
// Returns the elements in document order, so tests can compare documents' structure. Test code
// only; throws std::runtime_error naming the offset of the first error.
#pragma once

#include <cctype>
#include <cstddef>
#include <map>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace xml_lite {

struct Element {
    std::string name;
    std::map<std::string, std::string> attributes;  // values as written (entities not decoded)
    std::size_t depth = 0;
};

class Checker {
  public:
    explicit Checker(std::string_view text) : s_(text) {}

    std::vector<Element> run() {
        constexpr std::string_view doctype = "<!DOCTYPE html>";
        if (s_.substr(0, doctype.size()) == doctype) pos_ = doctype.size();
        skip_space();
        if (peek() != '<') fail("a root element");
        element(0);
        skip_space();
        if (pos_ != s_.size()) fail("nothing after the root element");
        return std::move(elements_);
    }

  private:
    [[noreturn]] void fail(const std::string &expected) const {
        throw std::runtime_error("xml: expected " + expected + " at offset " +
                                 std::to_string(pos_) + ": '" + std::string(s_.substr(pos_, 40)) +
                                 "'");
    }
    char peek() const { return pos_ < s_.size() ? s_[pos_] : '\0'; }
    void skip_space() {
        while (pos_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[pos_]))) ++pos_;
    }
    std::string name() {
        const std::size_t start = pos_;
        while (pos_ < s_.size() && (std::isalnum(static_cast<unsigned char>(s_[pos_])) ||
                                    s_[pos_] == '-' || s_[pos_] == ':' || s_[pos_] == '_')) {
            ++pos_;
        }
        if (pos_ == start || !std::isalpha(static_cast<unsigned char>(s_[start]))) fail("a name");
        return std::string(s_.substr(start, pos_ - start));
    }
    // At '&': one of the references XML knows without a DTD.
    void reference() {
        const std::size_t end = s_.find(';', pos_);
        if (end == std::string_view::npos || end - pos_ > 10) fail("a reference ending in ';'");
        const std::string_view ref = s_.substr(pos_ + 1, end - pos_ - 1);
        bool ok = ref == "amp" || ref == "lt" || ref == "gt" || ref == "quot" || ref == "apos";
        if (!ok && ref.size() > 1 && ref[0] == '#') {
            ok = true;
            for (char c : ref.substr(1)) ok = ok && std::isdigit(static_cast<unsigned char>(c));
        }
        if (!ok) fail("a known entity");
        pos_ = end + 1;
    }
    void element(std::size_t depth) {
        ++pos_;  // '<'
        Element e;
        e.name = name();
        e.depth = depth;
        for (;;) {
            const std::size_t before = pos_;
            skip_space();
            if (peek() == '/' || peek() == '>') break;
            if (pos_ == before) fail("a space before an attribute");
            const std::string key = name();
            if (peek() != '=') fail("'='");
            ++pos_;
            if (peek() != '"') fail("a double-quoted value");
            const std::size_t start = ++pos_;
            while (peek() != '"') {
                if (pos_ >= s_.size() || peek() == '<') fail("the value's closing quote");
                if (peek() == '&') {
                    reference();
                } else {
                    ++pos_;
                }
            }
            if (!e.attributes.emplace(key, std::string(s_.substr(start, pos_ - start))).second) {
                fail("no attribute twice");
            }
            ++pos_;
        }
        elements_.push_back(e);
        if (peek() == '/') {
            ++pos_;
            if (peek() != '>') fail("'>'");
            ++pos_;
            return;
        }
        ++pos_;  // '>'
        for (;;) {
            if (pos_ >= s_.size()) fail("</" + e.name + ">");
            if (peek() == '&') {
                reference();
            } else if (peek() == '<') {
                if (s_.substr(pos_, 2) == "</") {
                    pos_ += 2;
                    if (name() != e.name) fail("</" + e.name + ">");
                    if (peek() != '>') fail("'>'");
                    ++pos_;
                    return;
                }
                element(depth + 1);
            } else {
                ++pos_;
            }
        }
    }

    std::string_view s_;
    std::size_t pos_ = 0;
    std::vector<Element> elements_;
};

inline std::vector<Element> check(std::string_view document) {
    return Checker(document).run();
}

}  // namespace xml_lite
