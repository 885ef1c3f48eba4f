// record-to-logfmt: rewrites a log of the module's JSON records as the module would have written
// them under SNIFallbackLogFormat logfmt, with the core's own writer (render_logfmt, record.h).
// Used by tests/unit/cli_report_check.py to make and check tests/data/report/logfmt/.
//
//   snifallback-record-to-logfmt < json.log > logfmt.log
//
// Each line: a syslog prefix (split_syslog_prefix) is kept as it is; a JSON object after it is
// read (json_lite.h, strict) into a Record and rendered as logfmt. Keys the writer renders but
// the line lacks are absent (key=) in the output; a key the Record has no field for is an error
// (exit status 1), so nothing of a record is dropped on the way. A line that holds no JSON
// object, or not valid JSON, is copied unchanged (it stays a bad line in either format).
#include <cstdio>
#include <iostream>
#include <stdexcept>
#include <string>
#include <string_view>

#include "core/record.h"
#include "core/report.h"
#include "json_lite.h"

namespace {

using snifallback::Record;

Record::Text text(const json_lite::Value &value) {
    if (value.is_null()) return std::nullopt;
    return value.str();
}

Record::Integer integer(const json_lite::Value &value) {
    if (value.is_null()) return std::nullopt;
    if (value.type != json_lite::Value::Type::number) throw std::runtime_error("not a number");
    return std::stoi(value.text);
}

Record to_record(const json_lite::Value &object) {
    Record r;
    for (const auto &[key, value] : object.members) {
        if (key == "time") {
            if (value.is_null()) continue;
            const auto time = snifallback::parse_report_time(value.str());
            if (!time) throw std::runtime_error("time is not an RFC 3339 time");
            r.time_us = *time;
        } else if (key == "alpn") {
            if (value.is_null()) continue;
            r.alpn.emplace();
            for (const json_lite::Value &item : value.items) r.alpn->push_back(item.str());
        } else if (key == "client_port") {
            r.client_port = integer(value);
        } else if (key == "local_port") {
            r.local_port = integer(value);
        } else if (key == "status") {
            r.status = integer(value);
        } else if (key == "enforced") {
            if (!value.is_null()) r.enforced = value.truth();
        } else {
            Record::Text Record::*member = nullptr;
            const std::pair<std::string_view, Record::Text Record::*> texts[] = {
                {"event", &Record::event},
                {"client_ip", &Record::client_ip},
                {"peer_ip", &Record::peer_ip},
                {"local_ip", &Record::local_ip},
                {"vhost", &Record::vhost},
                {"cert_vhost", &Record::cert_vhost},
                {"sni_class", &Record::sni_class},
                {"sni", &Record::sni},
                {"tls_offered_max", &Record::tls_offered_max},
                {"tls_version", &Record::tls_version},
                {"cipher", &Record::cipher},
                {"ja3", &Record::ja3},
                {"ja3_hash", &Record::ja3_hash},
                {"ja4", &Record::ja4},
                {"client_name", &Record::client_name},
                {"outcome", &Record::outcome},
                {"source", &Record::source},
                {"host", &Record::host},
                {"method", &Record::method},
                {"uri", &Record::uri},
                {"protocol", &Record::protocol},
                {"user_agent", &Record::user_agent},
                {"action", &Record::action},
                {"reason", &Record::reason},
                {"target", &Record::target},
                {"result", &Record::result},
                {"page", &Record::page},
            };
            for (const auto &[name, field] : texts) {
                if (name == key) member = field;
            }
            if (member == nullptr) throw std::runtime_error("a key the writer has not: " + key);
            r.*member = text(value);
        }
    }
    return r;
}

}  // namespace

int main() {
    std::string line;
    unsigned long number = 0;
    while (std::getline(std::cin, line)) {
        ++number;
        const snifallback::SyslogLine split = snifallback::split_syslog_prefix(line);
        json_lite::Value object;
        bool json = !split.record.empty() && !split.logfmt;
        if (json) {
            try {
                object = json_lite::parse(split.record);
                json = object.type == json_lite::Value::Type::object;
            } catch (const std::exception &) {
                json = false;
            }
        }
        if (!json) {
            std::cout << line << '\n';
            continue;
        }
        try {
            const std::string prefix = line.substr(0, line.size() - split.record.size());
            std::cout << prefix << snifallback::render_logfmt(to_record(object));
        } catch (const std::exception &e) {
            std::fprintf(stderr, "record-to-logfmt: line %lu: %s\n", number, e.what());
            return 1;
        }
    }
    return 0;
}
