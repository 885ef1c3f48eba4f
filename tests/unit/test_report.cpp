#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "core/client_names.h"
#include "core/report.h"
#include "core/report_render.h"
#include "json_lite.h"
#include "xml_lite.h"

using snifallback::parse_report_time;
using snifallback::Report;
using snifallback::ReportAggregator;
using snifallback::ReportEvent;
using snifallback::ReportInput;
using snifallback::ReportOptions;
using snifallback::ReportRow;

namespace {

constexpr std::int64_t day_us = 86'400'000'000;
const std::int64_t t0 = *parse_report_time("2026-11-20T10:00:00Z");

ReportInput handshake(std::int64_t t, const char *cls, const char *ja4, const char *ip,
                      const char *outcome = "established", const char *server = "web1") {
    ReportInput r;
    r.time_us = t;
    r.event = ReportEvent::handshake;
    r.sni_class = cls;
    r.ja4 = ja4;
    r.client_ip = ip;
    r.outcome = outcome;
    r.vhost = "default.test";
    r.cert_vhost = "legacy.test";
    r.server = server;
    return r;
}

ReportInput request(std::int64_t t, const char *cls, const char *ja4, const char *ip,
                    const char *host, const char *action, bool enforced, int status,
                    const char *ua = "curl/7.88.1", const char *server = "web1") {
    ReportInput r = handshake(t, cls, ja4, ip, "established", server);
    r.event = ReportEvent::request;
    r.host = host;
    r.action = action;
    r.enforced = enforced;
    r.status = status;
    r.user_agent = ua;
    return r;
}

const ReportRow &row(const Report &report, const std::string &cls, const std::string &ja4) {
    for (const ReportRow &r : report.rows) {
        if (r.sni_class == cls && r.ja4 == ja4) return r;
    }
    FAIL("no row " << cls << " " << ja4);
    throw 0;
}

}  // namespace

TEST_CASE("report: one row per class and JA4 with its counts") {
    ReportAggregator agg(ReportOptions{});
    agg.add(handshake(t0, "no-sni", "A", "192.0.2.1"));
    agg.add(request(t0 + 1, "no-sni", "A", "192.0.2.1", "a.test", "none", false, 200, "Old/1.0"));
    agg.add(request(t0 + 2, "no-sni", "A", "192.0.2.1", "a.test", "notice", false, 200, "Old/1.1"));
    agg.add(handshake(t0 + day_us, "no-sni", "A", "192.0.2.2", "alert:unknown_ca", "web2"));
    agg.add(request(t0 + day_us + 5, "no-sni", "A", "192.0.2.2", "b.test", "notice", true, 403,
                    "Old/1.2", "web2"));
    agg.add(request(t0 + 2 * day_us, "no-sni", "A", "192.0.2.2", "b.test", "exempt", false, 200, "",
                    "web2"));
    // the latest User-Agent wins by time, not by order of reading
    agg.add(request(t0 + 3, "no-sni", "A", "192.0.2.1", "a.test", "none", false, 404, "Older"));
    agg.add(handshake(t0, "ip-literal", "A", "192.0.2.9"));
    ReportInput probe = request(t0, "no-sni", "A", "192.0.2.1", "a.test", "none", false, 204);
    probe.event = ReportEvent::probe;
    agg.add(probe);
    CHECK(agg.clients() == 2);

    const Report report = agg.finish(nullptr);
    REQUIRE(report.rows.size() == 2);
    CHECK(report.records == 9);
    CHECK(report.matched == 9);
    CHECK(report.probes == 1);
    const ReportRow &a = row(report, "no-sni", "A");
    CHECK(a.connections == 2);
    CHECK(a.failed == 1);
    CHECK(a.requests == 5);
    CHECK(a.breaks == 2);  // none 200 and a reported notice 200; not 403, not exempt, not 404
    CHECK(a.addresses == 2);
    CHECK_FALSE(a.addresses_estimated);
    CHECK(a.servers == std::vector<std::string>{"web1", "web2"});
    CHECK(a.days == 3);
    CHECK(a.first_us == t0);
    CHECK(a.last_us == t0 + 2 * day_us);
    CHECK(a.user_agent == "Old/1.2");
    REQUIRE(a.hosts.size() == 2);
    CHECK(a.hosts[0] == std::make_pair(std::string("a.test"), std::uint64_t{3}));
    CHECK(a.hosts[1] == std::make_pair(std::string("b.test"), std::uint64_t{2}));
    const std::vector<std::pair<std::string, std::uint64_t>> got = {{"none 200", 1},
                                                                    {"notice (reported) 200", 1},
                                                                    {"notice 403", 1},
                                                                    {"exempt 200", 1},
                                                                    {"none 404", 1}};
    CHECK(a.got == got);

    // the servers' totals and the daily trend
    REQUIRE(report.servers.size() == 2);
    CHECK(report.servers[0].server == "web1");
    CHECK(report.servers[0].connections == 2);
    CHECK(report.servers[0].requests == 3);
    CHECK(report.servers[0].clients == 2);
    CHECK(report.servers[1].failed == 1);
    REQUIRE(report.days.size() == 3);
    CHECK(snifallback::format_day(report.days[0].day) == "2026-11-20");
    CHECK(report.days[0].connections[0] == 1);
    CHECK(report.days[0].connections[1] == 1);
    CHECK(report.days[0].requests[0] == 3);
    CHECK(report.days[2].requests[0] == 1);
}

TEST_CASE("report: sorted by what breaks most if enforced today") {
    ReportAggregator agg(ReportOptions{});
    // C: many connections, but every request already gets the enforced notice
    for (int i = 0; i < 10; ++i) {
        agg.add(handshake(t0 + i, "no-sni", "C", "192.0.2.3"));
        agg.add(request(t0 + i, "no-sni", "C", "192.0.2.3", "a.test", "notice", true, 403));
    }
    // B: two working requests from one address; D: two from two addresses
    for (int i = 0; i < 2; ++i) {
        agg.add(request(t0 + i, "no-sni", "B", "192.0.2.4", "a.test", "none", false, 200));
        agg.add(request(t0 + i, "unknown-name", "D", i ? "192.0.2.5" : "192.0.2.6", "a.test",
                        "redirect", false, 200));
    }
    // E: one working request
    agg.add(request(t0, "ip-literal", "E", "192.0.2.7", "a.test", "vhost", true, 200));
    const Report report = agg.finish(nullptr);
    std::vector<std::string> order;
    for (const ReportRow &r : report.rows) order.push_back(r.ja4);
    CHECK(order == std::vector<std::string>{"D", "B", "E", "C"});
}

TEST_CASE("report: filters by time, vhost, class and server") {
    ReportOptions options;
    options.filter.since_us = t0;
    options.filter.until_us = t0 + day_us;
    options.filter.vhosts = {"A.TEST", "legacy.test"};
    options.filter.classes = {"no-sni"};
    options.filter.servers = {"web1"};
    ReportAggregator agg(options);
    agg.add(handshake(t0 - 1, "no-sni", "X", "192.0.2.1"));       // before
    agg.add(handshake(t0 + day_us, "no-sni", "X", "192.0.2.1"));  // at until: excluded
    agg.add(handshake(t0, "no-sni", "X", "192.0.2.1"));           // cert_vhost legacy.test: kept
    agg.add(request(t0, "no-sni", "X", "192.0.2.1", "a.test", "none", false, 200));      // kept
    agg.add(request(t0, "no-sni", "X", "192.0.2.1", "b.test", "none", false, 200));      // vhost
    agg.add(request(t0, "ip-literal", "X", "192.0.2.1", "a.test", "none", false, 200));  // class
    agg.add(request(t0, "no-sni", "X", "192.0.2.1", "a.test", "none", false, 200, "u",
                    "web2"));                               // server
    ReportInput old = handshake(t0, "", "X", "192.0.2.1");  // no sni_class: an old no-SNI record
    agg.add(old);
    const Report report = agg.finish(nullptr);
    CHECK(report.records == 8);
    CHECK(report.matched == 3);
    REQUIRE(report.rows.size() == 1);
    CHECK(report.rows[0].connections == 2);
    CHECK(report.rows[0].requests == 1);
}

TEST_CASE("report: per server rows, names, and bounded lists") {
    ReportOptions options;
    options.per_server = true;
    ReportAggregator agg(options);
    for (int i = 0; i < 40; ++i) {
        const std::string host = "h" + std::to_string(i) + ".test";
        agg.add(request(t0, "no-sni", "t13i181000_85036bcba153_d41ae481755e", "192.0.2.1",
                        host.c_str(), "none", false, 200, "py", i % 2 ? "web1" : "web2"));
    }
    snifallback::ClientNames names;
    names.add_csv("Application,Library,ja4\n,Python,t13i181000_85036bcba153_d41ae481755e\n");
    const Report report = agg.finish(&names);
    REQUIRE(report.rows.size() == 2);
    for (const ReportRow &r : report.rows) {
        CHECK(r.name == "Python");
        CHECK(r.requests == 20);
        CHECK(r.hosts.size() == ReportAggregator::max_listed);
        CHECK(r.other_hosts == 20 - ReportAggregator::max_listed);
        CHECK(r.servers == std::vector<std::string>{r.server});
    }
}

TEST_CASE("report: distinct addresses exact up to the limit, then an estimate") {
    snifallback::DistinctCounter counter;
    for (int i = 0; i < 200; ++i) counter.add("10.0.0." + std::to_string(i % 100));
    CHECK(counter.count() == 100);
    CHECK_FALSE(counter.estimated());
    for (int i = 0; i < 20000; ++i)
        counter.add("10.1." + std::to_string(i / 256) + "." + std::to_string(i % 256));
    CHECK(counter.estimated());
    const double n = static_cast<double>(counter.count());
    CHECK(n > 20100 * 0.9);
    CHECK(n < 20100 * 1.1);
    // 1,000 addresses more, each many times: the estimate barely moves
    snifallback::DistinctCounter small;
    for (int r = 0; r < 5; ++r) {
        for (int i = 0; i < 1000; ++i) small.add("192.0.2." + std::to_string(i));
    }
    CHECK(small.count() > 900);
    CHECK(small.count() < 1100);
}

TEST_CASE("report: times, days, syslog prefixes and servers from file names") {
    CHECK(parse_report_time("2026-11-23T08:01:02.345Z") ==
          *parse_report_time("2026-11-23") + (8 * 3600 + 62) * 1'000'000LL + 345'000);
    CHECK(parse_report_time("2026-11-23T09:01:02+01:00") ==
          parse_report_time("2026-11-23T08:01:02Z"));
    CHECK(parse_report_time("2026-11-23T08:01:02.123456Z").value() % 1'000'000 == 123'456);
    CHECK_FALSE(parse_report_time("2026-02-30"));
    CHECK_FALSE(parse_report_time("2026-11-23T08:01Z"));
    CHECK_FALSE(parse_report_time("yesterday"));
    CHECK(snifallback::format_day(*parse_report_time("2028-02-29") / day_us) == "2028-02-29");
    CHECK(snifallback::format_day(0) == "1970-01-01");

    using snifallback::split_syslog_prefix;
    auto s = split_syslog_prefix("{\"a\":1}");
    CHECK_FALSE(s.has_prefix);
    CHECK(s.record == "{\"a\":1}");
    s = split_syslog_prefix("Nov 23 08:01:02 web1 apache2: {\"a\":1}");
    CHECK(s.host == "web1");
    CHECK(s.record == "{\"a\":1}");
    s = split_syslog_prefix("2026-11-23T08:01:02.345+00:00 web-2.example apache2[123]: {\"a\":1}");
    CHECK(s.host == "web-2.example");
    s = split_syslog_prefix("<134>1 2026-11-23T08:01:02Z web3 apache2 123 - - {\"a\":1}");
    CHECK(s.host == "web3");
    s = split_syslog_prefix("Nov 23 08:01:02 {\"a\":1}");
    CHECK(s.host.empty());
    s = split_syslog_prefix("garbage without a record");
    CHECK(s.record.empty());

    using snifallback::server_from_path;
    CHECK(server_from_path("-") == "stdin");
    CHECK(server_from_path("nosni.log") == "nosni.log");
    CHECK(server_from_path("/var/log/web1/nosni.log.2.gz") == "web1/nosni.log");
    CHECK(server_from_path("web1/nosni.log-20261123.gz") == "web1/nosni.log");
    CHECK(server_from_path("logs/web2/nosni.log.1") == "web2/nosni.log");
}

TEST_CASE("report renderings: JSON valid, HTML well-formed without script, text escaped") {
    ReportAggregator agg(ReportOptions{});
    agg.add(handshake(t0, "no-sni", "A", "192.0.2.1"));
    agg.add(request(t0, "no-sni", "A", "192.0.2.1", "<b>x</b>.test", "none", false, 200,
                    "evil\x1b[31m\"<script>alert(1)</script>"));
    agg.add(handshake(t0 + 3 * day_us, "unknown-name", "=cmd", "192.0.2.2"));
    const Report report = agg.finish(nullptr);
    snifallback::ReportInputSummary input;
    input.files = {"a.log"};
    input.lines = 4;
    input.bad_lines = 1;
    input.problems = {{"a.log", 4, "not JSON"}, {"b.gz", 0, "truncated gzip file"}};

    const auto json = json_lite::parse(snifallback::render_report_json(report, input));
    REQUIRE(json.at("clients").items.size() == 2);
    CHECK(json.at("clients").items[0].at("user_agent").str() ==
          "evil\x1b[31m\"<script>alert(1)</script>");
    CHECK(json.at("input").at("problems").items.size() == 2);
    CHECK(json.at("daily").items.size() == 4);  // quiet days included

    const std::string html = snifallback::render_report_html(report, input);
    bool svg = false;
    for (const auto &element : xml_lite::check(html)) {
        CHECK(element.name != "script");
        CHECK(element.name != "link");
        CHECK(element.name != "img");
        if (element.name == "svg") svg = true;
    }
    CHECK(svg);
    CHECK(html.find("<script>") == std::string::npos);
    CHECK(html.find("&lt;script&gt;") != std::string::npos);
    CHECK(html.find("http-equiv=\"Content-Security-Policy\"") != std::string::npos);

    const std::string text = snifallback::render_report_text(report, input);
    CHECK(text.find('\x1b') == std::string::npos);
    CHECK(text.find("evil\\x1b[31m") != std::string::npos);

    const std::string csv = snifallback::render_report_csv(report);
    CHECK(csv.find("\"'=cmd\"") != std::string::npos);  // no formula for a spreadsheet
    CHECK(csv.find('\x1b') == std::string::npos);
}

TEST_CASE("report: a client on many servers names the first ones and counts them all") {
    ReportAggregator agg(ReportOptions{});
    std::vector<std::string> servers;
    for (int i = 0; i < 40; ++i) servers.push_back("web" + std::to_string(100 + i));
    for (int round = 0; round < 2; ++round) {
        for (const std::string &server : servers) {
            ReportInput r = handshake(t0, "no-sni", "A", "192.0.2.1");
            r.server = server;
            agg.add(r);
        }
    }
    const Report report = agg.finish(nullptr);
    REQUIRE(report.rows.size() == 1);
    CHECK(report.rows[0].servers.size() == ReportAggregator::max_servers_listed);
    CHECK(report.rows[0].servers.front() == "web100");
    CHECK(report.rows[0].more_servers == 40 - ReportAggregator::max_servers_listed);
    CHECK(report.rows[0].connections == 80);
    CHECK(report.servers.size() == 40);
}
