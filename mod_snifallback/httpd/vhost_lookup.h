// Finding virtual hosts the way an administrator names them: ServerName or ServerAlias, optional
// port; and the addresses they share.
#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "httpd.h"
#include "util_cfgtree.h"

namespace snifallback::glue {

// The vhosts of one address, as mod_ssl sees them when it matches an SNI name: its default
// (first) vhost, and every vhost that listens on an address where that vhost is the first, in
// configuration order.
struct AddressGroup {
    server_rec *default_vhost;
    std::vector<server_rec *> vhosts;
};

// Which vhost comes first on each address (IP and port), found in one pass over the vhosts: asking
// for the default vhost of every vhost then costs a few hash lookups each, not a walk of the list
// (a configuration with thousands of vhosts would otherwise start up in quadratic time).
class VhostAddresses {
  public:
    explicit VhostAddresses(server_rec *main_server);

    // The default vhost of the addresses `s` listens on: the first vhost in configuration order
    // that shares an address with `s` (the connection's base server, whose SSL_CTX mod_ssl uses
    // for a handshake without SNI). `s` itself when it listens on no address.
    server_rec *default_vhost_of(const server_rec *s) const;

    // Every address group, by the position of its default vhost in the configuration.
    const std::vector<AddressGroup> &groups() const noexcept { return groups_; }

  private:
    std::unordered_map<std::string, server_rec *> first_on_;        // address key -> first vhost
    std::unordered_map<const server_rec *, std::size_t> position_;  // in configuration order
    std::vector<AddressGroup> groups_;
};

// post_config: gives the default vhost of every address its index of served names (StartupState::
// served_names), so a handshake classifies its SNI name with one lookup.
void index_served_names(apr_pool_t *p, server_rec *main_server, const VhostAddresses &addresses);

// The vhost whose ServerName or ServerAlias (wildcards included) equals `name`, and which listens
// on `port` when port is non-zero; the first match in configuration order; null when none does.
server_rec *find_vhost(server_rec *main_server, const char *name, apr_port_t port) noexcept;

// The vhosts by where their <VirtualHost> section was written, to find the server_rec of a
// section of the configuration tree.
class VhostDefinitions {
  public:
    explicit VhostDefinitions(server_rec *main_server);
    // The vhost of a <VirtualHost> section; null for anything else.
    server_rec *vhost_of(const ap_directive_t *section) const;

  private:
    std::map<std::pair<std::string, unsigned>, server_rec *> by_place_;
};

// " (did you mean www.example.org?)" when a ServerName or ServerAlias of this configuration is
// close to `name`, for messages about names that match no vhost; "" otherwise.
const char *did_you_mean(apr_pool_t *p, server_rec *main_server, const char *name);

// "host:port" of the first address of `s`, for messages.
const char *address_text(apr_pool_t *p, const server_rec *s);

// "name (host:port)" of a vhost, for messages.
const char *vhost_label(apr_pool_t *p, const server_rec *s);

// Settings that act on the handshake without SNI act under the address's first vhost, where mod_ssl
// runs it, and nowhere else. Null when `s` is that vhost; otherwise the rest of a start-up message
// after the directive's name: " at file:line in <s> has no effect there: <why>, which is <first>;
// move it ...". `file` may be null when the place is not known.
const char *misplaced_in_vhost(apr_pool_t *p, const VhostAddresses &addresses, const server_rec *s,
                               const char *file, unsigned line, const char *why);

}  // namespace snifallback::glue
