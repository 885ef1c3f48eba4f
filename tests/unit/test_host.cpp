#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "core/host.h"
#include "core/spelling.h"

TEST_CASE("Host values that are IP literals") {
    auto [host, expected] = GENERATE(table<std::string, bool>({
        {"192.0.2.1", true},
        {"192.0.2.1:8443", true},
        {"127.0.0.1.", true},
        {"[::1]", true},
        {"[::1]:443", true},
        {"[2001:db8::1]:8443", true},
        {"[::ffff:192.0.2.1]", true},
        {"example.org", false},
        {"example.org:443", false},
        {"a.test", false},
        {"1.2.3", false},           // inet_pton takes only the full dotted quad
        {"256.1.1.1", false},
        {"192.0.2.1:", false},
        {"192.0.2.1:80x", false},
        {"[::1", false},
        {"[::1]x", false},
        {"[example.org]", false},
        {"::1", false},             // IPv6 without brackets is not a valid Host
        {"", false},
        {"1.2.3.4.example.org", false},
        {std::string(100, '1'), false},
    }));
    CAPTURE(host);
    CHECK(snifallback::host_is_ip_literal(host) == expected);
}

TEST_CASE("a mistyped ServerName gets the closest existing one", "[spelling]") {
    const std::vector<std::string> names = {"legacy.example.org", "www.example.org", "a.test"};
    CHECK(snifallback::closest_name("legacy.exmaple.org", names) == "legacy.example.org");
    CHECK(snifallback::closest_name("LEGACY.example.org.", names) == "legacy.example.org");
    CHECK(snifallback::closest_name("shop.example.net", names).empty());  // nothing close
    CHECK(snifallback::closest_name("b.test", names) == "a.test");
    CHECK(snifallback::closest_name("xy.zz", names).empty());
    CHECK(snifallback::edit_distance("kitten", "Sitting") == 3);
    CHECK(snifallback::edit_distance("", "abc") == 3);
}
