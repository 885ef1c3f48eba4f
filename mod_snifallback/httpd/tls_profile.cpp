#include "httpd/tls_profile.h"

#include <string>
#include <string_view>
#include <vector>

#include "apr_strings.h"

#include <openssl/objects.h>

#include "core/tls_constants.h"
#include "core/tls_protocol.h"
#include "httpd/connection_state.h"
#include "httpd/openssl_errors.h"
#include "httpd/server_config.h"
#include "httpd/vhost_lookup.h"

namespace snifallback::glue {
namespace {

TlsProfileSetting &profile_of(cmd_parms *cmd) {
    TlsProfileSetting &profile = server_config(cmd->server).vhost.tls_profile;
    profile.set_in = cmd->server;
    profile.source = directive_source(cmd);
    return profile;
}

// OpenSSL's lowest version when a context sets none: TLS 1.0 (this OpenSSL has no SSLv3).
std::uint16_t context_min_version(SSL_CTX *ctx) {
    const long version = SSL_CTX_get_min_proto_version(ctx);
    return version == 0 ? tls::version_1_0 : static_cast<std::uint16_t>(version);
}

const char *where(apr_pool_t *p, const server_rec *s, const TlsProfileSetting &profile) {
    return profile.source.file
               ? apr_psprintf(p, "%s:%u", profile.source.file, profile.source.line)
               : apr_pstrdup(p, s->server_hostname ? s->server_hostname : "server config");
}

// The first cipher of `ciphers` that encrypts nothing (NULL) or authenticates no server
// (anonymous), as "NAME, which ...", or empty when there is none.
std::string unsafe_cipher(const STACK_OF(SSL_CIPHER) * ciphers) {
    for (int i = 0; ciphers != nullptr && i < sk_SSL_CIPHER_num(ciphers); ++i) {
        const SSL_CIPHER *cipher = sk_SSL_CIPHER_value(ciphers, i);
        if (SSL_CIPHER_get_cipher_nid(cipher) == NID_undef) {
            return std::string(SSL_CIPHER_get_name(cipher)) + ", which encrypts nothing";
        }
        if (SSL_CIPHER_get_auth_nid(cipher) == NID_auth_null) {
            return std::string(SSL_CIPHER_get_name(cipher)) +
                   ", which does not authenticate the server";
        }
    }
    return {};
}

// What the profile of an address lets in that a careful default would not: versions below
// TLS 1.2, a security level below 2. Empty when nothing.
std::string weakened(const TlsProfileSetting &profile, SSL_CTX *ctx) {
    std::string weaker;
    const std::uint16_t lowest =
        profile.protocol_text ? profile.min_version : context_min_version(ctx);
    if (profile.protocol_text && lowest < tls::version_1_2) {
        weaker = protocol_name(lowest) + " and up to " + protocol_name(profile.max_version);
    }
    const int level =
        profile.cipher_suite ? cipher_string_security_level(profile.cipher_suite) : -1;
    if (level >= 0 && level < 2) {
        if (!weaker.empty()) weaker += ", ";
        weaker += "security level " + std::to_string(level);
    }
    return weaker;
}

void report_address(apr_pool_t *p, server_rec *default_vhost, const TlsProfileSetting &profile,
                    SSL_CTX *ctx) {
    const std::string weaker = weakened(profile, ctx);
    if (weaker.empty()) return;
    ap_log_error(APLOG_MARK, APLOG_WARNING, 0, default_vhost,
                 "SNIF0028: fallback clients on %s may connect with %s (SNIFallbackProtocol %s, "
                 "SNIFallbackCipherSuite %s, set at %s); clients that send a served name keep "
                 "their vhost's settings",
                 address_text(p, default_vhost), weaker.c_str(),
                 profile.protocol_text ? profile.protocol_text : "unset",
                 profile.cipher_suite ? profile.cipher_suite : "unset",
                 where(p, default_vhost, profile));
}

// A `vhost` route whose target refuses versions the profile of the route's address lets in.
void report_route(const VhostAddresses &addresses, server_rec *s) {
    const ServerConfig &config = server_config(s);
    server_rec *target = config.startup.route_target;
    if (target == nullptr) return;
    const TlsProfileSetting &profile =
        server_config(addresses.default_vhost_of(s)).vhost.tls_profile;
    SSL_CTX *target_ctx = server_config(target).startup.ssl_ctx;
    if (profile.protocol_text == nullptr || target_ctx == nullptr) return;
    const std::uint16_t target_min = context_min_version(target_ctx);
    if (profile.min_version >= target_min) return;
    ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s,
                 "SNIF0029: SNIFallbackAction vhost %s for %s: fallback clients may connect with "
                 "%s (SNIFallbackProtocol %s), which %s's SSLProtocol refuses (lowest %s); their "
                 "requests get 421 (SNIF0034). Let %s accept %s, or raise SNIFallbackProtocol",
                 target->server_hostname, s->server_hostname ? s->server_hostname : "?",
                 protocol_name(profile.min_version).c_str(), profile.protocol_text,
                 target->server_hostname, protocol_name(target_min).c_str(),
                 target->server_hostname, protocol_name(profile.min_version).c_str());
}

}  // namespace

const char *set_fallback_protocol(cmd_parms *cmd, void *, int argc, char *const argv[]) {
    if (const char *error = check_scope(cmd, Scope::server_or_vhost)) return error;
    std::vector<std::string_view> words(argv, argv + argc);
    ProtocolSet set;
    const std::string problem = argc == 0 ? "name the protocols" : parse_protocols(words, set);
    if (!problem.empty()) {
        return apr_psprintf(cmd->pool, "%s: %s", cmd->cmd->name, problem.c_str());
    }
    std::string text;
    for (std::string_view word : words) text.append(text.empty() ? "" : " ").append(word);
    TlsProfileSetting &profile = profile_of(cmd);
    profile.protocol_text = apr_pstrdup(cmd->pool, text.c_str());
    profile.min_version = set.lowest();
    profile.max_version = set.highest();
    return nullptr;
}

const char *set_fallback_cipher_suite(cmd_parms *cmd, void *, const char *arg, const char *flag) {
    if (const char *error = check_scope(cmd, Scope::server_or_vhost)) return error;
    constexpr const char *allow_flag = "allow-null-anonymous";
    if (flag != nullptr && strcasecmp(flag, allow_flag) != 0) {
        return apr_psprintf(cmd->pool,
                            "%s: unknown option '%s'; the only one is %s (let the string allow "
                            "NULL or anonymous ciphers)",
                            cmd->cmd->name, flag, allow_flag);
    }
    // OpenSSL is the judge of a cipher string: try it on a scratch context.
    SSL_CTX *scratch = SSL_CTX_new(TLS_server_method());
    const bool accepted = scratch != nullptr && SSL_CTX_set_cipher_list(scratch, arg) == 1;
    const std::string unsafe = accepted ? unsafe_cipher(SSL_CTX_get_ciphers(scratch)) : "";
    SSL_CTX_free(scratch);
    if (!unsafe.empty() && flag == nullptr) {
        return apr_psprintf(cmd->pool,
                            "%s: '%s' allows %s; leave such ciphers out (add \":!aNULL:!eNULL\"), "
                            "or say that you mean it: %s \"%s\" %s",
                            cmd->cmd->name, arg, unsafe.c_str(), cmd->cmd->name, arg, allow_flag);
    }
    if (!accepted) {
        return apr_psprintf(cmd->pool,
                            "%s: OpenSSL finds no cipher in '%s'; give an OpenSSL cipher string "
                            "for TLS 1.2 and below, e.g. \"DEFAULT:@SECLEVEL=0\" (see "
                            "`openssl ciphers -v '...'`)",
                            cmd->cmd->name, arg);
    }
    profile_of(cmd).cipher_suite = arg;
    return nullptr;
}

int check_tls_profiles(apr_pool_t *p, server_rec *main_server) {
    const VhostAddresses addresses(main_server);
    int result = OK;
    for (server_rec *s = main_server->next; s; s = s->next) {
        const TlsProfileSetting &profile = server_config(s).vhost.tls_profile;
        if (profile.empty() || profile.set_in != s) continue;  // inherited: fine anywhere
        if (const char *misplaced = misplaced_in_vhost(
                p, addresses, s, profile.source.file, profile.source.line,
                "the TLS settings of a fallback handshake are those of the address's first "
                "vhost")) {
            ap_log_error(APLOG_MARK, APLOG_STARTUP | APLOG_EMERG, 0, nullptr,
                         "SNIF0027: SNIFallbackProtocol/SNIFallbackCipherSuite%s", misplaced);
            result = HTTP_INTERNAL_SERVER_ERROR;
        }
    }
    return result;
}

int report_tls_profiles(apr_pool_t *p, server_rec *main_server, const VhostAddresses &addresses) {
    if (!startup_summary_wanted()) return OK;
    for (const AddressGroup &group : addresses.groups()) {
        const ServerConfig &config = server_config(group.default_vhost);
        if (!config.vhost.tls_profile.empty() && config.startup.ssl_ctx != nullptr) {
            report_address(p, group.default_vhost, config.vhost.tls_profile,
                           config.startup.ssl_ctx);
        }
    }
    for (server_rec *s = main_server->next; s; s = s->next) report_route(addresses, s);
    return OK;
}

void apply_tls_profile(const ConnectionState &state, SSL *ssl) {
    const TlsProfileSetting *profile = state.tls_profile;
    if (profile == nullptr) return;
    const char *failed = nullptr;
    if (profile->protocol_text != nullptr) {
        if (SSL_set_min_proto_version(ssl, profile->min_version) != 1 ||
            SSL_set_max_proto_version(ssl, profile->max_version) != 1) {
            failed = profile->protocol_text;
        }
    }
    // Also sets the security level when the string says @SECLEVEL=n.
    if (failed == nullptr && profile->cipher_suite != nullptr &&
        SSL_set_cipher_list(ssl, profile->cipher_suite) != 1) {
        failed = profile->cipher_suite;
    }
    if (failed != nullptr) {
        const std::string errors = take_openssl_errors();
        ap_log_cerror(APLOG_MARK, APLOG_ERR, 0, state.connection,
                      "SNIF0078: cannot apply the fallback TLS profile ('%s') to this handshake: "
                      "%s; it goes on with what OpenSSL kept of the address's own settings",
                      failed, errors.c_str());
    }
}

}  // namespace snifallback::glue
