#include "core/fingerprint.h"

#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <cstdint>

#include "core/hex.h"

namespace snifallback {
namespace {

using tls::ext_alpn;
using tls::ext_server_name;
using tls::is_grease;
constexpr std::size_t ja4_hash_digits = 12;
constexpr const char *ja4_empty_hash = "000000000000";

// The digest algorithms, looked up once (an implicit fetch on every call costs more than the hash).
const EVP_MD *md5() {
#if OPENSSL_VERSION_NUMBER >= 0x30000000L
    static EVP_MD *const md = EVP_MD_fetch(nullptr, "MD5", nullptr);
    return md;
#else
    return EVP_md5();
#endif
}

const EVP_MD *sha256() {
#if OPENSSL_VERSION_NUMBER >= 0x30000000L
    static EVP_MD *const md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
    return md;
#else
    return EVP_sha256();
#endif
}

// One digest context per thread, reused: creating and freeing an EVP_MD_CTX for every hash cost
// more than hashing the few hundred bytes of a fingerprint. Freed when the thread ends.
struct DigestContext {
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    DigestContext() = default;
    DigestContext(const DigestContext &) = delete;
    DigestContext &operator=(const DigestContext &) = delete;
    ~DigestContext() { EVP_MD_CTX_free(ctx); }
};

// Lower-case hex of the digest of `text`, at most `max_digits` digits; empty on failure.
std::string hex_digest(const EVP_MD *md, const std::string &text, std::size_t max_digits) {
    thread_local DigestContext context;
    std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
    unsigned int digest_size = 0;
    // EVP_DigestInit_ex keeps the provider's context when the digest is the one used last time.
    if (md == nullptr || context.ctx == nullptr ||
        EVP_DigestInit_ex(context.ctx, md, nullptr) != 1 ||
        EVP_DigestUpdate(context.ctx, text.data(), text.size()) != 1 ||
        EVP_DigestFinal_ex(context.ctx, digest.data(), &digest_size) != 1) {
        return {};
    }
    const std::size_t bytes = std::min<std::size_t>(digest_size, (max_digits + 1) / 2);
    std::string out;
    append_hex(out, digest.data(), bytes);
    if (out.size() > max_digits) out.resize(max_digits);
    return out;
}

void append_decimal(std::string &out, unsigned value) {
    std::array<char, 8> digits{};
    std::size_t n = 0;
    do {
        digits[n++] = static_cast<char>('0' + value % 10);
        value /= 10;
    } while (value != 0 && n < digits.size());
    while (n > 0) out.push_back(digits[--n]);
}

template <typename T>
void append_ja3_list(std::string &out, const std::vector<T> &values, bool skip_grease) {
    bool first = true;
    for (T value : values) {
        if (skip_grease && is_grease(value)) continue;
        if (!first) out.push_back('-');
        first = false;
        append_decimal(out, value);
    }
}

bool is_alnum(unsigned char c) noexcept {
    return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

const char *ja4_version(std::uint16_t version) noexcept {
    switch (version) {
        case 0x0304:
            return "13";
        case 0x0303:
            return "12";
        case 0x0302:
            return "11";
        case 0x0301:
            return "10";
        case 0x0300:
            return "s3";
        case 0x0002:
            return "s2";
        case 0xfeff:
            return "d1";
        case 0xfefd:
            return "d2";
        case 0xfefc:
            return "d3";
        default:
            return "00";
    }
}

void append_count(std::string &out, std::size_t count) {
    const std::size_t capped = std::min<std::size_t>(count, 99);
    out.push_back(static_cast<char>('0' + capped / 10));
    out.push_back(static_cast<char>('0' + capped % 10));
}

// The first and last character of the first ALPN value, or hex digits when either is not
// alphanumeric, or "00".
void append_alpn(std::string &out, const std::vector<std::string> &alpn) {
    if (alpn.empty() || alpn.front().empty()) {
        out.append("00");
        return;
    }
    const std::string &value = alpn.front();
    const auto first = static_cast<unsigned char>(value.front());
    const auto last = static_cast<unsigned char>(value.back());
    if (is_alnum(first) && is_alnum(last)) {
        out.push_back(static_cast<char>(first));
        out.push_back(static_cast<char>(last));
    } else {
        out.push_back(hex_digits_lower[first >> 4]);
        out.push_back(hex_digits_lower[last & 0x0f]);
    }
}

// "0a0a,1301,...": each value as four hex digits, after `separator` for the first one and ','
// for the others; written in place, since JA4 strings are built of little else.
void append_hex_list(std::string &out, const std::uint16_t *values, std::size_t count,
                     char separator = '\0') {
    if (count == 0) return;
    const std::size_t start = out.size();
    const bool leading = separator != '\0';
    out.resize(start + 5 * count - (leading ? 0 : 1));
    char *p = out.data() + start;
    for (std::size_t i = 0; i < count; ++i) {
        if (i != 0 || leading) *p++ = i == 0 ? separator : ',';
        const std::uint16_t value = values[i];
        *p++ = hex_digits_lower[(value >> 12) & 0x0f];
        *p++ = hex_digits_lower[(value >> 8) & 0x0f];
        *p++ = hex_digits_lower[(value >> 4) & 0x0f];
        *p++ = hex_digits_lower[value & 0x0f];
    }
}

// The parts of JA4 shared by the hashed and the raw form.
struct Ja4Parts {
    std::string a;           // "t13d1516h2"
    std::string ciphers;     // sorted cipher list, "" when empty
    std::string extensions;  // sorted extensions [+ '_' + signature algorithms], "" when empty
    bool no_extensions = false;
};

Ja4Parts ja4_parts(const ClientHello &hello, Transport transport) {
    Ja4Parts parts;

    // Sorting happens in fixed stack buffers: the parser's limits bound both lists.
    std::array<std::uint16_t, ParseLimits::max_cipher_suites> ciphers{};
    std::size_t n_ciphers = 0;
    for (std::uint16_t cipher : hello.cipher_suites) {
        if (!is_grease(cipher) && n_ciphers < ciphers.size()) ciphers[n_ciphers++] = cipher;
    }
    std::array<std::uint16_t, ParseLimits::max_extensions> extensions{};
    std::size_t n_extensions = 0;  // hashed: without SNI and ALPN
    std::size_t n_counted = 0;     // counted in JA4_a: with them
    bool has_server_name = false;
    for (std::uint16_t type : hello.extensions) {
        if (is_grease(type)) continue;
        ++n_counted;
        if (type == ext_server_name) has_server_name = true;
        if (type == ext_server_name || type == ext_alpn) continue;
        if (n_extensions < extensions.size()) extensions[n_extensions++] = type;
    }

    parts.a.reserve(10);
    parts.a.push_back(static_cast<char>(transport));
    parts.a.append(ja4_version(hello.highest_version));
    parts.a.push_back(has_server_name ? 'd' : 'i');
    append_count(parts.a, n_ciphers);
    append_count(parts.a, n_counted);
    append_alpn(parts.a, hello.alpn);

    std::sort(ciphers.begin(), ciphers.begin() + static_cast<std::ptrdiff_t>(n_ciphers));
    append_hex_list(parts.ciphers, ciphers.data(), n_ciphers);

    std::sort(extensions.begin(), extensions.begin() + static_cast<std::ptrdiff_t>(n_extensions));
    append_hex_list(parts.extensions, extensions.data(), n_extensions);
    parts.no_extensions = n_extensions == 0;
    std::array<std::uint16_t, ParseLimits::max_list_entries> sigalgs{};
    std::size_t n_sigalgs = 0;
    for (std::uint16_t sigalg : hello.signature_algorithms) {
        if (!is_grease(sigalg) && n_sigalgs < sigalgs.size()) sigalgs[n_sigalgs++] = sigalg;
    }
    append_hex_list(parts.extensions, sigalgs.data(), n_sigalgs, '_');
    return parts;
}

}  // namespace

std::string ja3_string(const ClientHello &hello) {
    std::string out;
    out.reserve(64 + 6 * (hello.cipher_suites.size() + hello.extensions.size() +
                          hello.supported_groups.size()));
    append_decimal(out, hello.legacy_version);
    out.push_back(',');
    append_ja3_list(out, hello.cipher_suites, true);
    out.push_back(',');
    append_ja3_list(out, hello.extensions, true);
    out.push_back(',');
    append_ja3_list(out, hello.supported_groups, true);
    out.push_back(',');
    append_ja3_list(out, hello.ec_point_formats, false);
    return out;
}

std::string ja3_hash(const std::string &ja3_text) {
    return hex_digest(md5(), ja3_text, 2 * EVP_MAX_MD_SIZE);
}

std::string ja4(const ClientHello &hello, Transport transport) {
    const Ja4Parts parts = ja4_parts(hello, transport);
    std::string out;
    out.reserve(parts.a.size() + 2 + 2 * ja4_hash_digits);
    out.append(parts.a);
    out.push_back('_');
    out.append(parts.ciphers.empty() ? ja4_empty_hash
                                     : hex_digest(sha256(), parts.ciphers, ja4_hash_digits));
    out.push_back('_');
    out.append(parts.no_extensions ? ja4_empty_hash
                                   : hex_digest(sha256(), parts.extensions, ja4_hash_digits));
    return out;
}

std::string ja4_r(const ClientHello &hello, Transport transport) {
    const Ja4Parts parts = ja4_parts(hello, transport);
    std::string out;
    out.reserve(parts.a.size() + parts.ciphers.size() + parts.extensions.size() + 2);
    out.append(parts.a);
    out.push_back('_');
    out.append(parts.ciphers);
    out.push_back('_');
    out.append(parts.extensions);
    return out;
}

}  // namespace snifallback
