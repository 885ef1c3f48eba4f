#include "core/record.h"

#include <limits>

namespace snifallback {
namespace {

enum class Kind { time, text, integer, boolean, list };
// Which records carry a key (record.h): every record, request and probe records, probe records.
enum class Group { all, request, probe };

struct Field {
    std::string_view key;
    Group group;
    Kind kind;
    std::size_t limit;  // text and list: rendered characters, quotes excluded
    Record::Text Record::*text;
    Record::Integer Record::*integer;
    Record::Boolean Record::*boolean = nullptr;
};

using L = RecordLimits;

constexpr Field text(std::string_view key, Group group, std::size_t limit,
                     Record::Text Record::*member) {
    return {key, group, Kind::text, limit, member, nullptr};
}
constexpr Field integer(std::string_view key, Group group, Record::Integer Record::*member) {
    return {key, group, Kind::integer, 0, nullptr, member};
}
constexpr Field boolean(std::string_view key, Group group, Record::Boolean Record::*member) {
    return {key, group, Kind::boolean, 0, nullptr, nullptr, member};
}

// The one table both renderers, record_keys and the size bounds walk: the key order of record.h.
constexpr Field fields[] = {
    {"time", Group::all, Kind::time, 0, nullptr, nullptr},
    text("event", Group::all, L::event, &Record::event),
    text("client_ip", Group::all, L::client_ip, &Record::client_ip),
    integer("client_port", Group::all, &Record::client_port),
    text("peer_ip", Group::all, L::peer_ip, &Record::peer_ip),
    text("local_ip", Group::all, L::local_ip, &Record::local_ip),
    integer("local_port", Group::all, &Record::local_port),
    text("vhost", Group::all, L::vhost, &Record::vhost),
    text("cert_vhost", Group::all, L::cert_vhost, &Record::cert_vhost),
    text("sni_class", Group::all, L::sni_class, &Record::sni_class),
    text("sni", Group::all, L::sni, &Record::sni),
    text("tls_offered_max", Group::all, L::tls_offered_max, &Record::tls_offered_max),
    text("tls_version", Group::all, L::tls_version, &Record::tls_version),
    text("cipher", Group::all, L::cipher, &Record::cipher),
    {"alpn", Group::all, Kind::list, L::alpn, nullptr, nullptr},
    text("ja3", Group::all, L::ja3, &Record::ja3),
    text("ja3_hash", Group::all, L::ja3_hash, &Record::ja3_hash),
    text("ja4", Group::all, L::ja4, &Record::ja4),
    text("client_name", Group::all, L::client_name, &Record::client_name),
    text("outcome", Group::all, L::outcome, &Record::outcome),
    text("source", Group::all, L::source, &Record::source),
    text("host", Group::request, L::host, &Record::host),
    text("method", Group::request, L::method, &Record::method),
    text("uri", Group::request, L::uri, &Record::uri),
    text("protocol", Group::request, L::protocol, &Record::protocol),
    text("user_agent", Group::request, L::user_agent, &Record::user_agent),
    text("action", Group::request, L::action, &Record::action),
    boolean("enforced", Group::request, &Record::enforced),
    text("reason", Group::request, L::reason, &Record::reason),
    integer("status", Group::request, &Record::status),
    text("target", Group::request, L::target, &Record::target),
    text("result", Group::probe, L::result, &Record::result),
    text("page", Group::probe, L::page, &Record::page),
};
constexpr std::size_t field_count = sizeof(fields) / sizeof(fields[0]);

constexpr std::size_t time_chars = 24;  // 2026-11-23T08:01:02.345Z
static_assert(std::numeric_limits<int>::digits == 31, "integers render in at most 11 characters");
constexpr std::size_t integer_chars = 11;  // -2147483648
constexpr std::size_t null_chars = 4;
constexpr std::size_t boolean_chars = 5;  // false

// The longest value text a field can have (JSON: quotes included; logfmt: quotes included).
constexpr std::size_t max_value_chars(const Field &field, bool json) {
    std::size_t chars = 0;
    switch (field.kind) {
        case Kind::time:
            chars = json ? time_chars + 2 : time_chars;
            break;
        case Kind::text:
            chars = field.limit + 2;
            break;
        case Kind::integer:
            chars = integer_chars;
            break;
        case Kind::boolean:
            chars = boolean_chars;
            break;
        case Kind::list:
            chars = json ? field.limit : field.limit + 2;
            break;
    }
    return chars > null_chars ? chars : null_chars;
}

// Every key rendered, every value at its longest.
constexpr std::size_t worst_case_bytes(bool json) {
    std::size_t total = json ? 2 : 0;  // { }
    for (std::size_t i = 0; i < field_count; ++i) {
        total += fields[i].key.size() + (json ? 3 : 1) + max_value_chars(fields[i], json);
    }
    return total + (field_count - 1) + 1;  // separators, '\n'
}

constexpr bool limits_hold_a_marker() {
    for (std::size_t i = 0; i < field_count; ++i) {
        if (fields[i].kind == Kind::text && fields[i].limit < truncation_marker.size()) {
            return false;
        }
    }
    // A list holds at least "[" "\"marker\"" "]".
    return L::alpn_element >= truncation_marker.size() && L::alpn >= truncation_marker.size() + 4;
}

static_assert(worst_case_bytes(true) <= max_record_bytes, "JSON records must fit in PIPE_BUF");
static_assert(worst_case_bytes(false) <= max_record_bytes, "logfmt records must fit in PIPE_BUF");
static_assert(limits_hold_a_marker(), "every limit must hold the truncation marker");

// The fields every record of a connection shares, rendered once by render_connection_fields.
constexpr std::size_t first_connection_field = 2;
constexpr std::size_t end_of_connection_fields = 21;
static_assert(fields[first_connection_field].key == "client_ip" &&
              fields[end_of_connection_fields - 1].key == "source");

constexpr bool connection_fields_always_rendered() {
    for (std::size_t i = first_connection_field; i < end_of_connection_fields; ++i) {
        if (fields[i].group != Group::all) return false;
    }
    return true;
}
static_assert(connection_fields_always_rendered(), "the spliced piece must fit every record");

// The widest group a record renders: decided once per record, not once per field.
Group widest_group(const Record &record) {
    if (record.event == "probe") return Group::probe;
    if (record.event == "request") return Group::request;
    return Group::all;
}

bool is_rendered(const Field &field, Group widest) {
    switch (field.group) {
        case Group::all:
            return true;
        case Group::request:
            return widest != Group::all;
        case Group::probe:
            return widest == Group::probe;
    }
    return false;
}

// `value` (at most `width` digits) in decimal, zero-padded to exactly `width` characters.
void put_digits(char *at, std::int64_t value, int width) {
    for (int i = width - 1; i >= 0; --i) {
        at[i] = static_cast<char>('0' + value % 10);
        value /= 10;
    }
}

// Renders a list: JSON ["a","b"] or logfmt a,b (unquoted), within RecordLimits::alpn.
void append_list(std::string &out, const std::vector<std::string> &items, bool json) {
    const EscapeStyle style = json ? EscapeStyle::json : EscapeStyle::logfmt_list_element;
    const std::size_t quotes = json ? 2 : 0;
    const std::size_t closing = json ? 1 : 0;
    if (json) out.push_back('[');
    std::size_t used = json ? 1 : 0;
    std::string element;
    for (std::size_t i = 0; i < items.size(); ++i) {
        const std::size_t separator = i > 0 ? 1 : 0;
        element.clear();
        if (!json && items[i].empty())
            element = "\\_";
        else
            append_escaped(element, items[i], style, L::alpn_element);
        const std::size_t cost = separator + quotes + element.size();
        // Room for this element, the closing bracket and, unless it is the last, a marker element.
        const std::size_t reserve =
            i + 1 < items.size() ? 1 + quotes + truncation_marker.size() : 0;
        const bool fits = used + cost + reserve + closing <= L::alpn;
        if (separator) out.push_back(',');
        if (json) out.push_back('"');
        out.append(fits ? std::string_view(element) : truncation_marker);
        if (json) out.push_back('"');
        if (!fits) break;
        used += cost;
    }
    if (json) out.push_back(']');
}

void append_json_value(std::string &out, const Field &field, const Record &record) {
    switch (field.kind) {
        case Kind::time: {
            const std::string time = record.time_us ? format_time_utc(*record.time_us) : "";
            if (time.empty()) {
                out += "null";
            } else {
                out.push_back('"');
                out += time;
                out.push_back('"');
            }
            return;
        }
        case Kind::text: {
            const Record::Text &value = record.*field.text;
            if (!value) {
                out += "null";
                return;
            }
            out.push_back('"');
            append_escaped(out, *value, EscapeStyle::json, field.limit);
            out.push_back('"');
            return;
        }
        case Kind::integer: {
            const Record::Integer &value = record.*field.integer;
            out += value ? std::to_string(*value) : "null";
            return;
        }
        case Kind::boolean: {
            const Record::Boolean &value = record.*field.boolean;
            out += value ? (*value ? "true" : "false") : "null";
            return;
        }
        case Kind::list:
            if (record.alpn)
                append_list(out, *record.alpn, true);
            else
                out += "null";
            return;
    }
}

bool needs_quotes(std::string_view text) {
    return text.empty() || text.find_first_of(" \"=\\") != std::string_view::npos;
}

void append_logfmt_value(std::string &out, const Field &field, const Record &record) {
    std::string text;
    switch (field.kind) {
        case Kind::time:
            if (record.time_us) out += format_time_utc(*record.time_us);  // empty: absent
            return;
        case Kind::integer: {
            const Record::Integer &value = record.*field.integer;
            if (value) out += std::to_string(*value);
            return;
        }
        case Kind::boolean: {
            const Record::Boolean &value = record.*field.boolean;
            if (value) out += *value ? "true" : "false";
            return;
        }
        case Kind::text: {
            const Record::Text &value = record.*field.text;
            if (!value) return;
            append_escaped(text, *value, EscapeStyle::logfmt, field.limit);
            break;
        }
        case Kind::list:
            if (!record.alpn) return;
            append_list(text, *record.alpn, false);
            break;
    }
    if (needs_quotes(text)) {
        out.push_back('"');
        out += text;
        out.push_back('"');
    } else {
        out += text;
    }
}

}  // namespace

std::vector<std::string_view> record_keys(const Record &record) {
    std::vector<std::string_view> keys;
    keys.reserve(field_count);
    const Group widest = widest_group(record);
    for (const Field &field : fields) {
        if (is_rendered(field, widest)) keys.push_back(field.key);
    }
    return keys;
}

std::string format_time_utc(std::int64_t time_us) {
    // Floor division: the millisecond (and second, day) that has begun, also before 1970.
    std::int64_t seconds = time_us / 1000000;
    std::int64_t micros = time_us % 1000000;
    if (micros < 0) {
        micros += 1000000;
        seconds -= 1;
    }
    std::int64_t days = seconds / 86400;
    std::int64_t second_of_day = seconds % 86400;
    if (second_of_day < 0) {
        second_of_day += 86400;
        days -= 1;
    }
    // Howard Hinnant's civil_from_days (proleptic Gregorian calendar).
    const std::int64_t z = days + 719468;
    const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const std::int64_t doe = z - era * 146097;
    const std::int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const std::int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const std::int64_t mp = (5 * doy + 2) / 153;
    const std::int64_t day = doy - (153 * mp + 2) / 5 + 1;
    const std::int64_t month = mp < 10 ? mp + 3 : mp - 9;
    const std::int64_t year = yoe + era * 400 + (month <= 2 ? 1 : 0);
    if (year < 0 || year > 9999) return {};

    // Every part has a fixed width (the year is 0000-9999 here): fill a template in place.
    char text[time_chars + 1] = "0000-00-00T00:00:00.000Z";
    put_digits(text, year, 4);
    put_digits(text + 5, month, 2);
    put_digits(text + 8, day, 2);
    put_digits(text + 11, second_of_day / 3600, 2);
    put_digits(text + 14, second_of_day / 60 % 60, 2);
    put_digits(text + 17, second_of_day % 60, 2);
    put_digits(text + 20, micros / 1000, 3);
    std::string out(text, time_chars);
    return out;
}

namespace {

// What comes before each value: '"key":' in JSON, 'key=' in logfmt; built once, so a key costs
// one append.
struct KeyTexts {
    std::string json[field_count];
    std::string logfmt[field_count];
    KeyTexts() {
        for (std::size_t i = 0; i < field_count; ++i) {
            json[i].append("\"").append(fields[i].key).append("\":");
            logfmt[i].append(fields[i].key).append("=");
        }
    }
};

const KeyTexts &key_texts() {
    static const KeyTexts texts;
    return texts;
}

void append_field(std::string &out, std::size_t index, const Record &record, bool json) {
    if (json) {
        out += key_texts().json[index];
        append_json_value(out, fields[index], record);
    } else {
        out += key_texts().logfmt[index];
        append_logfmt_value(out, fields[index], record);
    }
}

// Fields [begin, end) of the record, each preceded by a separator unless it is the line's first.
void append_fields(std::string &out, const Record &record, bool json, std::size_t begin,
                   std::size_t end, bool &first) {
    const Group widest = widest_group(record);
    for (std::size_t i = begin; i < end; ++i) {
        if (!is_rendered(fields[i], widest)) continue;
        if (!first) out.push_back(json ? ',' : ' ');
        first = false;
        append_field(out, i, record, json);
    }
}

// A whole line; the connection fields come from `connection_fields` when it is given.
std::string render(const Record &record, bool json, const std::string_view *connection_fields) {
    std::string out;
    out.reserve(connection_fields ? connection_fields->size() + 512 : 1024);
    if (json) out.push_back('{');
    bool first = true;
    if (connection_fields) {
        append_fields(out, record, json, 0, first_connection_field, first);
        if (!first) out.push_back(json ? ',' : ' ');
        out += *connection_fields;
        first = false;
    } else {
        append_fields(out, record, json, 0, end_of_connection_fields, first);
    }
    append_fields(out, record, json, end_of_connection_fields, field_count, first);
    out += json ? "}\n" : "\n";
    return out;
}

}  // namespace

std::string render_json(const Record &record) {
    return render(record, true, nullptr);
}

std::string render_logfmt(const Record &record) {
    return render(record, false, nullptr);
}

std::string render_connection_fields(const Record &record, LineFormat format) {
    std::string out;
    bool first = true;
    append_fields(out, record, format == LineFormat::json, first_connection_field,
                  end_of_connection_fields, first);
    return out;
}

std::string render_line(const Record &record, LineFormat format,
                        std::string_view connection_fields) {
    return render(record, format == LineFormat::json, &connection_fields);
}

std::size_t max_json_bytes() noexcept {
    return worst_case_bytes(true);
}
std::size_t max_logfmt_bytes() noexcept {
    return worst_case_bytes(false);
}

}  // namespace snifallback
