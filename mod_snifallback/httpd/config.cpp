// Directives, per-server configuration and its merge.
#include <cstring>
#include <new>

#include "httpd/glue.h"

#include "http_core.h"
#include "apr_strings.h"

#include "core/inventory.h"

namespace snifallback::glue {
namespace {

void destroy_server_config(ServerConfig *config) noexcept { config->~ServerConfig(); }

apr_status_t server_config_cleanup(void *data) {
    destroy_server_config(static_cast<ServerConfig *>(data));
    return APR_SUCCESS;
}

ServerConfig *new_server_config(apr_pool_t *p) {
    void *memory = apr_pcalloc(p, sizeof(ServerConfig));
    auto *config = new (memory) ServerConfig();
    apr_pool_cleanup_register(p, config, server_config_cleanup, apr_pool_cleanup_null);
    return config;
}

template <typename T>
T merged(T base, T add, T unset) {
    return add != unset ? add : base;
}

const char *set_fingerprint(cmd_parms *cmd, void *, const char *arg) {
    if (const char *error = check_scope(cmd, Scope::server_only)) return error;
    ServerConfig *config = server_config(cmd->server);
    if (!strcasecmp(arg, "nosni")) {
        config->fingerprint = FingerprintMode::nosni;
    } else if (!strcasecmp(arg, "all")) {
        config->fingerprint = FingerprintMode::all;
    } else if (!strcasecmp(arg, "off")) {
        config->fingerprint = FingerprintMode::off;
    } else {
        return apr_psprintf(cmd->pool,
                            "%s: unknown value '%s'; supported values are 'nosni' (default), "
                            "'all' and 'off'",
                            cmd->cmd->name, arg);
    }
    return nullptr;
}

const char *set_log_format(cmd_parms *cmd, void *, const char *arg) {
    if (const char *error = check_scope(cmd, Scope::server_only)) return error;
    ServerConfig *config = server_config(cmd->server);
    if (!strcasecmp(arg, "json")) {
        config->log_format = LogFormat::json;
    } else if (!strcasecmp(arg, "logfmt")) {
        config->log_format = LogFormat::logfmt;
    } else {
        return apr_psprintf(cmd->pool,
                            "%s: unknown value '%s'; supported values are 'json' (default) and "
                            "'logfmt'",
                            cmd->cmd->name, arg);
    }
    return nullptr;
}

const char *set_log(cmd_parms *cmd, void *, const char *arg) {
    if (const char *error = check_scope(cmd, Scope::server_only)) return error;
    ServerConfig *config = server_config(cmd->server);
    if (config->log_target.kind != LogTarget::Kind::none) {
        return apr_psprintf(cmd->pool,
                            "%s: given twice ('%s' and '%s'); the module writes one log, use a "
                            "piped logger such as \"|tee ...\" to fan it out",
                            cmd->cmd->name, config->log_target.spec, arg);
    }
    return parse_log_target(cmd->pool, cmd->cmd->name, arg, config->log_target);
}

const char *set_inventory_size(cmd_parms *cmd, void *, const char *arg) {
    if (const char *error = check_scope(cmd, Scope::server_only)) return error;
    char *end = nullptr;
    const long size = strtol(arg, &end, 10);
    if (end == arg || *end != '\0' || size < 1 || size > static_cast<long>(kInventoryMaxCapacity)) {
        return apr_psprintf(cmd->pool, "%s: '%s' is not a number of clients from 1 to %u "
                            "(default %u)", cmd->cmd->name, arg, kInventoryMaxCapacity,
                            kInventoryDefaultCapacity);
    }
    server_config(cmd->server)->inventory_size = static_cast<std::uint32_t>(size);
    return nullptr;
}

}  // namespace

bool startup_summary_wanted() noexcept {
    return ap_state_query(AP_SQ_MAIN_STATE) != AP_SQ_MS_CREATE_PRE_CONFIG;
}

const char *check_scope(cmd_parms *cmd, Scope scope) {
    if (scope == Scope::server_or_vhost_not_directory && cmd->path != nullptr) {
        // Allowed through httpd's own check (ACCESS_CONF) so that this message can say why.
        return apr_psprintf(cmd->pool,
                            "%s cannot occur within <Directory>, <Location> or <Files>: it is "
                            "decided before per-directory configuration exists. Put it in the "
                            "server config or a <VirtualHost>, and express path-specific "
                            "behaviour with SNIFallbackExempt, e.g. SNIFallbackExempt "
                            "\"%%{REQUEST_URI} =~ m#^/api/#\"",
                            cmd->cmd->name);
    }
    unsigned forbidden = scope == Scope::server_only ? GLOBAL_ONLY : NOT_IN_DIR_CONTEXT;
    return ap_check_cmd_context(cmd, forbidden);
}

ServerConfig *server_config(const server_rec *s) noexcept {
    return static_cast<ServerConfig *>(ap_get_module_config(s->module_config, &snifallback_module));
}

FingerprintMode effective_fingerprint(const ServerConfig &config) noexcept {
    return config.fingerprint == FingerprintMode::unset ? FingerprintMode::nosni : config.fingerprint;
}

std::uint32_t effective_inventory_size(const ServerConfig &config) noexcept {
    return config.inventory_size ? config.inventory_size : kInventoryDefaultCapacity;
}

LogFormat effective_log_format(const ServerConfig &config) noexcept {
    return config.log_format == LogFormat::unset ? LogFormat::json : config.log_format;
}

void *create_server_config(apr_pool_t *p, server_rec *) { return new_server_config(p); }

void *merge_server_config(apr_pool_t *p, void *base_ptr, void *add_ptr) {
    const auto *base = static_cast<const ServerConfig *>(base_ptr);
    const auto *add = static_cast<const ServerConfig *>(add_ptr);
    ServerConfig *config = new_server_config(p);
    config->fingerprint = merged(base->fingerprint, add->fingerprint, FingerprintMode::unset);
    config->log_format = merged(base->log_format, add->log_format, LogFormat::unset);
    config->inventory_size = merged(base->inventory_size, add->inventory_size, 0u);
    config->probe_pixel = add->probe_pixel ? add->probe_pixel : base->probe_pixel;
    config->probe_success = add->probe_success ? add->probe_success : base->probe_success;
    config->probe_failure = add->probe_failure ? add->probe_failure : base->probe_failure;
    if (add->fallback_name != nullptr) {
        config->fallback_name = add->fallback_name;
        config->fallback_port = add->fallback_port;
        config->fallback_set_in = add->fallback_set_in;
    } else {
        config->fallback_name = base->fallback_name;
        config->fallback_port = base->fallback_port;
        config->fallback_set_in = base->fallback_set_in;
    }
    merge_actions(*config, *base, *add);
    // Server-config only: a vhost sees the main server's log.
    config->log_target = base->log_target;
    // ssl_ctx is filled per server by mod_ssl's init_server hook after merging; not inherited.
    return config;
}

namespace {
// In C++ httpd's command_rec holds every setter as `cmd_func`, a C-style "any arguments" pointer;
// going through void(*)() is the cast compilers accept as deliberate.
template <typename Setter>
cmd_func as_cmd_func(Setter setter) {
    return reinterpret_cast<cmd_func>(reinterpret_cast<void (*)()>(setter));
}
}  // namespace

#define SNIF_TAKE1(name, fn, where, help) AP_INIT_TAKE1(name, as_cmd_func(fn), nullptr, where, help)

const command_rec directives[] = {
    SNIF_TAKE1("SNIFallbackFingerprint", set_fingerprint, RSRC_CONF,
               "SNIFallbackFingerprint nosni|all|off - which TLS ClientHellos get JA3/JA4 "
               "fingerprints (default nosni: only those without SNI)"),
    SNIF_TAKE1("SNIFallbackCertificate", set_fallback_certificate, RSRC_CONF,
               "SNIFallbackCertificate ServerName[:port] - the SSL vhost whose certificates "
               "handshakes without SNI get on this address (server config or the address's "
               "first vhost)"),
    AP_INIT_TAKE_ARGV("SNIFallbackAction", as_cmd_func(set_action), nullptr,
                      RSRC_CONF | ACCESS_CONF,
                      "SNIFallbackAction none | notice [file] | redirect url-expr [301|302|303|307|"
                      "308] | vhost ServerName - what requests on connections without SNI get"),
    SNIF_TAKE1("SNIFallbackNoticeStatus", set_notice_status, RSRC_CONF | ACCESS_CONF,
               "SNIFallbackNoticeStatus code - HTTP status of the notice page, 400-599 "
               "(default 403)"),
    SNIF_TAKE1("SNIFallbackExempt", set_exempt, RSRC_CONF | ACCESS_CONF,
               "SNIFallbackExempt expression - requests matching this Apache expression are "
               "exempt from SNIFallbackAction (repeatable; any match exempts)"),
    SNIF_TAKE1("SNIFallbackInventorySize", set_inventory_size, RSRC_CONF,
               "SNIFallbackInventorySize N - how many of the most frequent clients without SNI "
               "the shared inventory keeps (default 64)"),
    AP_INIT_TAKE1("SNIFallbackProbePixel", as_cmd_func(set_probe_url),
                  reinterpret_cast<void *>(APR_OFFSETOF(ServerConfig, probe_pixel)), RSRC_CONF,
                  "SNIFallbackProbePixel URL - the SNI-only HTTPS URL of the probe's image "
                  "(a snifallback-probe location's pixel.gif on a host that requires SNI)"),
    AP_INIT_TAKE1("SNIFallbackProbeSuccess", as_cmd_func(set_probe_url),
                  reinterpret_cast<void *>(APR_OFFSETOF(ServerConfig, probe_success)), RSRC_CONF,
                  "SNIFallbackProbeSuccess URL - where the probe sends browsers that can use SNI"),
    AP_INIT_TAKE1("SNIFallbackProbeFailure", as_cmd_func(set_probe_url),
                  reinterpret_cast<void *>(APR_OFFSETOF(ServerConfig, probe_failure)), RSRC_CONF,
                  "SNIFallbackProbeFailure URL - where the probe sends browsers that cannot "
                  "(a notice page that works without SNI)"),
    SNIF_TAKE1("SNIFallbackLog", set_log, RSRC_CONF,
               "SNIFallbackLog path|\"|command\"|syslog[:facility] - where records of clients "
               "without SNI go (path relative to ServerRoot; piped as in CustomLog)"),
    SNIF_TAKE1("SNIFallbackLogFormat", set_log_format, RSRC_CONF,
               "SNIFallbackLogFormat json|logfmt - one JSON object (default) or one logfmt line "
               "per record"),
    {nullptr, nullptr, nullptr, 0, RAW_ARGS, nullptr},
};

}  // namespace snifallback::glue
