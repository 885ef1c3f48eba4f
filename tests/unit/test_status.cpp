#include <catch2/catch.hpp>

#include <set>
#include <string>
#include <utility>
#include <vector>

#include "core/inventory.h"
#include "core/status.h"
#include "core/version.h"
#include "json_lite.h"
#include "xml_lite.h"

using snifallback::ClientClass;
using snifallback::ClientRow;
using snifallback::Counter;
using snifallback::Counters;
using snifallback::Decision;
using snifallback::HistoryField;
using snifallback::HourCounts;
using snifallback::RequestTotal;
using snifallback::StatusReport;

namespace {

// 2026-12-01T07:00Z in hours since the epoch.
constexpr std::int64_t kLastHour = 20'788 * 24 + 7;

// 48 hours ending at kLastHour: quiet at first, then a falling number of no-SNI clients.
std::vector<HourCounts> sample_history() {
    std::vector<HourCounts> hours(snifallback::kHistoryHours);
    for (std::size_t i = 0; i < hours.size(); ++i) {
        HourCounts &hour = hours[i];
        hour.hour = kLastHour - static_cast<std::int64_t>(hours.size() - 1 - i);
        if (i < 6) continue;
        hour.counts[0] = 1000 + i;             // tls
        hour.counts[1] = 100 - i;              // no_sni
        hour.counts[2] = i % 3;                // ip_literal
        hour.counts[4] = 50 - i;               // notice
        hour.counts[8] = i < 24 ? 50 - i : 0;  // reported, until enforcement began
    }
    return hours;
}

// 35 days ending at kLastHour's day (2026-12-01): quiet for a week, then fewer no-SNI clients
// each day.
std::vector<snifallback::DayCounts> sample_daily() {
    std::vector<snifallback::DayCounts> days(snifallback::kHistoryDays);
    for (std::size_t i = 0; i < days.size(); ++i) {
        snifallback::DayCounts &day = days[i];
        day.day = kLastHour / 24 - static_cast<std::int64_t>(days.size() - 1 - i);
        if (i < 7) continue;
        day.counts[0] = 24'000 + i;  // tls
        day.counts[1] = 2'000 - i;   // no_sni
        day.counts[3] = i % 2;       // unknown_name
        day.counts[8] = 100;         // reported
    }
    return days;
}

StatusReport sample() {
    StatusReport report;
    Counters a;
    a[Counter::tls] = 50;
    a[Counter::no_sni] = 30;
    a[Counter::no_sni_established] = 29;
    a[Counter::no_sni_failed] = 1;
    a[{ClientClass::no_sni, Decision::Kind::none, false}] = 28;
    a[{ClientClass::no_sni, Decision::Kind::exempt, false}] = 2;
    Counters b;
    b[Counter::tls] = 7;
    b[Counter::ip_literal] = 2;
    b[{ClientClass::no_sni, Decision::Kind::notice, true}] = 3;
    b[{ClientClass::ip_literal, Decision::Kind::notice, false}] = 2;
    report.vhosts = {{"default.test", a, "served"}, {"b.test", b, "misdirected"}};
    report.total += a;
    report.total += b;
    ClientRow client;
    client.client_ip = "192.0.2.7";
    client.client_class = "unknown-name";
    client.sni = "old.example\n<b>";
    client.ja4 = "t13i311100_e8f1e7e78f70_d41ae481755e";
    client.user_agent = "evil\"</td><script>\x01\xff";
    client.count = 30;
    client.first_seen_us = 1'700'000'000'000'000;
    client.last_seen_us = 1'700'000'001'234'000;
    report.clients = {client};
    report.history = sample_history();
    report.history_daily = sample_daily();
    return report;
}

}  // namespace

TEST_CASE("status counters add up", "[status]") {
    const StatusReport report = sample();
    CHECK(report.total[Counter::tls] == 57);
    CHECK(report.total.total(RequestTotal::no_sni) == 33);
    CHECK(report.total.total(RequestTotal::ip_literal) == 2);
    CHECK(report.total.total(RequestTotal::notice) == 5);
    CHECK(report.total.total(RequestTotal::reported) == 2);  // notice decided, not enforced
    CHECK(report.total.total(RequestTotal::none) == 28);     // "none" is never "reported"
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
    CHECK(doc["vhosts"]["b.test"]["requests"]["notice"].text == "5");
    CHECK(doc["vhosts"]["b.test"]["connections"]["ip_literal"].text == "2");
    CHECK(doc["vhosts"]["b.test"]["forecast"].str() == "misdirected");
    REQUIRE(doc["clients"].items.size() == 1);
    const auto &client = doc["clients"].items[0];
    CHECK(client["client_ip"].str() == "192.0.2.7");
    CHECK(client["count"].text == "30");
    CHECK(client["first_seen"].str() == "2023-11-14T22:13:20.000Z");
    CHECK(client["last_seen"].str() == "2023-11-14T22:13:21.234Z");
    CHECK(client["user_agent"].str().rfind("evil\"</td><script>\x01", 0) == 0);
    CHECK(client["class"].str() == "unknown-name");
    CHECK(client["sni"].str() == "old.example\n<b>");
}

TEST_CASE("status JSON lists the hourly history, oldest first, every field of every hour",
          "[status]") {
    const auto doc = json_lite::parse(snifallback::render_status_json(sample()));
    const auto &history = doc["history"].items;
    REQUIRE(history.size() == 48);
    CHECK(history.front()["hour"].str() == "2026-11-29T08:00Z");
    CHECK(history[16]["hour"].str() == "2026-11-30T00:00Z");
    CHECK(history.back()["hour"].str() == "2026-12-01T07:00Z");
    const std::vector<std::string> keys = {"hour",         "tls",     "no_sni",   "ip_literal",
                                           "unknown_name", "notice",  "redirect", "vhost",
                                           "exempt",       "reported"};
    for (const auto &hour : history) {
        REQUIRE(hour.members.size() == keys.size());
        for (std::size_t k = 0; k < keys.size(); ++k) CHECK(hour.members[k].first == keys[k]);
    }
    CHECK(history[0]["tls"].text == "0");  // a quiet hour is a zero
    CHECK(history[6]["tls"].text == "1006");
    CHECK(history[6]["no_sni"].text == "94");
    CHECK(history[8]["ip_literal"].text == "2");
    CHECK(history[47]["notice"].text == "3");
    CHECK(history[23]["reported"].text == "27");
    CHECK(history[24]["reported"].text == "0");
    // Without a history (no shared memory), the list is empty.
    StatusReport none;
    CHECK(json_lite::parse(snifallback::render_status_json(none))["history"].items.empty());
}

TEST_CASE("status JSON lists the daily history, oldest first, the hourly fields of every day",
          "[status][daily]") {
    const auto doc = json_lite::parse(snifallback::render_status_json(sample()));
    const auto &days = doc["history_daily"].items;
    REQUIRE(days.size() == 35);
    CHECK(days.front()["day"].str() == "2026-10-28");
    CHECK(days.back()["day"].str() == "2026-12-01");
    const std::vector<std::string> keys = {"day",          "tls",     "no_sni",   "ip_literal",
                                           "unknown_name", "notice",  "redirect", "vhost",
                                           "exempt",       "reported"};
    for (const auto &day : days) {
        REQUIRE(day.members.size() == keys.size());
        for (std::size_t k = 0; k < keys.size(); ++k) CHECK(day.members[k].first == keys[k]);
    }
    // the same fields, in the same order, as the hourly history's (after its "hour")
    const auto &hour = doc["history"].items.front();
    for (std::size_t k = 1; k < keys.size(); ++k) {
        CHECK(hour.members[k].first == days.front().members[k].first);
    }
    CHECK(days[0]["tls"].text == "0");
    CHECK(days[7]["tls"].text == "24007");
    CHECK(days[34]["no_sni"].text == "1966");
    CHECK(days[9]["unknown_name"].text == "1");
    StatusReport none;
    CHECK(json_lite::parse(snifallback::render_status_json(none))["history_daily"].items.empty());
}

TEST_CASE("status HTML escapes what clients sent", "[status]") {
    const std::string html = snifallback::render_status_html(sample());
    CHECK(html.find("<script>") == std::string::npos);
    // shown in its JSON-escaped form (controls, invalid UTF-8 visible), then HTML-escaped
    CHECK(html.find("evil\\&quot;&lt;/td&gt;&lt;script&gt;\\u0001") != std::string::npos);
    CHECK(html.find("<th>b.test</th>") != std::string::npos);
    CHECK(html.find("\x01") == std::string::npos);
}

namespace {

// The elements of a page, by name and depth: its structure without the text.
std::vector<std::pair<std::string, std::size_t>> structure(const std::string &html) {
    std::vector<std::pair<std::string, std::size_t>> out;
    for (const auto &element : xml_lite::check(html)) out.emplace_back(element.name, element.depth);
    return out;
}

std::size_t count_of(const std::string &text, const std::string &what) {
    std::size_t n = 0;
    for (std::size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) {
        ++n;
    }
    return n;
}

}  // namespace

TEST_CASE("status HTML is well-formed, and client text never adds an element", "[status]") {
    const StatusReport hostile = sample();
    StatusReport plain = hostile;
    for (auto &client : plain.clients) {
        client.sni = "old.example";
        client.user_agent = "curl/8.0";
    }
    const std::string html = snifallback::render_status_html(hostile);
    INFO(html);
    const auto elements = xml_lite::check(html);
    CHECK(structure(html) == structure(snifallback::render_status_html(plain)));
    for (const auto &element : elements) CHECK(element.name != "script");
    // A User-Agent that tries to close the SVG and open a script stays text.
    StatusReport svg_breaker = plain;
    svg_breaker.clients[0].user_agent =
        "</svg><script>alert(1)</script><img src=x onerror=alert(1)>";
    svg_breaker.clients[0].ja4 = "</title></svg><svg onload=alert(1)>";
    const std::string broken = snifallback::render_status_html(svg_breaker);
    CHECK(structure(broken) == structure(snifallback::render_status_html(plain)));
    CHECK(broken.find("<script") == std::string::npos);
    CHECK(broken.find("&lt;/svg&gt;&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x "
                      "onerror=alert(1)&gt;") != std::string::npos);
}

TEST_CASE("status HTML draws the history as an accessible inline SVG chart", "[status]") {
    const std::string html = snifallback::render_status_html(sample());
    const auto elements = xml_lite::check(html);
    CHECK(html.find("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>") !=
          std::string::npos);
    std::size_t svgs = 0;
    std::size_t polylines = 0;
    for (const auto &element : elements) {
        CHECK(element.name != "script");
        CHECK(element.name != "img");
        CHECK(element.name != "link");
        CHECK(element.attributes.count("style") == 0);  // nothing a strict CSP would block
        for (const auto &attribute : element.attributes) {
            CHECK(attribute.first.rfind("on", 0) != 0);  // no event handler
            // no external resource (the SVG namespace is a name, not a resource)
            if (attribute.first != "xmlns") CHECK(attribute.second.find("http") != 0);
        }
        if (element.name == "svg") {
            ++svgs;
            CHECK(element.attributes.at("role") == "img");
            CHECK(element.attributes.at("viewBox") == "0 0 480 280");
            CHECK(element.attributes.at("width") == "100%");
            // the hourly chart, then the daily one under it
            CHECK(element.attributes.at("aria-labelledby") ==
                  (svgs == 1 ? "chart-title" : "daily-chart-title"));
            CHECK(element.attributes.at("aria-describedby") ==
                  (svgs == 1 ? "summary" : "daily-summary"));
        }
        if (element.name == "polyline") {
            ++polylines;
            // one point per hour, then per day
            CHECK(count_of(element.attributes.at("points"), ",") == (polylines <= 3 ? 48 : 35));
        }
    }
    CHECK(svgs == 2);
    CHECK(polylines == 6);  // one per class and chart
    CHECK(html.find("<title id=\"chart-title\">") != std::string::npos);
    CHECK(html.find("<title id=\"daily-chart-title\">Fallback connections per day, last 35 days "
                    "(UTC)</title>") != std::string::npos);
    CHECK(html.find("<h2>Fallback connections per day</h2>") > html.find("chart-title"));
    CHECK(html.find("<p id=\"daily-summary\">In the last 35 days (UTC, from 10-28): <b>55440</b> "
                    "connections that cannot be served by name, of 672574 TLS connections (8.2%): "
                    "no SNI 55426, IP literal 0, unknown name 14. Today, 2026-12-01 since 00:00 "
                    "UTC: <b>1966</b> of 24034 (8.1%).</p>") != std::string::npos);
    CHECK(html.find("<summary>The 35 days in numbers</summary>") != std::string::npos);
    CHECK(html.find("<tr><th>12-01</th><td>24034</td><td>1966</td><td>0</td><td>0</td>"
                    "<td>8.1%</td>") != std::string::npos);
    // day ticks on Mondays: 2026-11-30 was one
    CHECK(html.find(">11-30</text>") != std::string::npos);
    CHECK(html.find(">11-23</text>") != std::string::npos);
    CHECK(html.find("<desc>") != std::string::npos);
    // The text equivalent: the summary, and a table with every hour.
    // every class is counted, whatever SNIFallbackClients selects: they are not all "fallback"
    CHECK(html.find("<p id=\"summary\">In the last 48 hours (UTC): <b>3129</b> connections that "
                    "cannot be served by name, of 43113 TLS connections (7.2%): no SNI 3087, IP "
                    "literal 42, "
                    "unknown name 0. This hour, from 07:00: <b>55</b> of 1047 (5.2%).") !=
          std::string::npos);
    CHECK(html.find("<tr><th>11-29 08:00</th><td>0</td><td>0</td><td>0</td><td>0</td><td>-</td>") !=
          std::string::npos);
    CHECK(html.find("<tr><th>12-01 07:00</th><td>1047</td><td>53</td><td>2</td><td>0</td>"
                    "<td>5.2%</td><td>3</td>") != std::string::npos);
    // hour labels every six hours, the date at midnight
    CHECK(html.find(">11-30</text>") != std::string::npos);
    CHECK(html.find(">06:00</text>") != std::string::npos);
}

TEST_CASE("status HTML without history or clients says so", "[status]") {
    StatusReport empty;
    const std::string none = snifallback::render_status_html(empty);
    xml_lite::check(none);
    CHECK(none.find("No history") != std::string::npos);
    CHECK(none.find("<svg") == std::string::npos);
    CHECK(none.find("No fallback client seen yet") != std::string::npos);
    // 48 quiet hours: the chart is drawn, flat, and says there was nothing.
    empty.history = sample_history();
    for (auto &hour : empty.history) hour.counts = {};
    const std::string quiet = snifallback::render_status_html(empty);
    xml_lite::check(quiet);
    CHECK(quiet.find("No connections that cannot be served by name in these hours.") !=
          std::string::npos);
}

TEST_CASE("a client's name is in the JSON (null when unknown) and on the page", "[status]") {
    StatusReport report = sample();
    report.clients.push_back(report.clients[0]);
    report.clients[0].client_name = "Java 17 <SunJSSE>";
    report.clients[1].ja4 = "t12i000000_000000000000_000000000000";
    const auto doc = json_lite::parse(snifallback::render_status_json(report));
    REQUIRE(doc["clients"].items.size() == 2);
    CHECK(doc["clients"].items[0]["client_name"].str() == "Java 17 <SunJSSE>");
    CHECK(doc["clients"].items[1]["client_name"].is_null());
    CHECK(snifallback::render_status_json(report).find("\"client_name\":null") !=
          std::string::npos);
    const std::string html = snifallback::render_status_html(report);
    xml_lite::check(html);
    CHECK(html.find("<td class=\"t\">Java 17 &lt;SunJSSE&gt;</td>") != std::string::npos);
    CHECK(html.find("<i>Java 17 &lt;SunJSSE&gt;</i>") != std::string::npos);  // top fingerprints
    CHECK(html.find("<i></i>") == std::string::npos);  // nothing for the unnamed fingerprint
}

TEST_CASE("top fingerprints group the inventory by JA4", "[status]") {
    std::vector<ClientRow> clients(5);
    const auto set = [&](std::size_t i, const char *ip, const char *ja4, const char *ua,
                         std::uint64_t count, std::int64_t last_seen) {
        clients[i].client_ip = ip;
        clients[i].ja4 = ja4;
        clients[i].user_agent = ua;
        clients[i].count = count;
        clients[i].last_seen_us = last_seen;
    };
    set(0, "192.0.2.1", "t10d_a", "Old/1", 10, 100);
    set(1, "192.0.2.2", "t12d_b", "", 9, 300);
    set(2, "192.0.2.3", "t10d_a", "Old/2", 4, 200);
    set(3, "192.0.2.4", "t12d_b", "Probe/1", 2, 50);
    set(4, "192.0.2.5", "", "", 1, 10);
    const auto rows = snifallback::top_fingerprints(clients, 2);
    REQUIRE(rows.size() == 2);
    CHECK((rows[0].ja4 == "t10d_a" && rows[0].count == 14 && rows[0].addresses == 2));
    CHECK(rows[0].user_agent == "Old/2");  // the most recently seen client's
    CHECK(rows[0].last_seen_us == 200);
    CHECK((rows[1].ja4 == "t12d_b" && rows[1].count == 11 && rows[1].user_agent == "Probe/1"));
    CHECK(snifallback::top_fingerprints(clients, 10).size() == 3);
    CHECK(snifallback::top_fingerprints({}, 10).empty());
}

TEST_CASE("top fingerprints keep the classes of one JA4 apart, and the page shows the class",
          "[status]") {
    std::vector<ClientRow> clients(3);
    const auto set = [&](std::size_t i, const char *ip, const char *client_class,
                         std::uint64_t count) {
        clients[i].client_ip = ip;
        clients[i].client_class = client_class;
        clients[i].ja4 = "t13d311000_e8f1e7e78f70_1f22a2ca17c4";
        clients[i].client_name = "Retro Browser";
        clients[i].count = count;
        clients[i].last_seen_us = 100;
    };
    set(0, "192.0.2.1", "ip-literal", 4);
    set(1, "192.0.2.1", "unknown-name", 2);
    set(2, "192.0.2.2", "ip-literal", 1);
    const auto rows = snifallback::top_fingerprints(clients, 10);
    REQUIRE(rows.size() == 2);
    CHECK((rows[0].client_class == "ip-literal" && rows[0].count == 5 && rows[0].addresses == 2));
    CHECK((rows[1].client_class == "unknown-name" && rows[1].count == 2 && rows[1].addresses == 1));
    CHECK((rows[0].client_name == "Retro Browser" && rows[1].client_name == "Retro Browser"));

    StatusReport report = sample();
    report.clients = clients;
    const std::string html = snifallback::render_status_html(report);
    xml_lite::check(html);
    const std::string top = html.substr(html.find("<h2>Top fingerprints</h2>"));
    CHECK(top.find("<th>class</th>") != std::string::npos);
    CHECK(top.find("<td>ip-literal</td><td class=\"n\">5</td><td class=\"n\">2</td>") !=
          std::string::npos);
    CHECK(top.find("<td>unknown-name</td><td class=\"n\">2</td><td class=\"n\">1</td>") !=
          std::string::npos);
}

TEST_CASE("status HTML shows plain client text whole and cuts text that escapes to much more",
          "[status]") {
    StatusReport report = sample();
    const std::string plain(snifallback::kInventoryUaMax, 'p');
    report.clients[0].user_agent = plain;
    report.clients[0].sni = std::string(snifallback::kInventorySniMax, 's');
    std::string html = snifallback::render_status_html(report);
    CHECK(html.find(plain + "</td>") != std::string::npos);
    CHECK(html.find(report.clients[0].sni + "</td>") != std::string::npos);
    CHECK(html.find("[truncated]") == std::string::npos);
    // 127 '&' would be 635 bytes of HTML: cut to at most twice the budget of 160, with the marker
    report.clients[0].user_agent = std::string(snifallback::kInventoryUaMax, '&');
    html = snifallback::render_status_html(report);
    const std::size_t cell = html.find("&amp;&amp;");
    REQUIRE(cell != std::string::npos);
    const std::size_t end = html.find("</td>", cell);
    CHECK(end - cell <= 320);
    CHECK(html.substr(cell, end - cell).find("...[truncated]") != std::string::npos);
    CHECK(end - cell > 250);  // as much as fits, not a halving
}

TEST_CASE("status HTML stays under 64 KiB at a full inventory, whatever clients sent", "[status]") {
    StatusReport report = sample();
    // 8 vhosts, with long names; totals and hours at their widest numbers.
    while (report.vhosts.size() < 8) {
        report.vhosts.push_back(
            {"www" + std::to_string(report.vhosts.size()) + ".a-rather-long-host-name.example.org",
             Counters{}, "misdirected"});
    }
    for (auto &vhost : report.vhosts) {
        for (auto &value : vhost.counters.values) value = ~std::uint64_t{0};
        for (auto &value : vhost.counters.requests) value = ~std::uint64_t{0} / 64;
    }
    for (auto &value : report.total.values) value = ~std::uint64_t{0};
    for (auto &value : report.total.requests) value = ~std::uint64_t{0} / 64;
    for (auto &hour : report.history) {
        for (auto &count : hour.counts) count = snifallback::kHistoryMaxCount;
    }
    for (auto &day : report.history_daily) {
        for (auto &count : day.counts) count = snifallback::kHistoryMaxCount;
    }
    const auto fill = [](std::size_t bytes, char c) { return std::string(bytes, c); };
    // Each filler escapes to the most characters some way: '&' in HTML, '"' in both, a control
    // byte in JSON, an invalid byte as \ufffd.
    for (const char c : {'&', '"', '<', '\x01', '\xff', 'a'}) {
        report.clients.assign(snifallback::kInventoryMaxCapacity, ClientRow{});
        for (std::size_t i = 0; i < report.clients.size(); ++i) {
            ClientRow &client = report.clients[i];
            client.client_ip = fill(snifallback::kInventoryIpMax, c);
            client.client_class = "unknown-name";
            client.sni = fill(snifallback::kInventorySniMax, c);
            // distinct JA4s, so the fingerprint table is full too
            client.ja4 = std::to_string(i) + fill(snifallback::kInventoryJa4Max - 4, c);
            client.user_agent = fill(snifallback::kInventoryUaMax, c);
            client.client_name = fill(4 * 1024, c);  // SNIFallbackClientNames: 4 columns of 1 KiB
            client.count = ~std::uint64_t{0} - i;
            client.first_seen_us = client.last_seen_us = 1'700'000'000'000'000;
        }
        const std::string html = snifallback::render_status_html(report);
        INFO("filler byte " << static_cast<int>(static_cast<unsigned char>(c)) << ": "
                            << html.size() << " bytes");
        CHECK(html.size() < snifallback::status_page_max_bytes);
        xml_lite::check(html);
        CHECK(html.find("the JSON</a> lists them all") != std::string::npos);
    }
}

TEST_CASE("mod_status auto lines", "[status]") {
    const std::string text = snifallback::render_status_auto(sample().total);
    CHECK(text.find("SNIFallbackConnectionsTLS: 57\n") != std::string::npos);
    CHECK(text.find("SNIFallbackConnectionsNoSNI: 30\n") != std::string::npos);
    CHECK(text.find("SNIFallbackRequestsNotice: 5\n") != std::string::npos);
    CHECK(text.find("SNIFallbackRequestsReported: 2\n") != std::string::npos);
}

TEST_CASE(
    "every counter of the tables is in the JSON, the HTML page, the ?auto lines and "
    "Prometheus",
    "[status]") {
    snifallback::StatusReport report;
    // Distinct values, so a counter rendered in another's place is caught.
    for (std::size_t i = 0; i < snifallback::counter_count; ++i) report.total.values[i] = 1000 + i;
    for (std::size_t i = 0; i < snifallback::request_cell_count; ++i) {
        report.total.requests[i] = std::uint64_t{1} << i;
    }
    const std::string json = snifallback::render_status_json(report);
    const std::string html = snifallback::render_status_html(report);
    const std::string lines = snifallback::render_status_auto(report.total);
    const std::string metrics = snifallback::render_status_prometheus(report);
    const auto doc = json_lite::parse(json);
    CHECK(doc["version"].text == SNIFALLBACK_VERSION);
    const auto check = [&](const char *group, std::string_view key, std::string_view label,
                           std::string_view auto_key, std::uint64_t value) {
        const std::string text = std::to_string(value);
        CHECK(doc[group][std::string(key)].text == text);
        CHECK(lines.find(std::string(auto_key) + ": " + text + "\n") != std::string::npos);
        CHECK(html.find("<th>" + std::string(label) + "</th><td class=\"n\">" + text) !=
              std::string::npos);
    };
    std::set<std::string> series;
    for (const auto &counter : snifallback::counter_descriptions) {
        check(snifallback::counter_group_key(counter.group), counter.key, counter.label,
              counter.auto_key, report.total[counter.id]);
        const std::string name = snifallback::prometheus_counter_series(counter.id);
        INFO(name);
        CHECK(series.insert(name).second);  // no two counters share a series
        const std::string line = name + ' ' + std::to_string(report.total[counter.id]) + '\n';
        const std::size_t at = metrics.find(line);
        CHECK(at != std::string::npos);
        CHECK(metrics.find(line, at + 1) == std::string::npos);
    }
    // and Prometheus has no counter sample beside them but the requests and the inventory
    std::size_t samples = 0;
    for (std::size_t start = 0; start < metrics.size();) {
        const std::size_t end = metrics.find('\n', start);
        const std::string line = metrics.substr(start, end - start);
        start = end + 1;
        if (line.empty() || line[0] == '#' || line.rfind("snifallback_build_info", 0) == 0 ||
            line.rfind("snifallback_inventory_", 0) == 0 ||
            line.rfind("snifallback_fallback_requests_total", 0) == 0) {
            continue;
        }
        ++samples;
    }
    CHECK(samples == snifallback::counter_count);
    for (const auto &total : snifallback::request_total_descriptions) {
        check("requests", total.key, total.label, total.auto_key, report.total.total(total.id));
    }
    CHECK(html.find("mod_snifallback/" SNIFALLBACK_VERSION) != std::string::npos);
}

TEST_CASE("request cells: every combination has its own cell", "[status]") {
    std::vector<bool> seen(snifallback::request_cell_count, false);
    for (ClientClass c : snifallback::fallback_classes) {
        for (Decision::Kind action : snifallback::decision_kinds) {
            for (bool enforced : {false, true}) {
                const std::size_t index = snifallback::request_cell_index({c, action, enforced});
                REQUIRE(index < seen.size());
                CHECK_FALSE(seen[index]);
                seen[index] = true;
                const auto back = snifallback::request_cell_at(index);
                CHECK((back.client_class == c && back.action == action &&
                       back.enforced == enforced));
            }
        }
    }
}

TEST_CASE("class counters follow the class and the handshake stage", "[status]") {
    using snifallback::HandshakeStage;
    CHECK(snifallback::class_counter(ClientClass::ip_literal, HandshakeStage::failed) ==
          Counter::ip_literal_failed);
    CHECK(snifallback::class_counter(ClientClass::unknown_name, HandshakeStage::hello) ==
          Counter::unknown_name);
    CHECK(snifallback::class_counter(ClientClass::no_sni, HandshakeStage::established) ==
          Counter::no_sni_established);
}

TEST_CASE("Prometheus exposition: every family described, counters end in _total", "[status]") {
    StatusReport report = sample();
    report.vhosts.push_back({"evil\"\\\n}.test\xff", Counters{}, ""});
    report.vhosts.back().counters[{ClientClass::unknown_name, Decision::Kind::none, false}] = 7;
    report.inventory_capacity = 64;
    const std::string text = snifallback::render_status_prometheus(report);
    CHECK(text.find("snifallback_build_info{version=\"" SNIFALLBACK_VERSION "\"} 1\n") !=
          std::string::npos);
    CHECK(text.find("snifallback_tls_connections_total 57\n") != std::string::npos);
    CHECK(text.find("snifallback_fallback_hellos_total{class=\"ip-literal\"} 2\n") !=
          std::string::npos);
    CHECK(text.find("snifallback_fallback_connections_total{class=\"no-sni\","
                    "outcome=\"established\"} 29\n") != std::string::npos);
    CHECK(text.find("snifallback_fallback_requests_total{vhost=\"b.test\",class=\"ip-literal\","
                    "action=\"notice\",enforced=\"false\"} 2\n") != std::string::npos);
    // A ServerName cannot break a line or a label: \, " and newline escaped, bad UTF-8 replaced.
    CHECK(text.find("vhost=\"evil\\\"\\\\\\n}.test\xef\xbf\xbd\",class=\"unknown-name\","
                    "action=\"none\",enforced=\"false\"} 7\n") != std::string::npos);
    CHECK(text.find("enforced=\"true\"} 0") == std::string::npos);  // zero cells left out
    CHECK(text.find("snifallback_inventory_clients 1\n") != std::string::npos);
    CHECK(text.find("snifallback_inventory_capacity 64\n") != std::string::npos);
    // Every sample's family has HELP and TYPE lines before it; counters end in _total.
    std::string current;
    std::size_t start = 0;
    while (start < text.size()) {
        const std::size_t end = text.find('\n', start);
        const std::string line = text.substr(start, end - start);
        start = end + 1;
        if (line.rfind("# TYPE ", 0) == 0) {
            current = line.substr(7, line.find(' ', 7) - 7);
            const bool counter = line.substr(line.rfind(' ') + 1) == "counter";
            CHECK(counter == (current.size() > 6 && current.substr(current.size() - 6) == "_total"));
            continue;
        }
        if (line.rfind("# HELP ", 0) == 0) continue;
        INFO(line);
        CHECK(line.rfind(current, 0) == 0);
    }
}

TEST_CASE("names that read the same once escaped are one series and one JSON key", "[status]") {
    // Both names become "inv\uFFFDalid": Prometheus would keep one of two equal series, a JSON
    // parser one of two equal keys, and drop the other's counts.
    StatusReport report;
    const snifallback::RequestCell cell{ClientClass::no_sni, Decision::Kind::none, false};
    for (const char *name : {"inv\xff" "alid", "b.test", "inv\xfe" "alid"}) {
        report.vhosts.push_back({name, Counters{}, ""});
    }
    report.vhosts[0].counters[cell] = 1;
    report.vhosts[1].counters[cell] = 5;
    report.vhosts[2].counters[cell] = 2;
    const std::string text = snifallback::render_status_prometheus(report);
    const std::string merged = "snifallback_fallback_requests_total{vhost=\"inv\xef\xbf\xbd"
                               "alid\",class=\"no-sni\",action=\"none\",enforced=\"false\"} ";
    const std::size_t at = text.find(merged);
    REQUIRE(at != std::string::npos);
    CHECK(text.compare(at + merged.size(), 2, "3\n") == 0);
    CHECK(text.find(merged, at + 1) == std::string::npos);
    // the first name's place, then b.test
    CHECK(at < text.find("vhost=\"b.test\""));
    // the strict reader refuses a duplicate key
    const auto doc = json_lite::parse(snifallback::render_status_json(report));
    REQUIRE(doc["vhosts"].members.size() == 2);
    CHECK(doc["vhosts"].members[0].first == "inv\xef\xbf\xbd" "alid");
    CHECK(doc["vhosts"].members[0].second["requests"]["none"].text == "3");
    CHECK(doc["vhosts"].members[1].first == "b.test");
    // and the HTML page: one column each, the merged one with the sum
    const std::string html = snifallback::render_status_html(report);
    const std::size_t table = html.find("<h2>Totals since start</h2>");
    REQUIRE(table != std::string::npos);
    const std::string head = html.substr(table, html.find("</tr>", table) - table);
    std::size_t columns = 0;
    for (std::size_t th = head.find("<th>"); th != std::string::npos;
         th = head.find("<th>", th + 1)) {
        ++columns;
    }
    CHECK(columns == 2 + 2);  // the row heading, "all", two vhosts
    CHECK(html.find("<th>no-SNI requests</th><td class=\"n\">0</td><td class=\"n\">3</td>"
                    "<td class=\"n\">5</td></tr>") != std::string::npos);
}
