// Lists of addresses and networks in directives (SNIFallbackHealthCheckFrom,
// SNIFallbackTrustedProxy), written as RemoteIPTrustedProxy takes them: an address
// (192.0.2.7, 2001:db8::7), or a network as address/bits or address/netmask (10.0.0.0/8,
// 10.0.0.0/255.0.0.0, 2001:db8::/32). Host names are refused: the module resolves nothing.
#pragma once

#include "httpd/module.h"

#include "apr_network_io.h"
#include "apr_tables.h"

namespace snifallback::glue {

// Appends each of argv's addresses or networks to `list` (created in cmd->pool when null). An
// error names the directive, the value and the forms allowed.
const char *parse_address_list(cmd_parms *cmd, int argc, char *const argv[],
                               apr_array_header_t *&list);

// Whether `address` is in one of the list's networks; false for a null list or address.
bool address_in_list(const apr_array_header_t *list, apr_sockaddr_t *address) noexcept;

}  // namespace snifallback::glue
