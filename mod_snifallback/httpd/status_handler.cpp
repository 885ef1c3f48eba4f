#include "httpd/status_handler.h"

#include <cstring>
#include <string>
#include <string_view>

#include "http_main.h"
#include "http_protocol.h"
#include "mod_status.h"

#include "core/status.h"
#include "httpd/client_names_config.h"
#include "httpd/server_config.h"
#include "httpd/shared_stats.h"

namespace snifallback::glue {

namespace {

enum class StatusFormat { html, json, prometheus };

// "?json" or "?metrics" (also "?metrics=", as Prometheus' params send it); anything else: HTML.
StatusFormat requested_format(const char *args) {
    std::string_view query = args ? args : "";
    while (!query.empty()) {
        const std::size_t amp = query.find('&');
        std::string_view key = query.substr(0, amp);
        key = key.substr(0, key.find('='));
        if (key == "json") return StatusFormat::json;
        if (key == "metrics") return StatusFormat::prometheus;
        query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    }
    return StatusFormat::html;
}

// The inventory keeps fingerprints; their names come from this generation's SNIFallbackClientNames.
StatusReport named(StatusReport report) {
    for (ClientRow &client : report.clients) {
        if (const std::string *name = client_name(client.ja4, {})) client.client_name = *name;
    }
    return report;
}

}  // namespace

int serve_status(request_rec *r) {
    r->allowed |= (AP_METHOD_BIT << M_GET);
    if (r->method_number != M_GET) return HTTP_METHOD_NOT_ALLOWED;
    const StatusReport report = named(read_status_report(ap_server_conf));
    std::string body;
    switch (requested_format(r->args)) {
        case StatusFormat::json:
            body = render_status_json(report);
            ap_set_content_type(r, "application/json");
            break;
        case StatusFormat::prometheus:
            body = render_status_prometheus(report);
            ap_set_content_type(r, prometheus_content_type);
            break;
        case StatusFormat::html:
            body = render_status_html(report);
            ap_set_content_type(r, "text/html; charset=utf-8");
            apr_table_setn(r->headers_out, "Content-Security-Policy", status_page_security_policy);
            break;
    }
    apr_table_setn(r->headers_out, "Cache-Control", "no-store");
    if (!r->header_only) ap_rwrite(body.data(), static_cast<int>(body.size()), r);
    return OK;
}

// mod_status's section: the totals only (no vhost, no copy of the inventory), so a scrape of
// /server-status?auto costs the same at 10 vhosts as at 10,000. SNIFallbackServerStatus off
// leaves it out.
int add_status_section(request_rec *r, int flags) {
    if (!server_config(ap_server_conf).module.effective_server_status()) return OK;
    const std::string lines = render_status_auto(read_status_totals());
    if (flags & AP_STATUS_SHORT) {
        ap_rputs(lines.c_str(), r);
        return OK;
    }
    ap_rputs("<hr />\n<h2>mod_snifallback: clients without SNI</h2>\n<pre>", r);
    ap_rputs(html_escape(lines).c_str(), r);
    ap_rprintf(r,
               "</pre>\n<p>%u most frequent clients without SNI on the "
               "<code>snifallback-status</code> handler.</p>\n",
               inventory_clients());
    return OK;
}

}  // namespace snifallback::glue
