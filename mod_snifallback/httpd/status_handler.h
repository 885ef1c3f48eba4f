// SetHandler snifallback-status (HTML; ?json), and the module's section of mod_status.
#pragma once

#include "httpd/module.h"

namespace snifallback::glue {

inline constexpr char status_handler_name[] = "snifallback-status";

// Answers a request whose handler is snifallback-status.
int serve_status(request_rec *r);
// mod_status's status_hook: "?auto" lines, or a short HTML section.
int add_status_section(request_rec *r, int flags);

}  // namespace snifallback::glue
