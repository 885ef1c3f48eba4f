// The no-SNI log record: escaping, null rendering, key order, time, truncation, the PIPE_BUF bound,
// and a property test over random hostile bytes. Everything is checked in-process: the strict JSON
// reader of json_lite.h and the core's logfmt reader (with the writer's layout checked on top) read
// the rendered lines back; the escaped forms themselves are pinned by tables here.
#include <catch2/catch.hpp>

#include <algorithm>
#include <climits>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <random>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/escape.h"
#include "core/logfmt_reader.h"
#include "core/record.h"
#include "json_lite.h"
#include "sample_record.h"

using snifallback::EscapeStyle;
using snifallback::LineFormat;
using snifallback::Record;
using snifallback::RecordLimits;
using snifallback::truncation_marker;

namespace {

using json_lite::append_utf8;
using json_lite::utf8_at;

using namespace std::string_literals;

// What a JSON reader must get back for raw client bytes: every byte that does not start a
// well-formed sequence replaced by U+FFFD.
std::string json_expected(std::string_view raw) {
    std::string out;
    for (std::size_t pos = 0; pos < raw.size();) {
        std::uint32_t code = 0;
        const std::size_t length = utf8_at(raw, pos, code);
        if (length == 0) {
            out += "\xef\xbf\xbd";
            pos += 1;
        } else {
            out.append(raw.substr(pos, length));
            pos += length;
        }
    }
    return out;
}

// Bytes that must never appear unescaped in a record line: C0 controls, DEL, invalid UTF-8, C1
// controls, U+2028 and U+2029 (all line or terminal hazards).
bool line_is_clean(std::string_view line) {
    for (std::size_t pos = 0; pos < line.size();) {
        std::uint32_t code = 0;
        const std::size_t length = utf8_at(line, pos, code);
        if (length == 0) return false;
        if (code < 0x20 || code == 0x7f || (code >= 0x80 && code <= 0x9f) || code == 0x2028 ||
            code == 0x2029) {
            return false;
        }
        pos += length;
    }
    return true;
}

// ---- Reading logfmt back: the core's reader (core/logfmt_reader.h, tested on its own in
// test_logfmt_reader.cpp), with the writer's exact layout on top: keys of [a-z0-9_] and exactly
// one space between pairs.
struct LogfmtPair {
    std::string key;
    bool quoted = false;
    std::string raw;  // between the quotes, or the bare value; still escaped
};

std::vector<LogfmtPair> parse_logfmt(std::string_view line) {
    std::vector<snifallback::LogfmtField> fields;
    const std::string fault = snifallback::parse_logfmt_line(line, fields);
    if (!fault.empty()) throw std::runtime_error("logfmt: " + fault);
    std::vector<LogfmtPair> pairs;
    std::size_t next = 0;  // where the next key must start
    for (const snifallback::LogfmtField &field : fields) {
        if (static_cast<std::size_t>(field.key.data() - line.data()) != next) {
            throw std::runtime_error("logfmt: not one space before " + std::string(field.key));
        }
        for (const char c : field.key) {
            if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) {
                throw std::runtime_error("logfmt: bad key " + std::string(field.key));
            }
        }
        next = static_cast<std::size_t>(field.raw.data() - line.data()) + field.raw.size() +
               (field.quoted ? 1 : 0) + 1;
        pairs.push_back({std::string(field.key), field.quoted, std::string(field.raw)});
    }
    if (!pairs.empty() && next != line.size() + 1) throw std::runtime_error("logfmt: stray space");
    return pairs;
}

std::string logfmt_value(const LogfmtPair &pair) {
    std::string out;
    if (!snifallback::decode_logfmt_value(pair.raw, out)) {
        throw std::runtime_error("logfmt: bad escape in " + pair.key);
    }
    return out;
}

std::vector<std::string> logfmt_list(const LogfmtPair &pair) {
    std::vector<std::string> out;
    if (!snifallback::split_logfmt_list(pair.raw, out)) {
        throw std::runtime_error("logfmt: bad list " + pair.key);
    }
    return out;
}

const LogfmtPair &logfmt_at(const std::vector<LogfmtPair> &pairs, std::string_view key) {
    for (const auto &pair : pairs) {
        if (pair.key == key) return pair;
    }
    throw std::runtime_error("logfmt: no key " + std::string(key));
}

// ---- Helpers over records.

std::string json_escape(std::string_view value, std::size_t budget = 100000) {
    std::string out;
    snifallback::append_escaped(out, value, EscapeStyle::json, budget);
    return out;
}
std::string logfmt_escape(std::string_view value, std::size_t budget = 100000) {
    std::string out;
    snifallback::append_escaped(out, value, EscapeStyle::logfmt, budget);
    return out;
}

// Strips and checks the one '\n' at the end.
std::string_view one_line(const std::string &rendered) {
    REQUIRE(!rendered.empty());
    REQUIRE(rendered.back() == '\n');
    REQUIRE(rendered.find('\n') == rendered.size() - 1);
    REQUIRE(rendered.find('\r') == std::string::npos);
    return std::string_view(rendered).substr(0, rendered.size() - 1);
}

// Every string field of a Record, by key, for table-driven and property tests.
struct TextField {
    const char *key;
    Record::Text Record::*member;
    std::size_t limit;
};
const std::vector<TextField> &text_fields() {
    static const std::vector<TextField> fields = {
        {"client_ip", &Record::client_ip, RecordLimits::client_ip},
        {"local_ip", &Record::local_ip, RecordLimits::local_ip},
        {"vhost", &Record::vhost, RecordLimits::vhost},
        {"cert_vhost", &Record::cert_vhost, RecordLimits::cert_vhost},
        {"sni_class", &Record::sni_class, RecordLimits::sni_class},
        {"sni", &Record::sni, RecordLimits::sni},
        {"tls_offered_max", &Record::tls_offered_max, RecordLimits::tls_offered_max},
        {"tls_version", &Record::tls_version, RecordLimits::tls_version},
        {"cipher", &Record::cipher, RecordLimits::cipher},
        {"ja3", &Record::ja3, RecordLimits::ja3},
        {"ja3_hash", &Record::ja3_hash, RecordLimits::ja3_hash},
        {"ja4", &Record::ja4, RecordLimits::ja4},
        {"client_name", &Record::client_name, RecordLimits::client_name},
        {"outcome", &Record::outcome, RecordLimits::outcome},
        {"peer_ip", &Record::peer_ip, RecordLimits::peer_ip},
        {"source", &Record::source, RecordLimits::source},
        {"host", &Record::host, RecordLimits::host},
        {"method", &Record::method, RecordLimits::method},
        {"uri", &Record::uri, RecordLimits::uri},
        {"protocol", &Record::protocol, RecordLimits::protocol},
        {"user_agent", &Record::user_agent, RecordLimits::user_agent},
        {"action", &Record::action, RecordLimits::action},
        {"reason", &Record::reason, RecordLimits::reason},
        {"target", &Record::target, RecordLimits::target},
        {"result", &Record::result, RecordLimits::result},
        {"page", &Record::page, RecordLimits::page},
    };
    return fields;
}

const std::vector<std::string> all_keys = {
    "time",     "event",   "client_ip",  "client_port",     "peer_ip",     "local_ip",
    "local_port", "vhost", "cert_vhost", "sni_class", "sni",        "tls_offered_max",
    "tls_version", "cipher", "alpn",     "ja3",        "ja3_hash",  "ja4",
    "client_name", "outcome",  "source",
    "host",     "method",  "uri",        "protocol",        "user_agent",  "action",
    "enforced", "reason",  "status",     "target",          "result",      "page"};

std::vector<std::string> first_keys(std::size_t count) {
    return std::vector<std::string>(all_keys.begin(),
                                    all_keys.begin() + static_cast<std::ptrdiff_t>(count));
}

// The record with its connection fields (client_ip .. outcome) absent: what the glue fills for a
// request of a connection whose fields were rendered with its handshake record.
Record without_connection_fields(const Record &full) {
    Record r;
    r.time_us = full.time_us;
    r.event = full.event;
    r.host = full.host;
    r.method = full.method;
    r.uri = full.uri;
    r.protocol = full.protocol;
    r.user_agent = full.user_agent;
    r.action = full.action;
    r.enforced = full.enforced;
    r.reason = full.reason;
    r.status = full.status;
    r.target = full.target;
    r.result = full.result;
    r.page = full.page;
    return r;
}

}  // namespace

TEST_CASE("Connection fields rendered once give the same lines as a whole record") {
    Record request = sample_request();
    Record handshake = sample_request();
    handshake.event = "handshake";
    Record probe = sample_request();
    probe.event = "probe";
    probe.result = "sni-failed";
    probe.page = "/start";
    Record sparse;  // only time, event and absent connection fields
    sparse.time_us = 1795420862345678;
    sparse.event = "request";
    sparse.status = 404;
    for (const Record *record : {&request, &handshake, &probe, &sparse}) {
        for (const LineFormat format : {LineFormat::json, LineFormat::logfmt}) {
            const std::string piece = snifallback::render_connection_fields(*record, format);
            const std::string whole = format == LineFormat::json ? render_json(*record)
                                                                 : render_logfmt(*record);
            CAPTURE(whole);
            CHECK(snifallback::render_line(without_connection_fields(*record), format, piece) ==
                  whole);
            // The piece stands for the record's connection fields, whatever the record holds.
            CHECK(snifallback::render_line(*record, format, piece) == whole);
        }
    }
    // The piece is the record's own: rendering a request around another connection's piece shows
    // that connection's fields, not the request record's.
    Record other = sample_request();
    other.client_ip = "203.0.113.9";
    const std::string piece = snifallback::render_connection_fields(other, LineFormat::json);
    const std::string line = snifallback::render_line(request, LineFormat::json, piece);
    CHECK(line.find("\"client_ip\":\"203.0.113.9\"") != std::string::npos);
    CHECK(line.find("192.0.2.7") == std::string::npos);
    CHECK(line.find("\"uri\":\"/index.html?a=b\"") != std::string::npos);
}

TEST_CASE("JSON escapes every control byte and DEL") {
    for (int byte = 0; byte < 0x80; ++byte) {
        if (byte >= 0x20 && byte != 0x7f) continue;
        const std::string raw = "a"s + static_cast<char>(byte) + "b";
        std::string expected;
        switch (byte) {
            case '\n':
                expected = "\\n";
                break;
            case '\r':
                expected = "\\r";
                break;
            case '\t':
                expected = "\\t";
                break;
            default: {
                char buffer[8];
                std::snprintf(buffer, sizeof buffer, "\\u%04x", byte);
                expected = buffer;
            }
        }
        INFO("byte " << byte);
        CHECK(json_escape(raw) == "a" + expected + "b");
        Record record;
        record.user_agent = raw;
        record.event = "request";
        const std::string line = render_json(record);
        CHECK(line.find("\"user_agent\":\"a" + expected + "b\"") != std::string::npos);
        CHECK(json_lite::parse(one_line(line)).at("user_agent").text == raw);
    }
}

TEST_CASE("logfmt escapes every control byte and DEL, and quotes the value") {
    for (int byte = 0; byte < 0x80; ++byte) {
        if (byte >= 0x20 && byte != 0x7f) continue;
        const std::string raw = "a"s + static_cast<char>(byte) + "b";
        std::string expected;
        switch (byte) {
            case '\n':
                expected = "\\n";
                break;
            case '\r':
                expected = "\\r";
                break;
            case '\t':
                expected = "\\t";
                break;
            default: {
                char buffer[8];
                std::snprintf(buffer, sizeof buffer, "\\x%02x", byte);
                expected = buffer;
            }
        }
        INFO("byte " << byte);
        CHECK(logfmt_escape(raw) == "a" + expected + "b");
        Record record;
        record.event = "request";
        record.user_agent = raw;
        const std::string line = render_logfmt(record);
        CHECK(line.find(" user_agent=\"a" + expected + "b\" ") != std::string::npos);
        CHECK(logfmt_value(logfmt_at(parse_logfmt(one_line(line)), "user_agent")) == raw);
    }
}

TEST_CASE("Escaping of quotes, backslashes and Unicode") {
    // raw, JSON escaped, logfmt escaped
    auto [raw, json, logfmt] = GENERATE(table<std::string, std::string, std::string>({
        {"plain", "plain", "plain"},
        {"", "", ""},
        {"say \"hi\"", "say \\\"hi\\\"", "say \\\"hi\\\""},
        {"C:\\dir\\", "C:\\\\dir\\\\", "C:\\\\dir\\\\"},
        {"\\u0041", "\\\\u0041", "\\\\u0041"},  // an escape-looking text stays text
        {"a=b,c", "a=b,c", "a=b,c"},
        {"/\x3c/script\x3e", "/</script>", "/</script>"},
        // well-formed multibyte UTF-8 stays as is
        {"\xc3\xbc", "\xc3\xbc", "\xc3\xbc"},              // U+00FC
        {"\xc2\xa0", "\xc2\xa0", "\xc2\xa0"},              // U+00A0 no-break space
        {"\xe2\x82\xac", "\xe2\x82\xac", "\xe2\x82\xac"},  // U+20AC
        {"\xef\xbf\xbd", "\xef\xbf\xbd", "\xef\xbf\xbd"},  // U+FFFD sent by the client
        {"\xed\x9f\xbf", "\xed\x9f\xbf", "\xed\x9f\xbf"},  // U+D7FF, below the surrogates
        {"\xee\x80\x80", "\xee\x80\x80", "\xee\x80\x80"},  // U+E000, above them
        {"\xf0\x9f\x98\x80", "\xf0\x9f\x98\x80", "\xf0\x9f\x98\x80"},  // U+1F600
        {"\xf4\x8f\xbf\xbf", "\xf4\x8f\xbf\xbf", "\xf4\x8f\xbf\xbf"},  // U+10FFFF
        // well-formed but escaped: C1 controls, line and paragraph separators
        {"\xc2\x80", "\\u0080", "\\xc2\\x80"},
        {"\xc2\x85", "\\u0085", "\\xc2\\x85"},  // NEL
        {"\xc2\x9b", "\\u009b", "\\xc2\\x9b"},  // CSI
        {"\xe2\x80\xa8", "\\u2028", "\\xe2\\x80\\xa8"},
        {"\xe2\x80\xa9", "\\u2029", "\\xe2\\x80\\xa9"},
        // invalid UTF-8: every byte of it replaced (JSON) or kept as \xNN (logfmt)
        {"\x80", "\\ufffd", "\\x80"},  // stray continuation
        {"\xbf\x80", "\\ufffd\\ufffd", "\\xbf\\x80"},
        {"\xc0\xaf", "\\ufffd\\ufffd", "\\xc0\\xaf"},  // overlong '/'
        {"\xc1\xbf", "\\ufffd\\ufffd", "\\xc1\\xbf"},
        {"\xe0\x80\xaf", "\\ufffd\\ufffd\\ufffd", "\\xe0\\x80\\xaf"},  // overlong
        {"\xe0\x9f\xbf", "\\ufffd\\ufffd\\ufffd", "\\xe0\\x9f\\xbf"},
        {"\xf0\x80\x80\xaf", "\\ufffd\\ufffd\\ufffd\\ufffd", "\\xf0\\x80\\x80\\xaf"},
        {"\xf0\x8f\xbf\xbf", "\\ufffd\\ufffd\\ufffd\\ufffd", "\\xf0\\x8f\\xbf\\xbf"},
        {"\xed\xa0\x80", "\\ufffd\\ufffd\\ufffd", "\\xed\\xa0\\x80"},  // U+D800 (CESU)
        {"\xed\xbf\xbf", "\\ufffd\\ufffd\\ufffd", "\\xed\\xbf\\xbf"},  // U+DFFF
        {"\xed\xa0\xbd\xed\xb8\x80", "\\ufffd\\ufffd\\ufffd\\ufffd\\ufffd\\ufffd",
         "\\xed\\xa0\\xbd\\xed\\xb8\\x80"},  // surrogate pair
        {"\xf4\x90\x80\x80", "\\ufffd\\ufffd\\ufffd\\ufffd", "\\xf4\\x90\\x80\\x80"},  // > U+10FFFF
        {"\xf5\x80\x80\x80", "\\ufffd\\ufffd\\ufffd\\ufffd", "\\xf5\\x80\\x80\\x80"},
        {"\xf8\x88\x80\x80\x80", "\\ufffd\\ufffd\\ufffd\\ufffd\\ufffd",
         "\\xf8\\x88\\x80\\x80\\x80"},  // old 5-byte form
        {"\xfe\xff", "\\ufffd\\ufffd", "\\xfe\\xff"},
        {"\xe2\x82", "\\ufffd\\ufffd", "\\xe2\\x82"},     // truncated at the end
        {"\xe2\x82x", "\\ufffd\\ufffdx", "\\xe2\\x82x"},  // truncated, then ASCII
        {"\xf0\x9f\x98", "\\ufffd\\ufffd\\ufffd", "\\xf0\\x9f\\x98"},
        {"\xc3", "\\ufffd", "\\xc3"},
        {"\xc3\xc3\xbc", "\\ufffd\xc3\xbc", "\\xc3\xc3\xbc"},  // the next lead byte is kept
        {"a\xff\"\n", "a\\ufffd\\\"\\n", "a\\xff\\\"\\n"},
    }));
    INFO("raw bytes of length " << raw.size());
    CHECK(json_escape(raw) == json);
    CHECK(logfmt_escape(raw) == logfmt);

    Record record;
    record.event = "request";
    record.uri = raw;
    CHECK(json_lite::parse(one_line(render_json(record))).at("uri").text == json_expected(raw));
    const auto pairs = parse_logfmt(one_line(render_logfmt(record)));
    CHECK(logfmt_value(logfmt_at(pairs, "uri")) == raw);
}

TEST_CASE("utf8_sequence_length agrees with an independent decoder on every 1-4 byte prefix") {
    // All lead bytes with a spread of following bytes, including the boundaries of every range.
    const std::vector<std::uint8_t> next = {0x00, 0x41, 0x7f, 0x80, 0x8f, 0x90, 0x9f,
                                            0xa0, 0xbf, 0xc0, 0xc2, 0xe0, 0xf0, 0xff};
    for (int lead = 0; lead < 256; ++lead) {
        for (std::uint8_t b1 : next) {
            for (std::uint8_t b2 : next) {
                for (std::uint8_t b3 : next) {
                    std::string s;
                    s.push_back(static_cast<char>(lead));
                    s.push_back(static_cast<char>(b1));
                    s.push_back(static_cast<char>(b2));
                    s.push_back(static_cast<char>(b3));
                    for (std::size_t size = 1; size <= 4; ++size) {
                        const std::string_view view(s.data(), size);
                        std::uint32_t code = 0;
                        const std::size_t expected = utf8_at(view, 0, code);
                        if (snifallback::utf8_sequence_length(view, 0) != expected) {
                            FAIL("lead " << lead << " next " << int(b1) << ' ' << int(b2) << ' '
                                         << int(b3) << " size " << size);
                        }
                    }
                }
            }
        }
    }
    SUCCEED();
}

TEST_CASE("Absent values render as null and key=") {
    const Record empty;
    CHECK(render_json(empty) ==
          "{\"time\":null,\"event\":null,\"client_ip\":null,\"client_port\":null,"
          "\"peer_ip\":null,\"local_ip\":null,\"local_port\":null,\"vhost\":null,\"cert_vhost\":null,"
          "\"sni_class\":null,\"sni\":null,"
          "\"tls_offered_max\":null,\"tls_version\":null,\"cipher\":null,\"alpn\":null,"
          "\"ja3\":null,\"ja3_hash\":null,\"ja4\":null,\"client_name\":null,\"outcome\":null,"
          "\"source\":null}\n");
    CHECK(render_logfmt(empty) ==
          "time= event= client_ip= client_port= peer_ip= local_ip= local_port= vhost= cert_vhost= "
          "sni_class= sni= tls_offered_max= tls_version= cipher= alpn= ja3= ja3_hash= ja4= "
          "client_name= outcome= source=\n");

    Record request;
    request.event = "request";
    const json_lite::Value json = json_lite::parse(one_line(render_json(request)));
    for (const auto &member : json.members) {
        if (member.first == "event") continue;
        INFO(member.first);
        CHECK(member.second.type == json_lite::Value::Type::null);
    }
    for (const auto &pair : parse_logfmt(one_line(render_logfmt(request)))) {
        if (pair.key == "event") continue;
        INFO(pair.key);
        CHECK(!pair.quoted);
        CHECK(pair.raw.empty());
    }
}

TEST_CASE("Empty but present values differ from absent ones") {
    Record record;
    record.event = "request";
    record.user_agent = "";
    record.alpn = std::vector<std::string>{};
    const std::string json = render_json(record);
    CHECK(json.find("\"user_agent\":\"\"") != std::string::npos);
    CHECK(json.find("\"alpn\":[]") != std::string::npos);
    CHECK(json.find("\"uri\":null") != std::string::npos);
    const std::string logfmt = render_logfmt(record);
    CHECK(logfmt.find(" user_agent=\"\" ") != std::string::npos);
    CHECK(logfmt.find(" alpn=\"\" ") != std::string::npos);
    CHECK(logfmt.find(" uri= ") != std::string::npos);
    const auto pairs = parse_logfmt(one_line(logfmt));
    CHECK(logfmt_list(logfmt_at(pairs, "alpn")).empty());
}

TEST_CASE("Keys come in one fixed order, the same in both formats") {
    auto [event, count] = GENERATE(table<std::string, std::size_t>({
        {"handshake", 21},
        {"request", 31},
        {"probe", 33},
        {"something-else", 21},
    }));
    Record record = sample_request();  // request and probe fields set: ignored for handshakes
    record.result = "sni-failed";
    record.page = "https://a.test/";
    record.event = event;
    const std::vector<std::string> expected = first_keys(count);

    std::vector<std::string> from_api;
    for (std::string_view key : snifallback::record_keys(record)) from_api.emplace_back(key);
    CHECK(from_api == expected);

    std::vector<std::string> from_json;
    for (const auto &member : json_lite::parse(one_line(render_json(record))).members) {
        from_json.push_back(member.first);
    }
    CHECK(from_json == expected);

    std::vector<std::string> from_logfmt;
    for (const auto &pair : parse_logfmt(one_line(render_logfmt(record)))) {
        from_logfmt.push_back(pair.key);
    }
    CHECK(from_logfmt == expected);
}

TEST_CASE("A complete request record in both formats") {
    const Record record = sample_request();
    CHECK(render_json(record) ==
          "{\"time\":\"2026-11-23T08:01:02.345Z\",\"event\":\"request\","
          "\"client_ip\":\"192.0.2.7\",\"client_port\":50123,\"peer_ip\":\"198.51.100.9\","
          "\"local_ip\":\"198.51.100.1\","
          "\"local_port\":443,\"vhost\":\"default.test\",\"cert_vhost\":\"legacy.test\","
          "\"sni_class\":\"no-sni\",\"sni\":null,\"tls_offered_max\":\"TLSv1.3\","
          "\"tls_version\":\"TLSv1.2\","
          "\"cipher\":\"ECDHE-RSA-AES128-GCM-SHA256\",\"alpn\":[\"h2\",\"http/1.1\"],"
          "\"ja3\":\"771,4865-4866,0-23-65281,29-23,0\","
          "\"ja3_hash\":\"cd08e31494f9531f560d64c695473da9\","
          "\"ja4\":\"t13i1516h2_8daaf6152771_02713d6af862\",\"client_name\":\"curl 7.88.1\","
          "\"outcome\":\"established\",\"source\":\"handshake\","
          "\"host\":\"192.0.2.1\",\"method\":\"GET\",\"uri\":\"/index.html?a=b\","
          "\"protocol\":\"HTTP/1.1\",\"user_agent\":\"curl/7.88.1\",\"action\":\"exempt\","
          "\"enforced\":true,\"reason\":\"ip-literal\",\"status\":200,\"target\":null}\n");
    CHECK(render_logfmt(record) ==
          "time=2026-11-23T08:01:02.345Z event=request client_ip=192.0.2.7 client_port=50123 "
          "peer_ip=198.51.100.9 "
          "local_ip=198.51.100.1 local_port=443 vhost=default.test cert_vhost=legacy.test "
          "sni_class=no-sni sni= "
          "tls_offered_max=TLSv1.3 tls_version=TLSv1.2 cipher=ECDHE-RSA-AES128-GCM-SHA256 "
          "alpn=h2,http/1.1 ja3=771,4865-4866,0-23-65281,29-23,0 "
          "ja3_hash=cd08e31494f9531f560d64c695473da9 ja4=t13i1516h2_8daaf6152771_02713d6af862 "
          "client_name=\"curl 7.88.1\" outcome=established source=handshake host=192.0.2.1 "
          "method=GET uri=\"/index.html?a=b\" "
          "protocol=HTTP/1.1 user_agent=curl/7.88.1 action=exempt enforced=true reason=ip-literal "
          "status=200 target=\n");
}

TEST_CASE("Ports and status are integers") {
    auto [port, status] = GENERATE(table<int, int>({
        {0, 100},
        {1, 200},
        {443, 421},
        {65535, 599},
        {INT_MAX, INT_MIN},
    }));
    Record record;
    record.event = "request";
    record.client_port = port;
    record.local_port = port;
    record.status = status;
    const json_lite::Value json = json_lite::parse(one_line(render_json(record)));
    for (const char *key : {"client_port", "local_port"}) {
        CHECK(json.at(key).type == json_lite::Value::Type::number);
        CHECK(json.at(key).text == std::to_string(port));
    }
    CHECK(json.at("status").type == json_lite::Value::Type::number);
    CHECK(json.at("status").text == std::to_string(status));
    const auto pairs = parse_logfmt(one_line(render_logfmt(record)));
    CHECK(logfmt_at(pairs, "client_port").raw == std::to_string(port));
    CHECK(!logfmt_at(pairs, "client_port").quoted);
    CHECK(logfmt_at(pairs, "status").raw == std::to_string(status));
}

TEST_CASE("Time is UTC, RFC 3339 with milliseconds truncated towards the past") {
    auto [us, text] = GENERATE(table<std::int64_t, std::string>({
        {0, "1970-01-01T00:00:00.000Z"},
        {999, "1970-01-01T00:00:00.000Z"},  // below a millisecond
        {1000, "1970-01-01T00:00:00.001Z"},
        {999999, "1970-01-01T00:00:00.999Z"},  // never rounded up into the next second
        {1795420862345678, "2026-11-23T08:01:02.345Z"},
        {1483228799500000, "2016-12-31T23:59:59.500Z"},  // (leap second day: POSIX time)
        {1709251199999999, "2024-02-29T23:59:59.999Z"},  // leap year
        {1709251200000000, "2024-03-01T00:00:00.000Z"},
        {951825600000000, "2000-02-29T12:00:00.000Z"},   // divisible by 400: leap
        {4107542399999000, "2100-02-28T23:59:59.999Z"},  // divisible by 100: not leap
        {4107542400000000, "2100-03-01T00:00:00.000Z"},
        {94694399999000, "1972-12-31T23:59:59.999Z"},
        {-1, "1969-12-31T23:59:59.999Z"},  // floor, also before the epoch
        {-1000, "1969-12-31T23:59:59.999Z"},
        {-1001, "1969-12-31T23:59:59.998Z"},
        {-62135596800000000, "0001-01-01T00:00:00.000Z"},
        {-62167219200000000, "0000-01-01T00:00:00.000Z"},
        {-62167219200000001, ""},  // year -1: not representable
        {253402300799999999, "9999-12-31T23:59:59.999Z"},
        {253402300800000000, ""},  // year 10000
        {INT64_MAX, ""},
        {INT64_MIN, ""},
    }));
    INFO(us);
    CHECK(snifallback::format_time_utc(us) == text);
    Record record;
    record.time_us = us;
    const std::string json = render_json(record);
    const std::string logfmt = render_logfmt(record);
    if (text.empty()) {
        CHECK(json.rfind("{\"time\":null,", 0) == 0);
        CHECK(logfmt.rfind("time= ", 0) == 0);
    } else {
        CHECK(json.rfind("{\"time\":\"" + text + "\",", 0) == 0);
        CHECK(logfmt.rfind("time=" + text + " ", 0) == 0);
    }
}

TEST_CASE("logfmt quotes exactly the values that need it") {
    auto [raw, rendered] = GENERATE(table<std::string, std::string>({
        {"curl/8.0", "curl/8.0"},
        {"a b", "\"a b\""},
        {"a=b", "\"a=b\""},
        {"a\"b", "\"a\\\"b\""},
        {"a\\b", "\"a\\\\b\""},
        {"a\tb", "\"a\\tb\""},
        {"a\x01", "\"a\\x01\""},
        {"\xff", "\"\\xff\""},
        {"", "\"\""},
        {"a,b", "a,b"},
        {"\xc3\xbc", "\xc3\xbc"},
        {"...[truncated]", "...[truncated]"},
    }));
    Record record;
    record.event = "request";
    record.user_agent = raw;
    const std::string line = render_logfmt(record);
    CHECK(line.find(" user_agent=" + rendered + " ") != std::string::npos);
    CHECK(logfmt_value(logfmt_at(parse_logfmt(one_line(line)), "user_agent")) == raw);
}

TEST_CASE("ALPN lists: JSON arrays, logfmt comma-joined values that split back") {
    using V = std::vector<std::string>;
    auto [items, logfmt] = GENERATE(table<V, std::string>({
        {V{"h2"}, "h2"},
        {V{"h2", "http/1.1"}, "h2,http/1.1"},
        {V{}, "\"\""},
        {V{""}, "\"\\_\""},
        {V{"", ""}, "\"\\_,\\_\""},
        {V{"a,b", "c"}, "\"a\\x2cb,c\""},
        {V{","}, "\"\\x2c\""},
        {V{"\\_"}, "\"\\\\_\""},  // a literal backslash-underscore is not the empty element
        {V{"a b", "x=y"}, "\"a b,x=y\""},
        {V{"\x00\xff"s, "\n"}, "\"\\x00\\xff,\\n\""},
    }));
    Record record;
    record.alpn = items;
    const std::string json = render_json(record);
    const json_lite::Value parsed = json_lite::parse(one_line(json));
    REQUIRE(parsed.at("alpn").type == json_lite::Value::Type::array);
    std::vector<std::string> from_json;
    for (const json_lite::Value &item : parsed.at("alpn").items) from_json.push_back(item.text);
    std::vector<std::string> expected_json;
    for (const std::string &item : items) expected_json.push_back(json_expected(item));
    CHECK(from_json == expected_json);

    const std::string line = render_logfmt(record);
    CHECK(line.find(" alpn=" + logfmt + " ") != std::string::npos);
    CHECK(logfmt_list(logfmt_at(parse_logfmt(one_line(line)), "alpn")) == items);
}

TEST_CASE("Long values are cut on a UTF-8 boundary with a marker, within the limit") {
    const std::size_t limit = RecordLimits::uri;
    SECTION("ASCII: the limit is a byte count") {
        const std::string fits(limit, 'a');
        CHECK(json_escape(fits, limit) == fits);
        const std::string longer(limit + 1, 'a');
        const std::string cut = json_escape(longer, limit);
        CHECK(cut.size() == limit);
        CHECK(cut ==
              std::string(limit - truncation_marker.size(), 'a') + std::string(truncation_marker));
    }
    SECTION("Multibyte characters are never split") {
        std::string euros;
        for (int i = 0; i < 1000; ++i) euros += "\xe2\x82\xac";
        for (EscapeStyle style : {EscapeStyle::json, EscapeStyle::logfmt}) {
            for (std::size_t budget = 14; budget < 40; ++budget) {
                std::string out;
                CHECK_FALSE(snifallback::append_escaped(out, euros, style, budget));
                CHECK(out.size() <= budget);
                const std::string kept = out.substr(0, out.size() - truncation_marker.size());
                CHECK(out.substr(kept.size()) == truncation_marker);
                CHECK(kept.size() % 3 == 0);
                CHECK(kept.size() + 3 > budget - truncation_marker.size());  // as much as fits
                CHECK(euros.compare(0, kept.size(), kept) == 0);
            }
        }
    }
    SECTION("Escapes are never split") {
        const std::string controls(100, '\x01');
        for (std::size_t budget = 14; budget < 60; ++budget) {
            const std::string json = json_escape(controls, budget);
            CHECK(json.size() <= budget);
            CHECK((json.size() - truncation_marker.size()) % 6 == 0);
            const std::string logfmt = logfmt_escape(controls, budget);
            CHECK(logfmt.size() <= budget);
            CHECK((logfmt.size() - truncation_marker.size()) % 4 == 0);
        }
    }
    SECTION("A value that fits exactly is not cut") {
        const std::string value(limit / 6, '\x01');  // 6 escaped characters each
        CHECK(json_escape(value, limit).size() == value.size() * 6);
        CHECK(json_escape(value, limit).find("truncated") == std::string::npos);
    }
    SECTION("Through a record: the reader sees a prefix and the marker") {
        Record record;
        record.event = "request";
        record.user_agent = "Mozilla/5.0 " + std::string(10000, 'x') + "\n\"end";
        record.host = std::string(300, 'h');
        const json_lite::Value json = json_lite::parse(one_line(render_json(record)));
        const std::string &ua = json.at("user_agent").text;
        CHECK(ua.size() == RecordLimits::user_agent);
        CHECK(ua.rfind("Mozilla/5.0 xxx", 0) == 0);
        CHECK(ua.substr(ua.size() - truncation_marker.size()) == truncation_marker);
        CHECK(json.at("host").text.size() == RecordLimits::host);
        const auto pairs = parse_logfmt(one_line(render_logfmt(record)));
        CHECK(logfmt_value(logfmt_at(pairs, "user_agent")) == ua);
    }
    SECTION("Lists: elements and the whole list are limited") {
        Record record;
        record.alpn = std::vector<std::string>(100, "http/1.1");
        record.alpn->insert(record.alpn->begin(), std::string(500, 'z'));
        const std::string json = render_json(record);
        const json_lite::Value parsed = json_lite::parse(one_line(json));
        const auto &items = parsed.at("alpn").items;
        REQUIRE(items.size() > 2);
        CHECK(items.front().text.size() == RecordLimits::alpn_element);
        CHECK(items.front().text.substr(RecordLimits::alpn_element - truncation_marker.size()) ==
              truncation_marker);
        CHECK(items[1].text == "http/1.1");
        CHECK(items.back().text == truncation_marker);
        const std::size_t begin = json.find("\"alpn\":") + 7;
        CHECK(json.find("],\"ja3\"", begin) - begin + 1 <= RecordLimits::alpn);
        const auto logfmt =
            logfmt_list(logfmt_at(parse_logfmt(one_line(render_logfmt(record))), "alpn"));
        CHECK(logfmt.back() == truncation_marker);
        CHECK(logfmt[1] == "http/1.1");
    }
}

TEST_CASE("The worst case of either format fits in PIPE_BUF") {
    CHECK(snifallback::max_record_bytes == 4096);
    CHECK(snifallback::max_json_bytes() <= snifallback::max_record_bytes);
    CHECK(snifallback::max_logfmt_bytes() <= snifallback::max_record_bytes);

    // Hostile fillers: each maximises a different escape (6 characters a byte in JSON, 4 in
    // logfmt; units of 1, 2, 3 bytes so the cut lands everywhere).
    const std::vector<std::string> fillers = {"\x01",
                                              "\xff",
                                              "\"",
                                              "\\",
                                              "\xc2\x85",
                                              "\xe2\x80\xa8",
                                              "\xed\xa0\x80",
                                              "\x01\xe2\x80\xa9",
                                              "a\x1b",
                                              "\xf0\x9f\x98\x80",
                                              ",",
                                              "x"};
    std::size_t largest_json = 0;
    std::size_t largest_logfmt = 0;
    for (const std::string &filler : fillers) {
        for (std::size_t offset = 0; offset < 7; ++offset) {
            std::string value(offset, 'a');
            while (value.size() < 20000) value += filler;
            Record record;
            record.time_us = 253402300799999999;  // year 9999
            record.event = "probe";               // every key
            record.client_port = INT_MIN;
            record.local_port = INT_MIN;
            record.status = INT_MIN;
            record.enforced = false;
            for (const TextField &field : text_fields()) record.*field.member = value;
            record.alpn = std::vector<std::string>(5000, value.substr(0, 300));
            const std::string json = render_json(record);
            const std::string logfmt = render_logfmt(record);
            INFO("filler of " << filler.size() << " bytes, offset " << offset);
            CHECK(json.size() <= snifallback::max_record_bytes);
            CHECK(logfmt.size() <= snifallback::max_record_bytes);
            CHECK(json.size() <= snifallback::max_json_bytes());
            CHECK(logfmt.size() <= snifallback::max_logfmt_bytes());
            CHECK(line_is_clean(one_line(json)));
            CHECK(line_is_clean(one_line(logfmt)));
            const json_lite::Value parsed = json_lite::parse(one_line(json));
            CHECK(parsed.members.size() == all_keys.size());
            CHECK(parse_logfmt(one_line(logfmt)).size() == all_keys.size());
            largest_json = std::max(largest_json, json.size());
            largest_logfmt = std::max(largest_logfmt, logfmt.size());
        }
    }
    // The bound is close to what hostile input reaches: the limits are not wasted.
    CHECK(largest_json + 100 > snifallback::max_json_bytes());
    CHECK(largest_logfmt + 100 > snifallback::max_logfmt_bytes());
}

TEST_CASE("Property: random bytes in every field give one valid, bounded line that reads back") {
    std::mt19937 random(20261123);
    const auto pick = [&](std::size_t n) {
        return std::uniform_int_distribution<std::size_t>(0, n - 1)(random);
    };
    const std::vector<std::string> pieces = {"\"",
                                             "\\",
                                             "\n",
                                             "\r",
                                             "\t",
                                             "\x00"s,
                                             "\x1b[31m",
                                             "\x7f",
                                             "=",
                                             " ",
                                             ",",
                                             "\\_",
                                             "\xc3\xbc",
                                             "\xe2\x82\xac",
                                             "\xf0\x9f\x98\x80",
                                             "\xe2\x80\xa8",
                                             "\xc2\x85",
                                             "\xef\xbf\xbd",
                                             "\xc0\xaf",
                                             "\xed\xa0\x80",
                                             "\xe2\x82",
                                             "\xff",
                                             "\x80",
                                             "...[truncated]",
                                             "\\u0000"};
    const auto random_bytes = [&]() {
        std::size_t length = 0;
        switch (pick(4)) {
            case 0:
                length = pick(8);
                break;
            case 1:
                length = pick(64);
                break;
            case 2:
                length = pick(600);
                break;
            default:
                length = pick(5000);
                break;
        }
        std::string out;
        const std::size_t mode = pick(3);
        while (out.size() < length) {
            if (mode == 0)
                out.push_back(static_cast<char>(pick(256)));  // any byte
            else if (mode == 1)
                out.push_back(static_cast<char>(0x20 + pick(95)));  // printable
            else
                out += pieces[pick(pieces.size())];  // hostile
        }
        return out;
    };
    const std::vector<std::string> events = {"handshake", "request", "probe"};

    int failures = 0;
    for (int iteration = 0; iteration < 10000 && failures < 5; ++iteration) {
        Record record;
        record.event = pick(10) == 0 ? random_bytes() : events[pick(events.size())];
        if (pick(8) != 0) {
            record.time_us = static_cast<std::int64_t>(random()) * 1000003;
        }
        if (pick(4) != 0) record.client_port = static_cast<int>(pick(65536));
        if (pick(4) != 0) record.status = static_cast<int>(random());
        for (const TextField &field : text_fields()) {
            if (pick(5) != 0) record.*field.member = random_bytes();
        }
        if (pick(4) != 0) {
            record.alpn.emplace();
            const std::size_t count = pick(4) == 0 ? pick(200) : pick(4);
            for (std::size_t i = 0; i < count; ++i) {
                record.alpn->push_back(pick(2) ? random_bytes().substr(0, pick(40)) : "h2");
            }
        }

        const std::string json = render_json(record);
        const std::string logfmt = render_logfmt(record);
        // The same lines with the connection fields rendered once and spliced in, from a record
        // that carries only time, event and the request fields.
        const Record request_part = without_connection_fields(record);
        const std::string json_spliced = snifallback::render_line(
            request_part, LineFormat::json,
            snifallback::render_connection_fields(record, LineFormat::json));
        const std::string logfmt_spliced = snifallback::render_line(
            request_part, LineFormat::logfmt,
            snifallback::render_connection_fields(record, LineFormat::logfmt));
        bool ok = true;
        const auto check = [&](bool condition, const char *what) {
            if (!condition && ok) {
                ok = false;
                ++failures;
                UNSCOPED_INFO("iteration " << iteration << ": " << what);
                UNSCOPED_INFO("json: " << json);
                UNSCOPED_INFO("logfmt: " << logfmt);
            }
        };
        check(json_spliced == json, "JSON with spliced connection fields differs");
        check(logfmt_spliced == logfmt, "logfmt with spliced connection fields differs");
        check(json.size() <= snifallback::max_record_bytes, "JSON size");
        check(logfmt.size() <= snifallback::max_record_bytes, "logfmt size");
        check(!json.empty() && json.back() == '\n' && json.find('\n') == json.size() - 1,
              "JSON one line");
        check(!logfmt.empty() && logfmt.back() == '\n' && logfmt.find('\n') == logfmt.size() - 1,
              "logfmt one line");
        if (!ok) continue;
        const std::string_view json_line(json.data(), json.size() - 1);
        const std::string_view logfmt_line(logfmt.data(), logfmt.size() - 1);
        check(line_is_clean(json_line), "JSON line has a raw hazard");
        check(line_is_clean(logfmt_line), "logfmt line has a raw hazard");
        try {
            const json_lite::Value parsed = json_lite::parse(json_line);
            const auto pairs = parse_logfmt(logfmt_line);
            const auto keys = snifallback::record_keys(record);
            check(parsed.members.size() == keys.size() && pairs.size() == keys.size(), "key count");
            for (const TextField &field : text_fields()) {
                bool rendered = false;
                for (std::string_view key : keys) rendered = rendered || key == field.key;
                if (!rendered) continue;
                const Record::Text &raw = record.*field.member;
                const json_lite::Value &j = parsed.at(field.key);
                const LogfmtPair &l = logfmt_at(pairs, field.key);
                if (!raw) {
                    check(j.type == json_lite::Value::Type::null, "absent JSON value");
                    check(!l.quoted && l.raw.empty(), "absent logfmt value");
                    continue;
                }
                check(j.type == json_lite::Value::Type::string, "JSON string");
                check(j.text.size() <= field.limit * 3, "JSON value length");
                const std::string expected = json_expected(*raw);
                const std::string decoded = logfmt_value(l);
                const bool json_cut = j.text != expected;
                const bool logfmt_cut = decoded != *raw;
                if (json_cut) {
                    const std::string kept = j.text.substr(
                        0, j.text.size() - std::min(j.text.size(), truncation_marker.size()));
                    check(j.text.size() >= truncation_marker.size() &&
                              j.text.substr(kept.size()) == truncation_marker &&
                              expected.compare(0, kept.size(), kept) == 0,
                          "JSON value is neither whole nor a marked prefix");
                }
                if (logfmt_cut) {
                    const std::string kept = decoded.substr(
                        0, decoded.size() - std::min(decoded.size(), truncation_marker.size()));
                    check(decoded.size() >= truncation_marker.size() &&
                              decoded.substr(kept.size()) == truncation_marker &&
                              raw->compare(0, kept.size(), kept) == 0,
                          "logfmt value is neither whole nor a marked prefix");
                }
            }
            if (record.alpn) {
                const auto items = logfmt_list(logfmt_at(pairs, "alpn"));
                const auto &json_items = parsed.at("alpn").items;
                check(items.size() == json_items.size() ||
                          (!items.empty() && items.back() == truncation_marker) ||
                          (!json_items.empty() && json_items.back().text == truncation_marker),
                      "list lengths");
                bool whole = items.size() == record.alpn->size();
                for (std::size_t i = 0; whole && i < items.size(); ++i) {
                    whole = items[i] == (*record.alpn)[i];
                }
                bool short_elements = true;
                for (const std::string &item : *record.alpn) {
                    short_elements = short_elements && item.size() <= 10;
                }
                if (record.alpn->size() <= 4 && short_elements) {
                    check(whole, "short logfmt list reads back whole");
                }
            }
        } catch (const std::exception &error) {
            check(false, error.what());
        }
    }
    CHECK(failures == 0);
}

TEST_CASE("Real legacy and embedded clients' JA3 texts and ALPN lists are kept whole") {
    // A JA3 text of 494 characters (an mbedTLS program's length) and 20 ALPN protocols.
    std::string ja3 = "771,";
    for (int suite = 49195; ja3.size() < 480; ++suite) ja3 += std::to_string(suite) + "-";
    ja3 += "255,0-10-11-13-22-23,29-23-24,0";
    while (ja3.size() < 494) ja3.insert(4, "1-");
    REQUIRE(ja3.size() >= 494);
    std::vector<std::string> alpn = {
        "h2",    "http/1.1", "spdy/3.1",    "spdy/3",    "spdy/2",      "h2-16",     "h2-15",
        "h2-14", "h2c",      "http/1.0",    "stun.turn", "webrtc",      "c-webrtc",  "ftp",
        "imap",  "pop3",     "managesieve", "coap",      "xmpp-client", "acme-tls/1"};
    Record record;
    record.event = "handshake";
    record.ja3 = ja3;
    record.alpn = alpn;
    for (const std::string &line : {render_json(record), render_logfmt(record)}) {
        CHECK(line.find(ja3) != std::string::npos);
        CHECK(line.find("truncated") == std::string::npos);
        CHECK(line.find("acme-tls/1") != std::string::npos);
    }
}
