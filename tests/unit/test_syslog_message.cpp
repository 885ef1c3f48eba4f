#include <catch2/catch.hpp>

#include "core/syslog_message.h"

using snifallback::syslog_datagram;

namespace {
std::tm at(int mon, int mday, int hour, int min, int sec) {
    std::tm t{};
    t.tm_mon = mon;
    t.tm_mday = mday;
    t.tm_hour = hour;
    t.tm_min = min;
    t.tm_sec = sec;
    return t;
}
}  // namespace

TEST_CASE("a syslog datagram has glibc's RFC 3164 header, tag and pid") {
    // local0 (16 << 3) | info (6) = 134
    CHECK(syslog_datagram(134, at(11, 3, 9, 5, 7), "apache2", 4242, "{\"a\":1}\n") ==
          "<134>Dec  3 09:05:07 apache2[4242]: {\"a\":1}");
    CHECK(syslog_datagram(190, at(0, 21, 23, 59, 59), "httpd", 1, "x=1") ==
          "<190>Jan 21 23:59:59 httpd[1]: x=1");
}

TEST_CASE("a syslog datagram keeps the message whole, only its final newline goes") {
    CHECK(syslog_datagram(134, at(5, 1, 0, 0, 0), "t", 2, "a\\nb\n") ==
          "<134>Jun  1 00:00:00 t[2]: a\\nb");
    CHECK(syslog_datagram(134, at(5, 1, 0, 0, 0), "t", 2, "") == "<134>Jun  1 00:00:00 t[2]: ");
}
