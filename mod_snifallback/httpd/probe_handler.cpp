// SetHandler snifallback-probe: the browser SNI probe (core/probe.h). Under the handler's location:
//   pixel.gif  a 1x1 GIF, only on a TLS connection whose ClientHello carried SNI (421 otherwise,
//              so a client without SNI that ignores certificate errors fails the test too)
//   probe.js   the script, with the three configured URLs and nothing from the request
//   report     where the script reports a failure: one "probe" record, answered 204; at most one
//              record a connection and probe_reports_per_second a second per child process, the
//              rest counted in log.probe_reports_dropped
#include "httpd/probe_handler.h"

#include <algorithm>
#include <cstdint>
#include <vector>
#include <cstring>
#include <string>

#include "http_protocol.h"
#include "http_request.h"
#include "apr_strings.h"
#include "util_script.h"

#include "core/counters.h"
#include "core/probe.h"
#include "httpd/connection_state.h"
#include "httpd/nosni_log.h"
#include "httpd/server_config.h"
#include "httpd/shared_stats.h"
#include "httpd/vhost_lookup.h"

namespace snifallback::glue {
namespace {

constexpr apr_size_t max_report_body = 4096;

// Probe records a child process writes a second at most: with ServerLimit children, the whole
// server writes at most ServerLimit times this many (README, "The browser SNI probe").
constexpr std::uint32_t probe_reports_per_second = 10;
ProbeReportLimit probe_report_limit(probe_reports_per_second);
constexpr const char *probe_reported_note = "snifallback-probe-reported";

// True the first time a connection reports (TLS connections: their state, shared by HTTP/2
// streams; plain HTTP/1.1 ones: a note, as such a connection runs in one thread at a time).
bool first_report_on_connection(request_rec *r) {
    if (ConnectionState *state = connection_state(r->connection)) {
        return !state->probe_reported.exchange(true);
    }
    conn_rec *c = r->connection->master ? r->connection->master : r->connection;
    if (apr_table_get(c->notes, probe_reported_note) != nullptr) return false;
    apr_table_setn(c->notes, probe_reported_note, "1");
    return true;
}

const char *leaf_of(const char *uri) {
    const char *slash = strrchr(uri, '/');
    return slash ? slash + 1 : uri;
}

int serve(request_rec *r, const char *type, std::string_view body) {
    ap_set_content_type(r, type);
    apr_table_setn(r->headers_out, "Cache-Control", "no-store");
    ap_set_content_length(r, static_cast<apr_off_t>(body.size()));
    if (!r->header_only) ap_rwrite(body.data(), static_cast<int>(body.size()), r);
    return OK;
}

int serve_pixel(request_rec *r) {
    ConnectionState *state = connection_state(r->connection);
    if (state == nullptr || state->is_fallback()) {  // a served name, or no pixel
        apr_table_setn(r->err_headers_out, "Cache-Control", "no-store");
        return HTTP_MISDIRECTED_REQUEST;
    }
    return serve(r, "image/gif", probe_pixel_gif());
}

int serve_script(request_rec *r) {
    const ProbeUrls &urls = server_config(r->server).vhost.probe;
    if (!urls.pixel || !urls.success || !urls.failure) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                      "SNIF0050: the snifallback-probe handler needs SNIFallbackProbePixel, "
                      "SNIFallbackProbeSuccess and SNIFallbackProbeFailure for %s",
                      r->server->server_hostname);
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    const std::string script =
        probe_script(urls.pixel, urls.success, urls.failure);
    return serve(r, "application/javascript; charset=utf-8", script);
}

// "result=...&page=..." from the query or a small form body; values are untrusted (the log
// escapes them) and only the two known keys are read.
void read_form(request_rec *r, const char *&result, const char *&page) {
    std::string form = r->args ? r->args : "";
    if (r->method_number == M_POST &&
        ap_setup_client_block(r, REQUEST_CHUNKED_DECHUNK) == OK && ap_should_client_block(r)) {
        char buffer[1024];
        long n;
        while ((n = ap_get_client_block(r, buffer, sizeof buffer)) > 0) {
            if (form.size() < max_report_body) form.append(buffer, static_cast<std::size_t>(n));
        }
        if (form.size() > max_report_body) form.resize(max_report_body);
    }
    char *copy = apr_pstrmemdup(r->pool, form.data(), form.size());
    char *state = nullptr;
    for (char *pair = apr_strtok(copy, "&", &state); pair; pair = apr_strtok(nullptr, "&", &state)) {
        char *eq = strchr(pair, '=');
        if (eq == nullptr) continue;
        *eq = '\0';
        char *value = eq + 1;
        for (char *c = value; *c; ++c) {
            if (*c == '+') *c = ' ';
        }
        if (ap_unescape_urlencoded(value) != OK) continue;
        if (!strcmp(pair, "result")) result = value;
        if (!strcmp(pair, "page")) page = value;
    }
}

int take_report(request_rec *r) {
    if (r->method_number != M_POST && r->method_number != M_GET) return HTTP_METHOD_NOT_ALLOWED;
    const char *result = nullptr;
    const char *page = nullptr;
    read_form(r, result, page);  // also reads the body, whatever becomes of the report
    apr_table_setn(r->err_headers_out, "Cache-Control", "no-store");
    if (!first_report_on_connection(r) ||
        !probe_report_limit.admit(static_cast<std::int64_t>(apr_time_sec(apr_time_now())))) {
        count(Counter::probe_reports_dropped, nullptr);  // counted, not logged
        return HTTP_NO_CONTENT;
    }
    // a documented value or "other": never the client's text
    log_probe(r, probe_result_name(result ? result : "").data(), page);
    return HTTP_NO_CONTENT;
}

}  // namespace

const char *set_probe_url(cmd_parms *cmd, void *, const char *arg) {
    if (const char *error = check_scope(cmd, Scope::server_or_vhost)) return error;
    const std::string problem = probe_url_problem(arg);
    if (!problem.empty()) {
        return apr_psprintf(cmd->pool, "%s: '%s' %s", cmd->cmd->name, arg, problem.c_str());
    }
    ProbeUrls &urls = server_config(cmd->server).vhost.probe;
    switch (static_cast<ProbeUrl>(reinterpret_cast<std::uintptr_t>(cmd->info))) {
        case ProbeUrl::pixel: urls.pixel = arg; break;
        case ProbeUrl::success: urls.success = arg; break;
        case ProbeUrl::failure: urls.failure = arg; break;
    }
    return nullptr;
}

namespace {

bool names_probe_handler(const ap_directive_t *d) {
    if (strcasecmp(d->directive, "SetHandler") != 0 || d->args == nullptr) return false;
    std::string handler = d->args;
    handler.erase(std::remove(handler.begin(), handler.end(), '"'), handler.end());
    handler.erase(0, handler.find_first_not_of(" \t"));
    handler.erase(handler.find_last_not_of(" \t") + 1);
    return !strcasecmp(handler.c_str(), probe_handler_name);
}

bool has_probe_urls(const server_rec *s) {
    const ProbeUrls &urls = server_config(s).vhost.probe;
    return urls.pixel && urls.success && urls.failure;
}

// The servers a SetHandler applies to: its <VirtualHost>'s, or every server for one outside.
std::vector<server_rec *> servers_of(const ap_directive_t *d, server_rec *main_server,
                                     const VhostDefinitions &definitions) {
    for (const ap_directive_t *up = d->parent; up != nullptr; up = up->parent) {
        if (server_rec *vhost = definitions.vhost_of(up)) return {vhost};
    }
    std::vector<server_rec *> all;
    for (server_rec *s = main_server; s; s = s->next) all.push_back(s);
    return all;
}

int check_handlers(apr_pool_t *p, const ap_directive_t *d, server_rec *main_server,
                   const VhostDefinitions &definitions) {
    int result = OK;
    for (; d != nullptr; d = d->next) {
        if (d->first_child != nullptr) {
            if (check_handlers(p, d->first_child, main_server, definitions) != OK) {
                result = HTTP_INTERNAL_SERVER_ERROR;
            }
            continue;
        }
        if (!names_probe_handler(d)) continue;
        for (const server_rec *s : servers_of(d, main_server, definitions)) {
            if (has_probe_urls(s)) continue;
            ap_log_error(APLOG_MARK, APLOG_STARTUP | APLOG_EMERG, 0, nullptr,
                         "SNIF0052: SetHandler snifallback-probe at %s:%d: %s has no "
                         "SNIFallbackProbePixel, SNIFallbackProbeSuccess and "
                         "SNIFallbackProbeFailure all set; set the three in that virtual host "
                         "or the server config",
                         d->filename ? d->filename : "?", d->line_num,
                         s->server_hostname ? s->server_hostname : "the main server");
            result = HTTP_INTERNAL_SERVER_ERROR;
            break;  // one line per SetHandler
        }
    }
    return result;
}

}  // namespace

int check_probe_locations(apr_pool_t *p, server_rec *main_server) {
    return check_handlers(p, ap_conftree, main_server, VhostDefinitions(main_server));
}

int serve_probe(request_rec *r) {
    const char *leaf = leaf_of(r->uri);
    if (!strcmp(leaf, "report")) return take_report(r);
    r->allowed |= (AP_METHOD_BIT << M_GET);
    if (r->method_number != M_GET) return HTTP_METHOD_NOT_ALLOWED;
    if (!strcmp(leaf, "pixel.gif")) return serve_pixel(r);
    if (!strcmp(leaf, "probe.js")) return serve_script(r);
    return HTTP_NOT_FOUND;
}

}  // namespace snifallback::glue
