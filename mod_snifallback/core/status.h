// The status report of the no-SNI counters and client inventory: JSON for machines, HTML for
// people, and mod_status's "?auto" lines. Pure rendering; the glue reads shared memory.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/counters.h"
#include "core/history.h"

namespace snifallback {

struct VhostCounters {
    std::string name;  // ServerName (configuration, trusted)
    Counters counters;
    std::string forecast;  // what a request without SNI gets (forecast.h); empty: not known
};

struct ClientRow {
    std::string client_ip;
    std::string client_class;  // "no-sni", "ip-literal", "unknown-name"
    std::string sni;           // the name sent in SNI (untrusted); empty for no-SNI clients
    std::string ja4;
    std::string user_agent;  // untrusted
    std::uint64_t count = 0;
    std::int64_t first_seen_us = 0;
    std::int64_t last_seen_us = 0;
    std::string client_name;  // from SNIFallbackClientNames by the JA4; empty: not known
};

struct StatusReport {
    Counters total;
    std::vector<VhostCounters> vhosts;
    std::vector<ClientRow> clients;  // most frequent first
    std::uint32_t inventory_capacity = 0;
    std::vector<HourCounts> history;  // the last kHistoryHours hours, oldest first; empty: none
    std::vector<DayCounts> history_daily;  // the last kHistoryDays days, oldest first; empty: none
};

// The vhosts as the JSON and Prometheus outputs list them. Vhosts are counted by ServerName, but
// two names can still read the same once escaped: bytes that are not UTF-8 all become U+FFFD.
// Those are one entry, with the first one's name and forecast and their counters added up, in the
// order they came. A JSON parser keeps one of two equal keys, and Prometheus one of two equal
// series in a scrape (promtool accepts them, the scrape still succeeds): the other's counts would
// be lost.
std::vector<VhostCounters> merged_vhosts(const std::vector<VhostCounters> &vhosts);

// The fingerprints (JA4) of the inventory's clients per class, with what the page shows of them.
struct FingerprintRow {
    std::string ja4;              // untrusted; empty: not fingerprinted
    std::string client_class;     // "no-sni", "ip-literal", "unknown-name"
    std::string client_name;      // its name (SNIFallbackClientNames); empty: not known
    std::uint64_t count = 0;      // the sum of its clients' counts
    std::uint64_t addresses = 0;  // its clients of this class in the inventory (one per address)
    std::string user_agent;       // untrusted: the last User-Agent seen with it; empty: none
    std::int64_t last_seen_us = 0;
};

// The `limit` most frequent fingerprints of `clients`, one row per JA4 and class (one library
// that falls back for two reasons is two rows, as in the inventory): by count, then last seen,
// then JA4, then class.
std::vector<FingerprintRow> top_fingerprints(const std::vector<ClientRow> &clients,
                                             std::size_t limit);

// What the HTML page shows at most: the rest is in the JSON, which the page links to. With these,
// the page stays under status_page_max_bytes at a full inventory, whatever the clients sent and
// however large the counts, for a configuration of 8 vhosts (a unit test checks it). Each vhost
// adds a column to the table of totals, at most about 0.8 KiB. The daily history (chart, summary
// and table of 35 days) takes about 9 KiB with the counts of a busy server, 12.5 KiB at the
// largest counts; client text is cut at twice its character budget in bytes of HTML to leave room
// for it.
inline constexpr std::size_t status_page_fingerprints = 10;
inline constexpr std::size_t status_page_clients = 15;
inline constexpr std::size_t status_page_max_bytes = 64 * 1024;

// The Content-Security-Policy the HTML page is served with: it needs nothing but its own inline
// <style> (the chart is SVG markup), so nothing else may load or run, whatever a client sent.
inline constexpr const char *status_page_security_policy =
    "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'";

// {"version":"0.2.0","connections":{...},"requests":{...},"vhosts":{"name":{"connections":...,"requests":...}},
//  "clients":[{"client_ip":...,"ja4":...,"client_name":...|null,...,"user_agent":...,"count":N,"first_seen":"...",
//  "last_seen":"..."}],
//  "history":[{"hour":"2026-12-01T07:00Z","tls":N,"no_sni":N,...,"reported":N}],
//  "history_daily":[{"day":"2026-12-01","tls":N,...,"reported":N}]} (both oldest first)
std::string render_status_json(const StatusReport &report);
// A self-contained HTML page for people (no script, no external resources; well-formed XML as
// well as HTML), every untrusted value escaped: a summary of the last 48 hours, their chart
// (history_chart.h) and table, the same for the last 35 days, the top fingerprints, the totals
// since start and the most frequent clients.
std::string render_status_html(const StatusReport &report);
// mod_status "?auto" lines: "SNIFallbackConnectionsTLS: 12\n" ...
std::string render_status_auto(const Counters &total);

// The Prometheus text exposition format 0.0.4: a "# HELP" and "# TYPE" line for every family,
// counters ending in _total, label values escaped (\\, \", \n; invalid UTF-8 as U+FFFD). Request
// counts per vhost, class, action and enforced, the cells that are not zero; no series per client.
std::string render_status_prometheus(const StatusReport &report);
inline constexpr const char *prometheus_content_type = "text/plain; version=0.0.4; charset=utf-8";

// The series a counter of the table is exposed as: "snifallback_tls_connections_total", or
// "snifallback_fallback_hellos_total{class=\"no-sni\"}" for a class counter.
std::string prometheus_counter_series(Counter id);

// A label value in the exposition format's escaping.
std::string prometheus_label_value(std::string_view value);

// Text with &, <, >, " and ' escaped for HTML.
std::string html_escape(const std::string &text);

}  // namespace snifallback
