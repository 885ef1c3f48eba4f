// Reading logfmt records back (core/logfmt_reader.h, read_logfmt_record in core/report.h): lines
// written by the module's own writer (render_logfmt) with hostile values read back to the same
// bytes; malformed lines give a reason and never read outside the line.
#include <catch2/catch.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/escape.h"
#include "core/logfmt_reader.h"
#include "core/record.h"
#include "core/report.h"
#include "sample_record.h"

using snifallback::decode_logfmt_value;
using snifallback::LogfmtField;
using snifallback::parse_logfmt_line;
using snifallback::Record;
using snifallback::split_logfmt_list;

namespace {

using namespace std::string_literals;

std::string without_newline(std::string line) {
    REQUIRE(!line.empty());
    REQUIRE(line.back() == '\n');
    line.pop_back();
    return line;
}

const LogfmtField *find(const std::vector<LogfmtField> &fields, std::string_view key) {
    for (const LogfmtField &f : fields) {
        if (f.key == key) return &f;
    }
    return nullptr;
}

// The value of `key` as a reader gets it: nullopt when absent.
std::optional<std::string> value_of(const std::vector<LogfmtField> &fields, std::string_view key) {
    const LogfmtField *f = find(fields, key);
    REQUIRE(f != nullptr);
    if (f->absent) return std::nullopt;
    std::string out;
    REQUIRE(decode_logfmt_value(f->raw, out));
    return out;
}

struct TextMember {
    std::string_view key;
    Record::Text Record::*member;
    std::size_t limit;
};

using L = snifallback::RecordLimits;
const TextMember text_members[] = {
    {"event", &Record::event, L::event},
    {"client_ip", &Record::client_ip, L::client_ip},
    {"peer_ip", &Record::peer_ip, L::peer_ip},
    {"local_ip", &Record::local_ip, L::local_ip},
    {"vhost", &Record::vhost, L::vhost},
    {"cert_vhost", &Record::cert_vhost, L::cert_vhost},
    {"sni_class", &Record::sni_class, L::sni_class},
    {"sni", &Record::sni, L::sni},
    {"tls_offered_max", &Record::tls_offered_max, L::tls_offered_max},
    {"tls_version", &Record::tls_version, L::tls_version},
    {"cipher", &Record::cipher, L::cipher},
    {"ja3", &Record::ja3, L::ja3},
    {"ja3_hash", &Record::ja3_hash, L::ja3_hash},
    {"ja4", &Record::ja4, L::ja4},
    {"client_name", &Record::client_name, L::client_name},
    {"outcome", &Record::outcome, L::outcome},
    {"source", &Record::source, L::source},
    {"host", &Record::host, L::host},
    {"method", &Record::method, L::method},
    {"uri", &Record::uri, L::uri},
    {"protocol", &Record::protocol, L::protocol},
    {"user_agent", &Record::user_agent, L::user_agent},
    {"action", &Record::action, L::action},
    {"reason", &Record::reason, L::reason},
    {"target", &Record::target, L::target},
};

// What a value reads back as: itself when its escaped form fits its limit, else the longest
// prefix the writer kept (whole units) and the marker. Checked as: the read value is the raw
// value, or a prefix of it followed by the marker.
void check_text(const std::optional<std::string> &got, const Record::Text &want) {
    REQUIRE(got.has_value() == want.has_value());
    if (!want) return;
    if (*got == *want) return;
    const std::string_view marker = snifallback::truncation_marker;
    REQUIRE(got->size() >= marker.size());
    CHECK(std::string_view(*got).substr(got->size() - marker.size()) == marker);
    const std::string kept = got->substr(0, got->size() - marker.size());
    CHECK(want->compare(0, kept.size(), kept) == 0);
}

// Reads a rendered record back and compares every field.
void check_round_trip(const Record &record) {
    const std::string line = without_newline(snifallback::render_logfmt(record));
    CAPTURE(line);
    std::vector<LogfmtField> fields;
    REQUIRE(parse_logfmt_line(line, fields).empty());
    REQUIRE(fields.size() == snifallback::record_keys(record).size());
    for (const TextMember &m : text_members) {
        if (find(fields, m.key) == nullptr) continue;  // not in this event's group
        CAPTURE(m.key);
        check_text(value_of(fields, m.key), record.*m.member);
    }
    const LogfmtField *alpn = find(fields, "alpn");
    REQUIRE(alpn != nullptr);
    REQUIRE(alpn->absent == !record.alpn.has_value());
    if (record.alpn) {
        std::vector<std::string> items;
        REQUIRE(split_logfmt_list(alpn->raw, items));
        const std::vector<std::string> &want = *record.alpn;
        REQUIRE(items.size() <= want.size() + 1);
        for (std::size_t i = 0; i < items.size(); ++i) {
            if (i < want.size() && items[i] == want[i]) continue;
            // cut: the element's prefix and the marker, or the marker element that ends the list
            if (items[i] == snifallback::truncation_marker) continue;
            check_text(items[i], want[i]);
        }
    }
    const auto integer = [&](std::string_view key, const Record::Integer &want) {
        const LogfmtField *f = find(fields, key);
        if (f == nullptr) return;
        CHECK_FALSE(f->quoted);
        CHECK(f->absent == !want.has_value());
        if (want) CHECK(f->raw == std::to_string(*want));
    };
    integer("client_port", record.client_port);
    integer("local_port", record.local_port);
    integer("status", record.status);
    if (const LogfmtField *f = find(fields, "enforced")) {
        CHECK(f->absent == !record.enforced.has_value());
        if (record.enforced) CHECK(f->raw == (*record.enforced ? "true" : "false"));
    }
}

// The sample request of sample_record.h, as the tests here want it.
Record sample() {
    Record r = sample_request();
    r.host = "a.test";
    r.action = "notice";
    r.enforced = false;
    r.reason = std::nullopt;
    return r;
}

}  // namespace

TEST_CASE("logfmt reader: the writer's hostile values read back to the same bytes") {
    const std::string hostile =
        GENERATE(as<std::string>{}, "",  //
                 "a b", "a\"b", "a\\b", "a=b", "=", "\"", "\\", " ", "\\x41 not an escape",
                 "tab\there", "cr\rlf\n", "nul\0byte"s, "\x1b[31mred", "del\x7f",
                 "\xff\xfe not UTF-8", "\xc3\xa9t\xc3\xa9",  // été
                 "\xc2\x85 C1", "\xe2\x80\xa8 U+2028", "\xed\xa0\x80 surrogate",
                 "\xf0\x9f\x98\x80 emoji", "comma, and \\_", "ends with a backslash\\",
                 std::string(3000, 'x'), std::string(600, '"'), std::string(600, '\x01'));
    CAPTURE(hostile);
    Record r = sample();
    for (const TextMember &m : text_members) {
        if (m.key == "event") continue;  // decides which keys are written
        r.*m.member = hostile;
    }
    r.alpn = std::vector<std::string>{hostile, "", "h2", hostile + "," + hostile};
    check_round_trip(r);
    // and in the handshake group, and with everything absent
    r.event = "handshake";
    check_round_trip(r);
    Record empty;
    empty.event = hostile;
    check_round_trip(empty);
}

TEST_CASE("logfmt reader: lists, absent, empty, integers and booleans") {
    Record r = sample();
    r.alpn = std::vector<std::string>{};
    std::string line = without_newline(snifallback::render_logfmt(r));
    std::vector<LogfmtField> fields;
    REQUIRE(parse_logfmt_line(line, fields).empty());
    std::vector<std::string> items{"stale"};
    REQUIRE(split_logfmt_list(find(fields, "alpn")->raw, items));
    CHECK(items.empty());
    r.alpn = std::vector<std::string>{""};
    r.sni = "";
    r.reason = std::nullopt;
    r.status = -1;
    r.enforced = true;
    line = without_newline(snifallback::render_logfmt(r));
    REQUIRE(parse_logfmt_line(line, fields).empty());
    REQUIRE(split_logfmt_list(find(fields, "alpn")->raw, items));
    CHECK(items == std::vector<std::string>{""});
    CHECK(value_of(fields, "sni") == std::optional<std::string>(""));
    CHECK(find(fields, "sni")->quoted);
    CHECK(value_of(fields, "reason") == std::nullopt);
    CHECK(find(fields, "status")->raw == "-1");
    CHECK(find(fields, "enforced")->raw == "true");
    check_round_trip(r);
    // \_ only as a whole element
    CHECK_FALSE(split_logfmt_list("a\\_", items));
    CHECK_FALSE(split_logfmt_list("a,,b", items));
    CHECK(split_logfmt_list("a\\x2cb,\\_", items));
    CHECK(items == std::vector<std::string>{"a,b", ""});
}

TEST_CASE("logfmt reader: random bytes round trip") {
    std::mt19937 random(20261203);
    std::uniform_int_distribution<int> byte(0, 255), length(0, 700), pick(0, 9);
    const char interesting[] = {'"', '\\', '=', ' ', ',', '\n', '_', 'x', '\xe2', '\x80'};
    for (int round = 0; round < 400; ++round) {
        Record r = sample();
        for (const TextMember &m : text_members) {
            if (m.key == "event") continue;
            std::string value;
            const int n = length(random) / (m.limit < 64 ? 10 : 1);
            for (int i = 0; i < n; ++i) {
                value.push_back(pick(random) < 5 ? interesting[pick(random)]
                                                 : static_cast<char>(byte(random)));
            }
            r.*m.member = value;
        }
        r.alpn = std::vector<std::string>{*r.host, *r.method, ""};
        check_round_trip(r);
    }
}

TEST_CASE("logfmt reader: malformed lines give a reason") {
    auto [line, reason] = GENERATE(table<std::string, std::string>({
        {"time", "a word without '=': \"time\""},
        {"a=1 b", "a word without '=': \"b\""},
        {"=1", "an empty key"},
        {"a=1 =2", "an empty key"},
        {"a=\"unterminated", "unterminated quoted value of \"a\""},
        {"a=\"ends in a backslash\\\"", "unterminated quoted value of \"a\""},
        {"a=\"bad \\q escape\"", "an invalid escape in the value of \"a\""},
        {"a=\"short \\x4\"", "an invalid escape in the value of \"a\""},
        {"a=\"not hex \\xg0\"", "an invalid escape in the value of \"a\""},
        {"a=\"trailing \\", "an invalid escape in the value of \"a\""},
        {"a=\"x\"y", "text after the closing quote of \"a\""},
        {"a=b\"c", "an unquoted value with '\"', '=' or '\\' in \"a\""},
        {"a=b=c", "an unquoted value with '\"', '=' or '\\' in \"a\""},
        {"a=b\\n", "an unquoted value with '\"', '=' or '\\' in \"a\""},
        {"a=\"tab\tin quotes\"", "a control byte in the value of \"a\""},
        {"a=nul\0"s, "a control byte in the value of \"a\""},
        {"k\"ey=1", "a quote, backslash or control byte in the key \"k\""},
        {"\"key\"=1", "a quote, backslash or control byte where a key should start"},
        {"a=1 b=2 a=3", "the key \"a\" twice"},
        {"a= a=", "the key \"a\" twice"},
    }));
    CAPTURE(line);
    std::vector<LogfmtField> fields;
    CHECK(parse_logfmt_line(line, fields) == reason);
}

TEST_CASE("logfmt reader: every cut of a record is read or refused, never past its end") {
    Record r = sample();
    r.user_agent = "a \"quoted\" \\ agent\x01";
    r.alpn = std::vector<std::string>{"h2", "", "a,b"};
    const std::string line = without_newline(snifallback::render_logfmt(r));
    std::vector<LogfmtField> fields;
    snifallback::ReportFields report;
    snifallback::LogfmtScratch scratch;
    for (std::size_t cut = 0; cut <= line.size(); ++cut) {
        // a copy of exactly `cut` bytes: a read past it is a heap overflow under ASan
        const std::string piece = line.substr(0, cut);
        (void)parse_logfmt_line(piece, fields);
        (void)snifallback::read_logfmt_record(piece, report, scratch);
        for (const LogfmtField &f : fields) {
            std::string out;
            (void)decode_logfmt_value(f.raw, out);
            std::vector<std::string> items;
            (void)split_logfmt_list(f.raw, items);
        }
    }
    SUCCEED("no crash");
}

TEST_CASE("logfmt reader: read_logfmt_record fills what the JSON reader fills") {
    Record r = sample();
    r.user_agent = "Mozilla/5.0 \"quoted\" \\ \x1b[31m";
    r.host = "h\xc3\xa9.test";
    r.vhost = "v host";
    r.status = 403;
    r.enforced = true;
    const std::string line = without_newline(snifallback::render_logfmt(r));
    snifallback::ReportFields f;
    snifallback::LogfmtScratch scratch;
    REQUIRE(snifallback::read_logfmt_record(line, f, scratch).empty());
    REQUIRE(f.finish("web9", "file").empty());
    const snifallback::ReportInput &in = f.input;
    CHECK(in.time_us == 1795420862345000);  // milliseconds in the record
    CHECK(in.event == snifallback::ReportEvent::request);
    CHECK(in.server == "web9");
    CHECK(in.sni_class == "no-sni");
    CHECK(in.ja4 == *r.ja4);
    CHECK(in.ja3_hash == *r.ja3_hash);
    CHECK(in.client_ip == "192.0.2.7");
    CHECK(in.vhost == "v host");
    CHECK(in.cert_vhost == "legacy.test");
    CHECK(in.outcome == "established");
    CHECK(in.host == *r.host);
    CHECK(in.user_agent == *r.user_agent);
    CHECK(in.action == "notice");
    CHECK(in.enforced == std::optional<bool>(true));
    CHECK(in.status == 403);

    // absent and out-of-range values: as JSON's null and odd values
    r.status = 1000;
    r.enforced = std::nullopt;
    r.ja4 = std::nullopt;
    const std::string second = without_newline(snifallback::render_logfmt(r));
    REQUIRE(snifallback::read_logfmt_record(second, f, scratch).empty());
    REQUIRE(f.finish("", "file").empty());
    CHECK(f.input.status == -1);
    CHECK_FALSE(f.input.enforced.has_value());
    CHECK(f.input.ja4.empty());
    CHECK(f.input.server == "file");
    // status and enforced quoted are text, not a number or a boolean (as "200" in JSON)
    REQUIRE(snifallback::read_logfmt_record(
                "time=2026-11-20T08:00:00.000Z event=request status=\"200\" enforced=\"true\" "
                "server=web1",
                f, scratch)
                .empty());
    REQUIRE(f.finish("syslog", "file").empty());
    CHECK(f.input.status == -1);
    CHECK_FALSE(f.input.enforced.has_value());
    CHECK(f.input.server == "web1");

    // the same "not a record" reasons as JSON
    auto reason = [&](std::string_view text) {
        const std::string fault = snifallback::read_logfmt_record(text, f, scratch);
        return fault.empty() ? f.finish("", "file") : fault;
    };
    CHECK(reason("event=handshake client_ip=192.0.2.99") == "not a record: no \"time\"");
    CHECK(reason("time= event=handshake") == "not a record: no \"time\"");
    CHECK(reason("time=yesterday event=handshake") ==
          "not a record: \"time\" is not an RFC 3339 time");
    CHECK(reason("time=2026-11-20T08:00:00.000Z") == "not a record: no \"event\"");
    CHECK(reason("time=2026-11-20T08:00:00.000Z event=other").empty());
    CHECK(f.input.event == snifallback::ReportEvent::other);
    CHECK(reason("time=2026-11-20T08:00:00.000Z event=\"\\_\"") ==
          "not logfmt: an invalid escape in the value of \"event\" (\\_ is for list elements)");
    CHECK(reason("time=2026-11-20T08:00:00.000Z event=\"x") ==
          "not logfmt: unterminated quoted value of \"event\"");
}

TEST_CASE("logfmt reader: many escaped values keep their storage") {
    // Every read key escaped: the decoded values share one buffer that must not move.
    Record r = sample();
    for (const TextMember &m : text_members) {
        if (m.key == "event") continue;
        r.*m.member = std::string(m.key) + " \"\\\x01" + std::string(m.limit, '\\');
    }
    const std::string line = without_newline(snifallback::render_logfmt(r));
    snifallback::ReportFields f;
    snifallback::LogfmtScratch scratch;
    scratch.decoded = "something from before";
    scratch.decoded.shrink_to_fit();
    REQUIRE(snifallback::read_logfmt_record(line, f, scratch).empty());
    REQUIRE(f.finish("", "file").empty());
    const std::vector<std::pair<std::string_view, std::string>> read = {
        {f.input.host, "host"},           {f.input.user_agent, "user_agent"},
        {f.input.vhost, "vhost"},         {f.input.cert_vhost, "cert_vhost"},
        {f.input.client_ip, "client_ip"}, {f.input.ja4, "ja4"}};
    for (const auto &[view, key] : read) {
        CAPTURE(key);
        CHECK(view.substr(0, std::string_view(key).size() + 4) == std::string(key) + " \"\\\x01");
    }
}

TEST_CASE("logfmt reader: syslog prefixes in front of logfmt records") {
    const std::string record = "time=2026-11-20T08:00:00.000Z event=request uri=\"/{x}\"";
    std::string line;  // the views of a SyslogLine point into it
    auto split = [&line](std::string text) {
        line = std::move(text);
        return snifallback::split_syslog_prefix(line);
    };
    auto s = split(record);
    CHECK_FALSE(s.has_prefix);
    CHECK(s.logfmt);
    CHECK(s.record == record);
    s = split("Nov 23 08:01:02 web1 apache2: " + record);
    CHECK(s.logfmt);
    CHECK(s.host == "web1");
    CHECK(s.record == record);  // not from the '{' in the URI on
    s = split("2026-11-23T08:01:02.345+00:00 web-2.example apache2[123]: " + record);
    CHECK(s.host == "web-2.example");
    CHECK(s.record == record);
    s = split("<134>1 2026-11-23T08:01:02Z web3 apache2 123 - - " + record);
    CHECK(s.host == "web3");
    CHECK(s.record == record);
    // structured data is not the record, even with key="value" pairs (and a ']' quoted)
    s = split(
        "<134>1 2026-11-23T08:01:02Z web3 apache2 123 - [origin ip=\"192.0.2.1\" x=\"a\\]b\"] " +
        record);
    CHECK(s.host == "web3");
    CHECK(s.record == record);
    // JSON after a prefix is still JSON, logfmt-looking text inside it notwithstanding
    s = split("Nov 23 08:01:02 web1 apache2: {\"uri\":\"/a b=c\"}");
    CHECK_FALSE(s.logfmt);
    CHECK(s.record == "{\"uri\":\"/a b=c\"}");
    s = split("this is not a record");
    CHECK(s.record.empty());
}
