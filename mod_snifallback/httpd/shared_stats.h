// Counters and the client inventory in shared memory, shared by every child process.
//
// Anonymous shared memory (apr_shm) is created by the parent in post_config and inherited by the
// children at fork, so it needs no re-attaching. The inventory, which takes several words per
// update, is guarded by an Apache global mutex ("Mutex ... snifallback-inventory"); counters are
// lock-free atomics, laid out from the one counter table (core/counters.h), and so is the
// history of the last 48 hours and 35 days (core/history.h), fed by the same count() and
// count_request() calls.
//
// What survives a graceful restart (SIGUSR1, apachectl graceful; also a restart, SIGHUP, which
// keeps the parent too but ends the old children at once), and what does not:
//   survives  the shared memory (it lives in the process pool) with the totals, every vhost's
//             counters, the client inventory and the history, as long as its layout still fits
//             the new configuration (same SNIFallbackInventorySize, room for the vhosts, same
//             module build); otherwise they start afresh and SNIF0040 says so;
//   survives  the inventory's mutex, created once in the process pool beside the memory it guards
//             (as mod_ssl keeps its session cache's): children of the old generation that still
//             finish connections and children of the new one lock the same mutex. Each child
//             re-attaches to it in child_init. A changed `Mutex snifallback-inventory` line takes
//             effect at the next full restart;
//   per vhost counters follow the ServerName: a vhost keeps its slot (and counts) across
//             restarts; the slot of a vhost that is no longer configured is reclaimed for a new
//             one once a whole generation has passed without it (so the old generation's children
//             never count into a slot that now belongs to another vhost), and starts from zero.
//             When no slot is left a vhost has no counters of its own (its counts still go to the
//             totals) and SNIF0075 says so;
//   does not  anything a status output shows of the configuration (the vhost list, forecasts): each
//             child reports its own generation's, so a scrape answered by an old child during the
//             drain shows the old configuration;
//   does not  a stop and start (the process pool goes): everything starts at zero.
// The process globals that point into this state are set in post_config and cleared by cleanups
// of the pool whose lifetime they share (pconf for the per-generation view, the process pool or
// the child's pool for the mutex handle), so nothing reads a previous generation's memory.
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
// vhosts' forecast from the configuration whose main server is `main_server`. Linear in the
// vhosts of that configuration and the inventory's capacity; the mutex is held only to copy the
// inventory.
StatusReport read_status_report(const server_rec *main_server);
// The totals alone (mod_status's section): no vhost, no inventory, no mutex.
Counters read_status_totals() noexcept;
// How many clients the inventory holds now.
std::uint32_t inventory_clients() noexcept;

}  // namespace snifallback::glue
