// SetHandler snifallback-probe: the browser SNI probe (core/probe.h), and its URL directives.
#pragma once

#include "httpd/module.h"

namespace snifallback::glue {

inline constexpr char probe_handler_name[] = "snifallback-probe";

// Which URL an SNIFallbackProbe* directive sets (the directive table's cmd->info).
enum class ProbeUrl { pixel, success, failure };

// SNIFallbackProbePixel, SNIFallbackProbeSuccess, SNIFallbackProbeFailure.
const char *set_probe_url(cmd_parms *cmd, void *, const char *arg);

// check_config: every `SetHandler snifallback-probe` in the configuration has the three URLs in
// its server (`apachectl -t` fails otherwise, naming the file and line).
int check_probe_locations(apr_pool_t *p, server_rec *main_server);

// Answers a request whose handler is snifallback-probe.
int serve_probe(request_rec *r);

}  // namespace snifallback::glue
