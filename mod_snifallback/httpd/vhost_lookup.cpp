#include "httpd/vhost_lookup.h"

#include "core/spelling.h"
#include "httpd/server_config.h"

#include <algorithm>
#include <cstdint>
#include <new>
#include <string>

#include "apr_lib.h"
#include "apr_strings.h"
#include "apr_network_io.h"

#if APR_HAVE_NETINET_IN_H
#include <netinet/in.h>
#endif

namespace snifallback::glue {
namespace {

bool listens_on_port(const server_rec *s, apr_port_t port) noexcept {
    if (port == 0) return true;
    for (const server_addr_rec *a = s->addrs; a; a = a->next) {
        if (a->host_port == port || (a->host_port == 0 && s->port == port)) return true;
    }
    return false;
}

bool name_in(const apr_array_header_t *names, const char *name, bool wildcard) noexcept {
    if (names == nullptr) return false;
    const auto *entries = reinterpret_cast<char *const *>(names->elts);
    for (int i = 0; i < names->nelts; ++i) {
        if (wildcard ? ap_strcasecmp_match(name, entries[i]) == 0 : !strcasecmp(name, entries[i])) {
            return true;
        }
    }
    return false;
}

}  // namespace

// httpd links the vhosts after the main server in reverse configuration order: the first
// <VirtualHost> of the file is the last of the list. "First in configuration order" is therefore
// the last match of a walk down the list.
server_rec *find_vhost(server_rec *main_server, const char *name, apr_port_t port) noexcept {
    server_rec *found = nullptr;
    for (server_rec *s = main_server->next; s; s = s->next) {  // vhosts only: main is not a vhost
        if (!listens_on_port(s, port)) continue;
        if ((s->server_hostname && !strcasecmp(s->server_hostname, name)) ||
            name_in(s->names, name, false) || name_in(s->wild_names, name, true)) {
            found = s;
        }
    }
    return found;
}

namespace {

// An address as apr_sockaddr_equal() compares it: the IP's bytes (an IPv4-mapped IPv6 address as
// its IPv4 bytes) and the port.
std::string address_key(const server_addr_rec &address) {
    const apr_sockaddr_t *ip = address.host_addr;
    std::string key;
    if (ip != nullptr && ip->ipaddr_ptr != nullptr) {
        const auto *bytes = static_cast<const unsigned char *>(ip->ipaddr_ptr);
        std::size_t length = static_cast<std::size_t>(ip->ipaddr_len);
#if APR_HAVE_IPV6
        if (ip->family == APR_INET6 &&
            IN6_IS_ADDR_V4MAPPED(static_cast<const struct in6_addr *>(ip->ipaddr_ptr))) {
            bytes += 12;
            length = 4;
        }
#endif
        key.assign(reinterpret_cast<const char *>(bytes), length);
    }
    key.push_back(static_cast<char>(address.host_port >> 8));
    key.push_back(static_cast<char>(address.host_port & 0xff));
    return key;
}

}  // namespace

VhostAddresses::VhostAddresses(server_rec *main_server) {
    std::vector<server_rec *> in_file_order;  // httpd links vhosts in reverse order
    for (server_rec *s = main_server->next; s; s = s->next) in_file_order.push_back(s);
    std::reverse(in_file_order.begin(), in_file_order.end());
    for (std::size_t i = 0; i < in_file_order.size(); ++i) {
        server_rec *s = in_file_order[i];
        position_.emplace(s, i);
        for (const server_addr_rec *a = s->addrs; a; a = a->next)
            first_on_.emplace(address_key(*a), s);
    }
    std::unordered_map<const server_rec *, std::size_t> group_of;  // default vhost -> groups_ index
    for (server_rec *s : in_file_order) {
        std::vector<std::size_t> joined;
        for (const server_addr_rec *a = s->addrs; a; a = a->next) {
            server_rec *first = first_on_.at(address_key(*a));
            auto [found, added] = group_of.emplace(first, groups_.size());
            if (added) groups_.push_back({first, {}});
            if (std::find(joined.begin(), joined.end(), found->second) != joined.end()) continue;
            joined.push_back(found->second);
            groups_[found->second].vhosts.push_back(s);
        }
    }
}

server_rec *VhostAddresses::default_vhost_of(const server_rec *s) const {
    server_rec *first = const_cast<server_rec *>(s);
    std::size_t first_position = SIZE_MAX;
    for (const server_addr_rec *a = s->addrs; a; a = a->next) {
        const auto found = first_on_.find(address_key(*a));
        if (found == first_on_.end()) continue;
        const std::size_t position = position_.at(found->second);
        if (position < first_position) {
            first = found->second;
            first_position = position;
        }
    }
    return first;
}

namespace {

apr_status_t destroy_name_index(void *data) {
    static_cast<NameIndex *>(data)->~NameIndex();
    return APR_SUCCESS;
}

void add_names(NameIndex &index, const apr_array_header_t *names) {
    if (names == nullptr) return;
    const auto *entries = reinterpret_cast<char *const *>(names->elts);
    for (int i = 0; i < names->nelts; ++i) {
        if (entries[i] != nullptr) index.add(entries[i]);
    }
}

}  // namespace

void index_served_names(apr_pool_t *p, server_rec *main_server, const VhostAddresses &addresses) {
    for (server_rec *s = main_server; s; s = s->next)
        server_config(s).startup.served_names = nullptr;
    std::vector<AddressGroup> groups = addresses.groups();
    // TLS on an address without a <VirtualHost> is the main server's own.
    groups.push_back({main_server, {main_server}});
    for (const AddressGroup &group : groups) {
        void *memory = apr_pcalloc(p, sizeof(NameIndex));
        auto *index = new (memory) NameIndex();
        apr_pool_cleanup_register(p, index, destroy_name_index, apr_pool_cleanup_null);
        for (const server_rec *s : group.vhosts) {
            if (s->server_hostname != nullptr) index->add(s->server_hostname);
            add_names(*index, s->names);
            add_names(*index, s->wild_names);
        }
        server_config(group.default_vhost).startup.served_names = index;
    }
}

VhostDefinitions::VhostDefinitions(server_rec *main_server) {
    for (server_rec *s = main_server->next; s; s = s->next) {
        if (s->defn_name) by_place_[{s->defn_name, s->defn_line_number}] = s;
    }
}

server_rec *VhostDefinitions::vhost_of(const ap_directive_t *section) const {
    if (section == nullptr || strcasecmp(section->directive, "<VirtualHost") != 0) return nullptr;
    const auto found = by_place_.find(
        {section->filename ? section->filename : "", static_cast<unsigned>(section->line_num)});
    return found != by_place_.end() ? found->second : nullptr;
}

const char *did_you_mean(apr_pool_t *p, server_rec *main_server, const char *name) {
    std::vector<std::string> names;
    for (server_rec *s = main_server->next; s; s = s->next) {
        if (s->server_hostname) names.emplace_back(s->server_hostname);
        if (s->names == nullptr) continue;
        const auto *aliases = reinterpret_cast<char *const *>(s->names->elts);
        for (int i = 0; i < s->names->nelts; ++i) names.emplace_back(aliases[i]);
    }
    const std::string closest = closest_name(name, names);
    return closest.empty() ? "" : apr_psprintf(p, " (did you mean %s?)", closest.c_str());
}

const char *address_text(apr_pool_t *p, const server_rec *s) {
    if (s->addrs == nullptr) return "(no address)";
    return apr_psprintf(p, "%s:%u", s->addrs->virthost ? s->addrs->virthost : "*",
                        static_cast<unsigned>(s->addrs->host_port));
}

const char *vhost_label(apr_pool_t *p, const server_rec *s) {
    return apr_psprintf(p, "%s (%s)", s->server_hostname ? s->server_hostname : "?",
                        address_text(p, s));
}

const char *misplaced_in_vhost(apr_pool_t *p, const VhostAddresses &addresses, const server_rec *s,
                               const char *file, unsigned line, const char *why) {
    const server_rec *first = addresses.default_vhost_of(s);
    if (first == s) return nullptr;
    // file:line of the directive, as httpd's own configuration errors give it
    const char *at = file ? apr_psprintf(p, " at %s:%u", file, line) : "";
    return apr_psprintf(p,
                        "%s in %s has no effect there: %s, which is %s; move it into that "
                        "<VirtualHost> or to the server config",
                        at, vhost_label(p, s), why, vhost_label(p, first));
}

}  // namespace snifallback::glue
