#include "core/report_render.h"

#include <algorithm>
#include <cstddef>
#include <string_view>

#include "core/escape.h"
#include "core/record.h"
#include "core/status.h"
#include "core/version.h"

namespace snifallback {

namespace {

std::string escaped(std::string_view value, EscapeStyle style) {
    std::string out;
    // every unit escapes to at most 6 characters: the budget never cuts
    append_escaped(out, value, style, 6 * value.size() + truncation_marker.size());
    return out;
}

std::string text_value(std::string_view value) {
    return escaped(value, EscapeStyle::logfmt);
}

std::string json_string(std::string_view value) {
    return '"' + escaped(value, EscapeStyle::json) + '"';
}

std::size_t display_width(std::string_view s) {
    std::size_t n = 0;
    for (char c : s) {
        if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++n;
    }
    return n;
}

// At most `width` characters of already escaped text, cut on a character boundary, "..." marking
// the cut.
std::string clipped(const std::string &s, std::size_t width) {
    if (display_width(s) <= width) return s;
    std::string out;
    std::size_t n = 0;
    for (std::size_t i = 0; i < s.size(); ++i) {
        const bool starts = (static_cast<unsigned char>(s[i]) & 0xC0) != 0x80;
        if (starts && ++n > width - 3) break;
        out += s[i];
    }
    return out + "...";
}

std::string time_text(std::int64_t us) {
    std::string t = format_time_utc(us);
    return t.empty() ? "-" : t;
}

std::string minute_text(std::int64_t us) {
    std::string t = format_time_utc(us);
    if (t.size() < 16) return "-";
    t[10] = ' ';
    return t.substr(0, 16);
}

std::string thousands(std::uint64_t n) {
    std::string digits = std::to_string(n);
    std::string out;
    for (std::size_t i = 0; i < digits.size(); ++i) {
        if (i != 0 && (digits.size() - i) % 3 == 0) out += ',';
        out += digits[i];
    }
    return out;
}

std::string addresses_text(const ReportRow &row) {
    return (row.addresses_estimated ? "~" : "") + std::to_string(row.addresses);
}

// "a.test 20, b.test 10, +3" with `shown` entries at most (text form, escaped).
std::string counts_text(const std::vector<std::pair<std::string, std::uint64_t>> &entries,
                        std::uint64_t other, std::size_t shown) {
    std::string out;
    std::uint64_t rest = other;
    for (std::size_t i = 0; i < entries.size(); ++i) {
        if (i >= shown) {
            rest += entries[i].second;
            continue;
        }
        if (!out.empty()) out += ", ";
        out += text_value(entries[i].first) + ' ' + std::to_string(entries[i].second);
    }
    if (rest != 0) out += (out.empty() ? "" : ", ") + std::string("other ") + std::to_string(rest);
    return out.empty() ? "-" : out;
}

std::uint64_t server_count(const ReportRow &row) {
    return row.servers.size() + row.more_servers;
}

std::string or_dash(std::string s) {
    return s.empty() ? "-" : s;
}

struct Column {
    const char *title;
    bool number;
};

void append_table(std::string &out, const std::vector<Column> &columns,
                  const std::vector<std::vector<std::string>> &rows) {
    std::vector<std::size_t> widths;
    for (const Column &c : columns) widths.push_back(display_width(c.title));
    for (const auto &row : rows) {
        for (std::size_t i = 0; i < row.size(); ++i) {
            widths[i] = std::max(widths[i], display_width(row[i]));
        }
    }
    auto line = [&](const std::vector<std::string> &cells) {
        std::string text;
        for (std::size_t i = 0; i < cells.size(); ++i) {
            const std::size_t pad = widths[i] - display_width(cells[i]);
            if (i != 0) text += "  ";
            if (columns[i].number) text.append(pad, ' ');
            text += cells[i];
            if (!columns[i].number && i + 1 < cells.size()) text.append(pad, ' ');
        }
        while (!text.empty() && text.back() == ' ') text.pop_back();
        out += text + '\n';
    };
    std::vector<std::string> titles;
    for (const Column &c : columns) titles.emplace_back(c.title);
    line(titles);
    for (const auto &row : rows) line(row);
}

std::string period_text(const Report &report) {
    if (report.matched == 0) return "no records";
    return time_text(report.first_us) + " to " + time_text(report.last_us);
}

std::string head_text(const Report &report, const ReportInputSummary &input) {
    std::string out = "snifallback-report " SNIFALLBACK_VERSION ": " + thousands(report.records) +
                      " records in " + thousands(input.lines) + " lines of " +
                      std::to_string(input.files.size()) +
                      (input.files.size() == 1 ? " file" : " files") + "; " +
                      thousands(input.bad_lines) + " bad lines\n";
    if (!input.filters.empty()) {
        out += "filters:";
        for (const std::string &f : input.filters) out += ' ' + text_value(f) + ';';
        out.back() = '\n';
        out += thousands(report.matched) + " records match\n";
    }
    out += "period: " + period_text(report) + "; " + std::to_string(report.rows.size()) +
           (report.rows.size() == 1 ? " client on " : " clients on ") +
           std::to_string(report.servers.size()) +
           (report.servers.size() == 1 ? " server" : " servers");
    if (input.names != 0) out += "; " + thousands(input.names) + " fingerprints named";
    out += '\n';
    return out;
}

}  // namespace

// -- text -------------------------------------------------------------------------------------

std::string render_report_text(const Report &report, const ReportInputSummary &input) {
    std::string out = head_text(report, input);
    const bool per_server = std::any_of(report.rows.begin(), report.rows.end(),
                                        [](const ReportRow &r) { return !r.server.empty(); });
    std::vector<Column> columns = {{"BREAKS", true}, {"CLASS", false}, {"JA4", false},
                                   {"NAME", false},  {"CONN", true},   {"FAILED", true},
                                   {"REQ", true},    {"ADDR", true},   {"SRV", true},
                                   {"DAYS", true},   {"FIRST", false}, {"LAST", false},
                                   {"HOSTS", false}, {"GOT", false},   {"USER-AGENT", false}};
    if (per_server) columns.insert(columns.begin() + 3, {"SERVER", false});
    std::vector<std::vector<std::string>> rows;
    for (const ReportRow &r : report.rows) {
        std::vector<std::string> cells = {std::to_string(r.breaks),
                                          or_dash(text_value(r.sni_class)),
                                          or_dash(text_value(r.ja4)),
                                          or_dash(clipped(text_value(r.name), 32)),
                                          std::to_string(r.connections),
                                          std::to_string(r.failed),
                                          std::to_string(r.requests),
                                          addresses_text(r),
                                          std::to_string(server_count(r)),
                                          std::to_string(r.days),
                                          minute_text(r.first_us),
                                          minute_text(r.last_us),
                                          clipped(counts_text(r.hosts, r.other_hosts, 2), 40),
                                          clipped(counts_text(r.got, r.other_got, 2), 40),
                                          or_dash(clipped(text_value(r.user_agent), 48))};
        if (per_server) cells.insert(cells.begin() + 3, or_dash(text_value(r.server)));
        rows.push_back(std::move(cells));
    }
    out += '\n';
    append_table(out, columns, rows);
    if (!report.servers.empty()) {
        std::vector<std::vector<std::string>> servers;
        for (const ServerTotals &s : report.servers) {
            servers.push_back({or_dash(text_value(s.server)), std::to_string(s.clients),
                               std::to_string(s.connections), std::to_string(s.failed),
                               std::to_string(s.requests), std::to_string(s.breaks)});
        }
        out += '\n';
        append_table(out,
                     {{"SERVER", false},
                      {"CLIENTS", true},
                      {"CONN", true},
                      {"FAILED", true},
                      {"REQ", true},
                      {"BREAKS", true}},
                     servers);
    }
    return out;
}

// -- CSV --------------------------------------------------------------------------------------

namespace {

std::string csv_cell(const std::string &escaped_text, bool guard_formula) {
    std::string value = escaped_text;
    if (guard_formula && !value.empty() &&
        (value[0] == '=' || value[0] == '+' || value[0] == '-' || value[0] == '@')) {
        value.insert(value.begin(), '\'');
    }
    std::string out = "\"";
    for (char c : value) {
        if (c == '"') out += '"';
        out += c;
    }
    return out + '"';
}

std::string csv_counts(const std::vector<std::pair<std::string, std::uint64_t>> &entries,
                       std::uint64_t other) {
    std::string out;
    for (const auto &e : entries) {
        if (!out.empty()) out += "; ";
        out += text_value(e.first) + '=' + std::to_string(e.second);
    }
    if (other != 0)
        out += (out.empty() ? "" : "; ") + std::string("(other)=") + std::to_string(other);
    return out;
}

}  // namespace

std::string render_report_csv(const Report &report) {
    std::string out =
        "breaks,class,ja4,name,server,connections,failed,requests,addresses,"
        "addresses_estimated,servers,days,first_seen,last_seen,hosts,got,user_agent,ja3_hash\r\n";
    for (const ReportRow &r : report.rows) {
        std::string servers;
        for (const std::string &s : r.servers)
            servers += (servers.empty() ? "" : "; ") + text_value(s);
        if (r.more_servers != 0) servers += "; +" + std::to_string(r.more_servers);
        out += std::to_string(r.breaks) + ',' + csv_cell(text_value(r.sni_class), true) + ',' +
               csv_cell(text_value(r.ja4), true) + ',' + csv_cell(text_value(r.name), true) + ',' +
               csv_cell(text_value(r.server), true) + ',' + std::to_string(r.connections) + ',' +
               std::to_string(r.failed) + ',' + std::to_string(r.requests) + ',' +
               std::to_string(r.addresses) + ',' + (r.addresses_estimated ? "true" : "false") +
               ',' + csv_cell(servers, true) + ',' + std::to_string(r.days) + ',' +
               time_text(r.first_us) + ',' + time_text(r.last_us) + ',' +
               csv_cell(csv_counts(r.hosts, r.other_hosts), true) + ',' +
               csv_cell(csv_counts(r.got, r.other_got), true) + ',' +
               csv_cell(text_value(r.user_agent), true) + ',' +
               csv_cell(text_value(r.ja3_hash), true) + "\r\n";
    }
    return out;
}

// -- JSON -------------------------------------------------------------------------------------

namespace {

std::string json_counts(const std::vector<std::pair<std::string, std::uint64_t>> &entries) {
    std::string out = "{";
    for (const auto &e : entries) {
        if (out.size() > 1) out += ',';
        out += json_string(e.first) + ':' + std::to_string(e.second);
    }
    return out + '}';
}

std::string json_time(std::int64_t us) {
    const std::string t = format_time_utc(us);
    return t.empty() ? "null" : '"' + t + '"';
}

}  // namespace

std::string render_report_json(const Report &report, const ReportInputSummary &input) {
    std::string out = "{\"version\":\"" SNIFALLBACK_VERSION "\",\n\"input\":{\"files\":[";
    for (std::size_t i = 0; i < input.files.size(); ++i) {
        out += (i ? "," : "") + json_string(input.files[i]);
    }
    out += "],\"lines\":" + std::to_string(input.lines) +
           ",\"records\":" + std::to_string(report.records) +
           ",\"bad_lines\":" + std::to_string(input.bad_lines) + ",\"problems\":[";
    for (std::size_t i = 0; i < input.problems.size(); ++i) {
        const ReportProblem &p = input.problems[i];
        out += std::string(i ? "," : "") + "{\"file\":" + json_string(p.file) +
               ",\"line\":" + (p.line ? std::to_string(p.line) : "null") +
               ",\"reason\":" + json_string(p.reason) + '}';
    }
    out +=
        "],\"problems_not_listed\":" + std::to_string(input.problems_not_listed) + ",\"filters\":[";
    for (std::size_t i = 0; i < input.filters.size(); ++i) {
        out += (i ? "," : "") + json_string(input.filters[i]);
    }
    out += "],\"matched\":" + std::to_string(report.matched) +
           ",\"probes\":" + std::to_string(report.probes) +
           ",\"other_events\":" + std::to_string(report.other_events) +
           ",\"first\":" + (report.matched ? json_time(report.first_us) : "null") +
           ",\"last\":" + (report.matched ? json_time(report.last_us) : "null") +
           "},\n\"clients\":[";
    for (std::size_t i = 0; i < report.rows.size(); ++i) {
        const ReportRow &r = report.rows[i];
        out += std::string(i ? ",\n" : "\n") + "{\"class\":" + json_string(r.sni_class) +
               ",\"ja4\":" + (r.ja4.empty() ? "null" : json_string(r.ja4)) +
               ",\"ja3_hash\":" + (r.ja3_hash.empty() ? "null" : json_string(r.ja3_hash)) +
               ",\"name\":" + (r.name.empty() ? "null" : json_string(r.name));
        if (!r.server.empty()) out += ",\"server\":" + json_string(r.server);
        out += ",\"breaks\":" + std::to_string(r.breaks) +
               ",\"connections\":" + std::to_string(r.connections) +
               ",\"failed\":" + std::to_string(r.failed) +
               ",\"requests\":" + std::to_string(r.requests) +
               ",\"addresses\":" + std::to_string(r.addresses) +
               ",\"addresses_estimated\":" + (r.addresses_estimated ? "true" : "false") +
               ",\"servers\":[";
        for (std::size_t j = 0; j < r.servers.size(); ++j) {
            out += (j ? "," : "") + json_string(r.servers[j]);
        }
        out += "],\"more_servers\":" + std::to_string(r.more_servers) +
               ",\"days\":" + std::to_string(r.days) + ",\"first_seen\":" + json_time(r.first_us) +
               ",\"last_seen\":" + json_time(r.last_us) + ",\"hosts\":" + json_counts(r.hosts) +
               ",\"other_hosts\":" + std::to_string(r.other_hosts) +
               ",\"got\":" + json_counts(r.got) + ",\"other_got\":" + std::to_string(r.other_got) +
               ",\"user_agent\":" + (r.user_agent.empty() ? "null" : json_string(r.user_agent)) +
               '}';
    }
    out += "],\n\"servers\":[";
    for (std::size_t i = 0; i < report.servers.size(); ++i) {
        const ServerTotals &s = report.servers[i];
        out += std::string(i ? ",\n" : "\n") + "{\"server\":" + json_string(s.server) +
               ",\"clients\":" + std::to_string(s.clients) +
               ",\"connections\":" + std::to_string(s.connections) +
               ",\"failed\":" + std::to_string(s.failed) +
               ",\"requests\":" + std::to_string(s.requests) +
               ",\"breaks\":" + std::to_string(s.breaks) + '}';
    }
    out += "],\n\"daily\":[";
    for (std::size_t i = 0; i < report.days.size(); ++i) {
        const DayTotals &d = report.days[i];
        out += std::string(i ? ",\n" : "\n") + "{\"day\":\"" + format_day(d.day) + "\"";
        for (std::size_t c = 0; c < report_classes.size(); ++c) {
            out += ",\"" + std::string(report_classes[c]) +
                   "\":{\"connections\":" + std::to_string(d.connections[c]) +
                   ",\"requests\":" + std::to_string(d.requests[c]) + '}';
        }
        out += '}';
    }
    out += "]}\n";
    return out;
}

// -- HTML -------------------------------------------------------------------------------------

namespace {

// Text from a log line, for HTML: escaped as the log escapes it, then for HTML.
std::string html_value(std::string_view value) {
    return html_escape(escaped(value, EscapeStyle::json));
}

struct ClassStyle {
    const char *label;
    const char *color;
    const char *dash;  // nullptr: solid
};
// The status page's colours and dashes (history_chart.cpp): Okabe and Ito's palette.
constexpr ClassStyle class_styles[3] = {{"no SNI", "#d55e00", nullptr},
                                        {"IP literal", "#0072b2", "7 3"},
                                        {"unknown name", "#009e73", "2 2"}};

void append_daily_chart(std::string &out, const std::vector<DayTotals> &days) {
    constexpr long left = 56, right = 700, top = 30, bottom = 230;
    std::uint64_t max = 0;
    for (const DayTotals &d : days) {
        for (std::uint64_t n : d.connections) max = std::max(max, n);
    }
    std::uint64_t scale = 1;  // a round top for the axis
    while (scale * 10 <= max) scale *= 10;
    std::uint64_t axis_top = scale;
    while (axis_top < max) axis_top += scale;
    if (axis_top == 0) axis_top = 1;
    const std::size_t n = days.size();
    auto x_of = [&](std::size_t i) -> long {
        if (n <= 1) return (left + right) / 2;
        return left + static_cast<long>(i) * (right - left) / static_cast<long>(n - 1);
    };
    auto y_of = [&](std::uint64_t v) -> long {
        return bottom - static_cast<long>(v * static_cast<std::uint64_t>(bottom - top) / axis_top);
    };
    out +=
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 720 270\" width=\"100%\" "
        "role=\"img\" aria-labelledby=\"trend-title\" aria-describedby=\"trend-table\">"
        "<title id=\"trend-title\">Fallback connections per UTC day, by class</title>\n";
    out += "<path d=\"M" + std::to_string(left) + ' ' + std::to_string(top) + "V" +
           std::to_string(bottom) + "H" + std::to_string(right) +
           "\" fill=\"none\" stroke=\"#888888\"/>\n<g font-family=\"sans-serif\" font-size=\"11\" "
           "fill=\"#333333\">";
    for (int i = 0; i <= 2; ++i) {
        const std::uint64_t v = axis_top * static_cast<std::uint64_t>(i) / 2;
        out += "<text x=\"" + std::to_string(left - 6) + "\" y=\"" + std::to_string(y_of(v) + 4) +
               "\" text-anchor=\"end\">" + std::to_string(v) + "</text>";
    }
    const std::size_t step = n <= 8 ? 1 : (n + 6) / 7;
    for (std::size_t i = 0; i < n; i += step) {
        out += "<text x=\"" + std::to_string(x_of(i)) + "\" y=\"" + std::to_string(bottom + 18) +
               "\" text-anchor=\"middle\">" + format_day(days[i].day) + "</text>";
    }
    out += "</g>\n";
    for (std::size_t c = 0; c < 3; ++c) {
        const ClassStyle &style = class_styles[c];
        std::string stroke = std::string(" stroke=\"") + style.color + "\" stroke-width=\"2.5\"";
        if (style.dash) stroke += std::string(" stroke-dasharray=\"") + style.dash + '"';
        if (n == 1) {
            out += "<circle cx=\"" + std::to_string(x_of(0)) + "\" cy=\"" +
                   std::to_string(y_of(days[0].connections[c])) + "\" r=\"4\" fill=\"" +
                   style.color + "\"/>\n";
            continue;
        }
        out += "<polyline fill=\"none\"" + stroke + " stroke-linejoin=\"round\" points=\"";
        for (std::size_t i = 0; i < n; ++i) {
            out += (i ? " " : "") + std::to_string(x_of(i)) + ',' +
                   std::to_string(y_of(days[i].connections[c]));
        }
        out += "\"/>\n";
    }
    // the legend
    for (std::size_t c = 0; c < 3; ++c) {
        const ClassStyle &style = class_styles[c];
        const long x = left + 10 + static_cast<long>(c) * 150;
        out += "<path d=\"M" + std::to_string(x) + " 14h28\" stroke=\"" + style.color +
               "\" stroke-width=\"2.5\"" +
               (style.dash ? std::string(" stroke-dasharray=\"") + style.dash + '"' : "") +
               "/><text x=\"" + std::to_string(x + 34) +
               "\" y=\"18\" font-family=\"sans-serif\" font-size=\"12\">" + style.label +
               "</text>\n";
    }
    out += "</svg>\n";
}

}  // namespace

std::string render_report_html(const Report &report, const ReportInputSummary &input) {
    std::string out =
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"/>"
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
        "style-src 'unsafe-inline'; img-src 'none'\"/>"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>"
        "<title>snifallback-report: retirement table</title>\n<style>"
        "body{font-family:sans-serif;margin:1em;padding:0 .6em}"
        "table{border-collapse:collapse;margin-bottom:1.5em}"
        "td,th{border:1px solid #ccc;padding:.2em .5em;text-align:left;vertical-align:top}"
        "td.n{text-align:right}td.d{white-space:nowrap}td.t{overflow-wrap:anywhere;min-width:12em}"
        "td.u{overflow-wrap:anywhere;min-width:16em}."
        "wide{overflow-x:auto}"
        ".chart{max-width:48em}</style></head><body>\n"
        "<h1>Clients that cannot be served by name</h1>\n<p>";
    out += html_escape(thousands(report.records)) + " records in " + thousands(input.lines) +
           " lines of " + std::to_string(input.files.size()) +
           (input.files.size() == 1 ? " file" : " files") + ", " + thousands(input.bad_lines) +
           " bad lines. Period: " + html_escape(period_text(report)) + ". " +
           std::to_string(report.rows.size()) + " clients on " +
           std::to_string(report.servers.size()) + " servers.";
    if (!input.filters.empty()) {
        out += " Filters:";
        for (const std::string &f : input.filters) out += ' ' + html_value(f) + ';';
        out += ' ' + thousands(report.matched) + " records match.";
    }
    out += " Generated by snifallback-report " SNIFALLBACK_VERSION ".</p>\n";

    out += "<h2>Fallback connections per day</h2>\n<div class=\"chart\">";
    if (report.days.empty()) {
        out += "<p>No records.</p>";
    } else {
        append_daily_chart(out, report.days);
    }
    out +=
        "</div>\n<details><summary>The days in numbers</summary>"
        "<table id=\"trend-table\"><tr><th>day (UTC)</th>";
    for (const ClassStyle &style : class_styles) {
        out += std::string("<th>") + style.label + " connections</th><th>" + style.label +
               " requests</th>";
    }
    out += "</tr>\n";
    for (const DayTotals &d : report.days) {
        out += "<tr><td>" + format_day(d.day) + "</td>";
        for (std::size_t c = 0; c < 3; ++c) {
            out += "<td class=\"n\">" + std::to_string(d.connections[c]) + "</td><td class=\"n\">" +
                   std::to_string(d.requests[c]) + "</td>";
        }
        out += "</tr>\n";
    }
    out += "</table></details>\n";

    out +=
        "<h2>Clients, what breaks most if enforced today first</h2>\n"
        "<div class=\"wide\"><table id=\"clients\"><tr><th>breaks</th><th>class</th>"
        "<th>JA4</th><th>name</th>";
    const bool per_server = std::any_of(report.rows.begin(), report.rows.end(),
                                        [](const ReportRow &r) { return !r.server.empty(); });
    if (per_server) out += "<th>server</th>";
    out +=
        "<th>connections</th><th>failed</th><th>requests</th><th>addresses</th>"
        "<th>servers</th><th>days</th><th>first seen (UTC)</th><th>last seen "
        "(UTC)</th><th>hosts</th>"
        "<th>got</th><th>last User-Agent</th></tr>\n";
    // the five most frequent of each, the rest as "other" (the JSON and CSV have all 16)
    auto counts_html = [](const std::vector<std::pair<std::string, std::uint64_t>> &entries,
                          std::uint64_t other) {
        std::string cell;
        for (std::size_t i = 0; i < entries.size(); ++i) {
            if (i >= 5) {
                other += entries[i].second;
                continue;
            }
            if (!cell.empty()) cell += ", ";
            cell += html_value(entries[i].first) + ": " + std::to_string(entries[i].second);
        }
        if (other != 0) {
            cell += (cell.empty() ? "" : ", ") + std::string("other: ") + std::to_string(other);
        }
        return cell;
    };
    for (const ReportRow &r : report.rows) {
        out += "<tr><td class=\"n\">" + std::to_string(r.breaks) + "</td><td>" +
               html_value(r.sni_class) + "</td><td class=\"d\">" + html_value(r.ja4) +
               "</td><td class=\"t\">" + html_value(r.name) + "</td>";
        if (per_server) out += "<td>" + html_value(r.server) + "</td>";
        std::string servers;
        for (const std::string &s : r.servers)
            servers += (servers.empty() ? "" : " ") + html_value(s);
        if (r.more_servers != 0) servers += " +" + std::to_string(r.more_servers);
        out += "<td class=\"n\">" + std::to_string(r.connections) + "</td><td class=\"n\">" +
               std::to_string(r.failed) + "</td><td class=\"n\">" + std::to_string(r.requests) +
               "</td><td class=\"n\">" + addresses_text(r) + "</td><td class=\"t\">" + servers +
               "</td><td class=\"n\">" + std::to_string(r.days) + "</td><td class=\"d\">" +
               minute_text(r.first_us) + "</td><td class=\"d\">" + minute_text(r.last_us) +
               "</td><td class=\"t\">" + counts_html(r.hosts, r.other_hosts) +
               "</td><td class=\"t\">" + counts_html(r.got, r.other_got) + "</td><td class=\"u\">" +
               html_value(r.user_agent) + "</td></tr>\n";
    }
    out +=
        "</table></div>\n<h2>Servers</h2>\n<table id=\"servers\"><tr><th>server</th>"
        "<th>clients</th><th>connections</th><th>failed</th><th>requests</th><th>breaks</th>"
        "</tr>\n";
    for (const ServerTotals &s : report.servers) {
        out += "<tr><td>" + html_value(s.server) + "</td><td class=\"n\">" +
               std::to_string(s.clients) + "</td><td class=\"n\">" + std::to_string(s.connections) +
               "</td><td class=\"n\">" + std::to_string(s.failed) + "</td><td class=\"n\">" +
               std::to_string(s.requests) + "</td><td class=\"n\">" + std::to_string(s.breaks) +
               "</td></tr>\n";
    }
    out += "</table>\n";
    if (!input.problems.empty()) {
        out += "<h2>Lines and files not read</h2>\n<ul id=\"problems\">";
        for (const ReportProblem &p : input.problems) {
            out += "<li>" + html_value(p.file) + (p.line ? ':' + std::to_string(p.line) : "") +
                   ": " + html_value(p.reason) + "</li>\n";
        }
        if (input.problems_not_listed != 0) {
            out += "<li>and " + thousands(input.problems_not_listed) + " more</li>\n";
        }
        out += "</ul>\n";
    }
    out += "</body></html>\n";
    return out;
}

}  // namespace snifallback
