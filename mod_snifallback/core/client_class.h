// The class of a TLS client, decided at its ClientHello: served by name, or one of the three kinds
// mod_ssl cannot serve by name and gives the default vhost's certificate and TLS settings.
#pragma once

#include <cstdint>
#include <string_view>

#include "core/name_index.h"

namespace snifallback {

enum class ClientClass : std::uint8_t {
    served,        // SNI names a vhost of the address
    no_sni,        // no server_name extension, or none with a host_name entry
    ip_literal,    // SNI holds an IPv4 or IPv6 address no vhost of the address serves
    unknown_name,  // SNI holds a name no vhost of the address serves
};

// The classes mod_ssl cannot serve by name, in the order they are listed everywhere.
inline constexpr ClientClass fallback_classes[] = {ClientClass::no_sni, ClientClass::ip_literal,
                                                   ClientClass::unknown_name};
inline constexpr std::size_t fallback_class_count = 3;

// "no-sni", "ip-literal", "unknown-name" (directive, environment, records); "served".
const char *client_class_name(ClientClass c) noexcept;
// "no_sni", "ip_literal", "unknown_name" (JSON keys); "served".
const char *client_class_key(ClientClass c) noexcept;
// Position in fallback_classes; only for the three fallback classes.
std::size_t fallback_class_index(ClientClass c) noexcept;
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
