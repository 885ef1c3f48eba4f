#include <catch2/catch.hpp>

#include <string>

#include "core/proxy_facts.h"

using snifallback::read_proxy_facts;

TEST_CASE("proxy facts: SNI from the name header, or from the has-SNI header") {
    CHECK(!read_proxy_facts(nullptr, nullptr, "t13d", nullptr));  // nothing about SNI
    CHECK(!read_proxy_facts(nullptr, "maybe", nullptr, nullptr));

    auto none = read_proxy_facts("", nullptr, nullptr, nullptr);
    REQUIRE(none);
    CHECK(!none->sni_present);

    auto named = read_proxy_facts("a.test", nullptr, nullptr, nullptr);
    REQUIRE(named);
    CHECK((named->sni_present && named->sni == "a.test"));

    // has-SNI wins over the name header, both ways
    auto absent = read_proxy_facts("a.test", "0", nullptr, nullptr);
    REQUIRE(absent);
    CHECK((!absent->sni_present && absent->sni.empty()));
    auto flagged = read_proxy_facts(nullptr, "TRUE", nullptr, nullptr);
    REQUIRE(flagged);
    CHECK((flagged->sni_present && flagged->sni.empty()));
    auto unflagged = read_proxy_facts(nullptr, "off", nullptr, nullptr);
    REQUIRE(unflagged);
    CHECK(!unflagged->sni_present);
    // a has-SNI value that is neither is ignored: the name header decides
    auto odd = read_proxy_facts("", "perhaps", nullptr, nullptr);
    REQUIRE(odd);
    CHECK(!odd->sni_present);
}

TEST_CASE("proxy facts: values are bounded and checked for their form") {
    const std::string long_name(400, 'x');
    auto cut = read_proxy_facts(long_name.c_str(), nullptr, nullptr, nullptr);
    REQUIRE(cut);
    CHECK(cut->sni.size() == snifallback::max_proxy_sni);

    auto good = read_proxy_facts("", "0", "t13d1516h2_8daaf6152771_02713d6af862",
                                 "CD08E31494F9531F560D64C695473DA9");
    REQUIRE(good);
    CHECK(good->ja4 == "t13d1516h2_8daaf6152771_02713d6af862");
    CHECK(good->ja3_hash == "cd08e31494f9531f560d64c695473da9");
    CHECK(good->ja3.empty());

    auto text = read_proxy_facts("", "0", nullptr, "771,4865-4866,0-23-65281,29-23,0");
    REQUIRE(text);
    CHECK(text->ja3 == "771,4865-4866,0-23-65281,29-23,0");
    CHECK(text->ja3_hash == "34a14ebc110e5a719652f6cb80e1f2c0");  // its MD5

    const std::string long_ja4(60, 'a');
    for (const char *bad_ja4 : {"t13d\"<script>", "a b", "", long_ja4.c_str()}) {
        auto facts = read_proxy_facts("", nullptr, bad_ja4, "1234\n\"x");
        REQUIRE(facts);
        CHECK(facts->ja4.empty());
        CHECK(facts->ja3.empty());
        CHECK(facts->ja3_hash.empty());
    }
}
