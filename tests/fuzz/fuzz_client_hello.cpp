// libFuzzer target over the ClientHello parser and both fingerprints (and the other parsers of
// bytes a client controls: the PROXY protocol header, a proxy's header values; and the report's
// reader of log lines, whose values a client controls, with the logfmt writer's round trip):
// arbitrary bytes in, never a crash, an out-of-bounds read (ASan) or undefined behaviour (UBSan); a
// few invariants besides. Built with clang -fsanitize=fuzzer,address,undefined by scripts/fuzz.sh;
// the same file also builds with a small replay main (fuzz_replay.cpp) under any compiler, so it
// cannot rot.
#include <cstddef>
#include <cstdint>
#include <algorithm>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "core/client_hello.h"
#include "core/fingerprint.h"
#include "core/logfmt_reader.h"
#include "core/proxy_facts.h"
#include "core/proxy_header.h"
#include "core/record.h"
#include "core/report.h"

namespace {

void check(bool condition) {
    if (!condition) std::abort();
}

void fingerprint(const snifallback::ClientHello &hello) {
    const std::string ja3 = snifallback::ja3_string(hello);
    const std::string hash = snifallback::ja3_hash(ja3);
    check(hash.size() == 32);
    const std::string ja4 = snifallback::ja4(hello);
    const std::string ja4_r = snifallback::ja4_r(hello);
    // "t13d1516h2_8daaf6152771_e5627efa2ab1": a fixed 36 characters, and the raw form shares part
    // a.
    check(ja4.size() == 36 && ja4[10] == '_' && ja4[23] == '_');
    check(ja4_r.compare(0, 11, ja4, 0, 11) == 0);
    check(hello.sni.size() <= snifallback::ParseLimits::max_name_bytes);
    check(hello.cipher_suites.size() <= snifallback::ParseLimits::max_cipher_suites);
    check(hello.extensions.size() <= snifallback::ParseLimits::max_extensions);
}

// The bytes as a line of a log (snifallback-report's reader), and as a value the logfmt writer
// escapes and the reader must give back.
void log_line(const std::string &text) {
    const std::string_view line(text);
    const snifallback::SyslogLine split = snifallback::split_syslog_prefix(line);
    std::vector<snifallback::LogfmtField> fields;
    const std::string fault = snifallback::parse_logfmt_line(split.record, fields);
    for (const snifallback::LogfmtField &field : fields) {
        std::string value;
        if (snifallback::decode_logfmt_value(field.raw, value))
            check(value.size() <= field.raw.size());
        std::vector<std::string> items;
        (void)snifallback::split_logfmt_list(field.raw, items);
    }
    snifallback::ReportFields report;
    snifallback::LogfmtScratch scratch;
    if (snifallback::read_logfmt_record(split.record, report, scratch).empty()) {
        check(fault.empty());
        (void)report.finish(split.host, "file");
    }

    snifallback::Record record;
    record.event = "request";
    record.user_agent = text;
    record.alpn = std::vector<std::string>{text, "", text};
    std::string rendered = snifallback::render_logfmt(record);
    check(!rendered.empty() && rendered.back() == '\n');
    rendered.pop_back();
    check(snifallback::parse_logfmt_line(rendered, fields).empty());
    for (const snifallback::LogfmtField &field : fields) {
        if (field.key != "user_agent") continue;
        std::string value;
        check(snifallback::decode_logfmt_value(field.raw, value));
        // whole, or cut on a unit boundary and marked
        const std::string_view marker = snifallback::truncation_marker;
        check(value == text ||
              (value.size() >= marker.size() &&
               value.compare(value.size() - marker.size(), marker.size(), marker) == 0 &&
               text.compare(0, value.size() - marker.size(), value, 0,
                            value.size() - marker.size()) == 0));
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
    snifallback::ClientHello hello;
    // Both explicit entry points, whatever the first byte says, then the dispatching one.
    const auto scan = snifallback::scan_for_sni(data, size);
    if (snifallback::parse_client_hello_message(data, size, hello) == snifallback::ParseError::ok) {
        fingerprint(hello);
        // The module's fast path must agree with the full parser wherever the parser accepts.
        check(scan ==
              (hello.sni_present ? snifallback::SniScan::present : snifallback::SniScan::absent));
    }
    if (snifallback::parse_client_hello_records(data, size, hello) == snifallback::ParseError::ok) {
        fingerprint(hello);
    }
    if (snifallback::parse_sslv2_client_hello_message(data, size, hello) ==
        snifallback::ParseError::ok) {
        fingerprint(hello);
        check(hello.sslv2_format && !hello.sni_present && hello.extensions.empty());
    }
    const snifallback::ParseError error = snifallback::parse_client_hello(data, size, hello);
    check(snifallback::to_string(error) != nullptr);
    if (error == snifallback::ParseError::ok) fingerprint(hello);

    snifallback::ProxiedAddress address;
    if (snifallback::scan_proxy_header(data, size, address) ==
        snifallback::ProxyHeaderScan::found) {
        check(!address.ip.empty() && address.ip.size() <= 45);
    }
    // The same bytes as four header values, split at NUL bytes (headers hold none).
    const std::string text(reinterpret_cast<const char *>(data), size);
    std::string values[4];
    std::size_t at = 0;
    for (std::string &value : values) {
        if (at > text.size()) break;
        const std::size_t end = std::min(text.find('\0', at), text.size());
        value = text.substr(at, end - at);
        at = end + 1;
    }
    if (const auto facts = snifallback::read_proxy_facts(values[0].c_str(), values[1].c_str(),
                                                         values[2].c_str(), values[3].c_str())) {
        check(facts->sni.size() <= snifallback::max_proxy_sni);
        check(facts->ja4.size() <= snifallback::max_proxy_ja4);
        check(facts->ja3_hash.empty() || facts->ja3_hash.size() == 32);
    }
    log_line(text);
    return 0;
}
