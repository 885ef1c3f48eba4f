// The module record, and every hook the module registers, in the order httpd runs them. Each hook
// goes through the wrapper of its kind (hook_guard.h), which says what a failure means there.
#include "httpd/module.h"

#include <cstring>

#include "http_connection.h"
#include "http_protocol.h"
#include "http_request.h"
#include "mod_ssl_openssl.h"
#include "mod_status.h"

#include "core/version.h"
#include "httpd/action_config.h"
#include "httpd/client_address.h"
#include "httpd/client_names_config.h"
#include "httpd/fallback_certificate.h"
#include "httpd/handshake_observer.h"
#include "httpd/health_check.h"
#include "httpd/hook_guard.h"
#include "httpd/nosni_log.h"
#include "httpd/probe_handler.h"
#include "httpd/proxy_headers.h"
#include "httpd/request_action.h"
#include "httpd/request_forecast.h"
#include "httpd/server_config.h"
#include "httpd/shared_stats.h"
#include "httpd/status_handler.h"
#include "httpd/vhost_floor.h"
#include "httpd/tls_profile.h"
#include "httpd/vhost_lookup.h"

namespace snifallback::glue {
namespace {

// check_config (also run by `apachectl -t`): every name the configuration mentions exists and
// each directive sits where it has an effect. Both checks run, so one test shows every mistake.
int check_configuration(apr_pool_t *pconf, apr_pool_t *, apr_pool_t *, server_rec *s) {
    const int results[] = {check_fallback_certificates(pconf, s), check_action_targets(pconf, s),
                           check_tls_profiles(pconf, s), check_probe_locations(pconf, s),
                           check_health_check_placement(pconf, s),
                           load_client_names(pconf, s)};
    for (const int result : results) {
        if (result != OK) return result;
    }
    return OK;
}

// A module that can see nothing says so once per (re)start, naming what is missing.
void warn_when_blind(server_rec *main_server) {
    if (ap_find_linked_module("mod_ssl.c") == nullptr) {
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, main_server,
                     "SNIF0006: mod_ssl is not loaded, so mod_snifallback sees no TLS handshake "
                     "and does nothing; load it (a2enmod ssl) before this module");
        return;
    }
    for (server_rec *s = main_server; s; s = s->next) {
        if (server_config(s).startup.ssl_ctx != nullptr) return;
    }
    ap_log_error(APLOG_MARK, APLOG_WARNING, 0, main_server,
                 "SNIF0007: no virtual host has SSLEngine on, so mod_snifallback sees no TLS "
                 "handshake and does nothing; enable an HTTPS site (on Debian: a2ensite "
                 "default-ssl)");
}

// post_config, after mod_ssl's: the SSL_CTXs exist now.
int finish_configuration(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp, server_rec *s) {
    if (startup_summary_wanted()) {
        ap_log_error(APLOG_MARK, APLOG_INFO, 0, s,
                     "SNIF0005: mod_snifallback/" SNIFALLBACK_VERSION " (built with %s, running "
                     "with %s)",
                     OPENSSL_VERSION_TEXT, OpenSSL_version(OPENSSL_VERSION));
        warn_when_blind(s);
        log_client_names(s);
    }
    find_remoteip_filter();
    warn_about_proxy_settings(s);
    const VhostAddresses addresses(s);
    index_served_names(pconf, s, addresses);
    int result = resolve_fallback_certificates(pconf, s, addresses);
    if (result == OK) result = verify_action_targets(pconf, s);
    if (result == OK) result = report_tls_profiles(pconf, s, addresses);
    if (result == OK) result = build_tls_floors(pconf, s);
    if (result == OK) result = forecast_requests(pconf, s, addresses);
    if (result == OK) result = stats_post_config(pconf, plog, ptemp, s);
    return result;
}

// One handler hook for the module's two handlers: every other request pays one comparison.
int handle(request_rec *r) {
    constexpr char prefix[] = "snifallback-";
    if (r->handler == nullptr || strncmp(r->handler, prefix, sizeof prefix - 1) != 0) {
        return DECLINED;
    }
    if (!strcmp(r->handler, status_handler_name)) return serve_status(r);
    if (!strcmp(r->handler, probe_handler_name)) return serve_probe(r);
    return DECLINED;
}

void register_hooks(apr_pool_t *) {
    static const char *const ssl[] = {"mod_ssl.c", nullptr};
    static const char *const remoteip[] = {"mod_remoteip.c", nullptr};

    // pre_config: the inventory's mutex type must be known before `Mutex` directives are read.
    ap_hook_pre_config(configuration_hook<stats_pre_config>, nullptr, nullptr, APR_HOOK_MIDDLE);
    // check_config: runs under `apachectl -t` too, so bad names fail the configuration test.
    ap_hook_check_config(configuration_hook<check_configuration>, nullptr, nullptr,
                         APR_HOOK_MIDDLE);
    // open_logs: SNIFallbackLog is opened by the parent, like CustomLog, and inherited.
    ap_hook_open_logs(configuration_hook<open_nosni_log>, nullptr, nullptr, APR_HOOK_MIDDLE);
    // mod_ssl's init_server, run from mod_ssl's post_config for each vhost: its SSL_CTX.
    APR_OPTIONAL_HOOK(ssl, init_server, configuration_hook<remember_ssl_context>, nullptr, nullptr,
                      APR_HOOK_MIDDLE);
    // post_config after mod_ssl's: certificates and verify modes are only known once mod_ssl has
    // built the SSL_CTXs.
    ap_hook_post_config(configuration_hook<finish_configuration>, ssl, nullptr, APR_HOOK_MIDDLE);
    // child_init: each child attaches to the inventory's mutex.
    ap_hook_child_init(child_hook<stats_child_init>, nullptr, nullptr, APR_HOOK_MIDDLE);
    // pre_connection after mod_remoteip's: only then is its PROXY protocol filter in place, and the
    // module watches the header it reads (client_address.h).
    register_client_address_filter();
    ap_hook_pre_connection(connection_hook<watch_proxy_header>, remoteip, nullptr,
                           APR_HOOK_MIDDLE);
    // mod_ssl's pre_handshake, right after SSL_new() for each inbound connection: the only point
    // before the ClientHello is read. Optional hooks exist only when mod_ssl is loaded.
    APR_OPTIONAL_HOOK(ssl, pre_handshake, connection_hook<observe_handshake>, nullptr, nullptr,
                      APR_HOOK_MIDDLE);
    // post_read_request before any other module's: a client's copies of SNIFallbackProxyHeaders
    // go before mod_setenvif, mod_rewrite or anything else can act on them.
    ap_hook_post_read_request(request_hook<remove_untrusted_proxy_headers>, nullptr, nullptr,
                              APR_HOOK_REALLY_FIRST);
    // post_read_request before mod_ssl's: mod_ssl answers SSLStrictSNIVHostCheck's 403 and
    // SSLVHostSNIPolicy's 421 there, and the module's notice and redirect must answer first.
    ap_hook_post_read_request(request_hook<decide_request>, nullptr, ssl, APR_HOOK_MIDDLE);
    // post_read_request after mod_ssl's: a `vhost` route moves the request only once mod_ssl has
    // checked it against the handshake's vhost.
    ap_hook_post_read_request(request_hook<finish_route>, ssl, nullptr, APR_HOOK_MIDDLE);
    // handler: snifallback-status and snifallback-probe.
    ap_hook_handler(request_hook<handle>, nullptr, nullptr, APR_HOOK_MIDDLE);
    // log_transaction: the request record carries the final status, known only now.
    ap_hook_log_transaction(request_hook<record_request>, nullptr, nullptr, APR_HOOK_MIDDLE);
    // mod_status's status_hook: the module's lines on /server-status.
    APR_OPTIONAL_HOOK(ap, status_hook, request_hook<add_status_section>, nullptr, nullptr,
                      APR_HOOK_MIDDLE);
}

}  // namespace
}  // namespace snifallback::glue

// The module needs httpd 2.4.51 or later (ap_unescape_url_ex, see request_action.cpp), built
// against OpenSSL 1.1.1 or later.
//
// AP_MODULE_FLAG_ALWAYS_MERGE (httpd 2.4.30 and later): httpd creates a
// per-server record only for vhosts that use one of the module's directives; every other vhost
// would share the main server's record. The module keeps per-vhost start-up state in that record
// (mod_ssl's SSL_CTX, the counters' slot, the fallback certificate), so without the flag every
// vhost without a directive of the module would overwrite the main server's state with its own,
// and requests would be counted, routed and given certificates for the wrong vhost. With it,
// every vhost gets its own merged record.
extern "C" {
module AP_MODULE_DECLARE_DATA snifallback_module = {
    STANDARD20_MODULE_STUFF,
    nullptr,                                    // per-directory config: the module has none
    nullptr,                                    // merge per-directory config
    snifallback::glue::create_server_config,    // per-server config
    snifallback::glue::merge_server_config,     // merge per-server config
    snifallback::glue::directives,              // directives
    snifallback::glue::register_hooks,
    AP_MODULE_FLAG_ALWAYS_MERGE,
};
}
