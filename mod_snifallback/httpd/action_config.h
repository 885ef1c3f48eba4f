// SNIFallbackAction, SNIFallbackNoticeStatus and SNIFallbackExempt: parsing and start-up checks.
// What they do at request time is request_action.cpp.
#pragma once

#include "httpd/module.h"

namespace snifallback::glue {

const char *set_action(cmd_parms *cmd, void *, int argc, char *const argv[]);
const char *set_notice_status(cmd_parms *cmd, void *, const char *arg);
const char *set_exempt(cmd_parms *cmd, void *, const char *arg);

// check_config: every `vhost` target names a vhost of this configuration (`apachectl -t`).
int check_action_targets(apr_pool_t *p, server_rec *main_server);
// post_config, after mod_ssl: refuses targets that check client certificates, and logs each
// vhost's action (info).
int verify_action_targets(apr_pool_t *p, server_rec *main_server);

}  // namespace snifallback::glue
