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
#include "core/fingerprint.h"
#include "core/hex.h"

namespace {

using snifallback::ClientHello;
using snifallback::ParseError;

// Length of the well-formed UTF-8 sequence at s[i] (no overlongs, surrogates or > U+10FFFF),
// or 0 when the bytes there are not one.
std::size_t utf8_sequence(std::string_view s, std::size_t i) {
    const auto b0 = static_cast<unsigned char>(s[i]);
    std::size_t n = 0;
    unsigned char lo = 0x80;
    unsigned char hi = 0xbf;
    if (b0 >= 0xc2 && b0 <= 0xdf) {
        n = 2;
    } else if (b0 >= 0xe0 && b0 <= 0xef) {
        n = 3;
        if (b0 == 0xe0) lo = 0xa0;
        if (b0 == 0xed) hi = 0x9f;
    } else if (b0 >= 0xf0 && b0 <= 0xf4) {
        n = 4;
        if (b0 == 0xf0) lo = 0x90;
        if (b0 == 0xf4) hi = 0x8f;
    } else {
        return 0;
    }
    if (s.size() - i < n) return 0;
    for (std::size_t k = 1; k < n; ++k) {
        const auto b = static_cast<unsigned char>(s[i + k]);
        if (b < (k == 1 ? lo : 0x80) || b > (k == 1 ? hi : 0xbf)) return 0;
    }
    return n;
}

// A JSON string literal of untrusted bytes: quotes, backslashes, control characters, DEL and
// bytes that are not valid UTF-8 become escapes (an invalid byte 0xNN is written as \u00NN).
void append_json_string(std::string &out, std::string_view s) {
    out.push_back('"');
    for (std::size_t i = 0; i < s.size();) {
        const auto c = static_cast<unsigned char>(s[i]);
        if (c == '"' || c == '\\') {
            out.push_back('\\');
            out.push_back(static_cast<char>(c));
            ++i;
        } else if (c >= 0x20 && c < 0x7f) {
            out.push_back(static_cast<char>(c));
            ++i;
        } else if (const std::size_t n = c >= 0x80 ? utf8_sequence(s, i) : 0; n != 0) {
            out.append(s.substr(i, n));
            i += n;
        } else {
            char escape[8];
            std::snprintf(escape, sizeof escape, "\\u%04x", unsigned{c});
            out.append(escape);
            ++i;
        }
    }
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
