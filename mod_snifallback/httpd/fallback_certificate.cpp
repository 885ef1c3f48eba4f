#include "httpd/fallback_certificate.h"

#include <algorithm>
#include <cstring>
#include <new>
#include <string>
#include <vector>

#include "httpd/connection_state.h"
#include "httpd/hook_guard.h"
#include "httpd/openssl_errors.h"
#include "httpd/server_config.h"
#include "httpd/vhost_lookup.h"

#include "http_config.h"
#include "apr_lib.h"
#include "apr_strings.h"

#include <openssl/x509v3.h>

namespace snifallback::glue {

struct FallbackCertificate {
    struct Entry {
        X509 *certificate = nullptr;  // owned by the vhost's SSL_CTX (same lifetime as pconf)
        EVP_PKEY *key = nullptr;
        STACK_OF(X509) *chain = nullptr;
    };
    const server_rec *vhost = nullptr;  // whose certificates these are
    std::vector<Entry> entries;
};

namespace {

apr_status_t destroy_fallback(void *data) {
    static_cast<FallbackCertificate *>(data)->~FallbackCertificate();
    return APR_SUCCESS;
}

// Every certificate mod_ssl configured for `ctx` (RSA, ECDSA ...) with its chain.
std::vector<FallbackCertificate::Entry> certificates_of(SSL_CTX *ctx) {
    std::vector<FallbackCertificate::Entry> entries;
    STACK_OF(X509) *extra_chain = nullptr;
    SSL_CTX_get_extra_chain_certs(ctx, &extra_chain);  // SSLCertificateChainFile
    for (long more = SSL_CTX_set_current_cert(ctx, SSL_CERT_SET_FIRST); more == 1;
         more = SSL_CTX_set_current_cert(ctx, SSL_CERT_SET_NEXT)) {
        FallbackCertificate::Entry entry;
        entry.certificate = SSL_CTX_get0_certificate(ctx);
        entry.key = SSL_CTX_get0_privatekey(ctx);
        SSL_CTX_get0_chain_certs(ctx, &entry.chain);
        if (entry.chain == nullptr || sk_X509_num(entry.chain) == 0) entry.chain = extra_chain;
        if (entry.certificate != nullptr && entry.key != nullptr) entries.push_back(entry);
    }
    SSL_CTX_set_current_cert(ctx, SSL_CERT_SET_FIRST);
    return entries;
}

bool covers(const FallbackCertificate &fallback, const char *name) {
    for (const auto &entry : fallback.entries) {
        if (X509_check_host(entry.certificate, name, std::strlen(name), 0, nullptr) == 1) {
            return true;
        }
    }
    return false;
}

// The names on an address a fallback client asking for them would see a certificate warning for.
std::vector<const char *> uncovered_names(const AddressGroup &group,
                                          const FallbackCertificate &fallback) {
    std::vector<const char *> uncovered;
    const auto check = [&](const char *name) {
        if (name != nullptr && !covers(fallback, name)) uncovered.push_back(name);
    };
    for (const server_rec *s : group.vhosts) {
        check(s->server_hostname);
        if (s->names) {
            const auto *names = reinterpret_cast<char *const *>(s->names->elts);
            for (int i = 0; i < s->names->nelts; ++i) check(names[i]);
        }
    }
    return uncovered;
}

// One line per address. The list of uncovered names is cut at the first 20: with thousands of
// vhosts a full list is one line longer than the error log keeps.
void report_coverage(apr_pool_t *p, const AddressGroup &group,
                     const FallbackCertificate &fallback) {
    constexpr std::size_t names_listed = 20;
    const std::vector<const char *> uncovered = uncovered_names(group, fallback);
    server_rec *default_vhost = group.default_vhost;
    const char *address = address_text(p, default_vhost);
    if (uncovered.empty()) {
        ap_log_error(APLOG_MARK, APLOG_INFO, 0, default_vhost,
                     "SNIF0021: handshakes without SNI on %s get the certificate of %s; it covers "
                     "every ServerName and ServerAlias on that address",
                     address, fallback.vhost->server_hostname);
        return;
    }
    std::string listed;
    for (std::size_t i = 0; i < uncovered.size() && i < names_listed; ++i) {
        if (i != 0) listed += ", ";
        listed += uncovered[i];
    }
    if (uncovered.size() > names_listed) {
        listed += apr_psprintf(p, " and %" APR_SIZE_T_FMT " more", uncovered.size() - names_listed);
    }
    ap_log_error(APLOG_MARK, APLOG_WARNING, 0, default_vhost,
                 "SNIF0022: handshakes without SNI on %s get the certificate of %s, which does not "
                 "cover %" APR_SIZE_T_FMT
                 " name(s) served there: %s (fallback clients asking for "
                 "these names will see a certificate warning)",
                 address, fallback.vhost->server_hostname, uncovered.size(), listed.c_str());
}

// Letters, digits, '-', '.', '_' and '*': what a ServerName or ServerAlias can hold.
bool looks_like_host_name(const char *name) noexcept {
    if (*name == '\0') return false;
    for (const char *c = name; *c; ++c) {
        if (!apr_isalnum(*c) && *c != '-' && *c != '.' && *c != '_' && *c != '*') return false;
    }
    return true;
}

}  // namespace

const char *set_fallback_certificate(cmd_parms *cmd, void *, const char *arg) {
    if (const char *error = check_scope(cmd, Scope::server_or_vhost)) return error;
    FallbackCertificateSetting &setting = server_config(cmd->server).vhost.fallback_certificate;
    char *host = nullptr;
    char *scope_id = nullptr;
    apr_port_t port = 0;
    if (apr_parse_addr_port(&host, &scope_id, &port, arg, cmd->pool) != APR_SUCCESS ||
        host == nullptr || scope_id != nullptr || !looks_like_host_name(host)) {
        return apr_psprintf(cmd->pool,
                            "%s: '%s' is not a ServerName[:port]; name the SSL virtual host whose "
                            "certificate clients without SNI should get, e.g. legacy.example.org "
                            "or legacy.example.org:443",
                            cmd->cmd->name, arg);
    }
    setting.name = host;
    setting.port = port;
    setting.set_in = cmd->server;
    setting.source = directive_source(cmd);
    return nullptr;
}

// check_config: what can be checked without certificates, so `apachectl -t` already fails.
int check_fallback_certificates(apr_pool_t *p, server_rec *main_server) {
    const VhostAddresses addresses(main_server);
    int result = OK;
    for (server_rec *s = main_server; s; s = s->next) {
        const FallbackCertificateSetting &setting = server_config(s).vhost.fallback_certificate;
        if (setting.name == nullptr) continue;
        if (setting.set_in != s) continue;  // inherited: checked where it was set
        const char *where = s == main_server ? "server config" : vhost_label(p, s);
        // file:line of the directive, as httpd's own configuration errors give it
        const char *at = setting.source.file ? apr_psprintf(p, " at %s:%u", setting.source.file,
                                                            setting.source.line)
                                             : "";
        if (find_vhost(main_server, setting.name, setting.port) == nullptr) {
            ap_log_error(APLOG_MARK, APLOG_STARTUP | APLOG_EMERG, 0, nullptr,
                         "SNIF0023: SNIFallbackCertificate %s%s%s%s (in %s): no <VirtualHost> has "
                         "that ServerName or ServerAlias%s%s; name an SSL virtual host defined in "
                         "this configuration",
                         setting.name, setting.port ? ":" : "",
                         setting.port ? apr_itoa(p, setting.port) : "", at, where,
                         setting.port ? " on that port" : "",
                         did_you_mean(p, main_server, setting.name));
            result = HTTP_INTERNAL_SERVER_ERROR;
            continue;
        }
        const char *misplaced =
            s == main_server
                ? nullptr
                : misplaced_in_vhost(p, addresses, s, setting.source.file, setting.source.line,
                                     "the certificate of a handshake without SNI is chosen by "
                                     "the address's first vhost");
        if (misplaced != nullptr) {
            ap_log_error(APLOG_MARK, APLOG_STARTUP | APLOG_EMERG, 0, nullptr,
                         "SNIF0024: SNIFallbackCertificate%s", misplaced);
            result = HTTP_INTERNAL_SERVER_ERROR;
        }
    }
    return result;
}

// post_config, after mod_ssl: the certificates now exist in the vhosts' SSL_CTXs.
int resolve_fallback_certificates(apr_pool_t *p, server_rec *main_server,
                                  const VhostAddresses &addresses) {
    for (server_rec *s = main_server->next; s; s = s->next)
        server_config(s).startup.fallback = nullptr;
    // Only an address's default vhost chooses; the groups find them without comparing every
    // vhost with every other.
    for (const AddressGroup &group : addresses.groups()) {
        server_rec *s = group.default_vhost;
        ServerConfig &config = server_config(s);
        const FallbackCertificateSetting &setting = config.vhost.fallback_certificate;
        if (config.startup.ssl_ctx == nullptr) continue;
        if (setting.name == nullptr) {
            if (startup_summary_wanted()) {
                ap_log_error(APLOG_MARK, APLOG_INFO, 0, s,
                             "SNIF0020: handshakes without SNI on %s get the certificate of %s, "
                             "the first vhost of the address (no SNIFallbackCertificate)",
                             address_text(p, s), s->server_hostname);
            }
            continue;
        }
        server_rec *target = find_vhost(main_server, setting.name, setting.port);
        SSL_CTX *target_ctx = target ? server_config(target).startup.ssl_ctx : nullptr;
        if (target_ctx == nullptr) {
            ap_log_error(APLOG_MARK, APLOG_STARTUP | APLOG_EMERG, 0, nullptr,
                         "SNIF0025: SNIFallbackCertificate %s: that virtual host is not "
                         "SSL-enabled (no SSLEngine on and certificate); name a vhost that "
                         "serves HTTPS",
                         setting.name);
            return HTTP_INTERNAL_SERVER_ERROR;
        }
        void *memory = apr_pcalloc(p, sizeof(FallbackCertificate));
        auto *fallback = new (memory) FallbackCertificate();
        apr_pool_cleanup_register(p, fallback, destroy_fallback, apr_pool_cleanup_null);
        fallback->vhost = target;
        fallback->entries = certificates_of(target_ctx);
        if (fallback->entries.empty()) {
            ap_log_error(APLOG_MARK, APLOG_STARTUP | APLOG_EMERG, 0, nullptr,
                         "SNIF0026: SNIFallbackCertificate %s: that virtual host has no "
                         "certificate with a private key",
                         setting.name);
            return HTTP_INTERNAL_SERVER_ERROR;
        }
        config.startup.fallback = fallback;
        if (startup_summary_wanted()) report_coverage(p, group, *fallback);
    }
    return OK;
}

namespace {

// Whether the handshake is one the fallback certificate is for. A hello the parser refused is
// judged by what OpenSSL saw: no SNI at all.
bool gets_fallback_certificate(const ConnectionState &state, SSL *ssl) {
    if (state.classified) return state.selected_at_handshake();
    return state.handshake_classes.contains(ClientClass::no_sni) &&
           SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name) == nullptr;
}

// Installs the fallback certificates on a fallback client's handshake: 1 to go on, 0 to fail it.
int use_fallback_certificate(ConnectionState &state, SSL *ssl) {
    if (state.fallback == nullptr || !state.observing) return 1;
    if (!gets_fallback_certificate(state, ssl)) return 1;  // served by name: untouched
    // Clear first: otherwise the default vhost's certificate of another key type stays and may win.
    SSL_certs_clear(ssl);
    for (const auto &entry : state.fallback->entries) {
        if (SSL_use_cert_and_key(ssl, entry.certificate, entry.key, entry.chain, 1) != 1) {
            const std::string errors = take_openssl_errors();
            ap_log_cerror(APLOG_MARK, APLOG_ERR, 0, state.connection,
                          "SNIF0076: cannot give this handshake the fallback certificate of %s "
                          "(SNIFallbackCertificate): %s; the handshake fails",
                          state.fallback->vhost->server_hostname, errors.c_str());
            return 0;  // fail the handshake rather than serve a half-built certificate set
        }
    }
    state.cert_vhost = state.fallback->vhost->server_hostname;
    return 1;
}

// OpenSSL certificate callback: runs once the ClientHello is processed, before the server picks
// its certificate; not on resumption.
extern "C" int on_certificate(SSL *ssl, void *arg) noexcept {
    auto *state = static_cast<ConnectionState *>(arg);
    if (state == nullptr) return 1;
    return guard_tls_callback([&] { return use_fallback_certificate(*state, ssl); },
                              [&]() noexcept {
                                  state->observing = false;
                                  return 1;  // the certificates mod_ssl set up stay
                              });
}

}  // namespace

void attach_fallback_certificate(ConnectionState &state, SSL *ssl) {
    state.fallback = server_config(state.connection->base_server).startup.fallback;
    if (state.fallback == nullptr) return;
    SSL_set_cert_cb(ssl, on_certificate, &state);
}

std::vector<X509 *> server_certificates(SSL_CTX *ctx) {
    std::vector<X509 *> certificates;
    for (const auto &entry : certificates_of(ctx)) certificates.push_back(entry.certificate);
    return certificates;
}

}  // namespace snifallback::glue
