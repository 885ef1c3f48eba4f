#include "httpd/hook_guard.h"

namespace snifallback::glue::hook_guard_detail {

void report_failure(HookKind kind, const FailureContext &context, const char *what) noexcept {
    switch (kind) {
        case HookKind::configuration:
            ap_log_error(APLOG_MARK, APLOG_STARTUP | APLOG_EMERG, 0, nullptr,
                         "SNIF0004: mod_snifallback could not set itself up: %s; the server "
                         "does not start with the module half set up",
                         what);
            break;
        case HookKind::child:  // child_init is called with the main server
            ap_log_error(APLOG_MARK, APLOG_ERR, 0, context.server,
                         "SNIF0079: mod_snifallback could not set itself up in this child "
                         "process: %s; the child serves requests without it (e.g. without "
                         "client inventory updates)",
                         what);
            break;
        case HookKind::connection:
            ap_log_cerror(APLOG_MARK, APLOG_ERR, 0, context.connection,
                          "SNIF0001: cannot observe this connection (%s); it is served "
                          "unobserved",
                          what);
            break;
        case HookKind::request:  // every request hook is called with its request_rec
            ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, context.request,
                          "SNIF0003: unexpected failure (%s); the request is served as without "
                          "the module",
                          what);
            break;
    }
}

}  // namespace snifallback::glue::hook_guard_detail
