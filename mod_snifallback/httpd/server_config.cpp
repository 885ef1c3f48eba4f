#include "httpd/server_config.h"

#include <new>

#include "http_core.h"
#include "http_main.h"
#include "apr_strings.h"

#include "core/inventory.h"

namespace snifallback::glue {
namespace {

constexpr int default_notice_status = 403;

apr_status_t destroy_server_config(void *data) {
    static_cast<ServerConfig *>(data)->~ServerConfig();
    return APR_SUCCESS;
}

ServerConfig *new_server_config(apr_pool_t *p) {
    void *memory = apr_pcalloc(p, sizeof(ServerConfig));
    auto *config = new (memory) ServerConfig();
    apr_pool_cleanup_register(p, config, destroy_server_config, apr_pool_cleanup_null);
    return config;
}

template <typename T>
T merged(T base, T add, T unset) {
    return add != unset ? add : base;
}

const char *merged(const char *base, const char *add) { return add != nullptr ? add : base; }

TlsProfileSetting merge_profile(const TlsProfileSetting &base, const TlsProfileSetting &add) {
    if (add.empty()) return base;
    TlsProfileSetting out = add;
    if (add.protocol_text == nullptr) {
        out.protocol_text = base.protocol_text;
        out.min_version = base.min_version;
        out.max_version = base.max_version;
    }
    if (add.cipher_suite == nullptr) out.cipher_suite = base.cipher_suite;
    return out;
}

VhostSettings merge_vhost(apr_pool_t *p, const VhostSettings &base, const VhostSettings &add) {
    VhostSettings out;
    out.clients = add.clients.empty() ? base.clients : add.clients;
    out.action = add.action.set ? add.action : base.action;
    out.mode = merged(base.mode, add.mode, EnforcementMode::unset);
    out.enforce_if = add.enforce_if != nullptr ? add.enforce_if : base.enforce_if;
    out.notice_status = merged(base.notice_status, add.notice_status, 0);
    // Exemptions add up: the server config's apply in every vhost, a vhost adds its own.
    if (base.exemptions != nullptr && add.exemptions != nullptr) {
        out.exemptions = apr_array_append(p, base.exemptions, add.exemptions);
    } else {
        out.exemptions = add.exemptions != nullptr ? add.exemptions : base.exemptions;
    }
    out.probe.pixel = merged(base.probe.pixel, add.probe.pixel);
    out.probe.success = merged(base.probe.success, add.probe.success);
    out.probe.failure = merged(base.probe.failure, add.probe.failure);
    out.fallback_certificate = add.fallback_certificate.name != nullptr
                                   ? add.fallback_certificate
                                   : base.fallback_certificate;
    out.tls_profile = merge_profile(base.tls_profile, add.tls_profile);
    out.health_check_from = add.health_check_from ? add.health_check_from : base.health_check_from;
    out.health_check_source =
        add.health_check_from ? add.health_check_source : base.health_check_source;
    return out;
}

}  // namespace

FingerprintMode ModuleSettings::effective_fingerprint() const noexcept {
    return merged(FingerprintMode::nosni, fingerprint, FingerprintMode::unset);
}

LogFormat ModuleSettings::effective_log_format() const noexcept {
    return merged(LogFormat::json, log_format, LogFormat::unset);
}

std::uint32_t ModuleSettings::effective_inventory_size() const noexcept {
    return merged(kInventoryDefaultCapacity, inventory_size, 0u);
}

int VhostSettings::effective_notice_status() const noexcept {
    return merged(default_notice_status, notice_status, 0);
}

ClientClassSet VhostSettings::effective_clients() const noexcept {
    return clients.empty() ? ClientClassSet::of(ClientClass::no_sni) : clients;
}

ServerConfig &server_config(const server_rec *s) noexcept {
    return *static_cast<ServerConfig *>(ap_get_module_config(s->module_config, &snifallback_module));
}

void *create_server_config(apr_pool_t *p, server_rec *) { return new_server_config(p); }

void *merge_server_config(apr_pool_t *p, void *base_ptr, void *add_ptr) {
    const auto &base = *static_cast<const ServerConfig *>(base_ptr);
    const auto &add = *static_cast<const ServerConfig *>(add_ptr);
    ServerConfig *config = new_server_config(p);
    config->module = base.module;  // server config only: a vhost cannot set these
    config->vhost = merge_vhost(p, base.vhost, add.vhost);
    // config->startup stays empty: it is filled per server at start-up, never inherited.
    return config;
}

const char *check_scope(cmd_parms *cmd, Scope scope) {
    if (scope == Scope::server_or_vhost_not_directory && cmd->path != nullptr &&
        !strcasecmp(cmd->cmd->name, "SNIFallbackExempt")) {
        return apr_psprintf(cmd->pool,
                            "%s cannot occur within <Directory>, <Location> or <Files>: it is "
                            "decided before per-directory configuration exists. Put it in the "
                            "server config or a <VirtualHost> and name the path in its "
                            "expression, e.g. %s \"%%{REQUEST_URI} =~ m#^/api/#\"",
                            cmd->cmd->name, cmd->cmd->name);
    }
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
    const unsigned forbidden = scope == Scope::server_only ? GLOBAL_ONLY : NOT_IN_DIR_CONTEXT;
    return ap_check_cmd_context(cmd, forbidden);
}

DirectiveSource directive_source(const cmd_parms *cmd) noexcept {
    DirectiveSource source;
    if (cmd->directive != nullptr) {
        source.file = cmd->directive->filename;
        source.line = static_cast<unsigned>(cmd->directive->line_num);
    }
    return source;
}

bool startup_summary_wanted() noexcept {
    return ap_state_query(AP_SQ_MAIN_STATE) != AP_SQ_MS_CREATE_PRE_CONFIG;
}

}  // namespace snifallback::glue
