// Counters and the client inventory in shared memory, shared by every child process.
//
// Anonymous shared memory (apr_shm) is created by the parent in post_config and inherited by the
// children at fork, so it needs no re-attaching; it lives in the process pool and is reused across
// graceful restarts (counters survive them) as long as its layout still fits the configuration. The
// inventory, which takes several words per update, is guarded by an Apache global mutex
// ("Mutex ... snifallback-inventory"); counters are lock-free atomics.
#pragma once

#include "httpd.h"
#include "apr_pools.h"

#include "core/action.h"

namespace snifallback::glue {

struct ConnectionState;

int stats_pre_config(apr_pool_t *pconf);
int stats_post_config(apr_pool_t *pconf, server_rec *main_server);
void stats_child_init(apr_pool_t *pchild, server_rec *s);

void count_tls_connection(const server_rec *vhost) noexcept;
void count_no_sni_hello(const server_rec *vhost) noexcept;
void count_handshake_end(const server_rec *vhost, bool established) noexcept;
void count_request(const server_rec *vhost, Decision::Kind decision) noexcept;
// One inventory sighting per no-SNI connection: at its first request (with its User-Agent), or at
// its end when it never sent one.
void remember_client(ConnectionState &state, const char *user_agent) noexcept;

// SetHandler snifallback-status, and mod_status's status_hook.
int status_handler(request_rec *r);
int status_hook(request_rec *r, int flags);

}  // namespace snifallback::glue
