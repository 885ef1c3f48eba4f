// TLS client fingerprints of a parsed ClientHello: JA3 (Salesforce) and JA4 (FoxIO).
#pragma once

#include <string>

#include "core/client_hello.h"

namespace snifallback {

// JA3 text: "version,ciphers,extensions,groups,point_formats", decimal, '-'-joined, GREASE removed,
// version = legacy_version.
std::string ja3_string(const ClientHello &hello);
// Lower-case hex MD5 of a JA3 string.
std::string ja3_hash(const std::string &ja3_text);

// JA4 transport prefix: 't' TCP, 'q' QUIC, 'd' DTLS.
enum class Transport : char { tcp = 't', quic = 'q', dtls = 'd' };

// JA4 "a_b_c" with b and c the first 12 hex digits of SHA-256 over the sorted lists.
std::string ja4(const ClientHello &hello, Transport transport = Transport::tcp);
// JA4_r: the same with the raw sorted lists in place of the hashes.
std::string ja4_r(const ClientHello &hello, Transport transport = Transport::tcp);

}  // namespace snifallback
