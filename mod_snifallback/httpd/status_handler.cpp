#include "httpd/status_handler.h"

#include <cstring>
#include <string>

#include "http_main.h"
#include "http_protocol.h"
#include "mod_status.h"

#include "core/status.h"
#include "httpd/shared_stats.h"

namespace snifallback::glue {

int serve_status(request_rec *r) {
    r->allowed |= (AP_METHOD_BIT << M_GET);
    if (r->method_number != M_GET) return HTTP_METHOD_NOT_ALLOWED;
    const StatusReport report = read_status_report(ap_server_conf);
    const bool json = r->args != nullptr && strstr(r->args, "json") != nullptr;
    const std::string body = json ? render_status_json(report) : render_status_html(report);
    ap_set_content_type(r, json ? "application/json" : "text/html; charset=utf-8");
    apr_table_setn(r->headers_out, "Cache-Control", "no-store");
    if (!r->header_only) ap_rwrite(body.data(), static_cast<int>(body.size()), r);
    return OK;
}

int add_status_section(request_rec *r, int flags) {
    const StatusReport report = read_status_report(ap_server_conf);
    if (flags & AP_STATUS_SHORT) {
        ap_rputs(render_status_auto(report.total).c_str(), r);
        return OK;
    }
    ap_rputs("<hr />\n<h2>mod_snifallback: clients without SNI</h2>\n<pre>", r);
    ap_rputs(html_escape(render_status_auto(report.total)).c_str(), r);
    ap_rprintf(r, "</pre>\n<p>%d most frequent clients without SNI on the "
                  "<code>snifallback-status</code> handler.</p>\n",
               static_cast<int>(report.clients.size()));
    return OK;
}

}  // namespace snifallback::glue
