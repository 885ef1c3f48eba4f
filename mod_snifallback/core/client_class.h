// The class of a TLS client, decided at its ClientHello: served by name, or one of the three kinds
// mod_ssl cannot serve by name and gives the default vhost's certificate and TLS settings.
#pragma once

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <string_view>

#include "core/name_index.h"

namespace snifallback {

// Every class mod_ssl cannot serve by name, in the order it is listed everywhere (counters,
// history fields, chart lines, status outputs). X(id, name, key, label): the C++ name, the word of
// the directive, environment and records, the JSON key, and a short heading for tables.
// A new class is one line here, its decision in classify_client(), its three connection counters
// and its request total in counters.h, its chart style in history_chart.cpp: the compiler and
// static_asserts refuse a build that misses one of them.
#define SNIFALLBACK_FALLBACK_CLASSES(X)                                                            \
    X(no_sni, "no-sni", "no_sni", "no SNI")                         /* no server_name host_name */ \
    X(ip_literal, "ip-literal", "ip_literal", "IP literal")         /* SNI holds an IP address */  \
    X(unknown_name, "unknown-name", "unknown_name", "unknown name") /* no vhost has the name */

enum class ClientClass : std::uint8_t {
    served,  // SNI names a vhost of the address
#define SNIFALLBACK_CLASS_ID(id, name, key, label) id,
    SNIFALLBACK_FALLBACK_CLASSES(SNIFALLBACK_CLASS_ID)
#undef SNIFALLBACK_CLASS_ID
};

struct FallbackClassDescription {
    ClientClass id;
    const char *name;        // "no-sni"
    const char *key;         // "no_sni"
    std::string_view label;  // "no SNI"
};

inline constexpr FallbackClassDescription fallback_class_descriptions[] = {
#define SNIFALLBACK_CLASS_DESCRIPTION(id, name, key, label) {ClientClass::id, name, key, label},
    SNIFALLBACK_FALLBACK_CLASSES(SNIFALLBACK_CLASS_DESCRIPTION)
#undef SNIFALLBACK_CLASS_DESCRIPTION
};

// The classes mod_ssl cannot serve by name, in the order they are listed everywhere.
inline constexpr ClientClass fallback_classes[] = {
#define SNIFALLBACK_CLASS_VALUE(id, name, key, label) ClientClass::id,
    SNIFALLBACK_FALLBACK_CLASSES(SNIFALLBACK_CLASS_VALUE)
#undef SNIFALLBACK_CLASS_VALUE
};
inline constexpr std::size_t fallback_class_count = std::size(fallback_classes);
static_assert(fallback_class_count + 1 < 8, "ClientClassSet holds the classes in 8 bits");

// Position in fallback_classes; only for the fallback classes (served gives 0).
constexpr std::size_t fallback_class_index(ClientClass c) noexcept {
    return c == ClientClass::served ? 0 : static_cast<std::size_t>(c) - 1;
}
static_assert(fallback_class_index(fallback_classes[fallback_class_count - 1]) ==
              fallback_class_count - 1);

// "no-sni", "ip-literal", "unknown-name" (directive, environment, records); "served".
const char *client_class_name(ClientClass c) noexcept;
// "no_sni", "ip_literal", "unknown_name" (JSON keys); "served".
const char *client_class_key(ClientClass c) noexcept;
// The class a directive word names ("no-sni", any case); false for anything else.
bool parse_client_class(std::string_view word, ClientClass &out) noexcept;

// A set of fallback classes (SNIFallbackClients).
class ClientClassSet {
  public:
    constexpr ClientClassSet() = default;
    static constexpr ClientClassSet of(ClientClass c) { return ClientClassSet(bit(c)); }
    constexpr ClientClassSet with(ClientClass c) const { return ClientClassSet(bits_ | bit(c)); }
    constexpr bool contains(ClientClass c) const { return (bits_ & bit(c)) != 0; }
    constexpr bool empty() const { return bits_ == 0; }
    constexpr bool operator==(ClientClassSet other) const { return bits_ == other.bits_; }
    constexpr bool operator!=(ClientClassSet other) const { return bits_ != other.bits_; }

  private:
    constexpr explicit ClientClassSet(std::uint8_t bits) : bits_(bits) {}
    static constexpr std::uint8_t bit(ClientClass c) {
        return static_cast<std::uint8_t>(1u << static_cast<unsigned>(c));
    }
    std::uint8_t bits_ = 0;
};

// True when an SNI host_name is an IP address: dotted-quad IPv4 or IPv6 text, also in brackets.
bool sni_is_ip_literal(std::string_view host_name) noexcept;

// The class of a client that sent `host_name` in SNI (`sni_present`), for an address whose vhosts
// serve the names in `served`.
ClientClass classify_client(bool sni_present, std::string_view host_name,
                            const NameIndex &served) noexcept;

}  // namespace snifallback
