// The module's configuration, by scope.
//
// httpd gives the module one record per server_rec (the main server and each <VirtualHost>). The
// record has three parts that differ in where their values come from and who may write them:
//   ModuleSettings  directives of the server config only (log, format, fingerprints, inventory);
//                   every vhost's record carries a copy of the main server's, so any server_rec
//                   reaches them
//   VhostSettings   per-vhost directives, merged: a vhost inherits what it does not set
//   StartupState    filled at start-up by hooks, from the finished configuration (mod_ssl's SSL_CTX,
//                   the counters' slot, resolved names); never set by a directive, never inherited
#pragma once

#include <cstdint>

#include "httpd/module.h"

#include "ap_expr.h"
#include "apr_tables.h"

#include <openssl/ssl.h>

#include "core/action.h"
#include "core/client_class.h"
#include "core/forecast.h"
#include "core/name_index.h"
#include "core/tls_floor.h"
#include "httpd/log_writer.h"

namespace snifallback::glue {

// Which ClientHellos are fingerprinted (SNIFallbackFingerprint).
enum class FingerprintMode { unset, nosni, all, off };

// How records are rendered (SNIFallbackLogFormat).
enum class LogFormat { unset, json, logfmt };

// Where a directive was written, so that start-up messages can point back to it as httpd's own do.
struct DirectiveSource {
    const char *file = nullptr;
    unsigned line = 0;
};

// SNIFallbackProxyHeaders: the request headers in which a trusted proxy that ended TLS passes on
// what the client's ClientHello said. Unset when sni is null.
struct ProxyHeaderNames {
    const char *sni = nullptr;
    const char *has_sni = nullptr;
    const char *ja4 = nullptr;
    const char *ja3 = nullptr;

    bool empty() const noexcept { return sni == nullptr; }
};

struct ModuleSettings {
    FingerprintMode fingerprint = FingerprintMode::unset;
    LogFormat log_format = LogFormat::unset;
    LogTarget log_target;              // SNIFallbackLog; Kind::none when unset
    std::uint32_t inventory_size = 0;  // SNIFallbackInventorySize; 0 = unset
    int server_status = -1;            // SNIFallbackServerStatus on (1) / off (0); -1 = unset (on)
    apr_array_header_t *trusted_proxies = nullptr;  // SNIFallbackTrustedProxy: apr_ipsubnet_t *
    ProxyHeaderNames proxy_headers;                 // SNIFallbackProxyHeaders
    // SNIFallbackClientNames: the files (const char *, ServerRoot-relative resolved), in order;
    // null = unset. The names themselves: client_names_config.h.
    apr_array_header_t *client_names = nullptr;

    FingerprintMode effective_fingerprint() const noexcept;
    bool effective_server_status() const noexcept { return server_status != 0; }
    LogFormat effective_log_format() const noexcept;
    std::uint32_t effective_inventory_size() const noexcept;
};

// SNIFallbackAction as one value: a vhost that sets it replaces all of it, one that does not
// inherits all of it.
struct ActionSetting {
    bool set = false;
    Action kind = Action::none;
    const char *notice_file = nullptr;        // notice: the page's file, ServerRoot-relative resolved
    const char *notice_body = nullptr;        // notice: its content, read at configuration time
    ap_expr_info_t *redirect_url = nullptr;   // redirect: string expression
    const char *redirect_origin = nullptr;    // redirect: its literal scheme://host[:port]
    int redirect_status = 302;
    const char *route_name = nullptr;         // vhost: ServerName or ServerAlias of the target
    DirectiveSource source;
};

// SNIFallbackCertificate: name[:port] of the vhost whose certificates handshakes without SNI get,
// and the server whose configuration said so (a vhost, or the main server for all addresses).
struct FallbackCertificateSetting {
    const char *name = nullptr;
    apr_port_t port = 0;
    const server_rec *set_in = nullptr;
    DirectiveSource source;
};

// SNIFallbackProtocol and SNIFallbackCipherSuite: the TLS profile of fallback handshakes on an
// address; each inherited on its own. set_in: where the latest of them was written.
struct TlsProfileSetting {
    const char *protocol_text = nullptr;  // the directive's words, for messages; null: unset
    std::uint16_t min_version = 0;        // wire versions
    std::uint16_t max_version = 0;
    const char *cipher_suite = nullptr;   // an OpenSSL cipher string; null: unset
    const server_rec *set_in = nullptr;
    DirectiveSource source;

    bool empty() const noexcept { return protocol_text == nullptr && cipher_suite == nullptr; }
};

// SNIFallbackProbePixel, SNIFallbackProbeSuccess, SNIFallbackProbeFailure.
struct ProbeUrls {
    const char *pixel = nullptr;
    const char *success = nullptr;
    const char *failure = nullptr;
};

// SNIFallbackMode: whether a decided action shapes the response, or is only recorded.
enum class EnforcementMode { unset, enforce, report };

struct VhostSettings {
    ClientClassSet clients;                    // SNIFallbackClients; empty = unset (no-sni)
    ActionSetting action;
    EnforcementMode mode = EnforcementMode::unset;  // SNIFallbackMode (default enforce)
    ap_expr_info_t *enforce_if = nullptr;           // SNIFallbackEnforceIf
    int notice_status = 0;                     // SNIFallbackNoticeStatus; 0 = unset (403)
    apr_array_header_t *exemptions = nullptr;  // SNIFallbackExempt: ap_expr_info_t *, base first
    ProbeUrls probe;
    FallbackCertificateSetting fallback_certificate;
    TlsProfileSetting tls_profile;
    // SNIFallbackHealthCheckFrom: apr_ipsubnet_t *; the address's first vhost's applies.
    apr_array_header_t *health_check_from = nullptr;
    DirectiveSource health_check_source;

    int effective_notice_status() const noexcept;
    ClientClassSet effective_clients() const noexcept;
    // Whether decided actions are enforced at all here (SNIFallbackEnforceIf may still say no).
    bool reports_only() const noexcept { return mode == EnforcementMode::report; }
};

struct FallbackCertificate;

struct StartupState {
    SSL_CTX *ssl_ctx = nullptr;       // mod_ssl's context for this server (init_server); null: no TLS
    int stats_slot = -1;              // this server's counters in shared memory
    server_rec *route_target = nullptr;             // SNIFallbackAction vhost, resolved
    const FallbackCertificate *fallback = nullptr;  // on an address's default vhost
    Forecast forecast = Forecast::served;           // what a request without SNI gets (see
    Forecast forecast_without_action = Forecast::served;  // forecast.h), and mod_ssl's part
    const NameIndex *served_names = nullptr;        // on an address's default vhost: the names
                                                    // its vhosts serve, for SNI classification
    const TlsFloor *tls_floor = nullptr;  // what its own TLS settings accept (vhost_floor.h)
};

struct ServerConfig {
    ModuleSettings module;
    VhostSettings vhost;
    StartupState startup;
};

// The record of `s`; never null for a server_rec of a configuration that loaded the module
// (AP_MODULE_FLAG_ALWAYS_MERGE gives every vhost a record of its own, see mod_snifallback.cpp).
ServerConfig &server_config(const server_rec *s) noexcept;

void *create_server_config(apr_pool_t *p, server_rec *s);
void *merge_server_config(apr_pool_t *p, void *base, void *add);

// The one place that checks where a directive may appear, so every setter answers the same way.
enum class Scope { server_only, server_or_vhost, server_or_vhost_not_directory };
const char *check_scope(cmd_parms *cmd, Scope scope);

// Where the directive being read was written.
DirectiveSource directive_source(const cmd_parms *cmd) noexcept;

// The directive table (directives.cpp).
extern const command_rec directives[];

// Start-up summary lines are written once per (re)start: not on httpd's first, pre-flight
// configuration pass at start-up.
bool startup_summary_wanted() noexcept;

}  // namespace snifallback::glue
