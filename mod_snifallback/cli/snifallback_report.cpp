// snifallback-report: the retirement table from the module's logs (JSON or logfmt) of one or many
// servers.
//
// Reads files (plain or gzip: zlib tells them apart by their first bytes, so rotated .gz files
// and their plain siblings can be given together), or standard input, one record per line, a
// syslog prefix before the record allowed; streams them through the core's ReportAggregator
// (core/report.h) and prints the table as text, CSV, JSON or HTML (core/report_render.h).
//
// Each line's format is told apart on its own (split_syslog_prefix): a record that starts with '{'
// is JSON, one that starts with a key= pair is logfmt, so a log whose writer switched formats reads
// whole. JSON lines are parsed with simdjson (its DOM API, which picks the fastest implementation
// for the CPU at run time), which validates the whole line, JSON and UTF-8, before the report reads
// its keys; logfmt lines by the core's reader (core/logfmt_reader.h), which checks the whole line's
// syntax and decodes only the values the report reads. Both fill the report's input through the
// one key mapping of core/report.h (ReportFields). A line that is not a record is counted and
// reported with its file and line number, never fatal; a file that cannot be read, a truncated or
// corrupt gzip stream is reported, the report still printed, and the exit status is then 1 (2: bad
// usage).
#include <simdjson.h>
#include <zlib.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include <fcntl.h>
#include <unistd.h>

#include "core/client_names.h"
#include "core/record.h"
#include "core/report.h"
#include "core/report_render.h"
#include "core/version.h"

namespace {

using snifallback::ReportEvent;
using snifallback::ReportInput;

constexpr std::size_t buffer_bytes = 4 << 20;
// Longest line read: a record is at most 4096 bytes, plus a syslog prefix.
constexpr std::size_t max_line_bytes = 64 << 10;

constexpr const char *usage_text =
    "usage: snifallback-report [options] [file...]\n"
    "Reads mod_snifallback's logs, JSON or logfmt, told apart line by line (plain or .gz,\n"
    "several servers' at once; none or '-': standard input; lines may carry a syslog prefix) and\n"
    "prints one row per client (class, JA4), what breaks most if enforced today first.\n"
    "  --format text|csv|json|html   output format (default text)\n"
    "  -o, --output FILE             write the report to FILE instead of standard output\n"
    "  --names FILE                  CSV naming fingerprints (FoxIO ja4plus-mapping.csv columns);\n"
    "                                repeatable, later files win\n"
    "  --since TIME, --until TIME    records from TIME on / before TIME (2026-11-23 or\n"
    "                                2026-11-23T08:00:00Z)\n"
    "  --vhost NAME                  requests for this Host, handshakes of this vhost "
    "(repeatable)\n"
    "  --class CLASS                 no-sni, ip-literal or unknown-name (repeatable)\n"
    "  --server ID                   records of this server (repeatable)\n"
    "  --per-server                  one row per client and server\n"
    "  --problems N                  list at most N bad lines (default 20)\n"
    "  -h, --help, --version\n";

struct Options {
    std::string format = "text";
    std::string output;
    std::vector<std::string> names;
    snifallback::ReportOptions report;
    std::vector<std::string> files;
    std::size_t max_problems = 20;
};

int usage_error(const std::string &message) {
    std::fprintf(stderr, "snifallback-report: %s\n%s", message.c_str(), usage_text);
    return 2;
}

class Reader {
  public:
    Reader(snifallback::ReportAggregator &aggregator, snifallback::ReportInputSummary &summary,
           std::size_t max_problems)
        : aggregator_(aggregator),
          summary_(summary),
          max_problems_(max_problems),
          buffer_(buffer_bytes + simdjson::SIMDJSON_PADDING) {}

    // false when the file could not be read whole
    bool read(const std::string &name) {
        file_ = name;
        file_server_ = snifallback::server_from_path(name);
        line_number_ = 0;
        gzFile gz = nullptr;
        if (name == "-") {
            const int fd = dup(STDIN_FILENO);
            if (fd >= 0) gz = gzdopen(fd, "rb");
        } else {
            gz = gzopen(name.c_str(), "rb");
        }
        if (gz == nullptr) {
            file_problem(std::string("cannot open: ") + std::strerror(errno ? errno : ENOMEM));
            return false;
        }
        gzbuffer(gz, 1 << 18);
        bool ok = true;
        std::size_t have = 0;
        bool skipping = false;  // inside a line longer than max_line_bytes
        for (;;) {
            const int n =
                gzread(gz, buffer_.data() + have, static_cast<unsigned>(buffer_bytes - have));
            if (n < 0) {
                int errnum = 0;
                const std::string message = zlib_message(gzerror(gz, &errnum));
                file_problem(errnum == Z_ERRNO ? std::string("read error: ") + std::strerror(errno)
                                               : "corrupt gzip data: " + message + after_line());
                ok = false;
                break;
            }
            if (n == 0) break;
            const std::size_t end = have + static_cast<std::size_t>(n);
            std::size_t start = 0;
            for (;;) {
                const void *nl = std::memchr(buffer_.data() + start, '\n', end - start);
                if (nl == nullptr) break;
                const std::size_t stop =
                    static_cast<std::size_t>(static_cast<const char *>(nl) - buffer_.data());
                if (skipping) {
                    skipping = false;
                } else {
                    line(start, stop);
                }
                start = stop + 1;
            }
            have = end - start;
            if (have > max_line_bytes || (skipping && have > 0)) {
                if (!skipping) {
                    ++line_number_;
                    ++summary_.lines;
                    bad("a line longer than " + std::to_string(max_line_bytes) + " bytes");
                }
                skipping = true;
                have = 0;
            } else if (have != 0 && start != 0) {
                std::memmove(buffer_.data(), buffer_.data() + start, have);
            }
        }
        int errnum = Z_OK;
        const std::string message = zlib_message(gzerror(gz, &errnum));
        if (ok && errnum == Z_BUF_ERROR) {
            file_problem("truncated gzip file (" + message + ")" + after_line());
            ok = false;
        }
        if (have != 0 && !skipping) line(0, have);  // the last line, without '\n'
        gzclose(gz);
        return ok;
    }

  private:
    // zlib's message without the file name it puts in front
    std::string zlib_message(const char *message) const {
        std::string text = message != nullptr ? message : "";
        const std::string prefix = (file_ == "-" ? std::string("<fd:") : file_ + ": ");
        if (text.rfind(prefix, 0) == 0) {
            text.erase(0, prefix.size());
        }
        const std::size_t fd = text.find(">: ");
        if (file_ == "-" && text.rfind("<fd:", 0) == 0 && fd != std::string::npos) {
            text.erase(0, fd + 3);
        }
        return text;
    }

    std::string after_line() const { return ", after line " + std::to_string(line_number_); }

    void file_problem(const std::string &reason) {
        summary_.problems.push_back({file_, 0, reason});
    }

    void bad(const std::string &reason) {
        ++summary_.bad_lines;
        if (listed_ < max_problems_) {
            ++listed_;
            summary_.problems.push_back({file_, line_number_, reason});
        } else {
            ++summary_.problems_not_listed;
        }
    }

    void line(std::size_t start, std::size_t stop) {
        ++line_number_;
        ++summary_.lines;
        if (stop - start > max_line_bytes) {
            bad("a line longer than " + std::to_string(max_line_bytes) + " bytes");
            return;
        }
        std::string_view text(buffer_.data() + start, stop - start);
        if (!text.empty() && text.back() == '\r') text.remove_suffix(1);
        if (text.find_first_not_of(" \t") == std::string_view::npos) return;  // blank
        const snifallback::SyslogLine split = snifallback::split_syslog_prefix(text);
        if (split.record.empty()) {
            bad("no JSON object or logfmt record on the line");
            return;
        }
        snifallback::ReportFields fields;
        std::string reason = split.logfmt
                                 ? snifallback::read_logfmt_record(split.record, fields, logfmt_)
                                 : parse_json(split.record, fields);
        if (reason.empty()) reason = fields.finish(split.host, file_server_);
        if (!reason.empty()) {
            bad(reason);
            return;
        }
        aggregator_.add(fields.input);
    }

    // The JSON record on the line into `fields`; the reason it is not one otherwise. The buffer's
    // padding is there after `json`: parse(..., false) relies on it.
    std::string parse_json(std::string_view json, snifallback::ReportFields &fields) {
        using namespace simdjson;
        using snifallback::ReportKey;
        // The DOM API: its parse runs the implementation simdjson picks for this CPU at run time
        // (haswell, icelake, westmere, ...); the On Demand API is compiled for the build's target
        // only, which for a Debian package is plain x86-64 (simdjson's slow fallback).
        dom::element doc;
        if (auto error = parser_.parse(json.data(), json.size(), false).get(doc)) {
            return std::string("not JSON: ") + error_message(error);
        }
        dom::object object;
        if (auto error = doc.get_object().get(object)) {
            return std::string("not a JSON object: ") + error_message(error);
        }
        for (const dom::key_value_pair field : object) {
            const ReportKey key = snifallback::report_key(field.key);
            switch (key) {
                case ReportKey::other:
                    break;
                case ReportKey::status: {
                    int64_t status = 0;
                    if (field.value.get_int64().get(status) == SUCCESS &&
                        snifallback::report_status_valid(status)) {
                        fields.input.status = static_cast<int>(status);
                    }
                    break;
                }
                case ReportKey::enforced: {
                    bool enforced = false;
                    if (field.value.get_bool().get(enforced) == SUCCESS) {
                        fields.input.enforced = enforced;
                    }
                    break;
                }
                default: {
                    std::string_view *target = fields.text(key);
                    std::string_view s;
                    if (target != nullptr && field.value.get_string().get(s) == SUCCESS) {
                        *target = s;
                    }
                    break;
                }
            }
        }
        return {};
    }

    snifallback::ReportAggregator &aggregator_;
    snifallback::ReportInputSummary &summary_;
    std::size_t max_problems_;
    std::size_t listed_ = 0;
    std::vector<char> buffer_;
    simdjson::dom::parser parser_;
    snifallback::LogfmtScratch logfmt_;
    std::string file_;
    std::string file_server_;
    std::uint64_t line_number_ = 0;
};

bool read_file(const std::string &path, std::string &out) {
    std::FILE *f = std::fopen(path.c_str(), "rb");
    if (f == nullptr) return false;
    char chunk[65536];
    std::size_t n;
    while ((n = std::fread(chunk, 1, sizeof chunk, f)) > 0) out.append(chunk, n);
    const bool ok = !std::ferror(f);
    std::fclose(f);
    return ok;
}

// Options; a non-zero exit status for bad usage.
int parse_options(int argc, char **argv, Options &options, bool &done) {
    done = false;
    std::vector<std::string> args(argv + 1, argv + argc);
    auto &filter = options.report.filter;
    for (std::size_t i = 0; i < args.size(); ++i) {
        const std::string &arg = args[i];
        auto value = [&](std::string &out) -> bool {
            if (i + 1 >= args.size()) return false;
            out = args[++i];
            return true;
        };
        std::string v;
        if (arg == "-h" || arg == "--help") {
            std::fputs(usage_text, stdout);
            done = true;
            return 0;
        } else if (arg == "--version") {
            std::puts("snifallback-report " SNIFALLBACK_VERSION);
            done = true;
            return 0;
        } else if (arg == "--per-server") {
            options.report.per_server = true;
        } else if (arg == "-" || arg.empty() || arg[0] != '-') {
            options.files.push_back(arg);
        } else if (arg == "--") {
            options.files.insert(options.files.end(), args.begin() + static_cast<long>(i) + 1,
                                 args.end());
            break;
        } else if (!value(v)) {
            return usage_error(arg.rfind("--", 0) == 0 || arg == "-o" ? arg + " needs a value"
                                                                      : "unknown option " + arg);
        } else if (arg == "--format") {
            if (v != "text" && v != "csv" && v != "json" && v != "html") {
                return usage_error("unknown --format '" + v + "': text, csv, json or html");
            }
            options.format = v;
        } else if (arg == "-o" || arg == "--output") {
            options.output = v;
        } else if (arg == "--names") {
            options.names.push_back(v);
        } else if (arg == "--since" || arg == "--until") {
            const auto t = snifallback::parse_report_time(v);
            if (!t) {
                return usage_error(arg + " '" + v +
                                   "': not a date (2026-11-23) or an RFC 3339 time "
                                   "(2026-11-23T08:00:00Z)");
            }
            (arg == "--since" ? filter.since_us : filter.until_us) = *t;
        } else if (arg == "--vhost") {
            filter.vhosts.push_back(v);
        } else if (arg == "--class") {
            if (v != "no-sni" && v != "ip-literal" && v != "unknown-name") {
                return usage_error("unknown --class '" + v +
                                   "': no-sni, ip-literal or unknown-name");
            }
            filter.classes.push_back(v);
        } else if (arg == "--server") {
            filter.servers.push_back(v);
        } else if (arg == "--problems") {
            char *end = nullptr;
            const unsigned long n = std::strtoul(v.c_str(), &end, 10);
            if (v.empty() || *end != '\0') return usage_error("--problems wants a number");
            options.max_problems = n;
        } else {
            return usage_error("unknown option " + arg);
        }
    }
    if (options.files.empty()) options.files.push_back("-");
    return 0;
}

std::vector<std::string> filter_texts(const snifallback::ReportOptions &options) {
    std::vector<std::string> out;
    const auto &f = options.filter;
    if (f.since_us) out.push_back("since " + snifallback::format_time_utc(*f.since_us));
    if (f.until_us) out.push_back("until " + snifallback::format_time_utc(*f.until_us));
    for (const auto &v : f.vhosts) out.push_back("vhost " + v);
    for (const auto &c : f.classes) out.push_back("class " + c);
    for (const auto &s : f.servers) out.push_back("server " + s);
    return out;
}

}  // namespace

int main(int argc, char **argv) {
    Options options;
    bool done = false;
    if (const int rc = parse_options(argc, argv, options, done); rc != 0 || done) return rc;

    snifallback::ClientNames names;
    snifallback::ReportInputSummary summary;
    int status = 0;
    for (const std::string &path : options.names) {
        std::string text;
        if (!read_file(path, text)) {
            std::fprintf(stderr, "snifallback-report: --names %s: %s\n", path.c_str(),
                         std::strerror(errno));
            return 2;
        }
        for (const auto &problem : names.add_csv(text)) {
            std::fprintf(stderr, "snifallback-report: %s:%zu: %s\n", path.c_str(), problem.line,
                         problem.message.c_str());
        }
    }
    summary.names = names.size();
    summary.files = options.files;
    summary.filters = filter_texts(options.report);

    snifallback::ReportAggregator aggregator(options.report);
    {
        Reader reader(aggregator, summary, options.max_problems);
        for (const std::string &file : options.files) {
            if (!reader.read(file)) status = 1;
        }
    }
    const snifallback::Report report = aggregator.finish(names.size() ? &names : nullptr);

    std::string out;
    if (options.format == "csv") {
        out = snifallback::render_report_csv(report);
    } else if (options.format == "json") {
        out = snifallback::render_report_json(report, summary);
    } else if (options.format == "html") {
        out = snifallback::render_report_html(report, summary);
    } else {
        out = snifallback::render_report_text(report, summary);
    }
    // Problems go to standard error too (the text and CSV outputs have no room for them).
    for (const auto &p : summary.problems) {
        if (p.line) {
            std::fprintf(stderr, "snifallback-report: %s:%llu: %s\n", p.file.c_str(),
                         static_cast<unsigned long long>(p.line), p.reason.c_str());
        } else {
            std::fprintf(stderr, "snifallback-report: %s: %s\n", p.file.c_str(), p.reason.c_str());
        }
    }
    if (summary.problems_not_listed) {
        std::fprintf(stderr, "snifallback-report: ... and %llu more bad lines\n",
                     static_cast<unsigned long long>(summary.problems_not_listed));
    }
    std::FILE *sink = stdout;
    if (!options.output.empty()) {
        sink = std::fopen(options.output.c_str(), "wb");
        if (sink == nullptr) {
            std::fprintf(stderr, "snifallback-report: cannot write %s: %s\n",
                         options.output.c_str(), std::strerror(errno));
            return 2;
        }
    }
    const bool written = std::fwrite(out.data(), 1, out.size(), sink) == out.size();
    if (std::fclose(sink) != 0 || !written) {
        std::fprintf(stderr, "snifallback-report: cannot write the report\n");
        return 1;
    }
    return status;
}
