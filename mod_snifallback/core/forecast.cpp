#include "core/forecast.h"

#include "core/ascii.h"

namespace snifallback {

std::optional<SniVhostPolicy> parse_sni_vhost_policy(std::string_view word) noexcept {
    if (equal_ignoring_case(word, "strict")) return SniVhostPolicy::strict;
    if (equal_ignoring_case(word, "secure")) return SniVhostPolicy::secure;
    if (equal_ignoring_case(word, "authonly")) return SniVhostPolicy::authonly;
    if (equal_ignoring_case(word, "insecure")) return SniVhostPolicy::insecure;
    return std::nullopt;
}

const char *sni_vhost_policy_name(SniVhostPolicy policy) noexcept {
    switch (policy) {
        case SniVhostPolicy::strict: return "strict";
        case SniVhostPolicy::authonly: return "authonly";
        case SniVhostPolicy::insecure: return "insecure";
        case SniVhostPolicy::secure: break;
    }
    return "secure";
}

const char *forecast_name(Forecast forecast) noexcept {
    switch (forecast) {
        case Forecast::misdirected: return "misdirected";
        case Forecast::forbidden: return "forbidden";
        case Forecast::notice: return "notice";
        case Forecast::redirect: return "redirect";
        case Forecast::vhost: return "vhost";
        case Forecast::tls_floor:
            return "tls-floor";
        case Forecast::served: break;
    }
    return "served";
}

Forecast mod_ssl_forecast(SniVhostPolicy policy, bool strict_sni_check,
                          const VhostComparison &comparison) noexcept {
    if (strict_sni_check) return Forecast::forbidden;
    if (comparison.same_vhost) return Forecast::served;
    bool refused = false;
    switch (policy) {
        case SniVhostPolicy::strict:
            refused = true;
            break;
        case SniVhostPolicy::secure:
            refused = comparison.server_settings_differ || comparison.client_auth_differs;
            break;
        case SniVhostPolicy::authonly:
            refused = comparison.client_auth_differs;
            break;
        case SniVhostPolicy::insecure:
            break;
    }
    if (refused) return Forecast::misdirected;
    // Let through to a vhost that verifies client certificates, the request meets mod_ssl's
    // access check, which asks for a certificate the handshake never negotiated: it renegotiates
    // (TLS 1.2) or needs post-handshake authentication (TLS 1.3), and a client without SNI
    // that offered neither gets 403.
    return comparison.client_auth_differs ? Forecast::forbidden : Forecast::served;
}

Forecast request_forecast(Action action, bool enforced, bool strict_sni_check,
                          Forecast mod_ssl) noexcept {
    if (!enforced) return mod_ssl;
    switch (action) {
        case Action::notice: return Forecast::notice;
        case Action::redirect: return Forecast::redirect;
        // A route passes mod_ssl's request check and leaves the vhost whose access check would
        // want a client certificate; only the strict check's 403 comes first.
        case Action::vhost: return strict_sni_check ? Forecast::forbidden : Forecast::vhost;
        case Action::none: break;
    }
    return mod_ssl;
}

}  // namespace snifallback
