// Shared declarations of the httpd glue: the module record, per-server configuration and the
// per-connection state that the OpenSSL callbacks fill and the request hook reads.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "httpd.h"
#include "http_config.h"
#include "http_log.h"
#include "apr_pools.h"

#include <openssl/ssl.h>

#include "ap_expr.h"

#include "core/action.h"
#include "core/client_hello.h"
#include "httpd/log_writer.h"

extern "C" module AP_MODULE_DECLARE_DATA snifallback_module;

#ifdef APLOG_USE_MODULE
APLOG_USE_MODULE(snifallback);
#endif

namespace snifallback::glue {

// Which ClientHellos are fingerprinted (SNIFallbackFingerprint).
enum class FingerprintMode { unset, nosni, all, off };

// How records are rendered (SNIFallbackLogFormat).
enum class LogFormat { unset, json, logfmt };

struct FallbackCertificate;

// Per-server (main server and each <VirtualHost>) configuration. Fields start "unset" so that a
// vhost inherits what it does not set (one defaults table: effective_* below).
struct ServerConfig {
    FingerprintMode fingerprint = FingerprintMode::unset;
    LogFormat log_format = LogFormat::unset;
    LogTarget log_target;  // SNIFallbackLog (main server only); Kind::none when unset
    // SNIFallbackCertificate: name[:port] of the vhost whose certificates no-SNI handshakes get,
    // and the server whose configuration said so (a vhost, or the main server for all addresses).
    const char *fallback_name = nullptr;
    apr_port_t fallback_port = 0;
    const server_rec *fallback_set_in = nullptr;

    // SNIFallbackAction, set as a whole (a vhost that sets it replaces every part):
    bool action_set = false;
    Action action = Action::none;
    const char *notice_file = nullptr;     // notice: the page's file, ServerRoot-relative resolved
    const char *notice_body = nullptr;     // notice: its content, read at configuration time
    ap_expr_info_t *redirect_url = nullptr;  // redirect: string expression
    const char *redirect_origin = nullptr;   // redirect: its literal scheme://host[:port]
    int redirect_status = 302;
    const char *route_name = nullptr;      // vhost: ServerName or ServerAlias of the target
    int notice_status = 0;                 // SNIFallbackNoticeStatus; 0 = unset (403)
    apr_array_header_t *exemptions = nullptr;  // SNIFallbackExempt: ap_expr_info_t *, base first
    std::uint32_t inventory_size = 0;      // SNIFallbackInventorySize (main server); 0 = unset
    const char *probe_pixel = nullptr;     // SNIFallbackProbePixel: SNI-only HTTPS image URL
    const char *probe_success = nullptr;   // SNIFallbackProbeSuccess
    const char *probe_failure = nullptr;   // SNIFallbackProbeFailure

    // Filled at start-up, not by directives:
    server_rec *route_target = nullptr;  // vhost action: the resolved target (check_config)
    int stats_slot = -1;                 // this server's counters in shared memory
    SSL_CTX *ssl_ctx = nullptr;  // mod_ssl's context for this server (init_server); null: no TLS
    const FallbackCertificate *fallback = nullptr;  // on an address's default vhost (post_config)
};

ServerConfig *server_config(const server_rec *s) noexcept;
FingerprintMode effective_fingerprint(const ServerConfig &config) noexcept;
LogFormat effective_log_format(const ServerConfig &config) noexcept;
std::uint32_t effective_inventory_size(const ServerConfig &config) noexcept;

// What the module learned about one inbound TLS connection. Lives in the connection's pool; its
// destructor runs from a pool cleanup.
struct ConnectionState {
    enum class Sni : std::uint8_t { unknown, present, absent };

    conn_rec *connection = nullptr;
    FingerprintMode fingerprint = FingerprintMode::nosni;
    bool hello_seen = false;
    Sni sni = Sni::unknown;
    ParseError parse_error = ParseError::ok;
    std::uint16_t offered_max_version = 0;
    std::vector<std::string> offered_alpn;
    std::string ja3;  // JA3 text, empty unless fingerprinted
    std::string ja3_hash;
    std::string ja4;

    // Handshake progress, seen through the message callback only. The SSL itself is never kept:
    // mod_ssl frees it whenever it gives up on a connection (plain HTTP on the TLS port, errors),
    // so it is only touched inside OpenSSL's callbacks, where it is certainly alive.
    bool client_finished = false;  // read the client's Finished
    bool server_finished = false;  // wrote our Finished
    bool handshake_logged = false; // the one handshake record of the connection is written
    bool inventory_recorded = false;  // this connection was counted in the client inventory
    std::string outcome;           // "established", "alert:<name>", "closed"
    std::string tls_version;       // negotiated, once established
    int tls_version_number = 0;    // the same as OpenSSL's SSL_version()
    std::string cipher;
    std::string rendered_connection;   // the record fields above, rendered with the handshake record
    const char *cert_vhost = nullptr;  // ServerName whose certificate was served
    const FallbackCertificate *fallback = nullptr;  // SNIFallbackCertificate of this address
};

// The state of a connection, following an HTTP/2 secondary connection to its master; null for
// connections the module does not observe (plain HTTP, proxy, TLS handled by another module).
ConnectionState *connection_state(conn_rec *c) noexcept;

// True when the connection's ClientHello had no SNI. A hello our parser refused counts once
// OpenSSL completed the handshake and said so (note_established); no hello at all never counts.
bool connection_lacks_sni(const ConnectionState &state) noexcept;

// Writes the connection's handshake record now (outcome already set); a no-op unless the
// connection had no SNI, a log is configured and no record was written yet.
void log_handshake(ConnectionState &state) noexcept;
// Writes one request record for a request of a no-SNI connection.
void log_request(request_rec *r, ConnectionState &state) noexcept;
// Writes a probe record: what the browser SNI probe reported.
void log_probe(request_rec *r, const char *result, const char *page) noexcept;
// SetHandler snifallback-probe (probe.cpp) and its directives.
int probe_handler(request_rec *r);
const char *set_probe_url(cmd_parms *cmd, void *, const char *arg);
// Opens SNIFallbackLog in the parent (open_logs hook).
int open_nosni_log(apr_pool_t *pconf, server_rec *s);

// Start-up summary lines are written once per (re)start: not on httpd's first, pre-flight
// configuration pass at start-up.
bool startup_summary_wanted() noexcept;

// The one place that checks where a directive may appear, so every setter answers the same way.
enum class Scope { server_only, server_or_vhost, server_or_vhost_not_directory };
const char *check_scope(cmd_parms *cmd, Scope scope);

// SNIFallbackAction, SNIFallbackNoticeStatus, SNIFallbackExempt (actions.cpp).
const char *set_action(cmd_parms *cmd, void *, int argc, char *const argv[]);
const char *set_notice_status(cmd_parms *cmd, void *, const char *arg);
const char *set_exempt(cmd_parms *cmd, void *, const char *arg);
void merge_actions(ServerConfig &config, const ServerConfig &base, const ServerConfig &add);
int check_actions(apr_pool_t *p, server_rec *main_server);    // check_config
int verify_routes(apr_pool_t *p, server_rec *main_server);    // post_config, after mod_ssl
int apply_action(request_rec *r, ConnectionState &state);     // before mod_ssl's request hook
int finish_route(request_rec *r);                             // after mod_ssl's request hook

// SNIFallbackCertificate (certificate.cpp): the directive, its start-up checks, and the
// per-connection parts called from the handshake hooks.
const char *set_fallback_certificate(cmd_parms *cmd, void *, const char *arg);
int check_fallback_certificates(apr_pool_t *p, server_rec *main_server);  // check_config
int resolve_fallback_certificates(apr_pool_t *p, server_rec *main_server);  // post_config
void attach_fallback_certificate(ConnectionState &state, SSL *ssl);  // pre_handshake
void isolate_no_sni_sessions(ConnectionState &state, SSL *ssl);     // at a no-SNI ClientHello

void register_handshake_hooks(apr_pool_t *p);
void register_request_hooks(apr_pool_t *p);
extern const command_rec directives[];
void *create_server_config(apr_pool_t *p, server_rec *s);
void *merge_server_config(apr_pool_t *p, void *base, void *add);

}  // namespace snifallback::glue
