// Builds ClientHello bytes for unit tests: a handshake message from its parts, and record streams
// that fragment it any way a test wants.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace test {

using Bytes = std::vector<std::uint8_t>;

inline void put16(Bytes &out, std::size_t value) {
    out.push_back(static_cast<std::uint8_t>((value >> 8) & 0xff));
    out.push_back(static_cast<std::uint8_t>(value & 0xff));
}

inline void put24(Bytes &out, std::size_t value) {
    out.push_back(static_cast<std::uint8_t>((value >> 16) & 0xff));
    put16(out, value & 0xffff);
}

inline Bytes bytes_of(const std::string &text) {
    return Bytes(text.begin(), text.end());
}

struct HelloSpec {
    std::uint16_t version = 0x0303;
    std::size_t session_id_bytes = 32;
    std::vector<std::uint16_t> ciphers{0x1301, 0x1302, 0xc02f};
    Bytes compression{0};
    bool with_extensions_block = true;
    std::vector<std::pair<std::uint16_t, Bytes>> extensions;

    HelloSpec &ext(std::uint16_t type, Bytes body) {
        extensions.emplace_back(type, std::move(body));
        return *this;
    }
};

// Extension bodies.
inline Bytes sni_body(const std::vector<std::pair<std::uint8_t, std::string>> &names) {
    Bytes list;
    for (const auto &[type, name] : names) {
        list.push_back(type);
        put16(list, name.size());
        list.insert(list.end(), name.begin(), name.end());
    }
    Bytes body;
    put16(body, list.size());
    body.insert(body.end(), list.begin(), list.end());
    return body;
}

inline Bytes alpn_body(const std::vector<std::string> &names) {
    Bytes list;
    for (const auto &name : names) {
        list.push_back(static_cast<std::uint8_t>(name.size()));
        list.insert(list.end(), name.begin(), name.end());
    }
    Bytes body;
    put16(body, list.size());
    body.insert(body.end(), list.begin(), list.end());
    return body;
}

// A list of 16-bit values behind a length prefix of one or two bytes.
inline Bytes u16_list_body(const std::vector<std::uint16_t> &values, int prefix_bytes = 2) {
    Bytes body;
    if (prefix_bytes == 1) {
        body.push_back(static_cast<std::uint8_t>(2 * values.size()));
    } else {
        put16(body, 2 * values.size());
    }
    for (std::uint16_t v : values) put16(body, v);
    return body;
}

inline Bytes handshake(const HelloSpec &spec) {
    Bytes body;
    put16(body, spec.version);
    for (int i = 0; i < 32; ++i) body.push_back(static_cast<std::uint8_t>(i));
    body.push_back(static_cast<std::uint8_t>(spec.session_id_bytes));
    for (std::size_t i = 0; i < spec.session_id_bytes; ++i) body.push_back(0xaa);
    put16(body, 2 * spec.ciphers.size());
    for (std::uint16_t c : spec.ciphers) put16(body, c);
    body.push_back(static_cast<std::uint8_t>(spec.compression.size()));
    body.insert(body.end(), spec.compression.begin(), spec.compression.end());
    if (spec.with_extensions_block) {
        Bytes exts;
        for (const auto &[type, data] : spec.extensions) {
            put16(exts, type);
            put16(exts, data.size());
            exts.insert(exts.end(), data.begin(), data.end());
        }
        put16(body, exts.size());
        body.insert(body.end(), exts.begin(), exts.end());
    }
    Bytes message{0x01};
    put24(message, body.size());
    message.insert(message.end(), body.begin(), body.end());
    return message;
}

// Wraps `message` into handshake records of at most `fragment` bytes each.
inline Bytes records(const Bytes &message, std::size_t fragment = 16384,
                     std::uint16_t record_version = 0x0301) {
    Bytes out;
    for (std::size_t pos = 0; pos < message.size(); pos += fragment) {
        const std::size_t n = std::min(fragment, message.size() - pos);
        out.push_back(22);
        put16(out, record_version);
        put16(out, n);
        out.insert(out.end(), message.begin() + static_cast<std::ptrdiff_t>(pos),
                   message.begin() + static_cast<std::ptrdiff_t>(pos + n));
    }
    return out;
}

// A typical modern hello: GREASE, SNI, ALPN, groups, point formats, sigalgs, supported_versions.
inline HelloSpec typical_hello() {
    HelloSpec spec;
    spec.ciphers = {0x0a0a, 0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f};
    spec.ext(0x1a1a, {})
        .ext(0x0000, sni_body({{0, "www.example.org"}}))
        .ext(0x0017, {})
        .ext(0x000a, u16_list_body({0x2a2a, 0x001d, 0x0017}))
        .ext(0x000b, {1, 0})
        .ext(0x0010, alpn_body({"h2", "http/1.1"}))
        .ext(0x000d, u16_list_body({0x0403, 0x0804, 0x0401}))
        .ext(0x002b, u16_list_body({0x3a3a, 0x0304, 0x0303}, 1))
        .ext(0x4a4a, {0});
    return spec;
}

}  // namespace test
