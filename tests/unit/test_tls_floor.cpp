// The per-request floor: what a vhost's own TLS settings accept, by OpenSSL's security rules.
#include <catch2/catch.hpp>

#include <string>
#include <tuple>

#include "core/forecast.h"
#include "core/tls_constants.h"
#include "core/tls_floor.h"

using namespace snifallback;

namespace {

TlsFloor strict_vhost() {
    TlsFloor floor;
    floor.min_version = tls::version_1_2;
    floor.security_level = 2;
    floor.ciphers = {"TLS_AES_128_GCM_SHA256", "ECDHE-RSA-AES128-GCM-SHA256"};
    return floor;
}

NegotiatedTls legacy_connection() {
    NegotiatedTls tls;
    tls.version = tls::version_1_0;
    tls.cipher = "AES128-SHA";
    tls.cipher_bits = 128;
    tls.mac_sha1 = true;
    tls.key_bits = 112;
    return tls;
}

NegotiatedTls modern_connection() {
    NegotiatedTls tls;
    tls.version = tls::version_1_2;
    tls.cipher = "ECDHE-RSA-AES128-GCM-SHA256";
    tls.cipher_bits = 128;
    tls.forward_secret = true;
    tls.key_bits = 112;
    tls.tmp_key_bits = 128;
    return tls;
}

}  // namespace

TEST_CASE("a vhost's own protocol range and cipher list decide") {
    std::string why;
    CHECK_FALSE(floor_accepts(strict_vhost(), legacy_connection(), &why));
    CHECK(why == "TLSv1 is below its lowest protocol, TLSv1.2");
    CHECK(floor_accepts(strict_vhost(), modern_connection(), &why));

    NegotiatedTls other_cipher = modern_connection();
    other_cipher.cipher = "ECDHE-RSA-AES256-SHA";
    CHECK_FALSE(floor_accepts(strict_vhost(), other_cipher, &why));
    CHECK(why == "its cipher list does not hold ECDHE-RSA-AES256-SHA");

    TlsFloor capped = strict_vhost();
    capped.max_version = tls::version_1_2;
    NegotiatedTls tls13 = modern_connection();
    tls13.version = tls::version_1_3;
    tls13.cipher = "TLS_AES_128_GCM_SHA256";
    CHECK_FALSE(floor_accepts(capped, tls13, &why));
    CHECK(why == "TLSv1.3 is above its highest protocol, TLSv1.2");
}

TEST_CASE("OpenSSL 3 refuses TLS below 1.2 at any security level above 0") {
    TlsFloor open_range;  // SSLProtocol all, no minimum
    open_range.ciphers = {"AES128-SHA"};
    open_range.security_level = 1;
    std::string why;
    CHECK_FALSE(floor_accepts(open_range, legacy_connection(), &why));
    CHECK(why == "TLSv1 is refused at its security level 1");
    open_range.security_level = 0;
    CHECK(floor_accepts(open_range, legacy_connection()));
    // OpenSSL 1.1.1 kept TLS 1.0 up to level 2
    open_range.openssl3_rules = false;
    open_range.security_level = 2;
    CHECK(floor_accepts(open_range, legacy_connection()));
    open_range.security_level = 3;
    CHECK_FALSE(floor_accepts(open_range, legacy_connection()));
}

TEST_CASE("the security level judges the cipher and the keys as OpenSSL's default callback does") {
    TlsFloor floor;
    floor.ciphers = {"X"};
    NegotiatedTls tls = modern_connection();
    tls.cipher = "X";
    using Row = std::tuple<int, NegotiatedTls, bool>;
    NegotiatedTls anonymous = tls, md5 = tls, rc4 = tls, weak = tls, static_rsa = tls,
                  small_key = tls, small_ephemeral = tls, sha1 = tls;
    anonymous.anonymous = true;
    md5.mac_md5 = true;
    rc4.rc4 = true;
    weak.cipher_bits = 56;
    static_rsa.forward_secret = false;
    small_key.key_bits = 80;  // RSA 1024
    small_ephemeral.tmp_key_bits = 80;
    sha1.mac_sha1 = true;
    auto [level, connection, accepted] = GENERATE_COPY(table<int, NegotiatedTls, bool>({
        Row{0, anonymous, true},
        Row{1, anonymous, false},
        Row{1, md5, false},
        Row{1, rc4, true},
        Row{2, rc4, false},
        Row{1, weak, false},
        Row{0, weak, true},
        Row{2, static_rsa, true},
        Row{3, static_rsa, false},
        Row{1, small_key, true},
        Row{2, small_key, false},
        Row{2, small_ephemeral, false},
        Row{3, sha1, true},
        Row{4, sha1, false},
    }));
    floor.security_level = level;
    if (level >= 3) connection.key_bits = connection.tmp_key_bits = 256;
    if (level == 4 && connection.cipher_bits == 128) connection.cipher_bits = 256;
    CAPTURE(level);
    CHECK(floor_accepts(floor, connection) == accepted);
}

TEST_CASE("security level bits") {
    CHECK(security_level_bits(-1) == 0);
    CHECK(security_level_bits(0) == 0);
    CHECK(security_level_bits(1) == 80);
    CHECK(security_level_bits(2) == 112);
    CHECK(security_level_bits(5) == 256);
    CHECK(security_level_bits(9) == 256);
}

TEST_CASE("a profile reaches below a vhost when it lets in what the vhost refuses") {
    TlsFloor profile;  // SNIFallbackProtocol all, "AES128-SHA:...:@SECLEVEL=0"
    profile.ciphers = {"TLS_AES_128_GCM_SHA256", "ECDHE-RSA-AES128-GCM-SHA256", "AES128-SHA"};
    CHECK(profile_reaches_below(profile, strict_vhost()));
    TlsFloor same = strict_vhost();
    CHECK_FALSE(profile_reaches_below(same, strict_vhost()));
    TlsFloor lower_level = strict_vhost();
    lower_level.security_level = 0;
    CHECK(profile_reaches_below(lower_level, strict_vhost()));
    CHECK(std::string(forecast_name(Forecast::tls_floor)) == "tls-floor");
}
