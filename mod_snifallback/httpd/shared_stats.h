// Counters and the client inventory in shared memory, shared by every child process.
//
// Anonymous shared memory (apr_shm) is created by the parent in post_config and inherited by the
// children at fork, so it needs no re-attaching; it lives in the process pool and is reused across
// graceful restarts (counters survive them) as long as its layout still fits the configuration. The
// inventory, which takes several words per update, is guarded by an Apache global mutex
// ("Mutex ... snifallback-inventory"); counters are lock-free atomics, laid out from the one
// counter table (core/counters.h), and so is the hourly history of the last 48 hours
// (core/history.h), fed by the same count() and count_request() calls.
#pragma once

#include "httpd/module.h"

#include "core/action.h"
#include "core/counters.h"
#include "core/status.h"

namespace snifallback::glue {

struct ConnectionState;

// pre_config: registers the inventory's mutex type.
int stats_pre_config(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp);
// post_config: creates or re-attaches the shared memory, gives every server its counter slot.
int stats_post_config(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp, server_rec *s);
// child_init: attaches the child to the inventory's mutex.
void stats_child_init(apr_pool_t *pchild, server_rec *s);

// Adds one to a counter, in the server's total and in `vhost`'s own set.
void count(Counter counter, const server_rec *vhost) noexcept;
// One request of a fallback connection, in its cell (class, action, enforced).
void count_request(const server_rec *vhost, const RequestCell &cell) noexcept;
// One inventory sighting per selected fallback connection: at its first request (with its
// User-Agent), or at its end when it never sent one.
void remember_client(ConnectionState &state, const char *user_agent) noexcept;

// Everything the status outputs show: counters and inventory read from shared memory now, the
// vhosts' forecast from the configuration whose main server is `main_server`.
StatusReport read_status_report(const server_rec *main_server);

}  // namespace snifallback::glue
