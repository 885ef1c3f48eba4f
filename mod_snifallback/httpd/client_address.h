// The client's address behind a TCP load balancer.
//
// With `RemoteIPProxyProtocol On`, mod_remoteip reads the balancer's PROXY protocol header in a
// connection input filter, below mod_ssl's, and httpd 2.4 hands the address it carries to each
// request (r->useragent_ip: what %a, %h and `-R` see); the connection's own c->client_ip stays the
// balancer's. Handshakes come before any request, so the module looks at the same header bytes as
// they pass up to mod_remoteip (a filter of its own just below mod_remoteip's, added only to
// connections mod_remoteip added its filter to) and keeps the address. A header mod_remoteip does
// not consume reaches OpenSSL as garbage: no handshake, no record, so nothing unbelieved is used.
#pragma once

#include <string>

#include "httpd/module.h"

namespace snifallback::glue {

struct ConnectionState;

// register_hooks: the peeking filter.
void register_client_address_filter();

// post_config: looks up mod_remoteip's PROXY protocol filter (absent when it is not loaded).
void find_remoteip_filter();

// pre_connection, after mod_remoteip's: adds the peeking filter where mod_remoteip added its own.
int watch_proxy_header(conn_rec *c, void *csd);

// The client's address as httpd uses it for the connection: the PROXY header's when mod_remoteip
// took one, else the connection's; `peer_ip` is the socket's remote address when it differs (the
// balancer), else empty. Read at the ClientHello, when mod_remoteip has read the header.
void settle_client_address(ConnectionState &state);

}  // namespace snifallback::glue
