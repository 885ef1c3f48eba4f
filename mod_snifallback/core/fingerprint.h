// TLS client fingerprints of a parsed ClientHello: JA3 (Salesforce) and JA4 (FoxIO).
#pragma once

#include <string>

#include "core/client_hello.h"

namespace snifallback {

// JA3 text: "version,ciphers,extensions,groups,point_formats", decimal, '-'-joined, GREASE removed
// from every list, version = legacy_version, lists in wire order.
std::string ja3_string(const ClientHello &hello);
// Lower-case hex MD5 of a JA3 string (OpenSSL EVP); empty if the digest is unavailable (e.g. MD5
// refused by a FIPS-only OpenSSL configuration).
std::string ja3_hash(const std::string &ja3_text);

// JA4 transport prefix: 't' TCP, 'q' QUIC, 'd' DTLS.
enum class Transport : char { tcp = 't', quic = 'q', dtls = 'd' };

// JA4 "a_b_c" per FoxIO's technical_details/JA4.md, GREASE ignored everywhere:
//  a = transport; version ("13" ... "10", "s3", "s2", "d1"-"d3", "00" unknown) from the highest
//      supported_versions entry, else legacy_version; 'd' if a server_name extension exists,
//      else 'i'; two-digit cipher and extension counts (capped at 99, SNI and ALPN counted); the
//      first and last character of the first ALPN value ("00" without one; the first and last hex
//      digit of the value when either end byte is not alphanumeric; one character repeats);
//  b = first 12 hex digits of SHA-256 over the sorted, comma-joined 4-digit cipher list;
//  c = the same over the sorted extension list without SNI (0000) and ALPN (0010), followed by
//      '_' and the signature algorithms in wire order when there are any.
// An empty list gives "000000000000" instead of a hash.
std::string ja4(const ClientHello &hello, Transport transport = Transport::tcp);
// JA4_r: the same with the raw sorted lists in place of the hashes.
std::string ja4_r(const ClientHello &hello, Transport transport = Transport::tcp);

}  // namespace snifallback
