#include "core/tls_floor.h"

#include <algorithm>
#include <utility>

#include "core/tls_constants.h"
#include "core/tls_protocol.h"

namespace snifallback {

int security_level_bits(int level) noexcept {
    static constexpr int bits[] = {0, 80, 112, 128, 192, 256};
    if (level <= 0) return 0;
    return bits[std::min(level, 5)];
}

bool floor_accepts_version(const TlsFloor &floor, std::uint16_t version) noexcept {
    if (floor.min_version != 0 && version < floor.min_version) return false;
    if (floor.max_version != 0 && version > floor.max_version) return false;
    const int level = floor.security_level;
    if (level <= 0) return true;
    if (floor.openssl3_rules) return version >= tls::version_1_2;
    // OpenSSL 1.1.1: SSLv3 not at level 2, TLS 1.0 not at level 3, TLS 1.1 not at level 4.
    if (level >= 2 && version <= tls::version_ssl3) return false;
    if (level >= 3 && version <= tls::version_1_0) return false;
    if (level >= 4 && version <= tls::version_1_1) return false;
    return true;
}

namespace {

// Why the vhost's security level refuses the cipher; null when it does not.
const char *cipher_refused_by_level(int level, const NegotiatedTls &tls) noexcept {
    if (level <= 0) return nullptr;
    const int minbits = security_level_bits(level);
    if (tls.cipher_bits < minbits) return "its strength is below the security level";
    if (tls.anonymous) return "it does not authenticate the server";
    if (tls.mac_md5) return "its MAC is MD5";
    if (minbits > 160 && tls.mac_sha1) return "its MAC is SHA-1";
    if (level >= 2 && tls.rc4) return "it is RC4";
    if (level >= 3 && !tls.tls13_suite && !tls.forward_secret) return "it is not forward secret";
    return nullptr;
}

}  // namespace

bool floor_accepts(const TlsFloor &floor, const NegotiatedTls &tls, std::string *why) {
    auto refuse = [why](std::string text) {
        if (why != nullptr) *why = std::move(text);
        return false;
    };
    if (floor.min_version != 0 && tls.version < floor.min_version) {
        return refuse(protocol_name(tls.version) + " is below its lowest protocol, " +
                      protocol_name(floor.min_version));
    }
    if (floor.max_version != 0 && tls.version > floor.max_version) {
        return refuse(protocol_name(tls.version) + " is above its highest protocol, " +
                      protocol_name(floor.max_version));
    }
    if (!floor_accepts_version(floor, tls.version)) {
        return refuse(protocol_name(tls.version) + " is refused at its security level " +
                      std::to_string(floor.security_level));
    }
    if (std::find(floor.ciphers.begin(), floor.ciphers.end(), tls.cipher) == floor.ciphers.end()) {
        return refuse("its cipher list does not hold " + tls.cipher);
    }
    if (const char *reason = cipher_refused_by_level(floor.security_level, tls)) {
        return refuse(tls.cipher + " is refused at its security level " +
                      std::to_string(floor.security_level) + ": " + reason);
    }
    const int minbits = security_level_bits(floor.security_level);
    if (tls.key_bits >= 0 && tls.key_bits < minbits) {
        return refuse("the certificate's key (" + std::to_string(tls.key_bits) +
                      " security bits) is below its security level " +
                      std::to_string(floor.security_level));
    }
    if (tls.tmp_key_bits >= 0 && tls.tmp_key_bits < minbits) {
        return refuse("the ephemeral key (" + std::to_string(tls.tmp_key_bits) +
                      " security bits) is below its security level " +
                      std::to_string(floor.security_level));
    }
    return true;
}

bool profile_reaches_below(const TlsFloor &profile, const TlsFloor &vhost) {
    for (std::uint16_t version = tls::version_1_0; version <= tls::version_1_3; ++version) {
        if (floor_accepts_version(profile, version) && !floor_accepts_version(vhost, version)) {
            return true;
        }
    }
    for (const std::string &cipher : profile.ciphers) {
        if (std::find(vhost.ciphers.begin(), vhost.ciphers.end(), cipher) == vhost.ciphers.end()) {
            return true;
        }
    }
    return profile.security_level < vhost.security_level;
}

}  // namespace snifallback
