#include <catch2/catch.hpp>

#include <cstdio>
#include <string>
#include <tuple>
#include <vector>

#include "core/client_class.h"
#include "core/name_index.h"

using snifallback::ClientClass;
using snifallback::NameIndex;

namespace {

// A straightforward recursive reading of httpd's ap_strcasecmp_match, to check the iterative one
// against: '*' any run (also none), '?' one character, ASCII case folded.
bool reference_match(const char *name, const char *pattern) {
    if (*pattern == '\0') return *name == '\0';
    if (*pattern == '*') {
        for (const char *rest = name;; ++rest) {
            if (reference_match(rest, pattern + 1)) return true;
            if (*rest == '\0') return false;
        }
    }
    if (*name == '\0') return false;
    const auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; };
    if (*pattern != '?' && lower(*pattern) != lower(*name)) return false;
    return reference_match(name + 1, pattern + 1);
}

NameIndex sample_index() {
    NameIndex index;
    for (const char *name : {"default.test", "A.test", "www.b.test", "*.wild.test", "*ends.test",
                             "w?w.q.test", "x*y.test", "127.0.0.1", "[::1]"}) {
        index.add(name);
    }
    return index;
}

}  // namespace

TEST_CASE("host patterns match as httpd's ap_strcasecmp_match", "[client_class]") {
    const char *patterns[] = {"*", "**", "*.a.test", "a.*", "?", "a?c", "*a*b*", "x*y*z",
                              "A.TEST", "*.", "", "a**b"};
    const char *names[] = {"", "a", "a.test", "x.a.test", "X.A.Test", ".a.test", "abc", "aXc",
                           "ab", "xyz", "xaybz", "x.y.z", "a.", "ba", "aab", "a.test.",
                           "xxyyzz"};
    for (const char *pattern : patterns) {
        for (const char *name : names) {
            INFO(pattern << " / " << name);
            CHECK(snifallback::host_pattern_matches(pattern, name) ==
                  reference_match(name, pattern));
        }
    }
}

TEST_CASE("the name index serves what mod_ssl would match", "[client_class]") {
    const NameIndex index = sample_index();
    using Case = std::tuple<const char *, bool>;
    auto [name, served] = GENERATE(table<const char *, bool>({
        Case{"default.test", true},
        Case{"DEFAULT.TEST", true},     // case
        Case{"a.test", true},           // stored upper case, asked lower
        Case{"a.test.", false},         // mod_ssl does not drop a trailing dot
        Case{"b.test", false},
        Case{"www.b.test", true},
        Case{"x.wild.test", true},      // "*.wild.test"
        Case{"x.y.wild.test", true},    // '*' spans dots
        Case{"wild.test", false},
        Case{"ends.test", true},        // "*ends.test": the run may be empty
        Case{"friends.test", true},
        Case{"www.q.test", true},       // "w?w.q.test"
        Case{"wwww.q.test", false},
        Case{"xabcy.test", true},       // "x*y.test"
        Case{"127.0.0.1", true},        // a vhost whose ServerName is an IP serves that IP
        Case{"127.0.0.2", false},
        Case{"::1", false},             // "[::1]" is not "::1"
        Case{"", false},
    }));
    INFO(name);
    CHECK(index.serves(name) == served);
}

TEST_CASE("the name index stays exact with thousands of names", "[client_class]") {
    NameIndex index;
    for (int i = 0; i < 5000; ++i) index.add("site" + std::to_string(i) + ".example");
    index.add("*.wild.example");
    CHECK(index.size() == 5001);
    for (int i = 0; i < 5000; i += 7) {
        CHECK(index.serves("SITE" + std::to_string(i) + ".example"));
        CHECK_FALSE(index.serves("site" + std::to_string(i) + ".example.org"));
    }
    CHECK_FALSE(index.serves("site5000.example"));
    CHECK(index.serves("x.wild.example"));
}

TEST_CASE("the name index agrees with matching every name one by one", "[client_class]") {
    // Suffix patterns of many lengths (one backward pass hashes them all), exact names that are
    // suffixes of others, and names asked for in other cases.
    std::vector<std::string> configured;
    for (int i = 1; i <= 3000; i *= 3) {
        configured.push_back("*.w" + std::to_string(i) + ".example");
        configured.push_back("site" + std::to_string(i) + ".example");
        configured.push_back("*" + std::to_string(i) + ".example");
    }
    configured.push_back("example");
    configured.push_back("*.e");
    NameIndex index;
    for (const std::string &name : configured) index.add(name);
    std::vector<std::string> asked = {"",        "e",   "example", "EXAMPLE", ".example",
                                      "x.example", "a.e", "A.E",     ".e"};
    for (int i = 0; i <= 3000; i += 37) {
        for (const char *form : {"x.w%d.example", "site%d.example", "SITE%d.EXAMPLE", "%d.example",
                                 ".w%d.example", "w%d.example", "a.b.W%d.Example"}) {
            char name[64];
            std::snprintf(name, sizeof name, form, i);
            asked.emplace_back(name);
        }
    }
    for (const std::string &name : asked) {
        bool expected = false;
        for (const std::string &pattern : configured) {
            expected = expected || reference_match(name.c_str(), pattern.c_str());
        }
        INFO(name);
        CHECK(index.serves(name) == expected);
    }
}

TEST_CASE("clients are classified by SNI presence, address and served names", "[client_class]") {
    const NameIndex index = sample_index();
    using Case = std::tuple<bool, const char *, ClientClass>;
    auto [present, name, expected] = GENERATE(table<bool, const char *, ClientClass>({
        Case{false, "", ClientClass::no_sni},
        Case{true, "default.test", ClientClass::served},
        Case{true, "nosuch.test", ClientClass::unknown_name},
        Case{true, "a.test.", ClientClass::unknown_name},
        Case{true, "192.0.2.1", ClientClass::ip_literal},
        Case{true, "127.0.0.1", ClientClass::served},
        Case{true, "::1", ClientClass::ip_literal},
        Case{true, "2001:db8::7", ClientClass::ip_literal},
        Case{true, "[2001:db8::7]", ClientClass::ip_literal},
        Case{true, "192.0.2.1.", ClientClass::ip_literal},
        Case{true, "192.0.2", ClientClass::unknown_name},
        Case{true, "1.2.3.4.example", ClientClass::unknown_name},
    }));
    INFO(name);
    CHECK(snifallback::classify_client(present, name, index) == expected);
}

TEST_CASE("class names parse and print", "[client_class]") {
    ClientClass c = ClientClass::served;
    CHECK(snifallback::parse_client_class("IP-Literal", c));
    CHECK(c == ClientClass::ip_literal);
    CHECK_FALSE(snifallback::parse_client_class("served", c));
    CHECK_FALSE(snifallback::parse_client_class("no_sni", c));
    for (ClientClass each : snifallback::fallback_classes) {
        ClientClass back = ClientClass::served;
        CHECK(snifallback::parse_client_class(snifallback::client_class_name(each), back));
        CHECK(back == each);
        CHECK(snifallback::fallback_classes[snifallback::fallback_class_index(each)] == each);
    }
    const auto set = snifallback::ClientClassSet::of(ClientClass::no_sni).with(ClientClass::ip_literal);
    CHECK(set.contains(ClientClass::ip_literal));
    CHECK_FALSE(set.contains(ClientClass::unknown_name));
}
