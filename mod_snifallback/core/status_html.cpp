// The status page for people (status.h): what an administrator retiring old clients looks for
// first (the trend of the last 48 hours, drawn, and the fingerprints still there), then the
// totals since start and the most frequent clients.
#include <algorithm>
#include <map>
#include <utility>

#include "core/escape.h"
#include "core/history_chart.h"
#include "core/record.h"
#include "core/status.h"
#include "core/version.h"

namespace snifallback {

std::string html_escape(const std::string &text) {
    std::string out;
    out.reserve(text.size());
    for (char c : text) {
        switch (c) {
            case '&': out += "&amp;"; break;
            case '<': out += "&lt;"; break;
            case '>': out += "&gt;"; break;
            case '"': out += "&quot;"; break;
            case '\'': out += "&#39;"; break;
            default: out += c;
        }
    }
    return out;
}

std::vector<FingerprintRow> top_fingerprints(const std::vector<ClientRow> &clients,
                                             std::size_t limit) {
    struct Seen {
        FingerprintRow row;
        std::int64_t user_agent_seen_us = 0;  // last seen of the client whose User-Agent is shown
    };
    std::map<std::pair<std::string, std::string>, Seen> by_ja4;
    for (const ClientRow &client : clients) {
        Seen &seen = by_ja4[{client.ja4, client.client_class}];
        FingerprintRow &row = seen.row;
        if (row.addresses == 0) {
            row.ja4 = client.ja4;
            row.client_class = client.client_class;
            row.client_name = client.client_name;
        }
        row.count += client.count;
        ++row.addresses;
        row.last_seen_us = std::max(row.last_seen_us, client.last_seen_us);
        if (!client.user_agent.empty() &&
            (row.user_agent.empty() || client.last_seen_us > seen.user_agent_seen_us)) {
            row.user_agent = client.user_agent;
            seen.user_agent_seen_us = client.last_seen_us;
        }
    }
    std::vector<FingerprintRow> rows;
    rows.reserve(by_ja4.size());
    for (auto &entry : by_ja4) rows.push_back(std::move(entry.second.row));
    const auto first = [](const FingerprintRow &a, const FingerprintRow &b) {
        if (a.count != b.count) return a.count > b.count;
        if (a.last_seen_us != b.last_seen_us) return a.last_seen_us > b.last_seen_us;
        if (a.ja4 != b.ja4) return a.ja4 < b.ja4;
        return a.client_class < b.client_class;
    };
    const std::size_t shown = std::min(limit, rows.size());
    std::partial_sort(rows.begin(), rows.begin() + static_cast<std::ptrdiff_t>(shown), rows.end(),
                      first);
    rows.resize(shown);
    return rows;
}

namespace {

// How much of a client's text the page shows, counted in its JSON-escaped form (the JSON output
// has all the inventory keeps), and at most twice that in bytes of HTML. A User-Agent of plain
// text fits whole; hostile bytes, which escape to several characters each ('&' to five bytes of
// HTML, '"' to seven), are cut, and so keep the page small.
constexpr std::size_t shown_ip = 64;
constexpr std::size_t shown_ja4 = 48;
constexpr std::size_t shown_sni = 120;
constexpr std::size_t shown_user_agent = 160;
constexpr std::size_t shown_name = 64;
constexpr std::size_t shown_name_bytes = 96;  // of HTML: see html_name

// Untrusted bytes in HTML: escaped as for JSON first (controls, invalid UTF-8), then for HTML:
// the longest prefix whose JSON form fits `budget` characters and whose HTML takes at most
// `max_bytes` (default: 2 * budget), cut where escape.h cuts, with its marker.
std::string html_text(const std::string &untrusted, std::size_t budget, std::size_t max_bytes = 0) {
    if (max_bytes == 0) max_bytes = 2 * budget;
    const auto render = [&](std::size_t chars) {
        std::string escaped;
        append_escaped(escaped, untrusted, EscapeStyle::json, chars);
        return html_escape(escaped);
    };
    std::string out = render(budget);
    if (out.size() <= max_bytes) return out;
    // The HTML grows with the budget: the largest budget that fits, by bisection (a few passes
    // over at most `budget` characters). Below the marker's size nothing but the marker fits.
    std::size_t fits = truncation_marker.size();
    std::size_t too_big = budget;
    while (too_big - fits > 1) {
        const std::size_t middle = fits + (too_big - fits) / 2;
        if (render(middle).size() <= max_bytes) {
            fits = middle;
        } else {
            too_big = middle;
        }
    }
    return render(fits);
}

// The page is well-formed XML as well as HTML: void elements are closed, entities numeric.
constexpr const char *page_head =
    "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"/>"
    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>"
    "<title>mod_snifallback status</title>\n<style>body{font-family:sans-serif;margin:1em auto;"
    "padding:0 .6em;max-width:64em}table{border-collapse:collapse;margin-bottom:1.5em}"
    "td,th{border:1px solid #ccc;padding:.2em .5em;text-align:left;vertical-align:top}"
    "td.n,.hours td{text-align:right}td.t{overflow-wrap:anywhere;min-width:9em}"
    ".wide{overflow-x:auto}"
    ".chart{max-width:36em}</style></head><body>\n"
    "<h1>Clients that cannot be served by name</h1>\n";

// "11-30 14:00", or with `with_date` false "14:00"
std::string short_hour(std::int64_t hour, bool with_date = true) {
    const std::string when = format_hour_utc(hour);
    if (when.size() < 16) return "?";
    return with_date ? when.substr(5, 5) + ' ' + when.substr(11, 5) : when.substr(11, 5);
}

std::string share_text(std::uint64_t part, std::uint64_t whole) {
    return format_share(share_tenths(part, whole), part);
}

// The chart's words: the window's totals and this hour's, per class and per action.
void append_summary(std::string &out, const std::vector<HourCounts> &hours) {
    HourCounts all;
    for (const HourCounts &hour : hours) {
        for (std::size_t f = 0; f < history_field_count; ++f) all.counts[f] += hour.counts[f];
    }
    const HourCounts &now = hours.back();
    const auto number = [](std::uint64_t n) { return std::to_string(n); };
    const std::uint64_t fallback = fallback_connections(all);
    const std::uint64_t fallback_now = fallback_connections(now);
    out += "<p id=\"summary\">In the last 48 hours (UTC): <b>" + number(fallback) +
           "</b> connections that cannot be served by name, of " + number(all[HistoryField::tls]) +
           " TLS connections (" +
           share_text(fallback, all[HistoryField::tls]) + ")";
    for (ClientClass c : fallback_classes) {
        const HistoryField field = history_class_field(c);
        out += c == fallback_classes[0] ? ": " : ", ";
        out += std::string(history_field_label(field)) + ' ' + number(all[field]);
    }
    out += ". This hour, from " + short_hour(now.hour, false) + ": <b>" + number(fallback_now) +
           "</b> of " + number(now[HistoryField::tls]) + " (" +
           share_text(fallback_now, now[HistoryField::tls]) +
           "). Fallback requests in the 48 hours";
    for (std::size_t f = history_field_index(HistoryField::notice); f < history_field_count; ++f) {
        const auto field = static_cast<HistoryField>(f);
        out += field == HistoryField::notice ? ": " : ", ";
        if (field == HistoryField::reported) out += "decided but only ";
        out += std::string(history_field_label(field)) + ' ' + number(all[field]);
    }
    out += ".</p>\n";
}

// A chart's numbers, period by period (hours or days), oldest first like the chart.
template <typename Counts, typename Label>
void append_history_table(std::string &out, const std::vector<Counts> &periods,
                          std::string_view summary, std::string_view heading, Label label) {
    // after the last class's column
    constexpr std::size_t share_after =
        history_field_index(HistoryField::tls) + fallback_class_count;
    out += "<details><summary>";
    out += summary;
    out += "</summary>\n<div class=\"wide\"><table class=\"hours\"><tr><th>";
    out += heading;
    out += "</th>";
    for (std::size_t f = 0; f < history_field_count; ++f) {
        out += "<th>" + std::string(history_field_label(static_cast<HistoryField>(f))) + "</th>";
        if (f == share_after) out += "<th>share</th>";
    }
    out += "</tr>\n";
    for (const Counts &period : periods) {
        out += "<tr><th>" + label(period) + "</th>";
        for (std::size_t f = 0; f < history_field_count; ++f) {
            out += "<td>" + std::to_string(period.counts[f]) + "</td>";
            if (f == share_after) {
                out += "<td>" +
                       share_text(fallback_connections(period), period[HistoryField::tls]) +
                       "</td>";
            }
        }
        out += "</tr>\n";
    }
    out += "</table></div></details>\n";
}

void append_history(std::string &out, const std::vector<HourCounts> &hours) {
    out += "<h2>Fallback connections per hour</h2>\n";
    if (hours.empty()) {
        out +=
            "<p>No history: the module could not set up its shared memory (see the error "
            "log).</p>\n";
        return;
    }
    append_summary(out, hours);
    out += "<div class=\"chart\">";
    append_history_chart(out, hours, "summary");
    out += "</div>\n";
    append_history_table(out, hours, "The 48 hours in numbers", "hour (UTC)",
                         [](const HourCounts &hour) { return short_hour(hour.hour); });
}

// "12-01", or with `with_year` "2026-12-01"
std::string short_day(std::int64_t day, bool with_year = false) {
    const std::string when = format_day_utc(day);
    if (when.size() < 10) return "?";
    return with_year ? when : when.substr(5, 5);
}

// The daily chart's words: the window's totals per class, and today's.
void append_daily_summary(std::string &out, const std::vector<DayCounts> &days) {
    DayCounts all;
    for (const DayCounts &day : days) {
        for (std::size_t f = 0; f < history_field_count; ++f) all.counts[f] += day.counts[f];
    }
    const DayCounts &today = days.back();
    const std::uint64_t fallback = fallback_connections(all);
    const std::uint64_t fallback_today = fallback_connections(today);
    out += "<p id=\"daily-summary\">In the last 35 days (UTC, from " + short_day(days.front().day) +
           "): <b>" + std::to_string(fallback) +
           "</b> connections that cannot be served by name, of " +
           std::to_string(all[HistoryField::tls]) + " TLS connections (" +
           share_text(fallback, all[HistoryField::tls]) + ")";
    for (ClientClass c : fallback_classes) {
        const HistoryField field = history_class_field(c);
        out += c == fallback_classes[0] ? ": " : ", ";
        out += std::string(history_field_label(field)) + ' ' + std::to_string(all[field]);
    }
    out += ". Today, " + short_day(today.day, true) + " since 00:00 UTC: <b>" +
           std::to_string(fallback_today) + "</b> of " + std::to_string(today[HistoryField::tls]) +
           " (" + share_text(fallback_today, today[HistoryField::tls]) + ").</p>\n";
}

void append_daily_history(std::string &out, const std::vector<DayCounts> &days) {
    if (days.empty()) return;  // as the hourly history, which has said why
    out += "<h2>Fallback connections per day</h2>\n";
    append_daily_summary(out, days);
    out += "<div class=\"chart\">";
    append_daily_history_chart(out, days, "daily-summary");
    out += "</div>\n";
    append_history_table(out, days, "The 35 days in numbers", "day (UTC)",
                         [](const DayCounts &day) { return short_day(day.day); });
}

// A client's name (SNIFallbackClientNames) is configuration, not client text, and bounded alike;
// and also in HTML bytes, since a name of '&'s would grow fivefold: up to shown_name characters
// of plain text show whole, the page's size stays bounded whatever the files say.
std::string html_name(const std::string &name) {
    return html_text(name, shown_name, shown_name_bytes);
}

void append_fingerprints(std::string &out, const std::vector<ClientRow> &clients) {
    out += "<h2>Top fingerprints</h2>\n";
    if (clients.empty()) {
        out += "<p>No fallback client seen yet.</p>\n";
        return;
    }
    out +=
        "<p>The clients of the inventory by TLS fingerprint and class; counts may overestimate "
        "(see the README).</p>\n<div class=\"wide\"><table><tr><th>JA4<br/>name &#183; last "
        "User-Agent</th>"
        "<th>class</th><th>count</th><th>addresses</th></tr>\n";
    for (const FingerprintRow &row : top_fingerprints(clients, status_page_fingerprints)) {
        // One cell for both, so that a phone shows them without scrolling sideways.
        out +=
            "<tr><td class=\"t\"><b>" +
            (row.ja4.empty() ? std::string("(not fingerprinted)") : html_text(row.ja4, shown_ja4)) +
            "</b><br/>" +
            (row.client_name.empty() ? std::string()
                                     : "<i>" + html_name(row.client_name) + "</i> &#183; ") +
            html_text(row.user_agent, shown_user_agent) + "</td><td>" +
            html_text(row.client_class, shown_ip) + "</td><td class=\"n\">" +
            std::to_string(row.count) + "</td><td class=\"n\">" + std::to_string(row.addresses) +
            "</td></tr>\n";
    }
    out += "</table></div>\n";
}

void append_totals(std::string &out, const StatusReport &report) {
    out += "<h2>Totals since start</h2>\n<div class=\"wide\"><table><tr><th></th><th>all</th>";
    // merged as in the JSON and Prometheus outputs: names that read the same are one column
    const std::vector<VhostCounters> vhosts = merged_vhosts(report.vhosts);
    for (const auto &vhost : vhosts) out += "<th>" + html_escape(vhost.name) + "</th>";
    out += "</tr>\n";
    const auto row = [&](std::string_view label, auto value_of) {
        out += "<tr><th>";
        out += label;
        out += "</th><td class=\"n\">" + std::to_string(value_of(report.total)) + "</td>";
        for (const auto &vhost : vhosts) {
            out += "<td class=\"n\">" + std::to_string(value_of(vhost.counters)) + "</td>";
        }
        out += "</tr>\n";
    };
    out += "<tr><th>a request without SNI gets</th><td></td>";
    for (const auto &vhost : vhosts) out += "<td>" + html_escape(vhost.forecast) + "</td>";
    out += "</tr>\n";
    for (const CounterDescription &counter : counter_descriptions) {
        row(counter.label, [&](const Counters &c) { return c[counter.id]; });
    }
    for (const RequestTotalDescription &total : request_total_descriptions) {
        row(total.label, [&](const Counters &c) { return c.total(total.id); });
    }
    out += "</table></div>\n";
}

void append_clients(std::string &out, const std::vector<ClientRow> &clients) {
    out += "<h2>Most frequent fallback clients</h2>\n";
    const std::size_t shown = std::min(clients.size(), status_page_clients);
    if (shown < clients.size()) {
        out += "<p>The " + std::to_string(shown) + " most frequent of " +
               std::to_string(clients.size()) +
               "; <a href=\"?json\">the JSON</a> lists them all.</p>\n";
    }
    out +=
        "<div class=\"wide\"><table><tr><th>client</th><th>class</th><th>SNI</th><th>JA4</th>"
        "<th>name</th><th>last User-Agent</th><th>count</th><th>first seen</th><th>last "
        "seen</th></tr>\n";
    for (std::size_t i = 0; i < shown; ++i) {
        const ClientRow &client = clients[i];
        out += "<tr><td>" + html_text(client.client_ip, shown_ip) + "</td><td>" +
               html_text(client.client_class, shown_ip) + "</td><td class=\"t\">" +
               html_text(client.sni, shown_sni) + "</td><td class=\"t\">" +
               html_text(client.ja4, shown_ja4) + "</td><td class=\"t\">" +
               html_name(client.client_name) + "</td><td class=\"t\">" +
               html_text(client.user_agent, shown_user_agent) + "</td><td class=\"n\">" +
               std::to_string(client.count) + "</td><td>" + format_time_utc(client.first_seen_us) +
               "</td><td>" + format_time_utc(client.last_seen_us) + "</td></tr>\n";
    }
    out += "</table></div>\n";
}

}  // namespace

std::string render_status_html(const StatusReport &report) {
    std::string out = page_head;
    append_history(out, report.history);
    append_daily_history(out, report.history_daily);
    append_fingerprints(out, report.clients);
    append_totals(out, report);
    append_clients(out, report.clients);
    out += "<p><a href=\"?json\">JSON</a> &#183; mod_snifallback/" SNIFALLBACK_VERSION
           "</p>\n</body></html>\n";
    return out;
}

}  // namespace snifallback
