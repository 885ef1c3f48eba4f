#include <catch2/catch.hpp>

#include <string>

#include "core/probe.h"

TEST_CASE("probe URLs", "[probe]") {
    auto [url, ok] = GENERATE(table<std::string, bool>({
        {"https://secure.example.org/sni-probe/pixel.gif", true},
        {"http://www.example.org/ok.html", true},
        {"https://secure.example.org:8443/p.gif?x=1", true},
        {"/relative/pixel.gif", false},
        {"javascript:alert(1)", false},
        {"https:///nohost", false},
        {"https://x.example.org/\"+alert(1)+\"", false},
        {"https://x.example.org/a b", false},
        {"https://x.example.org/</script>", false},
        {"https://x.example.org/\\u0022", false},
        {"https://x.example.org/\n", false},
    }));
    CAPTURE(url);
    CHECK(snifallback::probe_url_problem(url).empty() == ok);
}

TEST_CASE("probe script holds the configured URLs", "[probe]") {
    const std::string script = snifallback::probe_script(
        "https://secure.example.org/sni-probe/pixel.gif", "https://secure.example.org/",
        "http://www.example.org/old-browser.html");
    CHECK(script.find("var pixel = \"https://secure.example.org/sni-probe/pixel.gif\";") !=
          std::string::npos);
    CHECK(script.find("var success = \"https://secure.example.org/\";") != std::string::npos);
    CHECK(script.find("var failure = \"http://www.example.org/old-browser.html\";") !=
          std::string::npos);
    CHECK(script.find("new URL(\"report\", me)") != std::string::npos);
}

TEST_CASE("probe pixel is a 1x1 GIF", "[probe]") {
    const auto gif = snifallback::probe_pixel_gif();
    CHECK(gif.substr(0, 6) == "GIF89a");
    CHECK(static_cast<unsigned char>(gif[6]) == 1);
    CHECK(static_cast<unsigned char>(gif[8]) == 1);
    CHECK(gif.back() == ';');
}

TEST_CASE("a probe report's result is a documented value or 'other'", "[probe]") {
    using snifallback::probe_result_name;
    CHECK(probe_result_name("sni-failed") == "sni-failed");
    CHECK(probe_result_name("") == "other");
    CHECK(probe_result_name("SNI-FAILED") == "other");
    CHECK(probe_result_name("sni-failed ") == "other");
    CHECK(probe_result_name(std::string(500, 'x')) == "other");
}

TEST_CASE("probe reports are limited per second", "[probe]") {
    snifallback::ProbeReportLimit limit(3);
    CHECK(limit.admit(100));
    CHECK(limit.admit(100));
    CHECK(limit.admit(100));
    CHECK_FALSE(limit.admit(100));
    CHECK_FALSE(limit.admit(100));
    CHECK(limit.admit(101));  // a new second, a new allowance
    snifallback::ProbeReportLimit none(0);
    CHECK_FALSE(none.admit(5));
}
