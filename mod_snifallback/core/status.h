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
};

struct StatusReport {
    Counters total;
    std::vector<VhostCounters> vhosts;
    std::vector<ClientRow> clients;  // most frequent first
    std::uint32_t inventory_capacity = 0;
    std::vector<HourCounts> history;  // the last kHistoryHours hours, oldest first; empty: none
};

// {"version":"0.2.0","connections":{...},"requests":{...},"vhosts":{"name":{"connections":...,"requests":...}},
//  "clients":[{"client_ip":...,"ja4":...,"user_agent":...,"count":N,"first_seen":"...",
//  "last_seen":"..."}],
//  "history":[{"hour":"2026-12-01T07:00Z","tls":N,"no_sni":N,...,"reported":N}]} (oldest first)
std::string render_status_json(const StatusReport &report);
// A self-contained HTML page (no external resources), every untrusted value escaped.
std::string render_status_html(const StatusReport &report);
// mod_status "?auto" lines: "SNIFallbackConnectionsTLS: 12\n" ...
std::string render_status_auto(const Counters &total);

// The Prometheus text exposition format 0.0.4: a "# HELP" and "# TYPE" line for every family,
// counters ending in _total, label values escaped (\\, \", \n; invalid UTF-8 as U+FFFD). Request
// counts per vhost, class, action and enforced, the cells that are not zero; no series per client.
std::string render_status_prometheus(const StatusReport &report);
inline constexpr const char *prometheus_content_type = "text/plain; version=0.0.4; charset=utf-8";

// A label value in the exposition format's escaping.
std::string prometheus_label_value(std::string_view value);

// Text with &, <, >, " and ' escaped for HTML.
std::string html_escape(const std::string &text);

}  // namespace snifallback
