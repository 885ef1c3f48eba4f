#include "core/status.h"

#include <cctype>
#include <map>

#include "core/escape.h"
#include "core/record.h"
#include "core/version.h"

namespace snifallback {
namespace {

constexpr std::size_t max_field = 512;

void append_json_string(std::string &out, const std::string &value) {
    out += '"';
    append_escaped(out, value, EscapeStyle::json, max_field);
    out += '"';
}

void append_number(std::string &out, std::string_view key, std::uint64_t value, bool comma = true) {
    if (comma) out += ',';
    out += '"';
    out += key;
    out += "\":";
    out += std::to_string(value);
}

// "connections":{"tls":N,...},"requests":{"no_sni":N,...}: every counter of the tables, in order.
void append_counters(std::string &out, const Counters &counters) {
    for (const CounterGroup group : {CounterGroup::connections, CounterGroup::log}) {
        out += '"';
        out += counter_group_key(group);
        out += "\":{";
        bool first = true;
        for (const CounterDescription &counter : counter_descriptions) {
            if (counter.group != group) continue;
            append_number(out, counter.key, counters[counter.id], !first);
            first = false;
        }
        out += "},";
    }
    out += "\"requests\":{";
    bool first = true;
    for (const RequestTotalDescription &total : request_total_descriptions) {
        append_number(out, total.key, counters.total(total.id), !first);
        first = false;
    }
    out += '}';
}

void append_nullable_string(std::string &out, const std::string &value) {
    if (value.empty()) {
        out += "null";
    } else {
        append_json_string(out, value);
    }
}

}  // namespace

std::vector<VhostCounters> merged_vhosts(const std::vector<VhostCounters> &vhosts) {
    std::vector<VhostCounters> out;
    std::map<std::string, std::size_t> index;  // by the name as read: the label value is that
    for (const VhostCounters &vhost : vhosts) {
        const auto [found, added] =
            index.try_emplace(prometheus_label_value(vhost.name), out.size());
        if (added) {
            out.push_back(vhost);
        } else {
            out[found->second].counters += vhost.counters;
        }
    }
    return out;
}

std::string render_status_json(const StatusReport &report) {
    std::string out = "{\"version\":\"" SNIFALLBACK_VERSION "\",";
    append_counters(out, report.total);
    out += ",\"vhosts\":{";
    bool first = true;
    for (const auto &vhost : merged_vhosts(report.vhosts)) {
        if (!first) out += ',';
        first = false;
        append_json_string(out, vhost.name);
        out += ":{";
        if (!vhost.forecast.empty()) {
            out += "\"forecast\":";
            append_json_string(out, vhost.forecast);
            out += ',';
        }
        append_counters(out, vhost.counters);
        out += '}';
    }
    out += "},\"clients\":[";
    first = true;
    for (const auto &client : report.clients) {
        if (!first) out += ',';
        first = false;
        out += "{\"client_ip\":";
        append_json_string(out, client.client_ip);
        out += ",\"ja4\":";
        append_json_string(out, client.ja4);
        out += ",\"client_name\":";
        append_nullable_string(out, client.client_name);
        out += ",\"class\":";
        append_json_string(out, client.client_class);
        out += ",\"sni\":";
        append_nullable_string(out, client.sni);
        out += ",\"user_agent\":";
        append_nullable_string(out, client.user_agent);
        append_number(out, "count", client.count);
        out += ",\"first_seen\":\"" + format_time_utc(client.first_seen_us) + '"';
        out += ",\"last_seen\":\"" + format_time_utc(client.last_seen_us) + '"';
        out += '}';
    }
    out += "],\"history\":[";
    first = true;
    for (const HourCounts &hour : report.history) {
        if (!first) out += ',';
        first = false;
        out += "{\"hour\":\"" + format_hour_utc(hour.hour) + '"';
        for (std::size_t f = 0; f < history_field_count; ++f) {
            append_number(out, history_field_key(static_cast<HistoryField>(f)), hour.counts[f]);
        }
        out += '}';
    }
    out += "],\"history_daily\":[";
    first = true;
    for (const DayCounts &day : report.history_daily) {
        if (!first) out += ',';
        first = false;
        out += "{\"day\":\"" + format_day_utc(day.day) + '"';
        for (std::size_t f = 0; f < history_field_count; ++f) {
            append_number(out, history_field_key(static_cast<HistoryField>(f)), day.counts[f]);
        }
        out += '}';
    }
    out += "]}\n";
    return out;
}

std::string render_status_auto(const Counters &total) {
    std::string out;
    for (const CounterDescription &counter : counter_descriptions) {
        out += counter.auto_key;
        out += ": ";
        out += std::to_string(total[counter.id]);
        out += '\n';
    }
    for (const RequestTotalDescription &request_total : request_total_descriptions) {
        out += request_total.auto_key;
        out += ": ";
        out += std::to_string(total.total(request_total.id));
        out += '\n';
    }
    return out;
}

std::string prometheus_label_value(std::string_view value) {
    std::string out;
    out.reserve(value.size());
    for (std::size_t i = 0; i < value.size();) {
        const char c = value[i];
        if (c == '\\') {
            out += "\\\\";
        } else if (c == '"') {
            out += "\\\"";
        } else if (c == '\n') {
            out += "\\n";
        } else if (static_cast<unsigned char>(c) >= 0x80) {
            const std::size_t length = utf8_sequence_length(value, i);
            if (length == 0) {
                out += "\xef\xbf\xbd";  // U+FFFD: the format is UTF-8
                ++i;
            } else {
                out.append(value.substr(i, length));
                i += length;
            }
            continue;
        } else {
            out += c;
        }
        ++i;
    }
    return out;
}

namespace {

void family(std::string &out, const char *name, const char *type, const char *help) {
    out += "# HELP ";
    out += name;
    out += ' ';
    out += help;
    out += "\n# TYPE ";
    out += name;
    out += ' ';
    out += type;
    out += '\n';
}

void sample(std::string &out, const char *name, const std::string &labels, std::uint64_t value) {
    out += name;
    if (!labels.empty()) out += '{' + labels + '}';
    out += ' ';
    out += std::to_string(value);
    out += '\n';
}

std::string label(const char *name, std::string_view value) {
    return std::string(name) + "=\"" + prometheus_label_value(value) + '"';
}

const char *class_family_name(HandshakeStage stage) {
    return stage == HandshakeStage::hello ? "snifallback_fallback_hellos_total"
                                          : "snifallback_fallback_connections_total";
}

std::string class_labels(ClientClass c, HandshakeStage stage) {
    std::string labels = label("class", client_class_name(c));
    if (stage != HandshakeStage::hello) {
        labels +=
            ',' + label("outcome", stage == HandshakeStage::established ? "established" : "failed");
    }
    return labels;
}

// The class counters of one handshake stage group: hellos, or the handshakes that ended.
void class_family(std::string &out, const Counters &total, bool ended) {
    const char *name = class_family_name(ended ? HandshakeStage::failed : HandshakeStage::hello);
    family(out, name, "counter",
           ended ? "Handshakes of clients that cannot be served by name that ended, by class and "
                   "outcome."
                 : "ClientHellos of clients that cannot be served by name, by class.");
    for (ClientClass c : fallback_classes) {
        for (const HandshakeStage stage : handshake_stages) {
            if ((stage != HandshakeStage::hello) != ended) continue;
            sample(out, name, class_labels(c, stage), total[class_counter(c, stage)]);
        }
    }
}

// Every counter of the table, in its order: the class counters as two families with a class
// label where the first of them stands, each other counter as a family of its own.
void counter_families(std::string &out, const Counters &total) {
    bool classes_done = false;
    for (const CounterDescription &counter : counter_descriptions) {
        ClientClass c{};
        HandshakeStage stage{};
        if (is_class_counter(counter.id, c, stage)) {
            if (!classes_done) {
                class_family(out, total, false);
                class_family(out, total, true);
                classes_done = true;
            }
            continue;
        }
        const std::string name = prometheus_counter_name(counter);
        std::string help(counter.label);
        if (!help.empty())
            help[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(help[0])));
        help += " (status JSON ";
        help += counter_group_key(counter.group);
        help += '.';
        help += counter.key;
        help += ").";
        family(out, name.c_str(), "counter", help.c_str());
        sample(out, name.c_str(), "", total[counter.id]);
    }
}

void fallback_requests(std::string &out, const StatusReport &report) {
    family(out, "snifallback_fallback_requests_total", "counter",
           "Requests of fallback clients, by vhost, class, action decided and whether it was "
           "enforced (cells that are zero are left out).");
    for (const VhostCounters &vhost : merged_vhosts(report.vhosts)) {
        for (std::size_t i = 0; i < request_cell_count; ++i) {
            if (vhost.counters.requests[i] == 0) continue;
            const RequestCell cell = request_cell_at(i);
            sample(out, "snifallback_fallback_requests_total",
                   label("vhost", vhost.name) + ',' +
                       label("class", client_class_name(cell.client_class)) + ',' +
                       label("action", decision_name(cell.action)) + ',' +
                       label("enforced", cell.enforced ? "true" : "false"),
                   vhost.counters.requests[i]);
        }
    }
}

}  // namespace

std::string prometheus_counter_series(Counter id) {
    ClientClass c{};
    HandshakeStage stage{};
    if (is_class_counter(id, c, stage)) {
        return std::string(class_family_name(stage)) + '{' + class_labels(c, stage) + '}';
    }
    return prometheus_counter_name(counter_descriptions[static_cast<std::size_t>(id)]);
}

std::string render_status_prometheus(const StatusReport &report) {
    std::string out;
    family(out, "snifallback_build_info", "gauge", "The module's version, always 1.");
    sample(out, "snifallback_build_info", label("version", SNIFALLBACK_VERSION), 1);
    counter_families(out, report.total);
    fallback_requests(out, report);
    family(out, "snifallback_inventory_clients", "gauge",
           "Clients in the inventory of the most frequent fallback clients.");
    sample(out, "snifallback_inventory_clients", "", report.clients.size());
    family(out, "snifallback_inventory_capacity", "gauge",
           "Clients the inventory holds at most (SNIFallbackInventorySize).");
    sample(out, "snifallback_inventory_capacity", "", report.inventory_capacity);
    return out;
}

}  // namespace snifallback
