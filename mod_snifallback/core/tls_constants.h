// TLS wire constants the module reads: record content types, handshake message types, extension
// types and protocol versions (RFC 8446, RFC 5246, RFC 6066, RFC 7301, RFC 8701). One place, so
// the parser, the fingerprints and the glue's OpenSSL callbacks agree on every number.
#pragma once

#include <cstdint>

namespace snifallback::tls {

// TLSPlaintext.type
constexpr std::uint8_t content_alert = 21;
constexpr std::uint8_t content_handshake = 22;

// Handshake.msg_type
constexpr std::uint8_t handshake_client_hello = 1;
constexpr std::uint8_t handshake_finished = 20;

// ExtensionType
constexpr std::uint16_t ext_server_name = 0x0000;
constexpr std::uint16_t ext_supported_groups = 0x000a;
constexpr std::uint16_t ext_ec_point_formats = 0x000b;
constexpr std::uint16_t ext_signature_algorithms = 0x000d;
constexpr std::uint16_t ext_alpn = 0x0010;
constexpr std::uint16_t ext_supported_versions = 0x002b;

// ServerName.name_type
constexpr std::uint8_t sni_type_host_name = 0;

// ProtocolVersion as on the wire (0x0303 = TLS 1.2).
constexpr std::uint16_t version_ssl3 = 0x0300;
constexpr std::uint16_t version_1_0 = 0x0301;
constexpr std::uint16_t version_1_1 = 0x0302;
constexpr std::uint16_t version_1_2 = 0x0303;
constexpr std::uint16_t version_1_3 = 0x0304;

// RFC 8701 GREASE values (0x0a0a, 0x1a1a, ... 0xfafa).
constexpr bool is_grease(std::uint16_t value) noexcept {
    return (value & 0x0f0f) == 0x0a0a && (value >> 8) == (value & 0xff);
}

}  // namespace snifallback::tls
