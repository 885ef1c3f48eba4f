#include <catch2/catch.hpp>

#include <string>

#include "core/status.h"
#include "json_lite.h"

using snifallback::ClientRow;
using snifallback::Counters;
using snifallback::StatusReport;

namespace {

StatusReport sample() {
    StatusReport report;
    Counters a;
    a.tls = 50;
    a.no_sni = 30;
    a.no_sni_established = 29;
    a.no_sni_failed = 1;
    a.requests_no_sni = 30;
    a.requests_none = 28;
    a.requests_exempt = 2;
    Counters b;
    b.tls = 7;
    b.requests_notice = 3;
    b.requests_no_sni = 3;
    report.vhosts = {{"default.test", a}, {"b.test", b}};
    report.total += a;
    report.total += b;
    ClientRow client;
    client.client_ip = "192.0.2.7";
    client.ja4 = "t13i311100_e8f1e7e78f70_d41ae481755e";
    client.user_agent = "evil\"</td><script>\x01\xff";
    client.count = 30;
    client.first_seen_us = 1'700'000'000'000'000;
    client.last_seen_us = 1'700'000'001'234'000;
    report.clients = {client};
    return report;
}

}  // namespace

TEST_CASE("status counters add up", "[status]") {
    const StatusReport report = sample();
    CHECK(report.total.tls == 57);
    CHECK(report.total.requests_no_sni == 33);
    CHECK(report.total.requests_notice == 3);
}

TEST_CASE("status JSON has the documented keys and escapes client text", "[status]") {
    const auto doc = json_lite::parse(snifallback::render_status_json(sample()));
    CHECK(doc["connections"]["tls"].text == "57");
    CHECK(doc["connections"]["no_sni"].text == "30");
    CHECK(doc["connections"]["no_sni_established"].text == "29");
    CHECK(doc["connections"]["no_sni_failed"].text == "1");
    CHECK(doc["requests"]["no_sni"].text == "33");
    CHECK(doc["requests"]["exempt"].text == "2");
    CHECK(doc["requests"]["vhost"].text == "0");
    CHECK(doc["vhosts"]["b.test"]["requests"]["notice"].text == "3");
    REQUIRE(doc["clients"].items.size() == 1);
    const auto &client = doc["clients"].items[0];
    CHECK(client["client_ip"].str() == "192.0.2.7");
    CHECK(client["count"].text == "30");
    CHECK(client["first_seen"].str() == "2023-11-14T22:13:20.000Z");
    CHECK(client["last_seen"].str() == "2023-11-14T22:13:21.234Z");
    CHECK(client["user_agent"].str().rfind("evil\"</td><script>\x01", 0) == 0);
}

TEST_CASE("status HTML escapes what clients sent", "[status]") {
    const std::string html = snifallback::render_status_html(sample());
    CHECK(html.find("<script>") == std::string::npos);
    // shown in its JSON-escaped form (controls, invalid UTF-8 visible), then HTML-escaped
    CHECK(html.find("evil\\&quot;&lt;/td&gt;&lt;script&gt;\\u0001") != std::string::npos);
    CHECK(html.find("<th>b.test</th>") != std::string::npos);
    CHECK(html.find("\x01") == std::string::npos);
}

TEST_CASE("mod_status auto lines", "[status]") {
    const std::string text = snifallback::render_status_auto(sample().total);
    CHECK(text.find("SNIFallbackConnectionsTLS: 57\n") != std::string::npos);
    CHECK(text.find("SNIFallbackConnectionsNoSNI: 30\n") != std::string::npos);
    CHECK(text.find("SNIFallbackRequestsNotice: 3\n") != std::string::npos);
}
