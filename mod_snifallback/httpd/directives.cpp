// The directive table, and the setters of the module-wide directives (server config only). The
// setters of per-vhost directives live with what they configure: action_config.cpp,
// fallback_certificate.cpp, probe_handler.cpp.
#include <cstdlib>
#include <cstring>

#include "httpd/server_config.h"

#include "apr_strings.h"

#include "core/inventory.h"
#include "httpd/action_config.h"
#include "httpd/client_names_config.h"
#include "httpd/fallback_certificate.h"
#include "httpd/health_check.h"
#include "httpd/probe_handler.h"
#include "httpd/proxy_headers.h"
#include "httpd/tls_profile.h"

namespace snifallback::glue {
namespace {

const char *set_fingerprint(cmd_parms *cmd, void *, const char *arg) {
    if (const char *error = check_scope(cmd, Scope::server_only)) return error;
    ModuleSettings &settings = server_config(cmd->server).module;
    if (!strcasecmp(arg, "nosni")) {
        settings.fingerprint = FingerprintMode::nosni;
    } else if (!strcasecmp(arg, "all")) {
        settings.fingerprint = FingerprintMode::all;
    } else if (!strcasecmp(arg, "off")) {
        settings.fingerprint = FingerprintMode::off;
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
    ModuleSettings &settings = server_config(cmd->server).module;
    if (!strcasecmp(arg, "json")) {
        settings.log_format = LogFormat::json;
    } else if (!strcasecmp(arg, "logfmt")) {
        settings.log_format = LogFormat::logfmt;
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
    ModuleSettings &settings = server_config(cmd->server).module;
    if (settings.log_target.kind != LogTarget::Kind::none) {
        return apr_psprintf(cmd->pool,
                            "%s: given twice ('%s' and '%s'); the module writes one log, use a "
                            "piped logger such as \"|tee ...\" to fan it out",
                            cmd->cmd->name, settings.log_target.spec, arg);
    }
    return parse_log_target(cmd->pool, cmd->cmd->name, arg, settings.log_target);
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
    server_config(cmd->server).module.inventory_size = static_cast<std::uint32_t>(size);
    return nullptr;
}

const char *set_server_status(cmd_parms *cmd, void *, int on) {
    if (const char *error = check_scope(cmd, Scope::server_only)) return error;
    server_config(cmd->server).module.server_status = on ? 1 : 0;
    return nullptr;
}

// "no-sni (default), ip-literal and unknown-name": the classes of client_class.h, in order.
const char *class_list(apr_pool_t *p) {
    const char *out = "";
    for (std::size_t i = 0; i < fallback_class_count; ++i) {
        const char *separator = i == 0 ? "" : i + 1 == fallback_class_count ? " and " : ", ";
        out = apr_pstrcat(p, out, separator, fallback_class_descriptions[i].name,
                          i == 0 ? " (default)" : "", nullptr);
    }
    return out;
}

const char *set_clients(cmd_parms *cmd, void *, int argc, char *const argv[]) {
    if (const char *error = check_scope(cmd, Scope::server_or_vhost_not_directory)) return error;
    if (argc < 1) {
        return apr_psprintf(cmd->pool, "%s: name at least one class: %s", cmd->cmd->name,
                            class_list(cmd->pool));
    }
    ClientClassSet classes;
    for (int i = 0; i < argc; ++i) {
        ClientClass c = ClientClass::served;
        if (!parse_client_class(argv[i], c)) {
            return apr_psprintf(cmd->pool, "%s: unknown class '%s'; the classes are %s",
                                cmd->cmd->name, argv[i], class_list(cmd->pool));
        }
        classes = classes.with(c);
    }
    server_config(cmd->server).vhost.clients = classes;
    return nullptr;
}

// httpd's command_rec holds every setter as `cmd_func`, a C-style "any arguments" pointer; going
// through void(*)() is the cast compilers accept as deliberate.
template <typename Setter>
cmd_func as_cmd_func(Setter setter) {
    return reinterpret_cast<cmd_func>(reinterpret_cast<void (*)()>(setter));
}

// The probe URL directives share one setter; cmd->info says which URL it sets.
void *probe_url(ProbeUrl which) {
    return reinterpret_cast<void *>(static_cast<std::uintptr_t>(which));
}

}  // namespace

// " no-sni ip-literal unknown-name": the classes' words, for usage text (a literal).
#define SNIFALLBACK_CLASS_WORD(id, name, key, label) " " name

#define SNIF_TAKE1(name, fn, where, help) AP_INIT_TAKE1(name, as_cmd_func(fn), nullptr, where, help)

// The help text is usage text: httpd appends it to its own argument-count errors.
const command_rec directives[] = {
    SNIF_TAKE1("SNIFallbackFingerprint", set_fingerprint, RSRC_CONF,
               "SNIFallbackFingerprint nosni|all|off - which TLS ClientHellos get JA3/JA4 "
               "fingerprints (default nosni: only those without SNI)"),
    AP_INIT_TAKE_ARGV(
        "SNIFallbackClients", as_cmd_func(set_clients), nullptr, RSRC_CONF | ACCESS_CONF,
        "SNIFallbackClients class... - which clients the module treats as fallback "
        "clients (default no-sni):" SNIFALLBACK_FALLBACK_CLASSES(SNIFALLBACK_CLASS_WORD)),
    SNIF_TAKE1("SNIFallbackCertificate", set_fallback_certificate, RSRC_CONF,
               "SNIFallbackCertificate ServerName[:port] - the SSL vhost whose certificates "
               "handshakes without SNI get on this address (server config or the address's "
               "first vhost)"),
    AP_INIT_TAKE_ARGV("SNIFallbackProtocol", as_cmd_func(set_fallback_protocol), nullptr, RSRC_CONF,
                      "SNIFallbackProtocol [+-]protocol ... - protocols of fallback handshakes, in "
                      "SSLProtocol's syntax (server config or the address's first vhost)"),
    AP_INIT_TAKE12("SNIFallbackCipherSuite", as_cmd_func(set_fallback_cipher_suite), nullptr,
                   RSRC_CONF,
                   "SNIFallbackCipherSuite cipher-string [allow-null-anonymous] - OpenSSL cipher "
                   "string (TLS 1.2 and below, @SECLEVEL=n allowed) of fallback handshakes "
                   "(server config or the address's first vhost)"),
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
    SNIF_TAKE1("SNIFallbackMode", set_mode, RSRC_CONF | ACCESS_CONF,
               "SNIFallbackMode enforce|report - enforce the action (default), or decide and "
               "record it only"),
    SNIF_TAKE1("SNIFallbackEnforceIf", set_enforce_if, RSRC_CONF | ACCESS_CONF,
               "SNIFallbackEnforceIf expression - enforce the action only for requests where this "
               "Apache expression is true; report it for the others"),
    SNIF_TAKE1("SNIFallbackInventorySize", set_inventory_size, RSRC_CONF,
               "SNIFallbackInventorySize N - how many of the most frequent fallback clients "
               "the shared inventory keeps (default 64)"),
    AP_INIT_FLAG("SNIFallbackServerStatus", as_cmd_func(set_server_status), nullptr, RSRC_CONF,
                 "SNIFallbackServerStatus on|off - whether mod_status's /server-status shows the "
                 "module's totals (default on)"),
    AP_INIT_TAKE1("SNIFallbackProbePixel", as_cmd_func(set_probe_url), probe_url(ProbeUrl::pixel),
                  RSRC_CONF,
                  "SNIFallbackProbePixel URL - the SNI-only HTTPS URL of the probe's image "
                  "(a snifallback-probe location's pixel.gif on a host that requires SNI)"),
    AP_INIT_TAKE1("SNIFallbackProbeSuccess", as_cmd_func(set_probe_url),
                  probe_url(ProbeUrl::success), RSRC_CONF,
                  "SNIFallbackProbeSuccess URL - where the probe sends browsers that can use SNI"),
    AP_INIT_TAKE1("SNIFallbackProbeFailure", as_cmd_func(set_probe_url),
                  probe_url(ProbeUrl::failure), RSRC_CONF,
                  "SNIFallbackProbeFailure URL - where the probe sends browsers that cannot "
                  "(a notice page that works without SNI)"),
    AP_INIT_TAKE_ARGV("SNIFallbackHealthCheckFrom", as_cmd_func(set_health_check_from), nullptr,
                      RSRC_CONF,
                      "SNIFallbackHealthCheckFrom address|network... - connections from these "
                      "(after mod_remoteip's PROXY protocol handling) are a load balancer's health "
                      "checks: only counted (server config or the address's first vhost)"),
    AP_INIT_TAKE_ARGV("SNIFallbackTrustedProxy", as_cmd_func(set_trusted_proxy), nullptr, RSRC_CONF,
                      "SNIFallbackTrustedProxy address|network... - proxies that end TLS in front "
                      "of Apache and whose SNIFallbackProxyHeaders are believed (server config)"),
    AP_INIT_TAKE_ARGV("SNIFallbackProxyHeaders", as_cmd_func(set_proxy_headers), nullptr, RSRC_CONF,
                      "SNIFallbackProxyHeaders sni=Header [has-sni=Header] [ja4=Header] "
                      "[ja3=Header] - request headers in which a trusted proxy passes on the "
                      "client's SNI and fingerprints; removed from everyone else's requests"),
    SNIF_TAKE1("SNIFallbackLog", set_log, RSRC_CONF,
               "SNIFallbackLog path|\"|command\"|syslog[:facility] - where records of clients "
               "without SNI go (path relative to ServerRoot; piped as in CustomLog)"),
    SNIF_TAKE1("SNIFallbackLogFormat", set_log_format, RSRC_CONF,
               "SNIFallbackLogFormat json|logfmt - one JSON object (default) or one logfmt line "
               "per record"),
    AP_INIT_TAKE_ARGV("SNIFallbackClientNames", as_cmd_func(set_client_names), nullptr, RSRC_CONF,
                      "SNIFallbackClientNames file... - CSV files in the layout of FoxIO's "
                      "ja4plus-mapping.csv that name clients by JA4 (and JA3); later files win "
                      "(paths relative to ServerRoot)"),
    {nullptr, nullptr, nullptr, 0, RAW_ARGS, nullptr},
};

}  // namespace snifallback::glue
