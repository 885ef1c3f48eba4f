#include <catch2/catch.hpp>

#include <string>

#include "core/status.h"
#include "core/version.h"
#include "json_lite.h"

using snifallback::ClientRow;
using snifallback::Counter;
using snifallback::Counters;
using snifallback::StatusReport;

namespace {

StatusReport sample() {
    StatusReport report;
    Counters a;
    a[Counter::tls] = 50;
    a[Counter::no_sni] = 30;
    a[Counter::no_sni_established] = 29;
    a[Counter::no_sni_failed] = 1;
    a[Counter::requests_no_sni] = 30;
    a[Counter::requests_none] = 28;
    a[Counter::requests_exempt] = 2;
    Counters b;
    b[Counter::tls] = 7;
    b[Counter::requests_notice] = 3;
    b[Counter::requests_no_sni] = 3;
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
    CHECK(report.total[Counter::tls] == 57);
    CHECK(report.total[Counter::requests_no_sni] == 33);
    CHECK(report.total[Counter::requests_notice] == 3);
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

TEST_CASE("every counter of the table is in the JSON, the HTML page and the ?auto lines",
          "[status]") {
    snifallback::StatusReport report;
    // Distinct values, so a counter rendered in another's place is caught.
    for (std::size_t i = 0; i < snifallback::counter_count; ++i) report.total.values[i] = 1000 + i;
    const std::string json = snifallback::render_status_json(report);
    const std::string html = snifallback::render_status_html(report);
    const std::string lines = snifallback::render_status_auto(report.total);
    const auto doc = json_lite::parse(json);
    CHECK(doc["version"].text == SNIFALLBACK_VERSION);
    for (const auto &counter : snifallback::counter_descriptions) {
        const std::string value = std::to_string(report.total[counter.id]);
        const char *group =
            counter.group == snifallback::CounterGroup::connections ? "connections" : "requests";
        CHECK(doc[group][std::string(counter.key)].text == value);
        CHECK(lines.find(std::string(counter.auto_key) + ": " + value + "\n") != std::string::npos);
        CHECK(html.find("<th>" + std::string(counter.label) + "</th><td class=\"n\">" + value) !=
              std::string::npos);
    }
    CHECK(html.find("mod_snifallback/" SNIFALLBACK_VERSION) != std::string::npos);
}
