// The retirement table (core/report.h) for people and programs: aligned text for a terminal, CSV,
// JSON, and one self-contained HTML page.
//
// Every value that came from a log line (class, JA4, names, Host, User-Agent, server ids) is
// untrusted. Text and CSV show it escaped as logfmt escapes it (core/escape.h: control bytes,
// quotes, backslashes and invalid UTF-8 become \-escapes), so nothing reaches a terminal as a
// control sequence; CSV cells that would start with = + - @ (a spreadsheet formula) get a leading
// apostrophe. JSON escapes as the log does. HTML escapes the JSON-escaped text for HTML, and the
// page holds no script and loads nothing (a Content-Security-Policy meta element forbids both): its
// chart is inline SVG.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/report.h"

namespace snifallback {

struct ReportProblem {
    std::string file;
    std::uint64_t line = 0;  // 0: the file as a whole (cannot be opened, truncated .gz, ...)
    std::string reason;
};

// What was read, for the report's head and its list of problems.
struct ReportInputSummary {
    std::vector<std::string> files;  // as given ("-" for standard input)
    std::uint64_t lines = 0;
    std::uint64_t bad_lines = 0;
    std::vector<ReportProblem> problems;  // the first ones; file problems always
    std::uint64_t problems_not_listed = 0;
    std::vector<std::string> filters;  // "since 2026-11-20", "class no-sni", ...
    std::uint64_t names = 0;           // fingerprints named by --names files
};

std::string render_report_text(const Report &report, const ReportInputSummary &input);
std::string render_report_csv(const Report &report);
std::string render_report_json(const Report &report, const ReportInputSummary &input);
std::string render_report_html(const Report &report, const ReportInputSummary &input);

}  // namespace snifallback
