// SNIFallbackAction: what HTTP requests on connections without SNI get, decided per virtual host
// (the one the Host header selects) before mod_ssl's request checks.
//
//   notice    answered here with the notice page and SNIFallbackNoticeStatus
//   redirect  answered here with the evaluated URL expression, origin fixed by the configuration
//   vhost     served by another vhost: the request keeps the handshake's vhost while mod_ssl's
//             check runs (it refuses a vhost switch without SNI under SSLVHostSNIPolicy secure),
//             then moves to the target in a hook after mod_ssl's. Targets that check client
//             certificates are refused at start-up, and a connection older than the target's
//             minimum protocol is refused at request time, so routing opens nothing that mod_ssl
//             would have kept shut.
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "httpd/glue.h"
#include "httpd/vhosts.h"

#include "http_core.h"
#include "http_protocol.h"
#include "http_request.h"
#include "apr_file_io.h"
#include "apr_strings.h"

#include "core/host.h"

namespace snifallback::glue {
namespace {

constexpr apr_off_t max_notice_bytes = 256 * 1024;
constexpr int default_notice_status = HTTP_FORBIDDEN;

// Per-request: the vhost a `vhost` action moves the request to once mod_ssl's check has run.
struct Route {
    server_rec *target;
};

const char *read_notice_file(cmd_parms *cmd, const char *arg, ServerConfig &config) {
    const char *path = ap_server_root_relative(cmd->pool, arg);
    apr_file_t *file = nullptr;
    apr_finfo_t info;
    apr_status_t rv =
        path ? apr_file_open(&file, path, APR_FOPEN_READ, APR_FPROT_OS_DEFAULT, cmd->temp_pool)
             : APR_EBADPATH;
    if (rv == APR_SUCCESS) rv = apr_file_info_get(&info, APR_FINFO_SIZE, file);
    if (rv != APR_SUCCESS) {
        char reason[256];
        return apr_psprintf(cmd->pool, "%s notice: cannot read the page '%s': %s", cmd->cmd->name,
                            path ? path : arg, apr_strerror(rv, reason, sizeof reason));
    }
    if (info.size > max_notice_bytes) {
        return apr_psprintf(cmd->pool,
                            "%s notice: the page '%s' is larger than 256 KiB; keep the "
                            "notice page small and self-contained",
                            cmd->cmd->name, path);
    }
    auto size = static_cast<apr_size_t>(info.size);
    char *body = static_cast<char *>(apr_palloc(cmd->pool, size + 1));
    rv = apr_file_read_full(file, body, size, &size);
    if (rv != APR_SUCCESS && rv != APR_EOF) {
        return apr_psprintf(cmd->pool, "%s notice: reading '%s' failed", cmd->cmd->name, path);
    }
    body[size] = '\0';
    config.notice_file = path;
    config.notice_body = body;
    return nullptr;
}

const char *usage_error(cmd_parms *cmd, const char *problem) {
    return apr_psprintf(cmd->pool,
                        "%s: %s; use one of: none | notice [file] | redirect url-expr "
                        "[301|302|303|307|308] | vhost ServerName",
                        cmd->cmd->name, problem);
}

const char *parse_redirect(cmd_parms *cmd, int argc, char *const argv[], ServerConfig &config) {
    if (argc < 2 || argc > 3)
        return usage_error(cmd, "redirect takes a URL and an optional status");
    const std::string origin = literal_origin(argv[1]);
    if (origin.empty()) {
        return apr_psprintf(cmd->pool,
                            "%s redirect: the URL '%s' must start with a literal scheme and host, "
                            "e.g. \"https://legacy.example.org%%{REQUEST_URI}\": where a "
                            "redirect points may not depend on what the client sends",
                            cmd->cmd->name, argv[1]);
    }
    const char *error = nullptr;
    config.redirect_url =
        ap_expr_parse_cmd(cmd, argv[1], AP_EXPR_FLAG_STRING_RESULT, &error, nullptr);
    if (error != nullptr) {
        return apr_psprintf(cmd->pool, "%s redirect: cannot parse the URL expression '%s': %s",
                            cmd->cmd->name, argv[1], error);
    }
    config.redirect_origin = apr_pstrdup(cmd->pool, origin.c_str());
    config.redirect_status = HTTP_MOVED_TEMPORARILY;
    if (argc == 3) {
        const int status = atoi(argv[2]);
        if (status != 301 && status != 302 && status != 303 && status != 307 && status != 308) {
            return apr_psprintf(cmd->pool,
                                "%s redirect: status '%s' is not a redirect; use 301, 302 "
                                "(default), 303, 307 or 308",
                                cmd->cmd->name, argv[2]);
        }
        config.redirect_status = status;
    }
    return nullptr;
}

bool exempt_by_expression(request_rec *r, const ServerConfig &config) {
    if (config.exemptions == nullptr) return false;
    const auto *exprs = reinterpret_cast<ap_expr_info_t *const *>(config.exemptions->elts);
    for (int i = 0; i < config.exemptions->nelts; ++i) {
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

int answer_notice(request_rec *r, const ServerConfig &config) {
    const int status = config.notice_status ? config.notice_status : default_notice_status;
    apr_table_setn(r->err_headers_out, "Cache-Control", "no-store");
    // The page declares its own charset; do not let the error path add iso-8859-1.
    apr_table_setn(r->subprocess_env, "suppress-error-charset", "1");
    const char *body = config.notice_body;
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

int answer_redirect(request_rec *r, const ServerConfig &config) {
    const char *error = nullptr;
    const char *evaluated = ap_expr_str_exec(r, config.redirect_url, &error);
    if (error != nullptr || evaluated == nullptr) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                      "SNIF0031: SNIFallbackAction redirect: the URL expression failed: %s; "
                      "redirecting to %s/",
                      error ? error : "no value", config.redirect_origin);
        evaluated = "";
    }
    const std::string target = safe_redirect_target(config.redirect_origin, evaluated);
    const char *location = apr_pstrmemdup(r->pool, target.data(), target.size());
    apr_table_setn(r->err_headers_out, "Location", location);
    apr_table_setn(r->err_headers_out, "Cache-Control", "no-store");
    apr_table_setn(r->notes, "snifallback-target", location);
    return config.redirect_status;
}

int begin_route(request_rec *r, ConnectionState &state, const ServerConfig &config) {
    if (config.route_target == nullptr) return DECLINED;
    auto *route = static_cast<Route *>(apr_pcalloc(r->pool, sizeof(Route)));
    route->target = config.route_target;
    ap_set_module_config(r->request_config, &snifallback_module, route);
    apr_table_setn(r->notes, "snifallback-target", config.route_target->server_hostname);
    // mod_ssl compares the request's vhost with the handshake's; keep them equal until it has.
    r->server = state.connection->base_server;
    return DECLINED;
}

}  // namespace

const char *set_action(cmd_parms *cmd, void *, int argc, char *const argv[]) {
    if (const char *error = check_scope(cmd, Scope::server_or_vhost_not_directory)) return error;
    if (argc < 1) return usage_error(cmd, "an action is required");
    ServerConfig *config = server_config(cmd->server);
    ServerConfig parsed;  // replaces the whole action of this server
    const char *kind = argv[0];
    const char *error = nullptr;
    if (!strcasecmp(kind, "none")) {
        if (argc != 1) return usage_error(cmd, "none takes no arguments");
        parsed.action = Action::none;
    } else if (!strcasecmp(kind, "notice")) {
        if (argc > 2) return usage_error(cmd, "notice takes at most a file");
        parsed.action = Action::notice;
        if (argc == 2) error = read_notice_file(cmd, argv[1], parsed);
    } else if (!strcasecmp(kind, "redirect")) {
        parsed.action = Action::redirect;
        error = parse_redirect(cmd, argc, argv, parsed);
    } else if (!strcasecmp(kind, "vhost")) {
        if (argc != 2) return usage_error(cmd, "vhost takes one ServerName");
        parsed.action = Action::vhost;
        parsed.route_name = argv[1];
    } else {
        return usage_error(cmd, apr_psprintf(cmd->pool, "unknown action '%s'", kind));
    }
    if (error != nullptr) return error;
    config->action_set = true;
    config->action = parsed.action;
    config->notice_file = parsed.notice_file;
    config->notice_body = parsed.notice_body;
    config->redirect_url = parsed.redirect_url;
    config->redirect_origin = parsed.redirect_origin;
    config->redirect_status = parsed.redirect_status;
    config->route_name = parsed.route_name;
    return nullptr;
}

const char *set_notice_status(cmd_parms *cmd, void *, const char *arg) {
    if (const char *error = check_scope(cmd, Scope::server_or_vhost_not_directory)) return error;
    char *end = nullptr;
    const long status = strtol(arg, &end, 10);
    if (end == arg || *end != '\0' || status < 400 || status > 599) {
        return apr_psprintf(cmd->pool,
                            "%s: '%s' is not an error status; use a code from 400 to 599 "
                            "(default 403)",
                            cmd->cmd->name, arg);
    }
    server_config(cmd->server)->notice_status = static_cast<int>(status);
    return nullptr;
}

const char *set_exempt(cmd_parms *cmd, void *, const char *arg) {
    if (const char *error = check_scope(cmd, Scope::server_or_vhost_not_directory)) return error;
    const char *error = nullptr;
    ap_expr_info_t *expr = ap_expr_parse_cmd(cmd, arg, 0, &error, nullptr);
    if (error != nullptr) {
        return apr_psprintf(cmd->pool, "%s: cannot parse the expression '%s': %s", cmd->cmd->name,
                            arg, error);
    }
    ServerConfig *config = server_config(cmd->server);
    if (config->exemptions == nullptr) {
        config->exemptions = apr_array_make(cmd->pool, 2, sizeof(ap_expr_info_t *));
    }
    *static_cast<ap_expr_info_t **>(apr_array_push(config->exemptions)) = expr;
    return nullptr;
}

void merge_actions(ServerConfig &config, const ServerConfig &base, const ServerConfig &add) {
    const ServerConfig &from = add.action_set ? add : base;
    config.action_set = from.action_set;
    config.action = from.action;
    config.notice_file = from.notice_file;
    config.notice_body = from.notice_body;
    config.redirect_url = from.redirect_url;
    config.redirect_origin = from.redirect_origin;
    config.redirect_status = from.redirect_status;
    config.route_name = from.route_name;
    config.notice_status = add.notice_status ? add.notice_status : base.notice_status;
    // Exemptions add up: the server config's apply in every vhost, a vhost adds its own.
    if (base.exemptions && add.exemptions) {
        config.exemptions =
            apr_array_append(base.exemptions->pool, base.exemptions, add.exemptions);
    } else {
        config.exemptions = add.exemptions ? add.exemptions : base.exemptions;
    }
}

int check_actions(apr_pool_t *p, server_rec *main_server) {
    int result = OK;
    for (server_rec *s = main_server; s; s = s->next) {
        ServerConfig *config = server_config(s);
        config->route_target = nullptr;
        if (config->action != Action::vhost || config->route_name == nullptr) continue;
        config->route_target = find_vhost(main_server, config->route_name, 0);
        if (config->route_target == nullptr) {
            ap_log_error(APLOG_MARK, APLOG_STARTUP | APLOG_EMERG, 0, nullptr,
                         "SNIF0032: SNIFallbackAction vhost %s (in %s): no <VirtualHost> has that "
                         "ServerName or ServerAlias; name a virtual host defined in this "
                         "configuration",
                         config->route_name,
                         s == main_server ? "server config" : address_text(p, s));
            result = HTTP_INTERNAL_SERVER_ERROR;
        }
    }
    return result;
}

namespace {

void log_action_summary(apr_pool_t *p, server_rec *s, const ServerConfig &config) {
    const char *what = "";
    switch (config.action) {
        case Action::notice:
            what =
                apr_psprintf(p, "notice (%s, status %d)",
                             config.notice_file ? config.notice_file : "built-in page",
                             config.notice_status ? config.notice_status : default_notice_status);
            break;
        case Action::redirect:
            what = apr_psprintf(p, "redirect %d to %s...", config.redirect_status,
                                config.redirect_origin);
            break;
        case Action::vhost:
            what = apr_psprintf(p, "vhost %s", config.route_name);
            break;
        case Action::none:
            return;
    }
    const int exemptions = config.exemptions ? config.exemptions->nelts : 0;
    ap_log_error(APLOG_MARK, APLOG_INFO, 0, s,
                 "SNIF0035: requests without SNI for %s (%s) get %s; %d SNIFallbackExempt "
                 "expression(s), IP-literal Hosts exempt",
                 s->server_hostname ? s->server_hostname : "the main server", address_text(p, s),
                 what, exemptions);
}

}  // namespace

int verify_routes(apr_pool_t *p, server_rec *main_server) {
    if (startup_summary_wanted()) {
        std::vector<server_rec *> in_file_order;  // httpd links vhosts in reverse order
        for (server_rec *s = main_server->next; s; s = s->next)
            in_file_order.insert(in_file_order.begin(), s);
        for (server_rec *s : in_file_order) log_action_summary(p, s, *server_config(s));
    }
    for (server_rec *s = main_server; s; s = s->next) {
        const ServerConfig *config = server_config(s);
        if (config->route_target == nullptr) continue;
        const ServerConfig *target = server_config(config->route_target);
        if (target->ssl_ctx != nullptr &&
            (SSL_CTX_get_verify_mode(target->ssl_ctx) & SSL_VERIFY_PEER) != 0) {
            ap_log_error(APLOG_MARK, APLOG_STARTUP | APLOG_EMERG, 0, nullptr,
                         "SNIF0033: SNIFallbackAction vhost %s: that vhost checks client "
                         "certificates (SSLVerifyClient), which a handshake without SNI never "
                         "went through; routing clients there would skip the check. Route to a "
                         "vhost without SSLVerifyClient, or use notice or redirect",
                         config->route_name);
            return HTTP_INTERNAL_SERVER_ERROR;
        }
    }
    return OK;
}

int apply_action(request_rec *r, ConnectionState &state) {
    const ServerConfig *config = server_config(r->server);
    const char *host = apr_table_get(r->headers_in, "Host");
    if (host == nullptr) host = r->hostname ? r->hostname : "";
    const Action action = config->action;
    const Decision decision =
        decide(action, host, action != Action::none && exempt_by_expression(r, *config));
    apr_table_setn(r->subprocess_env, "SNIFALLBACK_ACTION", decision_name(decision.kind));
    if (decision.reason) apr_table_setn(r->notes, "snifallback-reason", decision.reason);
    switch (decision.kind) {
        case Decision::Kind::notice:
            return answer_notice(r, *config);
        case Decision::Kind::redirect:
            return answer_redirect(r, *config);
        case Decision::Kind::vhost:
            return begin_route(r, state, *config);
        default:
            return DECLINED;
    }
}

int finish_route(request_rec *r) {
    const auto *route =
        static_cast<const Route *>(ap_get_module_config(r->request_config, &snifallback_module));
    if (route == nullptr) return DECLINED;
    ap_set_module_config(r->request_config, &snifallback_module, nullptr);
    server_rec *target = route->target;
    // The connection's protocol must be one the target accepts (its SSLProtocol).
    const ServerConfig *target_config = server_config(target);
    ConnectionState *state = connection_state(r->connection);
    if (target_config->ssl_ctx != nullptr && state != nullptr) {
        const long minimum = SSL_CTX_get_min_proto_version(target_config->ssl_ctx);
        if (minimum != 0 && state->tls_version_number < minimum) {
            ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r,
                          "SNIF0034: not routing to %s: the connection's %s is below that vhost's "
                          "SSLProtocol",
                          target->server_hostname, state->tls_version.c_str());
            return HTTP_MISDIRECTED_REQUEST;
        }
    }
    r->server = target;
    r->hostname = target->server_hostname;
    r->per_dir_config = target->lookup_defaults;
    return DECLINED;
}

}  // namespace snifallback::glue
