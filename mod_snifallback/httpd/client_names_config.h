// SNIFallbackClientNames: names of client programs by TLS fingerprint, read from CSV files in the
// layout of FoxIO's ja4plus-mapping.csv (core/client_names.h).
//
// The directive records the files (relative to ServerRoot); check_config, which `apachectl -t`
// runs too, reads them in order, later files winning, and fails the test and the (re)start on a
// file that cannot be read or holds a bad row, naming the file and line. The names live in the
// configuration pool of their generation: every restart reads the files again.
#pragma once

#include <string>
#include <string_view>

#include "httpd/module.h"

namespace snifallback::glue {

// SNIFallbackClientNames file... (server config; repeatable, the files add up in order).
const char *set_client_names(cmd_parms *cmd, void *, int argc, char *const argv[]);

// check_config: reads the files. OK, or an error status after logging every problem.
int load_client_names(apr_pool_t *pconf, server_rec *main_server);

// The name of a client with these fingerprints: one hash probe by JA4 (then one by JA3 when the
// files name JA3s). Null when unknown or no names are configured. Called for fallback clients
// only; the pointer stays valid for the configuration generation.
const std::string *client_name(std::string_view ja4, std::string_view ja3_hash) noexcept;

// Start-up summary (SNIF0112): how many fingerprints are named, from which files.
void log_client_names(server_rec *main_server);

}  // namespace snifallback::glue
