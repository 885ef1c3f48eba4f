// SNIFallbackAction, SNIFallbackNoticeStatus, SNIFallbackExempt, SNIFallbackMode and
// SNIFallbackEnforceIf: parsing and start-up checks.
// What they do at request time is request_action.cpp.
#pragma once

#include "httpd/module.h"

#include "httpd/server_config.h"

namespace snifallback::glue {

const char *set_action(cmd_parms *cmd, void *, int argc, char *const argv[]);
const char *set_notice_status(cmd_parms *cmd, void *, const char *arg);
const char *set_exempt(cmd_parms *cmd, void *, const char *arg);
const char *set_mode(cmd_parms *cmd, void *, const char *arg);
const char *set_enforce_if(cmd_parms *cmd, void *, const char *arg);

// check_config: every `vhost` target names a vhost of this configuration (`apachectl -t`).
int check_action_targets(apr_pool_t *p, server_rec *main_server);
// post_config, after mod_ssl: refuses targets that check client certificates.
int verify_action_targets(apr_pool_t *p, server_rec *main_server);

// The vhost's action in words, for start-up lines: "notice (built-in page, status 403)", "none".
const char *describe_action(apr_pool_t *p, const VhostSettings &settings);

}  // namespace snifallback::glue
