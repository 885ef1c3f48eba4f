// What a request of a client without SNI gets for a vhost, foreseen at start-up from the
// configuration: the module's action, or else what mod_ssl's request checks answer.
//
// mod_ssl (httpd 2.4.64 and later) checks a request against the vhost its handshake ran under
// (for a client without SNI: the address's first vhost). Under SSLStrictSNIVHostCheck on (in
// either vhost) it refuses every request without SNI with 403. Otherwise SSLVHostSNIPolicy
// decides, when the request's vhost is another one:
//   strict    every other vhost: 421
//   secure    (the default) 421 when the server certificate/key, protocols or ciphers differ, or
//             the client verification settings differ
//   authonly  421 only when the client verification settings differ
//   insecure  never 421
// A request let through to a vhost that verifies client certificates then meets mod_ssl's access
// check, which wants a certificate the handshake never asked for: 403 for a client that cannot
// renegotiate or authenticate after the handshake, which is what clients without SNI do.
#pragma once

#include <optional>
#include <string_view>

#include "core/action.h"

namespace snifallback {

enum class SniVhostPolicy { strict, secure, authonly, insecure };

// The policy a directive argument names (any case); nullopt for anything else.
std::optional<SniVhostPolicy> parse_sni_vhost_policy(std::string_view word) noexcept;
// "strict", "secure", "authonly", "insecure".
const char *sni_vhost_policy_name(SniVhostPolicy policy) noexcept;

// How the request's vhost compares with the vhost the handshake ran under.
struct VhostComparison {
    bool same_vhost = false;
    bool server_settings_differ = false;  // certificate/key, protocols, ciphers
    bool client_auth_differs = false;     // client certificate verification
};

// tls_floor: served, but only over TLS the vhost's own settings accept; a connection the fallback
// profile let in below them gets the vhost's notice or redirect, else 421 (tls_floor.h).
enum class Forecast { served, misdirected, forbidden, notice, redirect, vhost, tls_floor };

// "served", "misdirected", "forbidden", "notice", "redirect", "vhost", "tls-floor".
const char *forecast_name(Forecast forecast) noexcept;

// What mod_ssl's checks do with a request without SNI.
Forecast mod_ssl_forecast(SniVhostPolicy policy, bool strict_sni_check,
                          const VhostComparison &comparison) noexcept;

// What the request gets: the action when the module enforces one (notice and redirect answer
// before mod_ssl; a vhost route passes mod_ssl's 421 check but not its strict 403), else what
// mod_ssl does.
Forecast request_forecast(Action action, bool enforced, bool strict_sni_check,
                          Forecast mod_ssl) noexcept;

}  // namespace snifallback
