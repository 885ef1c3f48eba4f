#include "httpd/vhost_floor.h"

#include <new>
#include <string>
#include <utility>
#include <vector>

#include "apr_pools.h"

#include <openssl/evp.h>
#include <openssl/objects.h>

#include "httpd/connection_state.h"
#include "httpd/server_config.h"

namespace snifallback::glue {
namespace {

apr_status_t destroy_floor(void *data) {
    static_cast<TlsFloor *>(data)->~TlsFloor();
    return APR_SUCCESS;
}

bool openssl3_rules() noexcept {
    return OpenSSL_version_num() >= 0x30000000L;
}

std::vector<std::string> cipher_names(const STACK_OF(SSL_CIPHER) * ciphers) {
    std::vector<std::string> names;
    for (int i = 0; ciphers != nullptr && i < sk_SSL_CIPHER_num(ciphers); ++i) {
        names.emplace_back(SSL_CIPHER_get_name(sk_SSL_CIPHER_value(ciphers, i)));
    }
    return names;
}

TlsFloor floor_of(SSL_CTX *ctx) {
    TlsFloor floor;
    floor.min_version = static_cast<std::uint16_t>(SSL_CTX_get_min_proto_version(ctx));
    floor.max_version = static_cast<std::uint16_t>(SSL_CTX_get_max_proto_version(ctx));
    floor.security_level = SSL_CTX_get_security_level(ctx);
    floor.ciphers = cipher_names(SSL_CTX_get_ciphers(ctx));
    floor.openssl3_rules = openssl3_rules();
    return floor;
}

// OpenSSL names TLS 1.3 suites by their RFC names, "TLS_AES_128_GCM_SHA256" ...
bool is_tls13_suite(const std::string &name) noexcept {
    return name.rfind("TLS_", 0) == 0;
}

int security_bits(EVP_PKEY *key) noexcept {
    return key == nullptr ? -1 : EVP_PKEY_security_bits(key);
}

}  // namespace

int build_tls_floors(apr_pool_t *p, server_rec *main_server) {
    for (server_rec *s = main_server; s; s = s->next) {
        StartupState &startup = server_config(s).startup;
        startup.tls_floor = nullptr;
        if (startup.ssl_ctx == nullptr) continue;
        void *memory = apr_palloc(p, sizeof(TlsFloor));
        auto *floor = new (memory) TlsFloor(floor_of(startup.ssl_ctx));
        apr_pool_cleanup_register(p, floor, destroy_floor, apr_pool_cleanup_null);
        startup.tls_floor = floor;
    }
    return OK;
}

void note_negotiated_tls(ConnectionState &state, SSL *ssl) {
    NegotiatedTls &tls = state.negotiated;
    tls.version = static_cast<std::uint16_t>(SSL_version(ssl));
    if (const SSL_CIPHER *cipher = SSL_get_current_cipher(ssl)) {
        tls.cipher = SSL_CIPHER_get_name(cipher);
        tls.cipher_bits = SSL_CIPHER_get_bits(cipher, nullptr);
        tls.anonymous = SSL_CIPHER_get_auth_nid(cipher) == NID_auth_null;
        const int digest = SSL_CIPHER_get_digest_nid(cipher);
        tls.mac_md5 = digest == NID_md5;
        tls.mac_sha1 = digest == NID_sha1;
        const int encryption = SSL_CIPHER_get_cipher_nid(cipher);
        tls.rc4 = encryption == NID_rc4 || encryption == NID_rc4_40;
        const int kx = SSL_CIPHER_get_kx_nid(cipher);
        tls.tls13_suite = kx == NID_kx_any;
        tls.forward_secret = tls.tls13_suite || kx == NID_kx_ecdhe || kx == NID_kx_dhe ||
                             kx == NID_kx_ecdhe_psk || kx == NID_kx_dhe_psk;
    }
    tls.key_bits = security_bits(SSL_get_privatekey(ssl));
    EVP_PKEY *ephemeral = nullptr;
    if (SSL_get_tmp_key(ssl, &ephemeral) == 1 && ephemeral != nullptr) {
        tls.tmp_key_bits = security_bits(ephemeral);
        EVP_PKEY_free(ephemeral);
    }
}

bool below_vhost_floor(const ConnectionState &state, const server_rec *vhost, bool always,
                       std::string *why) {
    if (!state.profile_applied && !always) return false;
    const TlsFloor *floor = vhost ? server_config(vhost).startup.tls_floor : nullptr;
    if (floor == nullptr) {
        if (why != nullptr) *why = "it has no TLS settings of its own";
        return true;
    }
    return !floor_accepts(*floor, state.negotiated, why);
}

bool profile_may_reach_below(const server_rec *handshake, const server_rec *vhost) {
    const ServerConfig &address = server_config(handshake);
    const TlsProfileSetting &profile = address.vhost.tls_profile;
    const TlsFloor *base = address.startup.tls_floor;
    const TlsFloor *target = server_config(vhost).startup.tls_floor;
    if (profile.empty() || base == nullptr) return false;
    if (target == nullptr) return true;
    TlsFloor reach = *base;  // what the address's first vhost accepts, widened by the profile
    if (profile.protocol_text != nullptr) {
        reach.min_version = profile.min_version;
        reach.max_version = profile.max_version;
    }
    if (profile.cipher_suite != nullptr) {
        // As apply_tls_profile does on the connection: the cipher string replaces the list and
        // may set the security level.
        SSL_CTX *scratch = SSL_CTX_new(TLS_server_method());
        if (scratch != nullptr) {
            SSL_CTX_set_security_level(scratch, base->security_level);
            if (SSL_CTX_set_cipher_list(scratch, profile.cipher_suite) == 1) {
                // The string sets the ciphers of TLS 1.2 and below; TLS 1.3 suites stay the first
                // vhost's.
                std::vector<std::string> ciphers;
                for (std::string &name : cipher_names(SSL_CTX_get_ciphers(scratch))) {
                    if (!is_tls13_suite(name)) ciphers.push_back(std::move(name));
                }
                for (const std::string &name : base->ciphers) {
                    if (is_tls13_suite(name)) ciphers.push_back(name);
                }
                reach.ciphers = std::move(ciphers);
                reach.security_level = SSL_CTX_get_security_level(scratch);
            }
            SSL_CTX_free(scratch);
        }
    }
    return profile_reaches_below(reach, *target);
}

}  // namespace snifallback::glue
