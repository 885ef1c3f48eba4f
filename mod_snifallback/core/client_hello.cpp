#include "core/client_hello.h"

#include <algorithm>
#include <array>
#include <cstdio>

namespace snifallback {
namespace {

constexpr std::size_t handshake_header_bytes = 4;
constexpr std::size_t max_record_bytes = 16384;  // TLSPlaintext.length <= 2^14 (RFC 8446 5.1)
constexpr std::size_t random_bytes = 32;
constexpr std::size_t max_session_id_bytes = 32;

using namespace tls;  // record, handshake and extension types, versions

// A bounds-checked cursor over untrusted bytes: every read says whether the bytes were there.
class Reader {
  public:
    Reader(const std::uint8_t *data, std::size_t size) noexcept : data_(data), size_(size) {}

    std::size_t remaining() const noexcept { return size_ - pos_; }
    bool empty() const noexcept { return pos_ == size_; }

    bool u8(std::uint8_t &value) noexcept {
        if (remaining() < 1) return false;
        value = data_[pos_++];
        return true;
    }
    bool u16(std::uint16_t &value) noexcept {
        if (remaining() < 2) return false;
        value = static_cast<std::uint16_t>((data_[pos_] << 8) | data_[pos_ + 1]);
        pos_ += 2;
        return true;
    }
    bool u24(std::uint32_t &value) noexcept {
        if (remaining() < 3) return false;
        value = (std::uint32_t{data_[pos_]} << 16) | (std::uint32_t{data_[pos_ + 1]} << 8) |
                std::uint32_t{data_[pos_ + 2]};
        pos_ += 3;
        return true;
    }
    bool skip(std::size_t count) noexcept {
        if (remaining() < count) return false;
        pos_ += count;
        return true;
    }
    // Splits off the next `count` bytes as a reader of their own.
    // The unread bytes, as text (for names: raw, untrusted).
    std::string_view view() const noexcept {
        return {reinterpret_cast<const char *>(data_ + pos_), size_ - pos_};
    }

    bool sub(std::size_t count, Reader &out) noexcept {
        if (remaining() < count) return false;
        out = Reader(data_ + pos_, count);
        pos_ += count;
        return true;
    }

  private:
    const std::uint8_t *data_;
    std::size_t size_;
    std::size_t pos_ = 0;
};

// A vector of 16-bit values behind a length prefix of `prefix_bytes` (1 or 2) that must fill `body`
// exactly.
ParseError read_u16_list(Reader body, std::size_t prefix_bytes, std::vector<std::uint16_t> &out) {
    std::size_t length = 0;
    if (prefix_bytes == 1) {
        std::uint8_t len8 = 0;
        if (!body.u8(len8)) return ParseError::malformed_extension;
        length = len8;
    } else {
        std::uint16_t len16 = 0;
        if (!body.u16(len16)) return ParseError::malformed_extension;
        length = len16;
    }
    if (length != body.remaining() || length % 2 != 0) return ParseError::malformed_extension;
    if (length / 2 > ParseLimits::max_list_entries) return ParseError::too_many;
    out.clear();
    out.reserve(length / 2);
    std::uint16_t value = 0;
    while (body.u16(value)) out.push_back(value);
    return ParseError::ok;
}

ParseError read_server_name(Reader body, ClientHello &out) {
    std::uint16_t list_length = 0;
    if (!body.u16(list_length) || list_length != body.remaining()) {
        return ParseError::malformed_extension;
    }
    std::size_t entries = 0;
    while (!body.empty()) {
        if (++entries > ParseLimits::max_list_entries) return ParseError::too_many;
        std::uint8_t name_type = 0;
        std::uint16_t name_length = 0;
        Reader name(nullptr, 0);
        if (!body.u8(name_type) || !body.u16(name_length) || !body.sub(name_length, name)) {
            return ParseError::malformed_extension;
        }
        if (name_type != sni_type_host_name) continue;  // unknown name types are skipped
        if (name_length > ParseLimits::max_name_bytes) return ParseError::malformed_extension;
        if (!out.sni_present) {
            out.sni_present = true;
            std::uint8_t c = 0;
            out.sni.reserve(name_length);
            while (name.u8(c)) out.sni.push_back(static_cast<char>(c));
        }
    }
    return ParseError::ok;
}

ParseError read_alpn(Reader body, ClientHello &out) {
    std::uint16_t list_length = 0;
    if (!body.u16(list_length) || list_length != body.remaining()) {
        return ParseError::malformed_extension;
    }
    while (!body.empty()) {
        if (out.alpn.size() >= ParseLimits::max_list_entries) return ParseError::too_many;
        std::uint8_t name_length = 0;
        Reader name(nullptr, 0);
        if (!body.u8(name_length) || !body.sub(name_length, name)) {
            return ParseError::malformed_extension;
        }
        std::string value;
        value.reserve(name_length);
        std::uint8_t c = 0;
        while (name.u8(c)) value.push_back(static_cast<char>(c));
        out.alpn.push_back(std::move(value));
    }
    return ParseError::ok;
}

ParseError read_ec_point_formats(Reader body, ClientHello &out) {
    std::uint8_t length = 0;
    if (!body.u8(length) || length != body.remaining()) return ParseError::malformed_extension;
    out.ec_point_formats.reserve(length);
    std::uint8_t value = 0;
    while (body.u8(value)) out.ec_point_formats.push_back(value);
    return ParseError::ok;
}

ParseError read_extension(std::uint16_t type, Reader body, ClientHello &out) {
    switch (type) {
        case ext_server_name:
            return read_server_name(body, out);
        case ext_alpn:
            return read_alpn(body, out);
        case ext_supported_groups:
            return read_u16_list(body, 2, out.supported_groups);
        case ext_ec_point_formats:
            return read_ec_point_formats(body, out);
        case ext_signature_algorithms:
            return read_u16_list(body, 2, out.signature_algorithms);
        case ext_supported_versions:
            return read_u16_list(body, 1, out.supported_versions);
        default:
            return ParseError::ok;
    }
}

void reset(ClientHello &out) {
    // clear() keeps the capacity, so a ClientHello reused across parses stops allocating.
    out.legacy_version = 0;
    out.highest_version = 0;
    out.cipher_suites.clear();
    out.extensions.clear();
    out.supported_versions.clear();
    out.supported_groups.clear();
    out.ec_point_formats.clear();
    out.signature_algorithms.clear();
    out.alpn.clear();
    out.sni_present = false;
    out.sni.clear();
    out.sslv2_format = false;
    out.sslv2_only_specs = 0;
}

// The body of a client_hello handshake message (after its 4-byte header), RFC 8446 4.1.2 and
// RFC 5246 7.4.1.2.
ParseError parse_body(Reader body, ClientHello &out) {
    if (!body.u16(out.legacy_version) || !body.skip(random_bytes)) return ParseError::truncated;

    std::uint8_t session_id_length = 0;
    if (!body.u8(session_id_length)) return ParseError::truncated;
    if (session_id_length > max_session_id_bytes) return ParseError::bad_length;
    if (!body.skip(session_id_length)) return ParseError::truncated;

    std::uint16_t ciphers_length = 0;
    Reader ciphers(nullptr, 0);
    if (!body.u16(ciphers_length)) return ParseError::truncated;
    if (ciphers_length % 2 != 0) return ParseError::bad_length;
    if (ciphers_length / 2 > ParseLimits::max_cipher_suites) return ParseError::too_many;
    if (!body.sub(ciphers_length, ciphers)) return ParseError::truncated;
    out.cipher_suites.reserve(ciphers_length / 2);
    std::uint16_t cipher = 0;
    while (ciphers.u16(cipher)) out.cipher_suites.push_back(cipher);

    std::uint8_t compression_length = 0;
    if (!body.u8(compression_length)) return ParseError::truncated;
    if (!body.skip(compression_length)) return ParseError::truncated;

    // The extensions block is optional (an SSLv3 / TLS 1.0 hello may end here), but when present it
    // must fill the rest of the message exactly.
    if (!body.empty()) {
        std::uint16_t extensions_length = 0;
        Reader extensions(nullptr, 0);
        if (!body.u16(extensions_length)) return ParseError::bad_length;
        if (!body.sub(extensions_length, extensions)) return ParseError::truncated;
        if (!body.empty()) return ParseError::bad_length;

        while (!extensions.empty()) {
            if (out.extensions.size() >= ParseLimits::max_extensions) return ParseError::too_many;
            std::uint16_t type = 0;
            std::uint16_t length = 0;
            Reader data(nullptr, 0);
            if (!extensions.u16(type) || !extensions.u16(length)) return ParseError::bad_length;
            if (!extensions.sub(length, data)) return ParseError::truncated;
            // GREASE extensions are exempt: they carry no meaning and a client may repeat one.
            if (!is_grease(type) && std::find(out.extensions.begin(), out.extensions.end(), type) !=
                                        out.extensions.end()) {
                return ParseError::duplicate_extension;
            }
            out.extensions.push_back(type);
            const ParseError error = read_extension(type, data, out);
            if (error != ParseError::ok) return error;
        }
    }

    out.highest_version = 0;
    for (std::uint16_t version : out.supported_versions) {
        if (!is_grease(version)) out.highest_version = std::max(out.highest_version, version);
    }
    if (out.highest_version == 0) out.highest_version = out.legacy_version;
    return ParseError::ok;
}

}  // namespace

const char *to_string(ParseError error) noexcept {
    switch (error) {
        case ParseError::ok:
            return "ok";
        case ParseError::empty:
            return "empty";
        case ParseError::truncated:
            return "truncated";
        case ParseError::not_handshake:
            return "not-handshake";
        case ParseError::not_client_hello:
            return "not-client-hello";
        case ParseError::bad_record:
            return "bad-record";
        case ParseError::bad_length:
            return "bad-length";
        case ParseError::too_large:
            return "too-large";
        case ParseError::too_many:
            return "too-many";
        case ParseError::duplicate_extension:
            return "duplicate-extension";
        case ParseError::malformed_extension:
            return "malformed-extension";
    }
    return "unknown";
}

std::string tls_version_name(std::uint16_t version) {
    switch (version) {
        case version_1_3:
            return "TLSv1.3";
        case version_1_2:
            return "TLSv1.2";
        case version_1_1:
            return "TLSv1.1";
        case version_1_0:
            return "TLSv1";
        case version_ssl3:
            return "SSLv3";
        default: {
            std::array<char, 8> text{};
            std::snprintf(text.data(), text.size(), "0x%04x", unsigned{version});
            return text.data();
        }
    }
}

SniScan scan_for_sni(const std::uint8_t *data, std::size_t size, std::string_view *host_name) noexcept {
    if (data == nullptr) return SniScan::unknown;
    Reader message(data, size);
    std::uint8_t type = 0;
    std::uint32_t length = 0;
    Reader body(nullptr, 0);
    if (!message.u8(type) || type != handshake_client_hello || !message.u24(length) ||
        !message.sub(length, body)) {
        return SniScan::unknown;
    }
    std::uint8_t session_id_length = 0;
    std::uint16_t ciphers_length = 0;
    std::uint8_t compression_length = 0;
    if (!body.skip(2 + random_bytes) || !body.u8(session_id_length) ||
        !body.skip(session_id_length) || !body.u16(ciphers_length) || !body.skip(ciphers_length) ||
        !body.u8(compression_length) || !body.skip(compression_length)) {
        return SniScan::unknown;
    }
    if (body.empty()) return SniScan::absent;  // no extensions at all
    std::uint16_t extensions_length = 0;
    Reader extensions(nullptr, 0);
    if (!body.u16(extensions_length) || !body.sub(extensions_length, extensions)) {
        return SniScan::unknown;
    }
    while (!extensions.empty()) {
        std::uint16_t ext_type = 0;
        std::uint16_t ext_length = 0;
        Reader ext(nullptr, 0);
        if (!extensions.u16(ext_type) || !extensions.u16(ext_length) ||
            !extensions.sub(ext_length, ext)) {
            return SniScan::unknown;
        }
        if (ext_type != ext_server_name) continue;
        std::uint16_t list_length = 0;
        if (!ext.u16(list_length) || list_length != ext.remaining()) return SniScan::unknown;
        while (!ext.empty()) {
            std::uint8_t name_type = 0;
            std::uint16_t name_length = 0;
            Reader name(nullptr, 0);
            if (!ext.u8(name_type) || !ext.u16(name_length) || !ext.sub(name_length, name)) {
                return SniScan::unknown;
            }
            if (name_type == sni_type_host_name) {
                if (host_name != nullptr) *host_name = name.view();
                return SniScan::present;
            }
        }
        return SniScan::absent;  // server_name without a host_name entry
    }
    return SniScan::absent;
}

ParseError parse_client_hello_message(const std::uint8_t *data, std::size_t size,
                                      ClientHello &out) {
    reset(out);
    if (data == nullptr || size == 0) return ParseError::empty;
    Reader message(data, size);
    std::uint8_t type = 0;
    std::uint32_t length = 0;
    if (!message.u8(type)) return ParseError::truncated;
    if (type != handshake_client_hello) return ParseError::not_client_hello;
    if (!message.u24(length)) return ParseError::truncated;
    if (length > ParseLimits::max_hello_bytes - handshake_header_bytes) {
        return ParseError::too_large;
    }
    Reader body(nullptr, 0);
    if (!message.sub(length, body)) return ParseError::truncated;
    // Bytes after the message (the next handshake message, say) are not ours to judge.
    return parse_body(body, out);
}

ParseError parse_client_hello_records(const std::uint8_t *data, std::size_t size,
                                      ClientHello &out) {
    reset(out);
    if (data == nullptr || size == 0) return ParseError::empty;
    Reader stream(data, size);

    // Common case first: the whole message inside the first record, parsed in place.
    // Otherwise the fragments are copied into `assembled` until the message is complete.
    std::vector<std::uint8_t> assembled;
    const std::uint8_t *first_fragment = nullptr;
    std::size_t first_fragment_size = 0;
    std::size_t needed = 0;  // total message bytes, known once the 4-byte header is in
    bool first = true;

    for (;;) {
        std::uint8_t type = 0;
        std::uint8_t major = 0;
        std::uint8_t minor = 0;
        std::uint16_t length = 0;
        if (!stream.u8(type)) return ParseError::truncated;
        if (type != content_handshake) return ParseError::not_handshake;
        if (!stream.u8(major) || !stream.u8(minor) || !stream.u16(length)) {
            return ParseError::truncated;
        }
        if (major != 3 || length == 0 || length > max_record_bytes) return ParseError::bad_record;
        const std::uint8_t *fragment = data + (size - stream.remaining());
        if (!stream.skip(length)) return ParseError::truncated;

        if (first) {
            first = false;
            first_fragment = fragment;
            first_fragment_size = length;
            if (fragment[0] != handshake_client_hello) return ParseError::not_client_hello;
            if (length >= handshake_header_bytes) {
                needed = handshake_header_bytes + ((std::size_t{fragment[1]} << 16) |
                                                   (std::size_t{fragment[2]} << 8) | fragment[3]);
                if (needed > ParseLimits::max_hello_bytes) return ParseError::too_large;
                if (length >= needed) {
                    return parse_client_hello_message(first_fragment, first_fragment_size, out);
                }
            }
            assembled.reserve(needed != 0 ? needed : 2 * max_record_bytes);
            assembled.assign(fragment, fragment + length);
            continue;
        }

        if (assembled.size() + length > ParseLimits::max_hello_bytes + max_record_bytes) {
            return ParseError::too_large;
        }
        assembled.insert(assembled.end(), fragment, fragment + length);
        if (needed == 0 && assembled.size() >= handshake_header_bytes) {
            needed = handshake_header_bytes + ((std::size_t{assembled[1]} << 16) |
                                               (std::size_t{assembled[2]} << 8) | assembled[3]);
            if (needed > ParseLimits::max_hello_bytes) return ParseError::too_large;
        }
        if (needed != 0 && assembled.size() >= needed) {
            return parse_client_hello_message(assembled.data(), assembled.size(), out);
        }
    }
}

ParseError parse_sslv2_client_hello_message(const std::uint8_t *data, std::size_t size,
                                            ClientHello &out) {
    reset(out);
    if (data == nullptr || size == 0) return ParseError::empty;
    if (size > ParseLimits::max_hello_bytes) return ParseError::too_large;
    Reader message(data, size);
    std::uint8_t type = 0;
    std::uint16_t version = 0;
    std::uint16_t specs_length = 0;
    std::uint16_t session_id_length = 0;
    std::uint16_t challenge_length = 0;
    if (!message.u8(type)) return ParseError::truncated;
    if (type != handshake_client_hello) return ParseError::not_client_hello;
    if (!message.u16(version) || !message.u16(specs_length) || !message.u16(session_id_length) ||
        !message.u16(challenge_length)) {
        return ParseError::truncated;
    }
    constexpr std::uint16_t min_challenge = 16;
    constexpr std::uint16_t max_challenge = 32;
    constexpr std::uint16_t max_session_id = 32;
    if (specs_length == 0 || specs_length % 3 != 0 || session_id_length > max_session_id ||
        challenge_length < min_challenge || challenge_length > max_challenge) {
        return ParseError::bad_length;
    }
    if (specs_length / 3 > ParseLimits::max_cipher_suites) return ParseError::too_many;
    Reader specs(nullptr, 0);
    if (!message.sub(specs_length, specs) || !message.skip(session_id_length) ||
        !message.skip(challenge_length)) {
        return ParseError::truncated;
    }
    if (!message.empty()) return ParseError::bad_length;  // OpenSSL wants the exact length
    out.sslv2_format = true;
    out.legacy_version = version;
    out.highest_version = version;
    while (!specs.empty()) {
        std::uint8_t kind = 0;
        std::uint16_t code = 0;
        specs.u8(kind);
        specs.u16(code);
        if (kind == 0) {
            out.cipher_suites.push_back(code);
        } else {
            ++out.sslv2_only_specs;
        }
    }
    return ParseError::ok;
}

bool looks_like_sslv2_client_hello(const std::uint8_t *data, std::size_t size) noexcept {
    constexpr std::uint8_t tls_major = 3;
    return data != nullptr && size >= 5 && (data[0] & 0x80) != 0 &&
           data[2] == handshake_client_hello && data[3] == tls_major;
}

ParseError parse_client_hello(const std::uint8_t *data, std::size_t size, ClientHello &out) {
    if (data == nullptr || size == 0) {
        reset(out);
        return ParseError::empty;
    }
    if (data[0] == content_handshake) return parse_client_hello_records(data, size, out);
    if (data[0] == handshake_client_hello) return parse_client_hello_message(data, size, out);
    if (looks_like_sslv2_client_hello(data, size)) {
        const std::size_t length = (std::size_t{data[0] & 0x7fU} << 8) | data[1];
        if (size - 2 < length) {
            reset(out);
            return ParseError::truncated;
        }
        return parse_sslv2_client_hello_message(data + 2, length, out);
    }
    reset(out);
    // Another record type (change_cipher_spec, alert, application_data, heartbeat) or an
    // SSLv2-style record is not a handshake; any other first byte reads as the type of another
    // handshake message.
    const std::uint8_t first = data[0];
    if ((first >= 20 && first <= 24) || first >= 0x80) return ParseError::not_handshake;
    return ParseError::not_client_hello;
}

}  // namespace snifallback
