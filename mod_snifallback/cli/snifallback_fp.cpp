// snifallback-fp: reads ClientHellos as hex, one per line, on stdin (TLS record bytes starting
// 16 03, or a bare handshake message starting 01; whitespace ignored, blank lines skipped) and
// prints one JSON object per line:
//   {"sni":"example.org"|null,"alpn":["h2"],"tls_offered_max":"TLSv1.3","ja3":"...",
//    "ja3_hash":"...","ja4":"...","ja4_r":"..."}
// A line that does not parse prints {"error":"..."}. Exit status 0 unless stdin cannot be read.
#include <cstdio>
#include <cstring>
#include <iostream>
#include <string>
#include <string_view>
#include <vector>

#include "core/client_hello.h"
#include "core/escape.h"
#include "core/fingerprint.h"
#include "core/hex.h"

namespace {

using snifallback::ClientHello;
using snifallback::ParseError;

// A JSON string literal of untrusted bytes, escaped exactly as the no-SNI log escapes them
// (core/escape.h): an invalid UTF-8 byte becomes U+FFFD, never a different character.
void append_json_string(std::string &out, std::string_view s) {
    out.push_back('"');
    // Every unit of input escapes to at most 6 characters: the budget never cuts.
    snifallback::append_escaped(out, s, snifallback::EscapeStyle::json,
                                6 * s.size() + snifallback::truncation_marker.size());
    out.push_back('"');
}

std::string render(const ClientHello &hello) {
    std::string out = "{\"sni\":";
    if (hello.sni_present) {
        append_json_string(out, hello.sni);
    } else {
        out.append("null");
    }
    out.append(",\"alpn\":[");
    for (std::size_t i = 0; i < hello.alpn.size(); ++i) {
        if (i != 0) out.push_back(',');
        append_json_string(out, hello.alpn[i]);
    }
    out.append("],\"tls_offered_max\":");
    append_json_string(out, snifallback::tls_version_name(hello.highest_version));
    const std::string ja3 = snifallback::ja3_string(hello);
    out.append(",\"ja3\":");
    append_json_string(out, ja3);
    out.append(",\"ja3_hash\":");
    append_json_string(out, snifallback::ja3_hash(ja3));
    out.append(",\"ja4\":");
    append_json_string(out, snifallback::ja4(hello));
    out.append(",\"ja4_r\":");
    append_json_string(out, snifallback::ja4_r(hello));
    out.push_back('}');
    return out;
}

std::string error(std::string_view message) {
    std::string out = "{\"error\":";
    append_json_string(out, message);
    out.push_back('}');
    return out;
}

bool blank(std::string_view line) {
    return line.find_first_not_of(" \t\r\n\v\f") == std::string_view::npos;
}

}  // namespace

int main(int argc, char **argv) {
    if (argc > 1) {
        const bool help = std::strcmp(argv[1], "-h") == 0 || std::strcmp(argv[1], "--help") == 0;
        std::fputs(
            "usage: snifallback-fp < hellos.hex\n"
            "Reads one TLS ClientHello per line as hex (record bytes 16 03 .. or a handshake\n"
            "message 01 ..; whitespace ignored, blank lines skipped) and prints one JSON object\n"
            "per line: sni, alpn, tls_offered_max, ja3, ja3_hash, ja4, ja4_r, or {\"error\":..}.\n",
            help ? stdout : stderr);
        return help ? 0 : 2;
    }
    std::ios::sync_with_stdio(false);
    std::string line;
    std::vector<std::uint8_t> bytes;
    ClientHello hello;
    while (std::getline(std::cin, line)) {
        if (blank(line)) continue;
        std::string out;
        if (!snifallback::decode_hex(line, bytes)) {
            out = error("invalid hex");
        } else {
            const ParseError status =
                snifallback::parse_client_hello(bytes.data(), bytes.size(), hello);
            out = status == ParseError::ok ? render(hello) : error(snifallback::to_string(status));
        }
        out.push_back('\n');
        std::cout << out;
    }
    std::cout.flush();
    if (std::cin.bad()) {
        std::fputs("snifallback-fp: cannot read standard input\n", stderr);
        return 1;
    }
    return std::cout.good() ? 0 : 1;
}
