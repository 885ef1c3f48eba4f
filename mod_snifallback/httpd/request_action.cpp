#include "httpd/request_action.h"

#include <string>

#include "http_core.h"
#include "http_protocol.h"
#include "http_request.h"
#include "apr_strings.h"

#include "core/action.h"
#include "httpd/connection_state.h"
#include "httpd/proxy_headers.h"
#include "httpd/request_state.h"
#include "httpd/server_config.h"
#include "httpd/vhost_floor.h"

namespace snifallback::glue {
namespace {

// The path as httpd will serve it, from the request's path as sent: dot segments removed, slashes
// merged (MergeSlashes), unreserved characters decoded, then the rest unescaped as
// AllowEncodedSlashes says, as httpd does before it maps a request; null when httpd will refuse
// the path (above the root, a bad escape, %2F where it is not allowed). The module's hook runs
// before that normalisation, and its expressions must see what will be served: an exemption for
// "^/.well-known/acme-challenge/" must not match "/.well-known/acme-challenge/../../index.html".
char *served_path(request_rec *r) {
    if (r->parsed_uri.path == nullptr) return nullptr;
    char *path = apr_pstrdup(r->pool, r->parsed_uri.path);
    const auto *server = static_cast<const core_server_config *>(
        ap_get_core_module_config(r->server->module_config));
    unsigned int normalize = AP_NORMALIZE_NOT_ABOVE_ROOT;
    if (server->merge_slashes != AP_CORE_CONFIG_OFF) normalize |= AP_NORMALIZE_MERGE_SLASHES;
    if (!ap_normalize_path(path, normalize | AP_NORMALIZE_DECODE_UNRESERVED)) return nullptr;
    const auto *dir =
        static_cast<const core_dir_config *>(ap_get_core_module_config(r->per_dir_config));
    unsigned int unescape = AP_UNESCAPE_URL_KEEP_UNRESERVED;
    if (!dir->allow_encoded_slashes) {
        unescape |= AP_UNESCAPE_URL_FORBID_SLASHES;
    } else if (!dir->decode_encoded_slashes) {
        unescape |= AP_UNESCAPE_URL_KEEP_SLASHES;
    }
    if (ap_unescape_url_ex(path, unescape) != OK) return nullptr;
    // Decoded slashes may have made new "//", "/./" or "/../" segments.
    if (dir->allow_encoded_slashes && dir->decode_encoded_slashes &&
        !ap_normalize_path(path, normalize)) {
        return nullptr;
    }
    return path;
}

// While alive, the request's URI (REQUEST_URI in expressions) is the served path.
class ServedUri {
  public:
    ServedUri(request_rec *r, char *path) noexcept : r_(r), saved_(r->uri) {
        if (path != nullptr) r->uri = path;
    }
    ~ServedUri() { r_->uri = saved_; }
    ServedUri(const ServedUri &) = delete;
    ServedUri &operator=(const ServedUri &) = delete;

  private:
    request_rec *r_;
    char *saved_;
};

bool exempt_by_expression(request_rec *r, const apr_array_header_t *exemptions) {
    if (exemptions == nullptr) return false;
    const auto *exprs = reinterpret_cast<ap_expr_info_t *const *>(exemptions->elts);
    for (int i = 0; i < exemptions->nelts; ++i) {
        const char *error = nullptr;
        const int result = ap_expr_exec(r, exprs[i], &error);
        if (error != nullptr) {
            ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                          "SNIF0030: SNIFallbackExempt expression failed: %s (treated as no match)",
                          error);
            continue;
        }
        if (result > 0) return true;
    }
    return false;
}

int answer_notice(request_rec *r, const VhostSettings &settings) {
    const int status = settings.effective_notice_status();
    apr_table_setn(r->err_headers_out, "Cache-Control", "no-store");
    // The page declares its own charset; do not let the error path add iso-8859-1.
    apr_table_setn(r->subprocess_env, "suppress-error-charset", "1");
    const char *body = settings.action.notice_body;
    if (body == nullptr) {
        const std::string_view page = builtin_notice_page();
        body = apr_pstrmemdup(r->pool, page.data(), page.size());
    }
    // ap_custom_response takes text that looks like a URL or a local path as a redirect target;
    // a leading newline (insignificant in HTML) keeps such a page literal text.
    if (body[0] == '/' || ap_is_url(body)) body = apr_pstrcat(r->pool, "\n", body, nullptr);
    ap_custom_response(r, status, body);
    return status;
}

// Where a redirect goes for this request (also when it is only reported). `uri_decoded`: r->uri
// is the served path (decoded); it goes into a URL here, so the expression sees it escaped as
// mod_alias escapes the rest of a path it redirects (ap_escape_uri): /a%3Fb, /100%25 and /a%2520b
// stay what the client sent, and no decoded '?' or '#' changes the target's query or fragment.
const char *redirect_location(request_rec *r, const ActionSetting &action, bool uri_decoded) {
    char *const served = r->uri;
    if (uri_decoded) r->uri = ap_escape_uri(r->pool, served);
    const char *error = nullptr;
    const char *evaluated = ap_expr_str_exec(r, action.redirect_url, &error);
    r->uri = served;
    if (error != nullptr || evaluated == nullptr) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                      "SNIF0031: SNIFallbackAction redirect: the URL expression failed: %s; "
                      "redirecting to %s/",
                      error ? error : "no value", action.redirect_origin);
        evaluated = "";
    }
    const std::string target = safe_redirect_target(action.redirect_origin, evaluated);
    // The origin was checked at configuration time and the target keeps it; checked again here,
    // where the expression has been evaluated, so no Location is ever anything but http(s).
    if (!is_http_url(target)) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                      "SNIF0062: SNIFallbackAction redirect: the URL is not http or https; no "
                      "redirect is sent (500)");
        return nullptr;
    }
    return apr_pstrmemdup(r->pool, target.data(), target.size());
}

int answer_redirect(request_rec *r, const ActionSetting &action, const RequestState &decided) {
    if (decided.target == nullptr) return HTTP_INTERNAL_SERVER_ERROR;
    apr_table_setn(r->err_headers_out, "Location", decided.target);
    apr_table_setn(r->err_headers_out, "Cache-Control", "no-store");
    return action.redirect_status;
}

// Prepares a `vhost` action; the move happens in finish_route, once mod_ssl's check has run.
int begin_route(request_rec *r, const ConnectionState &state, RequestState &decided) {
    if (decided.route_to == nullptr) return DECLINED;
    // mod_ssl compares the request's vhost with the handshake's; keep them equal until it has.
    r->server = state.connection->base_server;
    return DECLINED;
}

// The target of a redirect or route, recorded whether or not the action is enforced.
void find_target(request_rec *r, const ServerConfig &config, RequestState &decided,
                 bool uri_decoded) {
    if (decided.decision.kind == Decision::Kind::redirect) {
        decided.target = redirect_location(r, config.vhost.action, uri_decoded);
    } else if (decided.decision.kind == Decision::Kind::vhost && config.startup.route_target) {
        decided.route_to = config.startup.route_target;
        decided.target = config.startup.route_target->server_hostname;
    }
}

// Whether the decided action shapes this response: SNIFallbackMode, then SNIFallbackEnforceIf.
// An expression that fails is taken as false: the action is reported, the response left alone.
bool enforced_here(request_rec *r, const VhostSettings &settings) {
    if (settings.reports_only()) return false;
    if (settings.enforce_if == nullptr) return true;
    const char *error = nullptr;
    const int result = ap_expr_exec(r, settings.enforce_if, &error);
    if (error != nullptr) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                      "SNIF0037: SNIFallbackEnforceIf expression failed: %s (the action is "
                      "reported, not enforced)",
                      error);
        return false;
    }
    return result > 0;
}

// The environment for the administrator: outputs only, never read back by the module.
void set_environment(request_rec *r, const ConnectionState &state) {
    // The state outlives the request (connection pool), so its strings can be set without copy.
    if (state.is_fallback()) {
        apr_table_setn(r->subprocess_env, "SNIFALLBACK_CLASS", client_class_name(state.client_class));
    }
    if (state.lacks_sni()) apr_table_setn(r->subprocess_env, "SNI_MISSING", "1");
    if (!state.ja4.empty()) {
        apr_table_setn(r->subprocess_env, "SNIFALLBACK_JA3", state.ja3_hash.c_str());
        apr_table_setn(r->subprocess_env, "SNIFALLBACK_JA4", state.ja4.c_str());
    }
    if (state.client_name) {
        apr_table_setn(r->subprocess_env, "SNIFALLBACK_CLIENT", state.client_name->c_str());
    }
}

// The floor (vhost_floor.h): a connection the fallback profile shaped never reaches a vhost whose
// own TLS settings refuse what it negotiated, whatever SNIFallbackMode, SNIFallbackEnforceIf or an
// exemption say. It gets the Host's vhost's notice or redirect when that is its action, else 421.
// Returns the response status, or DECLINED when the destination accepts the connection.
int hold_floor(request_rec *r, const ConnectionState &state, const server_rec *destination,
               const VhostSettings &settings, RequestState &decided) {
    // A route passes mod_ssl's SSLVHostSNIPolicy check, so its target is checked on every
    // fallback connection; the Host's vhost on connections the profile shaped.
    const bool routed = decided.route_to != nullptr && destination == decided.route_to;
    // A request classified from a trusted proxy's headers came over the proxy's own TLS: the
    // client's version and cipher are not known here, and the proxy enforced its own.
    if (proxied_state(r) != nullptr) return DECLINED;
    std::string why;
    if (!below_vhost_floor(state, destination, routed, &why)) return DECLINED;
    decided.decision.reason = "tls-below-vhost";
    decided.enforced = true;
    decided.route_to = nullptr;
    apr_table_setn(r->subprocess_env, "SNIFALLBACK_ENFORCED", "1");
    if (routed) {
        ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r,
                      "SNIF0034: not routing to %s: %s refuses the connection's %s with %s (%s)",
                      destination->server_hostname, destination->server_hostname,
                      state.tls_version.c_str(), state.cipher.c_str(), why.c_str());
    } else {
        ap_log_rerror(
            APLOG_MARK, APLOG_INFO, 0, r,
            "SNIF0060: request for %s refused: the fallback TLS profile let in %s with "
            "%s, which that vhost's own settings refuse (%s); answering with %s",
            destination && destination->server_hostname ? destination->server_hostname : "?",
            state.tls_version.c_str(), state.cipher.c_str(), why.c_str(),
            decided.decision.kind == Decision::Kind::notice     ? "its notice"
            : decided.decision.kind == Decision::Kind::redirect ? "its redirect"
                                                                : "421");
    }
    switch (decided.decision.kind) {
        case Decision::Kind::notice:
            return answer_notice(r, settings);
        case Decision::Kind::redirect:
            if (decided.target == nullptr) return HTTP_MISDIRECTED_REQUEST;
            apr_table_setn(r->err_headers_out, "Location", decided.target);
            apr_table_setn(r->err_headers_out, "Cache-Control", "no-store");
            return settings.action.redirect_status;
        default:
            return HTTP_MISDIRECTED_REQUEST;
    }
}

}  // namespace

int decide_request(request_rec *r) {
    // With SNIFallbackProxyHeaders, a trusted proxy's facts replace the connection's (its own TLS
    // is the proxy's, not the client's); anyone else's copies of those headers are gone already
    // (remove_untrusted_proxy_headers).
    const ConnectionState *state = state_from_proxy_headers(r);
    if (state == nullptr) state = connection_state(r->connection);
    if (state == nullptr) return DECLINED;
    set_environment(r, *state);
    if (!state->is_fallback()) return DECLINED;
    const ServerConfig &config = server_config(r->server);
    // Request-time handling follows the request's vhost: its SNIFallbackClients. The floor holds
    // for every vhost.
    if (!config.vhost.effective_clients().contains(state->client_class)) {
        if (!state->profile_applied) return DECLINED;
        RequestState &decided = request_state(r);
        decided.vhost = r->server;
        return hold_floor(r, *state, r->server, config.vhost, decided);
    }
    const ActionSetting &action = config.vhost.action;
    // The host httpd chose the vhost by: an absolute-form request's own, else the Host header's.
    const char *host = r->hostname ? r->hostname : apr_table_get(r->headers_in, "Host");
    if (host == nullptr) host = "";
    // Every expression of the module sees the path that will be served; a request whose path
    // httpd will refuse is never exempt.
    char *path = served_path(r);
    const ServedUri served(r, path);
    const bool exempted = action.kind != Action::none && path != nullptr &&
                          exempt_by_expression(r, config.vhost.exemptions);
    RequestState &decided = request_state(r);
    decided.vhost = r->server;
    decided.decision = decide(action.kind, host, exempted);
    const bool acts = decided.decision.kind != Decision::Kind::none &&
                      decided.decision.kind != Decision::Kind::exempt;
    decided.enforced = acts && enforced_here(r, config.vhost);
    apr_table_setn(r->subprocess_env, "SNIFALLBACK_ACTION", decision_name(decided.decision.kind));
    apr_table_setn(r->subprocess_env, "SNIFALLBACK_ENFORCED", decided.enforced ? "1" : "0");
    find_target(r, config, decided, path != nullptr);
    // One check for the Host's vhost and a route's target: where the request would be served.
    const bool routes = decided.enforced && decided.decision.kind == Decision::Kind::vhost &&
                        decided.route_to != nullptr;
    const int floor =
        hold_floor(r, *state, routes ? decided.route_to : r->server, config.vhost, decided);
    if (floor != DECLINED) return floor;
    if (!decided.enforced) {  // reported: the response is left alone, no route is taken
        decided.route_to = nullptr;
        return DECLINED;
    }
    switch (decided.decision.kind) {
        case Decision::Kind::notice:
            return answer_notice(r, config.vhost);
        case Decision::Kind::redirect:
            return answer_redirect(r, action, decided);
        case Decision::Kind::vhost:
            return begin_route(r, *state, decided);
        default:
            return DECLINED;
    }
}

int finish_route(request_rec *r) {
    const RequestState *decided = find_request_state(r);
    if (decided == nullptr || decided->route_to == nullptr) return DECLINED;
    server_rec *target = decided->route_to;
    // The target's own TLS settings were checked in decide_request (hold_floor).
    r->server = target;
    r->hostname = target->server_hostname;
    r->per_dir_config = target->lookup_defaults;
    return DECLINED;
}

}  // namespace snifallback::glue
