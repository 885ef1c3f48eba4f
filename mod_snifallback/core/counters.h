// Every counter the module keeps, described once. The shared-memory layout, the status JSON, the
// HTML page, mod_status's "?auto" lines and the Prometheus exposition are all generated from the
// tables here: adding a counter is one line (plus the code that increments it, and its test).
// Prometheus names follow from the group and key (prometheus_counter_name()); the class counters
// (class_counter()) are one family with a class label instead.
//
// Connection counters are plain counts. Requests are counted in cells, one per combination of the
// connection's class, the action decided and whether it was enforced, so that any breakdown (per
// class, per action, reported only) is a sum over cells and never disagrees with another.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <string>
#include <string_view>

#include "core/action.h"
#include "core/client_class.h"

namespace snifallback {

// X(id, group, key, label, auto_key): the C++ name, the JSON object it is listed in, its key
// there ("connections":{"tls":...}), the HTML row heading and the mod_status "?auto" line.
#define SNIFALLBACK_COUNTERS(X)                                                                    \
    X(tls, connections, "tls", "TLS connections", "SNIFallbackConnectionsTLS")                    \
    X(no_sni, connections, "no_sni", "no-SNI handshakes", "SNIFallbackConnectionsNoSNI")          \
    X(no_sni_established, connections, "no_sni_established", "no-SNI established",                \
      "SNIFallbackConnectionsNoSNIEstablished")                                                    \
    X(no_sni_failed, connections, "no_sni_failed", "no-SNI failed",                               \
      "SNIFallbackConnectionsNoSNIFailed")                                                         \
    X(ip_literal, connections, "ip_literal", "IP-literal SNI handshakes",                         \
      "SNIFallbackConnectionsIPLiteral")                                                           \
    X(ip_literal_established, connections, "ip_literal_established", "IP-literal established",    \
      "SNIFallbackConnectionsIPLiteralEstablished")                                                \
    X(ip_literal_failed, connections, "ip_literal_failed", "IP-literal failed",                   \
      "SNIFallbackConnectionsIPLiteralFailed")                                                     \
    X(unknown_name, connections, "unknown_name", "unknown-name SNI handshakes",                   \
      "SNIFallbackConnectionsUnknownName")                                                         \
    X(unknown_name_established, connections, "unknown_name_established",                          \
      "unknown-name established", "SNIFallbackConnectionsUnknownNameEstablished")                  \
    X(unknown_name_failed, connections, "unknown_name_failed", "unknown-name failed",             \
      "SNIFallbackConnectionsUnknownNameFailed")                                                   \
    X(health_check, connections, "health_check", "load balancer health checks",                   \
      "SNIFallbackConnectionsHealthCheck")                                                         \
    X(log_records_dropped, log, "records_dropped", "log records dropped",                         \
      "SNIFallbackLogRecordsDropped")

// The JSON objects counters are listed in, in this order.
enum class CounterGroup { connections, log };
inline constexpr CounterGroup counter_groups[] = {CounterGroup::connections, CounterGroup::log};
inline constexpr const char *counter_group_key(CounterGroup group) noexcept {
    return group == CounterGroup::connections ? "connections" : "log";
}

enum class Counter : std::size_t {
#define SNIFALLBACK_COUNTER_ID(id, group, key, label, auto_key) id,
    SNIFALLBACK_COUNTERS(SNIFALLBACK_COUNTER_ID)
#undef SNIFALLBACK_COUNTER_ID
};

struct CounterDescription {
    Counter id;
    CounterGroup group;
    std::string_view key;
    std::string_view label;
    std::string_view auto_key;
};

inline constexpr CounterDescription counter_descriptions[] = {
#define SNIFALLBACK_COUNTER_DESCRIPTION(id, group, key, label, auto_key) \
    {Counter::id, CounterGroup::group, key, label, auto_key},
    SNIFALLBACK_COUNTERS(SNIFALLBACK_COUNTER_DESCRIPTION)
#undef SNIFALLBACK_COUNTER_DESCRIPTION
};

inline constexpr std::size_t counter_count = std::size(counter_descriptions);

// What a connection of a fallback class counts at its ClientHello and at the end of its handshake:
// the counters <class id>, <class id>_established and <class id>_failed, which the table above
// must have for every class of SNIFALLBACK_FALLBACK_CLASSES (the build fails otherwise).
enum class HandshakeStage { hello, established, failed };
inline constexpr HandshakeStage handshake_stages[] = {
    HandshakeStage::hello, HandshakeStage::established, HandshakeStage::failed};
inline constexpr std::size_t handshake_stage_count = std::size(handshake_stages);

inline constexpr Counter class_counters[][handshake_stage_count] = {
#define SNIFALLBACK_CLASS_COUNTERS(id, name, key, label) \
    {Counter::id, Counter::id##_established, Counter::id##_failed},
    SNIFALLBACK_FALLBACK_CLASSES(SNIFALLBACK_CLASS_COUNTERS)
#undef SNIFALLBACK_CLASS_COUNTERS
};
static_assert(std::size(class_counters) == fallback_class_count);

constexpr Counter class_counter(ClientClass c, HandshakeStage stage) noexcept {
    return class_counters[fallback_class_index(c)][static_cast<std::size_t>(stage)];
}

// Whether `counter` is one of the class counters, and whose; for the renderings that show them
// as one family with a class label.
constexpr bool is_class_counter(Counter counter, ClientClass &c, HandshakeStage &stage) noexcept {
    for (std::size_t i = 0; i < fallback_class_count; ++i) {
        for (std::size_t s = 0; s < handshake_stage_count; ++s) {
            if (class_counters[i][s] == counter) {
                c = fallback_classes[i];
                stage = handshake_stages[s];
                return true;
            }
        }
    }
    return false;
}

// The hello counter of a class has the class's JSON key.
constexpr bool class_counter_keys_match() noexcept {
    for (std::size_t i = 0; i < fallback_class_count; ++i) {
        const auto &counter = counter_descriptions[static_cast<std::size_t>(class_counters[i][0])];
        if (counter.key != std::string_view(fallback_class_descriptions[i].key)) return false;
    }
    return true;
}
static_assert(class_counter_keys_match(), "a class's hello counter has the class's key");

// The Prometheus name of a counter that is not a class counter: "snifallback_<key>_connections_
// total" for the connections group ("snifallback_tls_connections_total"),
// "snifallback_<group>_<key>_total" for the others ("snifallback_log_records_dropped_total").
std::string prometheus_counter_name(const CounterDescription &counter);

// One cell of the request counts.
struct RequestCell {
    ClientClass client_class;  // of the connection: no_sni, ip_literal or unknown_name
    Decision::Kind action;     // as decided
    bool enforced;             // whether the response carried it
};

inline constexpr Decision::Kind decision_kinds[] = {
    Decision::Kind::none, Decision::Kind::notice, Decision::Kind::redirect, Decision::Kind::vhost,
    Decision::Kind::exempt};
inline constexpr std::size_t decision_kind_count = std::size(decision_kinds);
inline constexpr std::size_t request_cell_count = fallback_class_count * decision_kind_count * 2;

std::size_t request_cell_index(const RequestCell &cell) noexcept;
RequestCell request_cell_at(std::size_t index) noexcept;

// The request totals the status outputs show, each a sum over the cells it selects.
// X(id, key, label, auto_key, selects): `selects` is an expression over `cell`.
#define SNIFALLBACK_REQUEST_TOTALS(X)                                                              \
    X(no_sni, "no_sni", "no-SNI requests", "SNIFallbackRequestsNoSNI",                           \
      cell.client_class == ClientClass::no_sni)                                                   \
    X(ip_literal, "ip_literal", "IP-literal requests", "SNIFallbackRequestsIPLiteral",            \
      cell.client_class == ClientClass::ip_literal)                                               \
    X(unknown_name, "unknown_name", "unknown-name requests", "SNIFallbackRequestsUnknownName",    \
      cell.client_class == ClientClass::unknown_name)                                             \
    X(none, "none", "action none", "SNIFallbackRequestsNone",                                     \
      cell.action == Decision::Kind::none)                                                         \
    X(notice, "notice", "action notice", "SNIFallbackRequestsNotice",                             \
      cell.action == Decision::Kind::notice)                                                       \
    X(redirect, "redirect", "action redirect", "SNIFallbackRequestsRedirect",                     \
      cell.action == Decision::Kind::redirect)                                                     \
    X(vhost, "vhost", "action vhost", "SNIFallbackRequestsVhost",                                 \
      cell.action == Decision::Kind::vhost)                                                        \
    X(exempt, "exempt", "exempt", "SNIFallbackRequestsExempt",                                    \
      cell.action == Decision::Kind::exempt)                                                       \
    X(reported, "reported", "reported, not enforced", "SNIFallbackRequestsReported",              \
      !cell.enforced && cell.action != Decision::Kind::none &&                                     \
          cell.action != Decision::Kind::exempt)

enum class RequestTotal : std::size_t {
#define SNIFALLBACK_TOTAL_ID(id, key, label, auto_key, selects) id,
    SNIFALLBACK_REQUEST_TOTALS(SNIFALLBACK_TOTAL_ID)
#undef SNIFALLBACK_TOTAL_ID
};

struct RequestTotalDescription {
    RequestTotal id;
    std::string_view key;
    std::string_view label;
    std::string_view auto_key;
    bool (*selects)(const RequestCell &cell) noexcept;
};

inline constexpr RequestTotalDescription request_total_descriptions[] = {
#define SNIFALLBACK_TOTAL_DESCRIPTION(id, key, label, auto_key, selection)            \
    {RequestTotal::id, key, label, auto_key,                                          \
     [](const RequestCell &cell) noexcept -> bool { return selection; }},
    SNIFALLBACK_REQUEST_TOTALS(SNIFALLBACK_TOTAL_DESCRIPTION)
#undef SNIFALLBACK_TOTAL_DESCRIPTION
};

// Every fallback class has a request total of its own, with the class's key, that selects
// exactly its cells.
constexpr bool every_class_has_a_request_total() noexcept {
    for (const auto &c : fallback_class_descriptions) {
        bool found = false;
        for (const auto &total : request_total_descriptions) {
            if (total.key != std::string_view(c.key)) continue;
            for (const Decision::Kind kind : decision_kinds) {
                for (const bool enforced : {false, true}) {
                    for (const ClientClass other : fallback_classes) {
                        if (total.selects(RequestCell{other, kind, enforced}) != (other == c.id)) {
                            return false;
                        }
                    }
                }
            }
            found = true;
        }
        if (!found) return false;
    }
    return true;
}
static_assert(every_class_has_a_request_total(),
              "every fallback class has a request total with its key that selects its cells");

// One set of counts: for the whole server, or for one vhost.
struct Counters {
    std::array<std::uint64_t, counter_count> values{};
    std::array<std::uint64_t, request_cell_count> requests{};

    std::uint64_t &operator[](Counter id) noexcept { return values[static_cast<std::size_t>(id)]; }
    std::uint64_t operator[](Counter id) const noexcept {
        return values[static_cast<std::size_t>(id)];
    }
    std::uint64_t &operator[](const RequestCell &cell) noexcept {
        return requests[request_cell_index(cell)];
    }
    std::uint64_t total(RequestTotal id) const noexcept;
    Counters &operator+=(const Counters &other) noexcept;
};

}  // namespace snifallback
