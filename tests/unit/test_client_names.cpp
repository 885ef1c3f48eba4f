#include <catch2/catch.hpp>

#include <string>

#include "core/client_names.h"

using snifallback::ClientNames;

namespace {

// Rows as FoxIO's ja4plus-mapping.csv has them (its header, quoting and empty columns).
constexpr const char *foxio =
    "Application,Library,Device,OS,ja4,ja4s,ja4h,ja4x,ja4t,ja4tscan,Notes\r\n"
    ",Python,,,t13i181000_85036bcba153_d41ae481755e,,,,,,\r\n"
    "Chromium Browser,,,,t13d1516h2_8daaf6152771_02713d6af862,,,,,,\r\n"
    "Safari,,iPhone,iOS,t13d2014h2_a09f3c656075_14788d8d241b,,,,,,\"Notes, with a comma\"\r\n"
    "Nmap,,,,,,,,1024_2_1460_00,,only a JA4T\r\n";

}  // namespace

TEST_CASE("client names: FoxIO's layout, names from the four name columns") {
    ClientNames names;
    CHECK(names.add_csv(foxio).empty());
    CHECK(names.size() == 3);  // the JA4T-only row names no TLS client
    REQUIRE(names.find("t13i181000_85036bcba153_d41ae481755e") != nullptr);
    CHECK(*names.find("t13i181000_85036bcba153_d41ae481755e") == "Python");
    CHECK(*names.find("t13d1516h2_8daaf6152771_02713d6af862") == "Chromium Browser");
    CHECK(*names.find("t13d2014h2_a09f3c656075_14788d8d241b") == "Safari / iPhone / iOS");
    CHECK(names.find("t13d0000h2_000000000000_000000000000") == nullptr);
    CHECK(names.find("") == nullptr);
}

TEST_CASE("client names: later rows and later files win; columns found by name") {
    ClientNames names;
    CHECK(names.add_csv(foxio).empty());
    // another order, extra columns, upper-case fingerprint, a BOM, LF line ends, a JA3 column
    CHECK(names
              .add_csv("\xEF\xBB\xBF"
                       "Notes, JA4 ,Application,ja3\n"
                       "x,T13I181000_85036BCBA153_D41AE481755E,Our monitoring,\n"
                       "y,,Old Java,0123456789abcdef0123456789abcdef\n"
                       "z,t13i181000_85036bcba153_d41ae481755e,\"Our \"\"probe\"\"\",\n")
              .empty());
    CHECK(*names.find("t13i181000_85036bcba153_d41ae481755e") == "Our \"probe\"");
    CHECK(*names.find("t13d1516h2_8daaf6152771_02713d6af862") == "Chromium Browser");
    // JA4 first, then JA3
    CHECK(*names.find("t00_unknown", "0123456789abcdef0123456789abcdef") == "Old Java");
    CHECK(*names.find("t13d1516h2_8daaf6152771_02713d6af862", "0123456789abcdef0123456789abcdef") ==
          "Chromium Browser");
}

TEST_CASE("client names: a quoted field may span lines; problems name the line") {
    ClientNames names;
    const auto problems = names.add_csv(
        "Application,ja4\n"
        "\"Two\nlines\",t12i000000_aaaaaaaaaaaa_bbbbbbbbbbbb\n"
        "Fine,t12i000000_cccccccccccc_dddddddddddd\n"
        "\"Unclosed,t12i000000_eeeeeeeeeeee_ffffffffffff\n");
    REQUIRE(problems.size() == 1);
    CHECK(problems[0].line == 5);
    CHECK(problems[0].message.find("not closed") != std::string::npos);
    CHECK(*names.find("t12i000000_aaaaaaaaaaaa_bbbbbbbbbbbb") == "Two\nlines");
    CHECK(*names.find("t12i000000_cccccccccccc_dddddddddddd") == "Fine");
}

TEST_CASE("client names: files without a fingerprint column, empty files, long fields") {
    ClientNames names;
    auto problems = names.add_csv("Application,Library\nfoo,bar\n");
    REQUIRE(problems.size() == 1);
    CHECK(problems[0].line == 1);
    CHECK(problems[0].message.find("no ja4 or ja3 column") != std::string::npos);
    problems = names.add_csv("");
    REQUIRE(problems.size() == 1);
    CHECK(problems[0].message.find("empty") != std::string::npos);
    const std::string long_name(ClientNames::max_field_bytes + 1, 'x');
    problems = names.add_csv("Application,ja4\n" + long_name + ",t1\nok,t2\n");
    REQUIRE(problems.size() == 1);
    CHECK(problems[0].line == 2);
    CHECK(names.find("t1") == nullptr);
    CHECK(*names.find("t2") == "ok");
    CHECK(names.size() == 1);
}

TEST_CASE("client names: duplicate keys within one text are reported with their lines") {
    ClientNames names;
    std::vector<snifallback::ClientNamesProblem> duplicates;
    CHECK(names
              .add_csv("Application,ja4,ja3\n"
                       "A,t13i1,aaaa\n"
                       "B,t13i2,\n"
                       "C,T13I1,\n"  // the same JA4 once folded to lower case
                       "D,t13i3,AAAA\n",
                       &duplicates)
              .empty());
    REQUIRE(duplicates.size() == 2);
    CHECK(duplicates[0].line == 4);
    CHECK(duplicates[0].message == "ja4 t13i1 is also on line 2");
    CHECK(duplicates[1].line == 5);
    CHECK(duplicates[1].message == "ja3 aaaa is also on line 2");
    CHECK(*names.find("t13i1") == "C");  // the later row still wins
    // Another text may name the same keys again: later files win, nothing is reported.
    duplicates.clear();
    CHECK(names.add_csv("Application,ja4\nE,t13i1\n", &duplicates).empty());
    CHECK(duplicates.empty());
    CHECK(*names.find("t13i1") == "E");
}
