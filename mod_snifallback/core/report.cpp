#include "core/report.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <set>

namespace snifallback {

namespace {

constexpr std::int64_t us_per_day = 86'400'000'000;

std::int64_t day_of(std::int64_t time_us) noexcept {
    std::int64_t day = time_us / us_per_day;
    if (time_us % us_per_day < 0) --day;
    return day;
}

char lower(char c) noexcept {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

bool iequal(std::string_view a, std::string_view b) noexcept {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (lower(a[i]) != lower(b[i])) return false;
    }
    return true;
}

bool any_iequal(const std::vector<std::string> &list, std::string_view value) {
    for (const std::string &s : list) {
        if (iequal(s, value)) return true;
    }
    return false;
}

std::uint64_t hash64(std::string_view s) noexcept {
    std::uint64_t h = 0xcbf29ce484222325ULL;  // FNV-1a, then a splitmix64 finish for the sketch
    for (char c : s) {
        h ^= static_cast<unsigned char>(c);
        h *= 0x100000001b3ULL;
    }
    h ^= h >> 30;
    h *= 0xbf58476d1ce4e5b9ULL;
    h ^= h >> 27;
    h *= 0x94d049bb133111ebULL;
    h ^= h >> 31;
    return h;
}

int class_index(std::string_view sni_class) noexcept {
    for (std::size_t i = 0; i < report_classes.size(); ++i) {
        if (report_classes[i] == sni_class) return static_cast<int>(i);
    }
    return -1;
}

// Counts of up to `limit` distinct values, in first-seen order; the rest is counted together.
struct CappedCounts {
    std::vector<std::pair<std::string, std::uint64_t>> entries;
    std::uint64_t other = 0;

    void add(std::string_view key, std::size_t limit) {
        for (auto &entry : entries) {
            if (entry.first == key) {
                ++entry.second;
                return;
            }
        }
        if (entries.size() < limit) {
            entries.emplace_back(std::string(key), 1);
        } else {
            ++other;
        }
    }

    std::vector<std::pair<std::string, std::uint64_t>> sorted() const {
        auto out = entries;
        std::stable_sort(out.begin(), out.end(),
                         [](const auto &a, const auto &b) { return a.second > b.second; });
        return out;
    }
};

struct RowState {
    std::string sni_class, ja4, server;
    std::string ja3_hash;
    std::string user_agent;
    std::int64_t user_agent_us = 0;
    bool have_user_agent = false;
    std::uint64_t connections = 0, failed = 0, requests = 0, breaks = 0;
    DistinctCounter addresses;
    std::vector<std::string> servers;  // sorted, at most max_servers_listed
    DistinctCounter all_servers;  // listed or not: exact up to its limit, then estimated
    CappedCounts hosts, got;
    std::int64_t first_us = 0, last_us = 0;
    bool seen = false;
    std::vector<std::int64_t> days;  // sorted
    std::int64_t last_day = std::numeric_limits<std::int64_t>::min();
};

struct ServerState {
    ServerTotals totals;
    std::set<std::string> clients;
};

bool works_today(const ReportInput &r) {
    if (r.status >= 400) return false;
    if (r.action == "exempt") return false;  // an exemption stays when the action is enforced
    if (r.enforced.value_or(false) && (r.action == "notice" || r.action == "redirect")) {
        return false;  // retired already
    }
    return true;
}

void add_got_key(std::string &key, const ReportInput &r) {
    key.assign(r.action.empty() ? std::string_view("-") : r.action);
    if (r.enforced.has_value() && !*r.enforced &&
        (r.action == "notice" || r.action == "redirect" || r.action == "vhost")) {
        key += " (reported)";
    }
    key += ' ';
    key += r.status >= 0 ? std::to_string(r.status) : std::string("-");
}

}  // namespace

// -- DistinctCounter --------------------------------------------------------------------------

void DistinctCounter::add_to_sketch(std::uint64_t hash) noexcept {
    const std::size_t index = static_cast<std::size_t>(hash >> 54);  // the top 10 bits
    const std::uint64_t rest = hash << 10;
    std::uint8_t rank = 1;
    for (std::uint64_t bit = 1ULL << 63; rank <= 54 && (rest & bit) == 0; bit >>= 1) ++rank;
    if ((*sketch_)[index] < rank) (*sketch_)[index] = rank;
}

void DistinctCounter::add(std::string_view value) {
    const std::uint64_t h = hash64(value);
    if (sketch_) {
        add_to_sketch(h);
        return;
    }
    const auto it = std::lower_bound(exact_.begin(), exact_.end(), h);
    if (it != exact_.end() && *it == h) return;
    if (exact_.size() < exact_limit) {
        exact_.insert(it, h);
        return;
    }
    sketch_ = std::make_unique<std::array<std::uint8_t, 1024>>();
    sketch_->fill(0);
    for (std::uint64_t old : exact_) add_to_sketch(old);
    add_to_sketch(h);
    exact_.clear();
    exact_.shrink_to_fit();
}

std::uint64_t DistinctCounter::count() const {
    if (!sketch_) return exact_.size();
    constexpr double m = 1024.0;
    double sum = 0;
    std::size_t zeros = 0;
    for (std::uint8_t r : *sketch_) {
        sum += std::ldexp(1.0, -static_cast<int>(r));
        if (r == 0) ++zeros;
    }
    const double alpha = 0.7213 / (1.0 + 1.079 / m);
    double estimate = alpha * m * m / sum;
    if (estimate <= 2.5 * m && zeros != 0) {
        estimate = m * std::log(m / static_cast<double>(zeros));  // linear counting
    }
    const auto rounded = static_cast<std::uint64_t>(std::llround(estimate));
    // never below what was counted exactly before the switch
    return std::max<std::uint64_t>(rounded, exact_limit + 1);
}

// -- filter -----------------------------------------------------------------------------------

bool ReportFilter::matches(const ReportInput &r) const {
    if (since_us && r.time_us < *since_us) return false;
    if (until_us && r.time_us >= *until_us) return false;
    if (!classes.empty() && !any_iequal(classes, r.sni_class)) return false;
    if (!servers.empty()) {
        bool found = false;
        for (const std::string &s : servers) found = found || s == r.server;
        if (!found) return false;
    }
    if (!vhosts.empty()) {
        if (r.event == ReportEvent::handshake) {
            if (!any_iequal(vhosts, r.vhost) && !any_iequal(vhosts, r.cert_vhost)) return false;
        } else if (!any_iequal(vhosts, r.host)) {
            return false;
        }
    }
    return true;
}

// -- aggregator -------------------------------------------------------------------------------

struct ReportAggregator::State {
    ReportOptions options;
    std::unordered_map<std::string, RowState> rows;
    std::map<std::string, ServerState> servers;
    std::map<std::int64_t, DayTotals> days;
    std::string key;  // reused: no allocation per record once its capacity suffices
    std::string scratch;
    Report totals;
};

ReportAggregator::ReportAggregator(ReportOptions options) : state_(std::make_unique<State>()) {
    state_->options = std::move(options);
}
ReportAggregator::~ReportAggregator() = default;

std::size_t ReportAggregator::clients() const noexcept {
    return state_->rows.size();
}

void ReportAggregator::add(const ReportInput &in) {
    State &s = *state_;
    ++s.totals.records;
    ReportInput r = in;
    if (r.sni_class.empty()) r.sni_class = "no-sni";
    if (!s.options.filter.matches(r)) return;
    ++s.totals.matched;
    if (s.totals.matched == 1 || r.time_us < s.totals.first_us) s.totals.first_us = r.time_us;
    if (s.totals.matched == 1 || r.time_us > s.totals.last_us) s.totals.last_us = r.time_us;
    if (r.event == ReportEvent::probe) {
        ++s.totals.probes;
        return;
    }
    if (r.event == ReportEvent::other) {
        ++s.totals.other_events;
        return;
    }
    const bool handshake = r.event == ReportEvent::handshake;
    const bool failed = handshake && r.outcome != "established";
    const bool breaks = !handshake && works_today(r);

    s.key.assign(r.sni_class);
    s.key += '\x1f';
    s.key += r.ja4;
    if (s.options.per_server) {
        s.key += '\x1f';
        s.key += r.server;
    }
    auto it = s.rows.find(s.key);
    if (it == s.rows.end()) {
        it = s.rows.emplace(s.key, RowState{}).first;
        it->second.sni_class = std::string(r.sni_class);
        it->second.ja4 = std::string(r.ja4);
        if (s.options.per_server) it->second.server = std::string(r.server);
    }
    RowState &row = it->second;
    if (handshake) {
        ++row.connections;
        if (failed) ++row.failed;
    } else {
        ++row.requests;
        if (breaks) ++row.breaks;
        if (!r.host.empty()) row.hosts.add(r.host, max_listed);
        add_got_key(s.scratch, r);
        row.got.add(s.scratch, max_listed);
        if (!r.user_agent.empty() && (!row.have_user_agent || r.time_us >= row.user_agent_us)) {
            row.user_agent.assign(r.user_agent);
            row.user_agent_us = r.time_us;
            row.have_user_agent = true;
        }
    }
    if (!r.ja3_hash.empty() && row.ja3_hash != r.ja3_hash) row.ja3_hash.assign(r.ja3_hash);
    if (!r.client_ip.empty()) row.addresses.add(r.client_ip);
    if (!row.seen || r.time_us < row.first_us) row.first_us = r.time_us;
    if (!row.seen || r.time_us > row.last_us) row.last_us = r.time_us;
    row.seen = true;
    const std::int64_t day = day_of(r.time_us);
    if (day != row.last_day) {
        row.last_day = day;
        const auto d = std::lower_bound(row.days.begin(), row.days.end(), day);
        if (d == row.days.end() || *d != day) row.days.insert(d, day);
    }
    // servers of the row: the first max_servers_listed by name, all of them counted
    const auto srv = std::lower_bound(row.servers.begin(), row.servers.end(), r.server);
    if (srv == row.servers.end() || *srv != r.server) {
        row.all_servers.add(r.server);
        if (row.servers.size() < max_servers_listed) {
            row.servers.insert(srv, std::string(r.server));
        }
    }

    // server totals
    auto server = s.servers.find(std::string(r.server));
    if (server == s.servers.end()) {
        const std::string name =
            s.servers.size() < max_servers ? std::string(r.server) : std::string("(other)");
        server = s.servers.emplace(name, ServerState{}).first;
        server->second.totals.server = name;
    }
    ServerState &st = server->second;
    if (handshake) {
        ++st.totals.connections;
        if (failed) ++st.totals.failed;
    } else {
        ++st.totals.requests;
        if (breaks) ++st.totals.breaks;
    }
    if (st.clients.size() < max_servers) {
        s.scratch.assign(r.sni_class);
        s.scratch += '\x1f';
        s.scratch += r.ja4;
        st.clients.insert(s.scratch);
    }

    // the daily trend
    const int c = class_index(r.sni_class);
    if (c >= 0) {
        DayTotals &totals = s.days[day];
        totals.day = day;
        if (handshake) {
            ++totals.connections[static_cast<std::size_t>(c)];
        } else {
            ++totals.requests[static_cast<std::size_t>(c)];
        }
    }
}

Report ReportAggregator::finish(const ClientNames *names) const {
    const State &s = *state_;
    Report report = s.totals;
    report.rows.reserve(s.rows.size());
    for (const auto &entry : s.rows) {
        const RowState &st = entry.second;
        ReportRow row;
        row.sni_class = st.sni_class;
        row.ja4 = st.ja4;
        row.ja3_hash = st.ja3_hash;
        row.server = st.server;
        if (names != nullptr) {
            if (const std::string *name = names->find(st.ja4, st.ja3_hash)) row.name = *name;
        }
        row.user_agent = st.user_agent;
        row.connections = st.connections;
        row.failed = st.failed;
        row.requests = st.requests;
        row.breaks = st.breaks;
        row.addresses = st.addresses.count();
        row.addresses_estimated = st.addresses.estimated();
        row.servers = st.servers;
        const std::uint64_t servers = st.all_servers.count();
        row.more_servers = servers > st.servers.size() ? servers - st.servers.size() : 0;
        row.hosts = st.hosts.sorted();
        row.other_hosts = st.hosts.other;
        row.got = st.got.sorted();
        row.other_got = st.got.other;
        row.first_us = st.first_us;
        row.last_us = st.last_us;
        row.days = static_cast<std::uint32_t>(st.days.size());
        report.rows.push_back(std::move(row));
    }
    std::sort(report.rows.begin(), report.rows.end(), [](const ReportRow &a, const ReportRow &b) {
        if (a.breaks != b.breaks) return a.breaks > b.breaks;
        if (a.addresses != b.addresses) return a.addresses > b.addresses;
        if (a.days != b.days) return a.days > b.days;
        if (a.connections != b.connections) return a.connections > b.connections;
        if (a.last_us != b.last_us) return a.last_us > b.last_us;
        if (a.sni_class != b.sni_class) return a.sni_class < b.sni_class;
        if (a.ja4 != b.ja4) return a.ja4 < b.ja4;
        return a.server < b.server;
    });
    for (const auto &entry : s.servers) {
        ServerTotals totals = entry.second.totals;
        totals.clients = entry.second.clients.size();
        report.servers.push_back(std::move(totals));
    }
    if (!s.days.empty()) {
        const std::int64_t first = s.days.begin()->first;
        const std::int64_t last = s.days.rbegin()->first;
        for (std::int64_t day = first; day <= last; ++day) {
            const auto it = s.days.find(day);
            if (it != s.days.end()) {
                report.days.push_back(it->second);
            } else {
                DayTotals quiet;
                quiet.day = day;
                report.days.push_back(quiet);
            }
        }
    }
    return report;
}

// -- reading records --------------------------------------------------------------------------

namespace {

bool digits(std::string_view s, std::size_t pos, std::size_t n, int &out) {
    if (pos + n > s.size()) return false;
    int v = 0;
    for (std::size_t i = pos; i < pos + n; ++i) {
        if (s[i] < '0' || s[i] > '9') return false;
        v = v * 10 + (s[i] - '0');
    }
    out = v;
    return true;
}

// Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm).
std::int64_t days_from_civil(int y, int m, int d) noexcept {
    y -= m <= 2 ? 1 : 0;
    const int era = (y >= 0 ? y : y - 399) / 400;
    const int yoe = y - era * 400;
    const int doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return static_cast<std::int64_t>(era) * 146097 + doe - 719468;
}

int days_in_month(int y, int m) noexcept {
    static constexpr int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0)) return 29;
    return days[m - 1];
}

}  // namespace

std::optional<std::int64_t> parse_report_time(std::string_view t) {
    int y = 0, mo = 0, d = 0;
    if (!digits(t, 0, 4, y) || t.size() < 10 || t[4] != '-' || !digits(t, 5, 2, mo) ||
        t[7] != '-' || !digits(t, 8, 2, d)) {
        return std::nullopt;
    }
    if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo)) return std::nullopt;
    std::int64_t us = days_from_civil(y, mo, d) * us_per_day;
    if (t.size() == 10) return us;
    int h = 0, mi = 0, sec = 0;
    if (t.size() < 20 || (t[10] != 'T' && t[10] != 't' && t[10] != ' ') || !digits(t, 11, 2, h) ||
        t[13] != ':' || !digits(t, 14, 2, mi) || t[16] != ':' || !digits(t, 17, 2, sec) || h > 23 ||
        mi > 59 || sec > 60) {
        return std::nullopt;
    }
    us += (static_cast<std::int64_t>(h) * 3600 + mi * 60 + sec) * 1'000'000;
    std::size_t pos = 19;
    if (t[pos] == '.') {
        ++pos;
        std::int64_t fraction = 0, scale = 100'000;
        const std::size_t start = pos;
        while (pos < t.size() && t[pos] >= '0' && t[pos] <= '9') {
            fraction += (t[pos] - '0') * scale;
            scale /= 10;
            ++pos;
        }
        if (pos == start) return std::nullopt;
        us += fraction;
    }
    const std::string_view zone = t.substr(pos);
    if (zone == "Z" || zone == "z") return us;
    int zh = 0, zm = 0;
    if (zone.size() != 6 || (zone[0] != '+' && zone[0] != '-') || !digits(zone, 1, 2, zh) ||
        zone[3] != ':' || !digits(zone, 4, 2, zm) || zh > 23 || zm > 59) {
        return std::nullopt;
    }
    const std::int64_t offset = (static_cast<std::int64_t>(zh) * 60 + zm) * 60'000'000;
    return zone[0] == '+' ? us - offset : us + offset;
}

std::string format_day(std::int64_t day) {
    // civil_from_days (Howard Hinnant)
    day += 719468;
    const std::int64_t era = (day >= 0 ? day : day - 146096) / 146097;
    const std::int64_t doe = day - era * 146097;
    const std::int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    std::int64_t y = yoe + era * 400;
    const std::int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const std::int64_t mp = (5 * doy + 2) / 153;
    const std::int64_t d = doy - (153 * mp + 2) / 5 + 1;
    const std::int64_t m = mp < 10 ? mp + 3 : mp - 9;
    if (m <= 2) ++y;
    auto two = [](std::int64_t v) { return std::string(v < 10 ? "0" : "") + std::to_string(v); };
    std::string year = std::to_string(y);
    if (y >= 0 && year.size() < 4) year.insert(0, 4 - year.size(), '0');
    return year + '-' + two(m) + '-' + two(d);
}

namespace {

// Where the record of a line with a syslog prefix starts: its first '{' or its first word that is
// a logfmt pair, whichever comes first; npos when there is neither. In an RFC 5424 line (it
// starts with '<'), words inside structured data ("[origin ip=\"192.0.2.1\"]") are skipped.
std::size_t record_start(std::string_view line, bool &logfmt) {
    const bool rfc5424 = !line.empty() && line.front() == '<';
    bool in_data = false, in_quote = false;
    for (std::size_t i = 0; i < line.size(); ++i) {
        const char c = line[i];
        if (in_data) {
            if (in_quote) {
                if (c == '\\')
                    ++i;
                else if (c == '"')
                    in_quote = false;
            } else if (c == '"') {
                in_quote = true;
            } else if (c == ']') {
                in_data = false;
            }
            continue;
        }
        if (c == '{') return i;
        if (c != ' ') continue;
        if (i + 1 < line.size() && rfc5424 && line[i + 1] == '[') {
            in_data = true;
            ++i;
        } else if (starts_with_logfmt_pair(line.substr(i + 1))) {
            logfmt = true;
            return i + 1;
        }
    }
    return std::string_view::npos;
}

}  // namespace

std::string ReportFields::finish(std::string_view syslog_host, std::string_view file_server) {
    if (time.empty()) return "not a record: no \"time\"";
    const auto time_us = parse_report_time(time);
    if (!time_us) return "not a record: \"time\" is not an RFC 3339 time";
    input.time_us = *time_us;
    if (event.size() == 9 && key_is(event, "handshake")) {
        input.event = ReportEvent::handshake;
    } else if (event.size() == 7 && key_is(event, "request")) {
        input.event = ReportEvent::request;
    } else if (event.size() == 5 && key_is(event, "probe")) {
        input.event = ReportEvent::probe;
    } else if (event.empty()) {
        return "not a record: no \"event\"";
    } else {
        input.event = ReportEvent::other;
    }
    input.server = !server.empty() ? server : !syslog_host.empty() ? syslog_host : file_server;
    return {};
}

std::string read_logfmt_record(std::string_view line, ReportFields &out, LogfmtScratch &scratch) {
    out = ReportFields{};
    const std::string fault = parse_logfmt_line(line, scratch.fields);
    if (!fault.empty()) return "not logfmt: " + fault;
    // A decoded value is never longer than its escaped text: with room for the whole line, no
    // append below reallocates, so the views into `decoded` stay valid.
    scratch.decoded.clear();
    scratch.decoded.reserve(line.size());
    for (const LogfmtField &field : scratch.fields) {
        const ReportKey key = report_key(field.key);
        if (key == ReportKey::other || field.absent) continue;
        if (key == ReportKey::status) {
            // written bare, as a decimal integer (record.h); a quoted value is text, as in JSON
            std::int64_t status = 0;
            const char *end = field.raw.data() + field.raw.size();
            const auto parsed = std::from_chars(field.raw.data(), end, status);
            if (!field.quoted && parsed.ec == std::errc() && parsed.ptr == end &&
                report_status_valid(status)) {
                out.input.status = static_cast<int>(status);
            }
            continue;
        }
        if (key == ReportKey::enforced) {
            if (!field.quoted && field.raw == "true") out.input.enforced = true;
            if (!field.quoted && field.raw == "false") out.input.enforced = false;
            continue;
        }
        std::string_view *target = out.text(key);
        if (target == nullptr) continue;  // not a text key: handled above
        if (!field.escaped) {
            *target = field.raw;
            continue;
        }
        const std::size_t begin = scratch.decoded.size();
        if (!decode_logfmt_value(field.raw, scratch.decoded)) {
            return "not logfmt: an invalid escape in the value of \"" + std::string(field.key) +
                   "\" (\\_ is for list elements)";
        }
        *target = std::string_view(scratch.decoded.data() + begin, scratch.decoded.size() - begin);
    }
    return {};
}

SyslogLine split_syslog_prefix(std::string_view line) {
    SyslogLine out;
    if (!line.empty() && line.front() == '{') {
        out.record = line;
        return out;
    }
    if (starts_with_logfmt_pair(line)) {
        out.record = line;
        out.logfmt = true;
        return out;
    }
    out.has_prefix = true;
    const std::size_t begin = record_start(line, out.logfmt);
    if (begin == std::string_view::npos) return out;
    out.record = line.substr(begin);
    std::string_view prefix = line.substr(0, begin);
    std::vector<std::string_view> words;
    while (!prefix.empty()) {
        const std::size_t start = prefix.find_first_not_of(' ');
        if (start == std::string_view::npos) break;
        prefix.remove_prefix(start);
        const std::size_t end = prefix.find(' ');
        words.push_back(prefix.substr(0, end));
        if (end == std::string_view::npos) break;
        prefix.remove_prefix(end);
    }
    if (words.empty()) return out;
    // RFC 5424: "<PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID SD"
    if (words[0].size() >= 4 && words[0].front() == '<' &&
        words[0].substr(words[0].size() - 2) == ">1") {
        if (words.size() >= 3 && words[2] != "-") out.host = words[2];
        return out;
    }
    // "... HOST TAG:" (RFC 3164 and rsyslog's file formats): the word before the tag.
    if (words.size() >= 2 && words.back().back() == ':') {
        out.host = words[words.size() - 2];
    } else if (words.size() >= 2) {
        // a message without a tag ("... HOST {json}", "... HOST time=..."): the last word, when it
        // is not a time
        const std::string_view last = words.back();
        if (last.find(':') == std::string_view::npos) out.host = last;
    }
    return out;
}

std::string server_from_path(std::string_view path) {
    if (path == "-") return "stdin";
    while (path.size() > 1 && path.back() == '/') path.remove_suffix(1);
    std::string_view dir, name = path;
    const std::size_t slash = path.rfind('/');
    if (slash != std::string_view::npos) {
        name = path.substr(slash + 1);
        dir = path.substr(0, slash);
        const std::size_t parent = dir.rfind('/');
        if (parent != std::string_view::npos) dir = dir.substr(parent + 1);
    }
    auto strip = [&name](std::string_view suffix) {
        if (name.size() > suffix.size() && name.substr(name.size() - suffix.size()) == suffix) {
            name.remove_suffix(suffix.size());
            return true;
        }
        return false;
    };
    strip(".gz");
    // ".1", ".2", ...: logrotate's numbers
    const std::size_t dot = name.rfind('.');
    if (dot != std::string_view::npos && dot + 1 < name.size() &&
        name.find_first_not_of("0123456789", dot + 1) == std::string_view::npos) {
        name = name.substr(0, dot);
    }
    // "-20261123": logrotate's dateext
    const std::size_t dash = name.rfind('-');
    if (dash != std::string_view::npos && name.size() - dash - 1 == 8 &&
        name.find_first_not_of("0123456789", dash + 1) == std::string_view::npos) {
        name = name.substr(0, dash);
    }
    if (dir.empty() || dir == ".") return std::string(name);
    std::string out(dir);
    out += '/';
    out += name;
    return out;
}

}  // namespace snifallback
