#include "httpd/action_config.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "httpd/server_config.h"
#include "httpd/vhost_lookup.h"

#include "http_core.h"
#include "http_protocol.h"
#include "apr_file_io.h"
#include "apr_strings.h"

namespace snifallback::glue {
namespace {

constexpr apr_off_t max_notice_bytes = 256 * 1024;

const char *file_kind(apr_filetype_e type) {
    switch (type) {
        case APR_DIR:
            return "a directory";
        case APR_CHR:
            return "a character device";
        case APR_BLK:
            return "a block device";
        case APR_PIPE:
            return "a FIFO";
        case APR_SOCK:
            return "a socket";
        default:
            return "not a regular file";
    }
}

// The page is read at configuration time: a regular file (looked at before it is opened, so a
// FIFO cannot hang `apachectl -t`, and again once open), at most 256 KiB, read with that bound,
// and text without a NUL byte (which would silently end the page).
const char *read_notice_file(cmd_parms *cmd, const char *arg, ActionSetting &action) {
    const char *path = ap_server_root_relative(cmd->pool, arg);
    char reason[256];
    apr_finfo_t info;
    apr_status_t rv = path ? apr_stat(&info, path, APR_FINFO_TYPE | APR_FINFO_SIZE, cmd->temp_pool)
                           : APR_EBADPATH;
    if (rv != APR_SUCCESS && rv != APR_INCOMPLETE) {
        return apr_psprintf(cmd->pool, "%s notice: cannot read the page '%s': %s", cmd->cmd->name,
                            path ? path : arg, apr_strerror(rv, reason, sizeof reason));
    }
    if (info.filetype != APR_REG) {
        return apr_psprintf(cmd->pool,
                            "%s notice: the page '%s' is %s; give a regular file (an HTML page)",
                            cmd->cmd->name, path, file_kind(info.filetype));
    }
    apr_file_t *file = nullptr;
    // Non-blocking: should the path become a FIFO between the look and the open, the open does
    // not wait for a writer.
    rv = apr_file_open(&file, path, APR_FOPEN_READ | APR_FOPEN_NONBLOCK, APR_FPROT_OS_DEFAULT,
                       cmd->temp_pool);
    if (rv == APR_SUCCESS) rv = apr_file_info_get(&info, APR_FINFO_TYPE | APR_FINFO_SIZE, file);
    if (rv != APR_SUCCESS) {
        return apr_psprintf(cmd->pool, "%s notice: cannot read the page '%s': %s", cmd->cmd->name,
                            path, apr_strerror(rv, reason, sizeof reason));
    }
    if (info.filetype != APR_REG) {
        return apr_psprintf(cmd->pool,
                            "%s notice: the page '%s' is %s; give a regular file (an HTML page)",
                            cmd->cmd->name, path, file_kind(info.filetype));
    }
    const char *too_large = apr_psprintf(cmd->pool,
                                         "%s notice: the page '%s' is larger than 256 KiB; keep "
                                         "the notice page small and self-contained",
                                         cmd->cmd->name, path);
    if (info.size > max_notice_bytes) return too_large;
    // Read one byte more than the bound: a file that grew since its size was taken is refused.
    auto size = static_cast<apr_size_t>(max_notice_bytes + 1);
    char *body = static_cast<char *>(apr_palloc(cmd->pool, size + 1));
    rv = apr_file_read_full(file, body, size, &size);
    if (rv != APR_SUCCESS && rv != APR_EOF) {
        return apr_psprintf(cmd->pool, "%s notice: reading '%s' failed: %s", cmd->cmd->name, path,
                            apr_strerror(rv, reason, sizeof reason));
    }
    if (size > static_cast<apr_size_t>(max_notice_bytes)) return too_large;
    if (const void *nul = memchr(body, '\0', size)) {
        return apr_psprintf(cmd->pool,
                            "%s notice: the page '%s' holds a NUL byte (at byte %" APR_SIZE_T_FMT
                            "), which would end the page there; give a text (HTML) file",
                            cmd->cmd->name, path,
                            static_cast<apr_size_t>(static_cast<const char *>(nul) - body));
    }
    body[size] = '\0';
    action.notice_file = path;
    action.notice_body = body;
    return nullptr;
}

const char *usage_error(cmd_parms *cmd, const char *problem) {
    return apr_psprintf(cmd->pool,
                        "%s: %s; use one of: none | notice [file] | redirect url-expr "
                        "[301|302|303|307|308] | vhost ServerName",
                        cmd->cmd->name, problem);
}

const char *parse_redirect(cmd_parms *cmd, int argc, char *const argv[], ActionSetting &action) {
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
    if (!is_http_url(origin)) {
        return apr_psprintf(cmd->pool,
                            "%s redirect: the URL '%s' must be http:// or https://, e.g. "
                            "\"https://legacy.example.org%%{REQUEST_URI}\"; no other scheme "
                            "(javascript:, data:, ftp: ...) is a place to send a browser",
                            cmd->cmd->name, argv[1]);
    }
    const char *error = nullptr;
    action.redirect_url =
        ap_expr_parse_cmd(cmd, argv[1], AP_EXPR_FLAG_STRING_RESULT, &error, nullptr);
    if (error != nullptr) {
        return apr_psprintf(cmd->pool, "%s redirect: cannot parse the URL expression '%s': %s",
                            cmd->cmd->name, argv[1], error);
    }
    action.redirect_origin = apr_pstrdup(cmd->pool, origin.c_str());
    action.redirect_status = HTTP_MOVED_TEMPORARILY;
    if (argc == 3) {
        const int status = atoi(argv[2]);
        if (status != 301 && status != 302 && status != 303 && status != 307 && status != 308) {
            return apr_psprintf(cmd->pool,
                                "%s redirect: status '%s' is not a redirect; use 301, 302 "
                                "(default), 303, 307 or 308",
                                cmd->cmd->name, argv[2]);
        }
        action.redirect_status = status;
    }
    return nullptr;
}

}  // namespace

const char *describe_action(apr_pool_t *p, const VhostSettings &settings) {
    const ActionSetting &action = settings.action;
    switch (action.kind) {
        case Action::notice:
            return apr_psprintf(p, "notice (%s, status %d)",
                                action.notice_file ? action.notice_file : "built-in page",
                                settings.effective_notice_status());
        case Action::redirect:
            return apr_psprintf(p, "redirect %d to %s...", action.redirect_status,
                                action.redirect_origin);
        case Action::vhost:
            return apr_psprintf(p, "vhost %s", action.route_name);
        case Action::none:
            break;
    }
    return "none";
}

const char *set_action(cmd_parms *cmd, void *, int argc, char *const argv[]) {
    if (const char *error = check_scope(cmd, Scope::server_or_vhost_not_directory)) return error;
    if (argc < 1) return usage_error(cmd, "an action is required");
    ActionSetting parsed;  // replaces the whole action of this server
    parsed.set = true;
    parsed.source = directive_source(cmd);
    const char *kind = argv[0];
    const char *error = nullptr;
    if (!strcasecmp(kind, "none")) {
        if (argc != 1) return usage_error(cmd, "none takes no arguments");
        parsed.kind = Action::none;
    } else if (!strcasecmp(kind, "notice")) {
        if (argc > 2) return usage_error(cmd, "notice takes at most a file");
        parsed.kind = Action::notice;
        if (argc == 2) error = read_notice_file(cmd, argv[1], parsed);
    } else if (!strcasecmp(kind, "redirect")) {
        parsed.kind = Action::redirect;
        error = parse_redirect(cmd, argc, argv, parsed);
    } else if (!strcasecmp(kind, "vhost")) {
        if (argc != 2) return usage_error(cmd, "vhost takes one ServerName");
        parsed.kind = Action::vhost;
        parsed.route_name = argv[1];
    } else {
        return usage_error(cmd, apr_psprintf(cmd->pool, "unknown action '%s'", kind));
    }
    if (error != nullptr) return error;
    server_config(cmd->server).vhost.action = parsed;
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
    server_config(cmd->server).vhost.notice_status = static_cast<int>(status);
    return nullptr;
}

namespace {

// A boolean Apache expression of a directive, where it may appear; an error message or null.
const char *parse_condition(cmd_parms *cmd, const char *arg, ap_expr_info_t *&expr) {
    if (const char *error = check_scope(cmd, Scope::server_or_vhost_not_directory)) return error;
    const char *error = nullptr;
    expr = ap_expr_parse_cmd(cmd, arg, 0, &error, nullptr);
    if (error == nullptr) return nullptr;
    return apr_psprintf(cmd->pool, "%s: cannot parse the expression '%s': %s", cmd->cmd->name, arg,
                        error);
}

}  // namespace

const char *set_exempt(cmd_parms *cmd, void *, const char *arg) {
    ap_expr_info_t *expr = nullptr;
    if (const char *error = parse_condition(cmd, arg, expr)) return error;
    apr_array_header_t *&exemptions = server_config(cmd->server).vhost.exemptions;
    if (exemptions == nullptr) exemptions = apr_array_make(cmd->pool, 2, sizeof(ap_expr_info_t *));
    *static_cast<ap_expr_info_t **>(apr_array_push(exemptions)) = expr;
    return nullptr;
}

const char *set_mode(cmd_parms *cmd, void *, const char *arg) {
    if (const char *error = check_scope(cmd, Scope::server_or_vhost_not_directory)) return error;
    EnforcementMode &mode = server_config(cmd->server).vhost.mode;
    if (!strcasecmp(arg, "enforce")) {
        mode = EnforcementMode::enforce;
    } else if (!strcasecmp(arg, "report")) {
        mode = EnforcementMode::report;
    } else {
        return apr_psprintf(cmd->pool,
                            "%s: unknown mode '%s'; use enforce (default: the action shapes the "
                            "response) or report (the action is decided and recorded only)",
                            cmd->cmd->name, arg);
    }
    return nullptr;
}

const char *set_enforce_if(cmd_parms *cmd, void *, const char *arg) {
    return parse_condition(cmd, arg, server_config(cmd->server).vhost.enforce_if);
}

int check_action_targets(apr_pool_t *p, server_rec *main_server) {
    int result = OK;
    std::vector<DirectiveSource> reported;  // an inherited directive is reported where written
    for (server_rec *s = main_server; s; s = s->next) {
        ServerConfig &config = server_config(s);
        const ActionSetting &action = config.vhost.action;
        config.startup.route_target = nullptr;
        if (action.kind != Action::vhost || action.route_name == nullptr) continue;
        config.startup.route_target = find_vhost(main_server, action.route_name, 0);
        if (config.startup.route_target != nullptr) continue;
        result = HTTP_INTERNAL_SERVER_ERROR;
        const DirectiveSource &source = action.source;
        const bool seen = std::any_of(reported.begin(), reported.end(), [&](const DirectiveSource &r) {
            return r.line == source.line && r.file == source.file;
        });
        if (seen) continue;
        reported.push_back(source);
        ap_log_error(APLOG_MARK, APLOG_STARTUP | APLOG_EMERG, 0, nullptr,
                     "SNIF0032: SNIFallbackAction vhost %s at %s:%u: no <VirtualHost> has that "
                     "ServerName or ServerAlias%s; name a virtual host defined in this "
                     "configuration",
                     action.route_name, source.file ? source.file : "?", source.line,
                     did_you_mean(p, main_server, action.route_name));
    }
    return result;
}

int verify_action_targets(apr_pool_t *, server_rec *main_server) {
    for (server_rec *s = main_server; s; s = s->next) {
        const ServerConfig &config = server_config(s);
        if (config.startup.route_target == nullptr) continue;
        SSL_CTX *target_ctx = server_config(config.startup.route_target).startup.ssl_ctx;
        if (target_ctx != nullptr && (SSL_CTX_get_verify_mode(target_ctx) & SSL_VERIFY_PEER) != 0) {
            ap_log_error(APLOG_MARK, APLOG_STARTUP | APLOG_EMERG, 0, nullptr,
                         "SNIF0033: SNIFallbackAction vhost %s: that vhost checks client "
                         "certificates (SSLVerifyClient), which a handshake without SNI never "
                         "went through; routing clients there would skip the check. Route to a "
                         "vhost without SSLVerifyClient, or use notice or redirect",
                         config.vhost.action.route_name);
            return HTTP_INTERNAL_SERVER_ERROR;
        }
    }
    return OK;
}

}  // namespace snifallback::glue
