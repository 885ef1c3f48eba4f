// The retirement table of snifallback-report: the module's records of one or many servers, streamed
// through an aggregator that keeps one row per client, in memory proportional to the number of
// distinct clients (never to the number of records).
//
// A client is a (sni_class, ja4) pair: one TLS stack in one class (with --per-server, also per
// server). Per client the aggregator counts
//   connections   handshake records (one per TLS connection of a fallback client)
//   failed        handshake records whose outcome is not "established"
//   requests      request records
//   breaks        requests that worked today and would not if the action were enforced today: a
//                 final status below 400 (or none recorded), not exempt, and not already carrying
//                 an enforced notice or redirect (those are retired already)
//   addresses     distinct client_ip values: exact up to exact_address_limit per row, then a
//                 HyperLogLog estimate (1,024 registers, about 3% standard error), flagged as such
//   servers       distinct server ids (up to max_servers_listed named, the others counted: exactly
//                 up to 256 in all, then estimated as the addresses are)
//   hosts         the Host values its requests asked for, with counts (the first max_listed
//                 distinct ones; later new ones are counted as "other")
//   got           what its requests got, "action status" ("none 200", "notice 403",
//                 "notice (reported) 200" when the action was only reported), same bound
//   first/last    seen, and the number of distinct UTC days it was seen on
//   user_agent    the User-Agent of its latest request (by record time)
// Probe records and records of other events are counted in the totals only.
//
// Order ("what breaks most if enforced today"): breaks, then addresses, then days seen, then
// connections, descending; then the latest last seen; then class and JA4, so that the output is
// deterministic whatever order the files were read in.
//
// A record without sni_class was written before the module had classes, when it logged no-SNI
// clients only: it counts as "no-sni".
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/client_names.h"
#include "core/logfmt_reader.h"

namespace snifallback {

enum class ReportEvent { handshake, request, probe, other };

// One record as the report reads it. The views need only live during ReportAggregator::add.
struct ReportInput {
    std::int64_t time_us = 0;  // microseconds since the epoch (UTC)
    ReportEvent event = ReportEvent::other;
    std::string_view server;  // the server id: see server_from_syslog / server_from_path
    std::string_view sni_class;
    std::string_view ja4;
    std::string_view ja3_hash;
    std::string_view client_ip;
    std::string_view vhost;
    std::string_view cert_vhost;
    std::string_view outcome;
    std::string_view host;
    std::string_view user_agent;
    std::string_view action;
    std::optional<bool> enforced;
    int status = -1;  // -1: none recorded
};

// Which records count. Every list is "any of" (empty: all); all given conditions must hold.
struct ReportFilter {
    std::optional<std::int64_t> since_us;  // time >= since
    std::optional<std::int64_t> until_us;  // time < until
    // Request and probe records match by their Host, handshake records by the vhost they ran
    // under or whose certificate they got (a handshake has no Host: name the address's first
    // vhost, or the SNIFallbackCertificate vhost, to keep its handshakes). Without regard to case.
    std::vector<std::string> vhosts;
    std::vector<std::string> classes;  // sni_class
    std::vector<std::string> servers;  // server id, exactly

    bool matches(const ReportInput &record) const;
};

// A count of distinct values in bounded memory: exact up to exact_address_limit values, then a
// HyperLogLog sketch of 1,024 one-byte registers.
class DistinctCounter {
  public:
    static constexpr std::size_t exact_limit = 256;
    void add(std::string_view value);
    std::uint64_t count() const;
    bool estimated() const noexcept { return sketch_ != nullptr; }

  private:
    void add_to_sketch(std::uint64_t hash) noexcept;
    std::vector<std::uint64_t> exact_;  // sorted hashes
    std::unique_ptr<std::array<std::uint8_t, 1024>> sketch_;
};

struct ReportRow {
    std::string sni_class;  // "no-sni", "ip-literal", "unknown-name" (untrusted: as logged)
    std::string ja4;        // empty: not fingerprinted
    std::string ja3_hash;   // the latest one seen (for names by JA3)
    std::string name;       // from the client names files; empty: unknown
    std::string server;     // --per-server only: the server of this row
    std::string user_agent;
    std::uint64_t connections = 0, failed = 0, requests = 0, breaks = 0;
    std::uint64_t addresses = 0;
    bool addresses_estimated = false;
    std::vector<std::string> servers;                          // sorted
    std::uint64_t more_servers = 0;                            // distinct servers not listed
    std::vector<std::pair<std::string, std::uint64_t>> hosts;  // most requests first
    std::uint64_t other_hosts = 0;                             // requests for hosts not listed
    std::vector<std::pair<std::string, std::uint64_t>> got;    // most requests first
    std::uint64_t other_got = 0;
    std::int64_t first_us = 0, last_us = 0;
    std::uint32_t days = 0;
};

struct ServerTotals {
    std::string server;
    std::uint64_t connections = 0, failed = 0, requests = 0, breaks = 0;
    std::uint64_t clients = 0;  // distinct (class, JA4) seen on it
};

inline constexpr std::array<std::string_view, 3> report_classes = {"no-sni", "ip-literal",
                                                                   "unknown-name"};

struct DayTotals {
    std::int64_t day = 0;                        // days since 1970-01-01 (UTC)
    std::array<std::uint64_t, 3> connections{};  // by report_classes
    std::array<std::uint64_t, 3> requests{};
};

struct Report {
    std::vector<ReportRow> rows;        // in the order above
    std::vector<ServerTotals> servers;  // by name
    std::vector<DayTotals> days;        // every day from the first to the last, quiet ones as 0
    std::uint64_t records = 0;          // records read (before the filter)
    std::uint64_t matched = 0;          // records the filter kept
    std::uint64_t probes = 0;           // kept probe records
    std::uint64_t other_events = 0;     // kept records of an unknown event
    std::int64_t first_us = 0, last_us = 0;  // of the kept records; 0 when none
};

struct ReportOptions {
    ReportFilter filter;
    bool per_server = false;  // one row per client and server
};

class ReportAggregator {
  public:
    static constexpr std::size_t max_listed = 16;          // hosts and "got" values per row
    static constexpr std::size_t max_servers_listed = 32;  // servers named per row
    static constexpr std::size_t max_servers = 100'000;    // server totals (more: "(other)")

    explicit ReportAggregator(ReportOptions options);
    ~ReportAggregator();
    ReportAggregator(const ReportAggregator &) = delete;
    ReportAggregator &operator=(const ReportAggregator &) = delete;

    void add(const ReportInput &record);
    // The table; `names` (may be null) names the clients.
    Report finish(const ClientNames *names) const;
    std::size_t clients() const noexcept;

  private:
    struct State;
    std::unique_ptr<State> state_;
};

// -- reading records --------------------------------------------------------------------------

// "2026-11-23T08:01:02.345Z" (fraction optional, any number of digits, 'Z' or +hh:mm / -hh:mm) or
// a date "2026-11-23" (its midnight UTC); nullopt for anything else.
std::optional<std::int64_t> parse_report_time(std::string_view text);
// "2026-11-23" for a day number.
std::string format_day(std::int64_t day);

// A line as rsyslog (or another syslog daemon) writes it: a prefix, then the record. `record` is
// the line from where the record starts: a JSON record at its first '{', a logfmt record at its
// first word that is a logfmt pair ("time=...": logfmt_reader.h), whichever comes first (a word
// in an RFC 5424 structured-data element, "[origin ip=\"...\"]", is not one); empty when there is
// neither. `host` is the host name the prefix names, empty when it names none. Prefixes
// understood: RFC 3164 / rsyslog's traditional format ("Nov 23 08:01:02 web1 apache2: "),
// rsyslog's file format with an RFC 3339 time ("2026-11-23T08:01:02.345+00:00 web1
// apache2[123]: "), RFC 5424 ("<134>1 2026-... web1 apache2 123 - - "). A line that starts with
// '{' or with a logfmt pair has no prefix.
struct SyslogLine {
    std::string_view host;
    std::string_view record;
    bool logfmt = false;  // the record is logfmt (else JSON, or none)
    bool has_prefix = false;
};
SyslogLine split_syslog_prefix(std::string_view line);

// -- from a record's keys to a ReportInput: one mapping for the JSON and the logfmt reader ------

// The keys the report reads; `other` for the rest.
enum class ReportKey {
    other,
    time,
    event,
    server,  // not written by the module: a collector may add it; wins over the syslog host
    sni_class,
    ja4,
    ja3_hash,
    client_ip,
    vhost,
    cert_vhost,
    outcome,
    host,
    user_agent,
    action,
    status,    // an integer 0-999; anything else is "none recorded"
    enforced,  // true or false; anything else is "not recorded"
};

// `key` (whose length the caller checked is that of `literal`) is `literal`: a comparison of a
// constant length, which the compiler turns into a few loads instead of a call to memcmp.
template <std::size_t N>
inline bool key_is(std::string_view key, const char (&literal)[N]) noexcept {
    return std::memcmp(key.data(), literal, N - 1) == 0;
}

inline ReportKey report_key(std::string_view key) noexcept {
    // By length first: most keys of a record are told apart, or dropped, by one comparison.
    switch (key.size()) {
        case 3:
            if (key_is(key, "ja4")) return ReportKey::ja4;
            break;
        case 4:
            if (key_is(key, "time")) return ReportKey::time;
            if (key_is(key, "host")) return ReportKey::host;
            break;
        case 5:
            if (key_is(key, "event")) return ReportKey::event;
            if (key_is(key, "vhost")) return ReportKey::vhost;
            break;
        case 6:
            if (key_is(key, "action")) return ReportKey::action;
            if (key_is(key, "server")) return ReportKey::server;
            if (key_is(key, "status")) return ReportKey::status;
            break;
        case 7:
            if (key_is(key, "outcome")) return ReportKey::outcome;
            break;
        case 8:
            if (key_is(key, "ja3_hash")) return ReportKey::ja3_hash;
            if (key_is(key, "enforced")) return ReportKey::enforced;
            break;
        case 9:
            if (key_is(key, "client_ip")) return ReportKey::client_ip;
            if (key_is(key, "sni_class")) return ReportKey::sni_class;
            break;
        case 10:
            if (key_is(key, "cert_vhost")) return ReportKey::cert_vhost;
            if (key_is(key, "user_agent")) return ReportKey::user_agent;
            break;
        default:
            break;
    }
    return ReportKey::other;
}

// A record's values as a reader finds them (a string value of a text key; status and enforced set
// in `input` directly), then completed by finish. Absent, null or empty values are all empty.
struct ReportFields {
    ReportInput input;
    std::string_view time, event, server;

    // Where a text key's value goes; nullptr for status, enforced and other.
    inline std::string_view *text(ReportKey key) noexcept;
    // input.time_us, input.event and input.server (the record's "server", else `syslog_host`,
    // else `file_server`). Empty when `input` is a record; else why not: "not a record: no
    // \"time\"", "not a record: \"time\" is not an RFC 3339 time", "not a record: no \"event\"".
    std::string finish(std::string_view syslog_host, std::string_view file_server);
};

inline std::string_view *ReportFields::text(ReportKey key) noexcept {
    switch (key) {
        case ReportKey::time:
            return &time;
        case ReportKey::event:
            return &event;
        case ReportKey::server:
            return &server;
        case ReportKey::sni_class:
            return &input.sni_class;
        case ReportKey::ja4:
            return &input.ja4;
        case ReportKey::ja3_hash:
            return &input.ja3_hash;
        case ReportKey::client_ip:
            return &input.client_ip;
        case ReportKey::vhost:
            return &input.vhost;
        case ReportKey::cert_vhost:
            return &input.cert_vhost;
        case ReportKey::outcome:
            return &input.outcome;
        case ReportKey::host:
            return &input.host;
        case ReportKey::user_agent:
            return &input.user_agent;
        case ReportKey::action:
            return &input.action;
        case ReportKey::other:
        case ReportKey::status:
        case ReportKey::enforced:
            break;
    }
    return nullptr;
}

// Whether `status` is one the report takes (0-999).
inline bool report_status_valid(std::int64_t status) noexcept {
    return status >= 0 && status < 1000;
}

// Reads a logfmt record (the line without a syslog prefix) into `out` (reset first), the inverse
// of render_logfmt for the keys above; out.finish is the caller's. `out`'s views point into `line`
// (values without escapes) or into `scratch.decoded` (values with escapes, decoded there): keep
// both alive and unchanged while `out` is used. Empty when the line was read; else why not: "not
// logfmt: " and the fault.
struct LogfmtScratch {
    std::vector<LogfmtField> fields;
    std::string decoded;
};
std::string read_logfmt_record(std::string_view line, ReportFields &out, LogfmtScratch &scratch);

// The server id of a file's records that name no server: the file name without its directory and
// rotation suffixes ("/var/log/web1/nosni.log.2.gz" -> "web1/nosni.log": the last directory is kept
// because servers' logs are often collected as <server>/<same name>). "-" is "stdin".
std::string server_from_path(std::string_view path);

}  // namespace snifallback
