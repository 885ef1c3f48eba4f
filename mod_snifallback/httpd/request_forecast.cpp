#include "httpd/request_forecast.h"

#include <algorithm>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "http_config.h"
#include "http_core.h"
#include "util_cfgtree.h"
#include "apr_strings.h"

#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "httpd/action_config.h"
#include "httpd/fallback_certificate.h"
#include "httpd/server_config.h"
#include "httpd/vhost_floor.h"
#include "httpd/vhost_lookup.h"

namespace snifallback::glue {
namespace {

// What the configuration says about mod_ssl's request checks.
struct SslChecks {
    SniVhostPolicy policy = SniVhostPolicy::secure;  // mod_ssl's default
    bool strict_in_main = false;
    std::map<const server_rec *, bool> strict_in_vhost;  // where a vhost sets its own

    bool strict_for(const server_rec *s) const {
        const auto found = strict_in_vhost.find(s);
        return found != strict_in_vhost.end() ? found->second : strict_in_main;
    }
};

// A directive's single argument, without quotes.
std::string argument_of(const ap_directive_t *d) {
    std::string arg = d->args ? d->args : "";
    arg.erase(std::remove(arg.begin(), arg.end(), '"'), arg.end());
    const auto first = arg.find_first_not_of(" \t");
    const auto last = arg.find_last_not_of(" \t");
    return first == std::string::npos ? std::string() : arg.substr(first, last - first + 1);
}

bool is_path_section(const char *directive) {
    for (const char *section : {"<Directory", "<DirectoryMatch", "<Location", "<LocationMatch",
                                "<Files", "<FilesMatch", "<If", "<ElseIf", "<Else", "<Limit",
                                "<LimitExcept", "<Proxy", "<ProxyMatch"}) {
        if (!strcasecmp(directive, section)) return true;
    }
    return false;
}

// The configuration tree holds only the directives in effect (false <IfModule> and the like are
// gone), so a walk finds what mod_ssl was given.
void read_checks(const ap_directive_t *d, const server_rec *vhost,
                 const VhostDefinitions &definitions, SslChecks &checks) {
    for (; d != nullptr; d = d->next) {
        if (!strcasecmp(d->directive, "SSLVHostSNIPolicy") && vhost == nullptr) {
            if (const auto policy = parse_sni_vhost_policy(argument_of(d))) checks.policy = *policy;
        } else if (!strcasecmp(d->directive, "SSLStrictSNIVHostCheck")) {
            const bool on = !strcasecmp(argument_of(d).c_str(), "on");
            if (vhost == nullptr) {
                checks.strict_in_main = on;
            } else {
                checks.strict_in_vhost[vhost] = on;
            }
        } else if (!strcasecmp(d->directive, "<VirtualHost")) {
            read_checks(d->first_child, definitions.vhost_of(d), definitions, checks);
        } else if (d->first_child != nullptr && !is_path_section(d->directive)) {
            read_checks(d->first_child, vhost, definitions, checks);
        }
    }
}

SslChecks ssl_checks(server_rec *main_server) {
    SslChecks checks;
    read_checks(ap_conftree, nullptr, VhostDefinitions(main_server), checks);
    return checks;
}

std::vector<std::string> cipher_names(SSL_CTX *ctx) {
    std::vector<std::string> names;
    if (STACK_OF(SSL_CIPHER) *ciphers = SSL_CTX_get_ciphers(ctx)) {
        for (int i = 0; i < sk_SSL_CIPHER_num(ciphers); ++i) {
            names.emplace_back(SSL_CIPHER_get_name(sk_SSL_CIPHER_value(ciphers, i)));
        }
    }
    return names;
}

bool same_certificates(SSL_CTX *a, SSL_CTX *b) {
    const std::vector<X509 *> x = server_certificates(a);
    const std::vector<X509 *> y = server_certificates(b);
    return std::is_permutation(x.begin(), x.end(), y.begin(), y.end(),
                               [](X509 *p, X509 *q) { return X509_cmp(p, q) == 0; });
}

bool same_client_ca_names(SSL_CTX *a, SSL_CTX *b) {
    STACK_OF(X509_NAME) *x = SSL_CTX_get_client_CA_list(a);
    STACK_OF(X509_NAME) *y = SSL_CTX_get_client_CA_list(b);
    const int n = x ? sk_X509_NAME_num(x) : 0;
    if (n != (y ? sk_X509_NAME_num(y) : 0)) return false;
    for (int i = 0; i < n; ++i) {
        if (X509_NAME_cmp(sk_X509_NAME_value(x, i), sk_X509_NAME_value(y, i)) != 0) return false;
    }
    return true;
}

// The request's vhost against the handshake's, in the terms mod_ssl's policy uses.
VhostComparison compare(SSL_CTX *handshake, SSL_CTX *request) {
    VhostComparison comparison;
    comparison.server_settings_differ =
        !same_certificates(handshake, request) ||
        SSL_CTX_get_min_proto_version(handshake) != SSL_CTX_get_min_proto_version(request) ||
        SSL_CTX_get_max_proto_version(handshake) != SSL_CTX_get_max_proto_version(request) ||
        cipher_names(handshake) != cipher_names(request);
    comparison.client_auth_differs =
        SSL_CTX_get_verify_mode(handshake) != SSL_CTX_get_verify_mode(request) ||
        SSL_CTX_get_verify_depth(handshake) != SSL_CTX_get_verify_depth(request) ||
        !same_client_ca_names(handshake, request);
    return comparison;
}

const char *why(apr_pool_t *p, Forecast mod_ssl, const VhostComparison &comparison,
                const SslChecks &checks, const server_rec *handshake) {
    switch (mod_ssl) {
        case Forecast::forbidden:
            return "SSLStrictSNIVHostCheck on";
        case Forecast::misdirected:
            return apr_psprintf(
                p, "SSLVHostSNIPolicy %s: %s %s's", sni_vhost_policy_name(checks.policy),
                comparison.client_auth_differs ? "its client verification differs from"
                : comparison.server_settings_differ
                    ? "its certificate, protocols or ciphers differ from"
                    : "it is another vhost than",
                handshake->server_hostname);
        default:
            return "mod_ssl lets it through";
    }
}

// Fills the forecast of one vhost of an address and says it (info).
Forecast forecast_vhost(apr_pool_t *p, server_rec *s, server_rec *handshake,
                        const SslChecks &checks) {
    ServerConfig &config = server_config(s);
    const VhostComparison comparison =
        s == handshake ? VhostComparison{true, false, false}
                       : compare(server_config(handshake).startup.ssl_ctx, config.startup.ssl_ctx);
    const bool strict = checks.strict_for(s) || checks.strict_for(handshake);
    const Forecast mod_ssl = mod_ssl_forecast(checks.policy, strict, comparison);
    const VhostSettings &settings = config.vhost;
    const bool acts = settings.action.kind != Action::none &&
                      settings.effective_clients().contains(ClientClass::no_sni);
    config.startup.forecast_without_action = mod_ssl;
    config.startup.forecast =
        request_forecast(settings.action.kind, acts && !settings.reports_only(), strict, mod_ssl);
    // Where a request would be served, the fallback profile may have let in TLS that vhost's own
    // settings refuse: such requests get 421 (or its notice or redirect) instead (vhost_floor.h).
    const Forecast served = config.startup.forecast;
    const server_rec *destination = served == Forecast::vhost ? config.startup.route_target : s;
    if ((served == Forecast::served || served == Forecast::vhost) && destination != nullptr &&
        profile_may_reach_below(handshake, destination)) {
        config.startup.forecast = Forecast::tls_floor;
    }
    if (startup_summary_wanted()) {
        const char *how = !acts                          ? ""
                          : settings.reports_only()      ? " (SNIFallbackMode report: reported only)"
                          : settings.enforce_if != nullptr ? " (when SNIFallbackEnforceIf holds)"
                                                           : "";
        const int exemptions = settings.exemptions ? settings.exemptions->nelts : 0;
        ap_log_error(APLOG_MARK, APLOG_INFO, 0, s,
                     "SNIF0035: requests without SNI for %s (%s) get: %s; action %s%s; without it "
                     "%s (%s); %d SNIFallbackExempt expression(s), IP-literal Hosts exempt",
                     s->server_hostname ? s->server_hostname : "?", address_text(p, s),
                     forecast_name(config.startup.forecast), describe_action(p, settings), how,
                     forecast_name(mod_ssl), why(p, mod_ssl, comparison, checks, handshake),
                     exemptions);
    }
    return config.startup.forecast;
}

void warn_misdirected(apr_pool_t *p, server_rec *handshake, const SslChecks &checks,
                      const std::vector<const char *> &misdirected) {
    constexpr std::size_t names_listed = 5;
    if (misdirected.empty() || !startup_summary_wanted()) return;
    std::string listed;
    for (std::size_t i = 0; i < misdirected.size() && i < names_listed; ++i) {
        listed += (i ? ", " : "") + std::string(misdirected[i]);
    }
    if (misdirected.size() > names_listed) {
        listed += apr_psprintf(p, " and %" APR_SIZE_T_FMT " more", misdirected.size() - names_listed);
    }
    ap_log_error(APLOG_MARK, APLOG_WARNING, 0, handshake,
                 "SNIF0036: on %s, requests without SNI for %" APR_SIZE_T_FMT " vhost(s) get 421 "
                 "Misdirected Request from mod_ssl (SSLVHostSNIPolicy %s): %s; give them an "
                 "SNIFallbackAction, or see \"Retiring old clients\" in the module's README",
                 address_text(p, handshake), misdirected.size(), sni_vhost_policy_name(checks.policy),
                 listed.c_str());
}

}  // namespace

int forecast_requests(apr_pool_t *p, server_rec *main_server, const VhostAddresses &addresses) {
    const SslChecks checks = ssl_checks(main_server);
    for (const AddressGroup &group : addresses.groups()) {
        server_rec *handshake = group.default_vhost;
        if (server_config(handshake).startup.ssl_ctx == nullptr) continue;
        std::vector<const char *> misdirected;
        for (server_rec *s : group.vhosts) {
            if (server_config(s).startup.ssl_ctx == nullptr) continue;
            if (forecast_vhost(p, s, handshake, checks) == Forecast::misdirected) {
                misdirected.push_back(s->server_hostname ? s->server_hostname : "?");
            }
        }
        warn_misdirected(p, handshake, checks, misdirected);
    }
    return OK;
}

}  // namespace snifallback::glue
