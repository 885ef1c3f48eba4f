#include "httpd/proxy_headers.h"

#include <cstring>
#include <new>

#include "apr_lib.h"
#include "apr_strings.h"

#include "core/client_class.h"
#include "core/proxy_facts.h"
#include "httpd/address_list.h"
#include "httpd/client_names_config.h"
#include "httpd/connection_state.h"
#include "httpd/request_state.h"
#include "httpd/server_config.h"

namespace snifallback::glue {
namespace {

// An HTTP header name: a token (RFC 9110).
bool is_header_name(const char *name) {
    if (*name == '\0') return false;
    for (const char *c = name; *c; ++c) {
        if (!apr_isalnum(*c) && !strchr("!#$%&'*+-.^_`|~", *c)) return false;
    }
    return true;
}

apr_status_t destroy_state(void *data) {
    static_cast<ConnectionState *>(data)->~ConnectionState();
    return APR_SUCCESS;
}

void remove_headers(request_rec *r, const ProxyHeaderNames &names) {
    for (const char *name : {names.sni, names.has_sni, names.ja4, names.ja3}) {
        if (name != nullptr) apr_table_unset(r->headers_in, name);
    }
}

// The peer of the connection is the proxy that connected to Apache (mod_remoteip leaves it so).
bool from_trusted_proxy(const request_rec *r, const ModuleSettings &settings) {
    return address_in_list(settings.trusted_proxies, r->connection->client_addr);
}

}  // namespace

const char *set_trusted_proxy(cmd_parms *cmd, void *, int argc, char *const argv[]) {
    if (const char *error = check_scope(cmd, Scope::server_only)) return error;
    return parse_address_list(cmd, argc, argv, server_config(cmd->server).module.trusted_proxies);
}

const char *set_proxy_headers(cmd_parms *cmd, void *, int argc, char *const argv[]) {
    if (const char *error = check_scope(cmd, Scope::server_only)) return error;
    ProxyHeaderNames names;
    for (int i = 0; i < argc; ++i) {
        const char *eq = strchr(argv[i], '=');
        const char *key =
            eq ? apr_pstrmemdup(cmd->temp_pool, argv[i], static_cast<apr_size_t>(eq - argv[i]))
               : argv[i];
        const char *value = eq ? eq + 1 : "";
        const char **slot = !strcasecmp(key, "sni")       ? &names.sni
                            : !strcasecmp(key, "has-sni") ? &names.has_sni
                            : !strcasecmp(key, "ja4")     ? &names.ja4
                            : !strcasecmp(key, "ja3")     ? &names.ja3
                                                          : nullptr;
        if (eq == nullptr || slot == nullptr) {
            return apr_psprintf(cmd->pool,
                                "%s: '%s' is not one of sni=Header, has-sni=Header, ja4=Header, "
                                "ja3=Header",
                                cmd->cmd->name, argv[i]);
        }
        if (!is_header_name(value)) {
            return apr_psprintf(cmd->pool, "%s: '%s' names no valid HTTP header in '%s'",
                                cmd->cmd->name, value, argv[i]);
        }
        if (*slot != nullptr) {
            return apr_psprintf(cmd->pool, "%s: %s= given twice", cmd->cmd->name, key);
        }
        *slot = apr_pstrdup(cmd->pool, value);
    }
    if (names.sni == nullptr) {
        return apr_psprintf(cmd->pool,
                            "%s: name the header that carries the client's SNI (sni=Header), "
                            "e.g. SNIFallbackProxyHeaders sni=X-TLS-SNI has-sni=X-TLS-Has-SNI",
                            cmd->cmd->name);
    }
    server_config(cmd->server).module.proxy_headers = names;
    return nullptr;
}

void warn_about_proxy_settings(server_rec *main_server) {
    if (!startup_summary_wanted()) return;
    const ModuleSettings &settings = server_config(main_server).module;
    if (!settings.proxy_headers.empty() && settings.trusted_proxies == nullptr) {
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, main_server,
                     "SNIF0091: SNIFallbackProxyHeaders without SNIFallbackTrustedProxy: no proxy "
                     "is believed, and the headers are only removed from every request; name the "
                     "proxies that end TLS in front of Apache in SNIFallbackTrustedProxy");
    } else if (settings.proxy_headers.empty() && settings.trusted_proxies != nullptr) {
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, main_server,
                     "SNIF0092: SNIFallbackTrustedProxy without SNIFallbackProxyHeaders has no "
                     "effect; name the headers the proxies set, e.g. SNIFallbackProxyHeaders "
                     "sni=X-TLS-SNI has-sni=X-TLS-Has-SNI");
    }
}

int remove_untrusted_proxy_headers(request_rec *r) {
    const ModuleSettings &settings = server_config(r->server).module;
    if (settings.proxy_headers.empty()) return DECLINED;
    if (!from_trusted_proxy(r, settings)) remove_headers(r, settings.proxy_headers);
    return DECLINED;
}

const ConnectionState *state_from_proxy_headers(request_rec *r) {
    const ModuleSettings &settings = server_config(r->server).module;
    const ProxyHeaderNames &names = settings.proxy_headers;
    if (names.empty() || !from_trusted_proxy(r, settings)) return nullptr;
    conn_rec *c = r->connection;
    const auto header = [r](const char *name) {
        return name ? apr_table_get(r->headers_in, name) : nullptr;
    };
    const std::optional<ProxyFacts> facts = read_proxy_facts(
        header(names.sni), header(names.has_sni), header(names.ja4), header(names.ja3));
    if (!facts) return nullptr;  // the proxy said nothing about this request's TLS
    const ServerConfig &address = server_config(c->base_server);
    static const NameIndex no_names;
    const NameIndex &served =
        address.startup.served_names ? *address.startup.served_names : no_names;
    void *memory = apr_pcalloc(r->pool, sizeof(ConnectionState));
    auto *state = new (memory) ConnectionState();
    apr_pool_cleanup_register(r->pool, state, destroy_state, apr_pool_cleanup_null);
    state->connection = c;
    state->from_proxy_headers = true;
    state->hello_seen = state->classified = true;
    state->client_class = classify_client(facts->sni_present, facts->sni, served);
    if (state->client_class != ClientClass::no_sni) state->sni = facts->sni;
    state->ja4 = facts->ja4;
    state->ja3 = facts->ja3;
    state->ja3_hash = facts->ja3_hash;
    // Named like a handshake's fingerprints (SNIFallbackClientNames), fallback clients only.
    if (state->is_fallback()) state->client_name = client_name(state->ja4, state->ja3_hash);
    // The request's vhost decides which classes are fallback clients (there is no handshake).
    state->handshake_classes = server_config(r->server).vhost.effective_clients();
    state->cert_vhost = nullptr;
    // The address httpd uses for the request: mod_remoteip's, when it was told (RemoteIPHeader,
    // or the PROXY protocol from the proxy); the proxy's otherwise.
    state->address_settled = true;
    state->client_ip = r->useragent_ip ? r->useragent_ip : (c->client_ip ? c->client_ip : "");
    apr_sockaddr_t *addr = r->useragent_addr ? r->useragent_addr : c->client_addr;
    state->client_addr = addr;
    state->client_port = addr ? addr->port : 0;
    if (c->client_ip && state->client_ip != c->client_ip) state->peer_ip = c->client_ip;
    request_state(r).proxied = state;
    return state;
}

ConnectionState *proxied_state(const request_rec *r) noexcept {
    const RequestState *decided = find_request_state(r);
    return decided ? decided->proxied : nullptr;
}

}  // namespace snifallback::glue
