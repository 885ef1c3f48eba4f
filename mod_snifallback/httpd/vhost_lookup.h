// Finding virtual hosts the way an administrator names them: ServerName or ServerAlias, optional
// port; and the addresses they share.
#pragma once

#include "httpd.h"

namespace snifallback::glue {

// The vhost whose ServerName or ServerAlias (wildcards included) equals `name`, and which listens
// on `port` when port is non-zero; the first match in configuration order; null when none does.
server_rec *find_vhost(server_rec *main_server, const char *name, apr_port_t port) noexcept;

// True when `a` and `b` listen on a common address (same IP and port).
bool share_address(const server_rec *a, const server_rec *b) noexcept;

// The default vhost of the addresses `s` listens on: the first vhost in configuration order that
// shares an address with `s` (the connection's base server, whose SSL_CTX mod_ssl uses for a
// handshake without SNI).
server_rec *default_vhost_of(server_rec *main_server, server_rec *s) noexcept;

// "host:port" of the first address of `s`, for messages.
const char *address_text(apr_pool_t *p, const server_rec *s);

}  // namespace snifallback::glue
