#include "httpd/address_list.h"

#include <cstring>

#include "apr_strings.h"

namespace snifallback::glue {

const char *parse_address_list(cmd_parms *cmd, int argc, char *const argv[],
                               apr_array_header_t *&list) {
    if (argc < 1) {
        return apr_psprintf(cmd->pool, "%s: name at least one address or network", cmd->cmd->name);
    }
    if (list == nullptr) list = apr_array_make(cmd->pool, argc, sizeof(apr_ipsubnet_t *));
    for (int i = 0; i < argc; ++i) {
        char *address = apr_pstrdup(cmd->temp_pool, argv[i]);
        char *mask = strchr(address, '/');
        if (mask != nullptr) *mask++ = '\0';
        apr_ipsubnet_t *subnet = nullptr;
        if (*address == '\0' || (mask != nullptr && *mask == '\0') ||
            apr_ipsubnet_create(&subnet, address, mask, cmd->pool) != APR_SUCCESS) {
            return apr_psprintf(cmd->pool,
                                "%s: '%s' is not an IP address or network; write an address "
                                "(192.0.2.7, 2001:db8::7) or a network (10.0.0.0/8, "
                                "10.0.0.0/255.0.0.0, 2001:db8::/32), as RemoteIPTrustedProxy "
                                "takes them (host names are not resolved)",
                                cmd->cmd->name, argv[i]);
        }
        *static_cast<apr_ipsubnet_t **>(apr_array_push(list)) = subnet;
    }
    return nullptr;
}

bool address_in_list(const apr_array_header_t *list, apr_sockaddr_t *address) noexcept {
    if (list == nullptr || address == nullptr) return false;
    for (int i = 0; i < list->nelts; ++i) {
        if (apr_ipsubnet_test(APR_ARRAY_IDX(list, i, apr_ipsubnet_t *), address)) return true;
    }
    return false;
}

}  // namespace snifallback::glue
