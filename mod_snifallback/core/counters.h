// Every counter the module keeps, described once. The shared-memory layout, the status JSON, the
// HTML page and mod_status's "?auto" lines are all generated from this table: adding a counter is
// one line here (plus the code that increments it, and its test).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace snifallback {

// X(id, group, key, label, auto_key):
//   id        the C++ name (Counter::id)
//   group     the JSON object it is listed in: connections or requests
//   key       its key in that object ("connections":{"tls":...})
//   label     the row heading on the HTML page
//   auto_key  its mod_status "?auto" line
#define SNIFALLBACK_COUNTERS(X)                                                                  \
    X(tls, connections, "tls", "TLS connections", "SNIFallbackConnectionsTLS")                  \
    X(no_sni, connections, "no_sni", "no-SNI handshakes", "SNIFallbackConnectionsNoSNI")        \
    X(no_sni_established, connections, "no_sni_established", "no-SNI established",              \
      "SNIFallbackConnectionsNoSNIEstablished")                                                  \
    X(no_sni_failed, connections, "no_sni_failed", "no-SNI failed",                             \
      "SNIFallbackConnectionsNoSNIFailed")                                                       \
    X(requests_no_sni, requests, "no_sni", "no-SNI requests", "SNIFallbackRequestsNoSNI")       \
    X(requests_none, requests, "none", "action none", "SNIFallbackRequestsNone")                \
    X(requests_notice, requests, "notice", "action notice", "SNIFallbackRequestsNotice")        \
    X(requests_redirect, requests, "redirect", "action redirect", "SNIFallbackRequestsRedirect") \
    X(requests_vhost, requests, "vhost", "action vhost", "SNIFallbackRequestsVhost")            \
    X(requests_exempt, requests, "exempt", "exempt", "SNIFallbackRequestsExempt")

enum class CounterGroup { connections, requests };

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

// One set of counter values: for the whole server, or for one vhost.
struct Counters {
    std::array<std::uint64_t, counter_count> values{};

    std::uint64_t &operator[](Counter id) noexcept { return values[static_cast<std::size_t>(id)]; }
    std::uint64_t operator[](Counter id) const noexcept {
        return values[static_cast<std::size_t>(id)];
    }
    Counters &operator+=(const Counters &other) noexcept {
        for (std::size_t i = 0; i < counter_count; ++i) values[i] += other.values[i];
        return *this;
    }
};

}  // namespace snifallback
