#include "httpd/client_address.h"

#include <algorithm>
#include <cstring>
#include <new>

#include "util_filter.h"

#include "core/proxy_header.h"
#include "httpd/connection_state.h"

namespace snifallback::glue {
namespace {

ap_filter_rec_t *peek_filter = nullptr;
ap_filter_rec_t *remoteip_filter = nullptr;  // mod_remoteip's PROXY protocol filter, if loaded

// What the filter saw of the connection's first bytes.
struct PeekState {
    unsigned char bytes[proxy_header_scan_bytes];
    std::size_t have = 0;
    bool done = false;
    bool found = false;
    ProxiedAddress address;
};

apr_status_t destroy_peek_state(void *data) {
    static_cast<PeekState *>(data)->~PeekState();
    return APR_SUCCESS;
}

void look_at(PeekState &peek, apr_bucket_brigade *bb) {
    for (apr_bucket *b = APR_BRIGADE_FIRST(bb);
         b != APR_BRIGADE_SENTINEL(bb) && peek.have < sizeof peek.bytes; b = APR_BUCKET_NEXT(b)) {
        if (APR_BUCKET_IS_METADATA(b)) continue;
        const char *data = nullptr;
        apr_size_t len = 0;
        // What the core input filter hands up in these modes is in memory: the read never waits.
        if (apr_bucket_read(b, &data, &len, APR_NONBLOCK_READ) != APR_SUCCESS) break;
        const std::size_t take = std::min<std::size_t>(len, sizeof peek.bytes - peek.have);
        std::memcpy(peek.bytes + peek.have, data, take);
        peek.have += take;
    }
    switch (scan_proxy_header(peek.bytes, peek.have, peek.address)) {
        case ProxyHeaderScan::found:
            peek.found = peek.done = true;
            break;
        case ProxyHeaderScan::none:
            peek.done = true;
            break;
        case ProxyHeaderScan::need_more:
            peek.done = peek.have == sizeof peek.bytes;
            break;
    }
}

// Passes every read through unchanged; copies the first bytes mod_remoteip reads until it knows
// whether they are a PROXY header. Stays in the chain afterwards (as mod_remoteip's does), doing
// nothing but the pass.
extern "C" apr_status_t peek_proxy_header(ap_filter_t *f, apr_bucket_brigade *bb,
                                          ap_input_mode_t mode, apr_read_type_e block,
                                          apr_off_t readbytes) {
    const apr_status_t rv = ap_get_brigade(f->next, bb, mode, block, readbytes);
    auto *peek = static_cast<PeekState *>(f->ctx);
    if (rv != APR_SUCCESS || peek == nullptr || peek->done) return rv;
    if (mode != AP_MODE_READBYTES && mode != AP_MODE_GETLINE) return rv;
    try {
        look_at(*peek, bb);
    } catch (...) {
        peek->done = true;  // the address stays the connection's
    }
    return rv;
}

bool remoteip_reads_proxy_header(conn_rec *c) {
    for (ap_filter_t *f = c->input_filters; f; f = f->next) {
        if (f->frec == remoteip_filter) return true;
    }
    return false;
}

const PeekState *peeked(conn_rec *c) {
    for (ap_filter_t *f = c->input_filters; f; f = f->next) {
        if (f->frec == peek_filter) return static_cast<const PeekState *>(f->ctx);
    }
    return nullptr;
}

}  // namespace

void register_client_address_filter() {
    // mod_remoteip's filter is AP_FTYPE_CONNECTION + 7 and reads from the next one down: this one,
    // closer to the network, sees exactly the bytes it is given.
    peek_filter = ap_register_input_filter("SNIFALLBACK_PROXY_PEEK", peek_proxy_header, nullptr,
                                           static_cast<ap_filter_type>(AP_FTYPE_CONNECTION + 8));
}

void find_remoteip_filter() {
    remoteip_filter = ap_get_input_filter_handle("REMOTEIP_INPUT");
}

int watch_proxy_header(conn_rec *c, void *) {
    // Without mod_remoteip every connection pays this one comparison.
    if (remoteip_filter == nullptr || c->master != nullptr || !remoteip_reads_proxy_header(c)) {
        return DECLINED;
    }
    void *memory = apr_pcalloc(c->pool, sizeof(PeekState));
    auto *peek = new (memory) PeekState();
    apr_pool_cleanup_register(c->pool, peek, destroy_peek_state, apr_pool_cleanup_null);
    ap_add_input_filter_handle(peek_filter, peek, nullptr, c);
    return DECLINED;
}

void settle_client_address(ConnectionState &state) {
    if (state.address_settled) return;
    state.address_settled = true;
    conn_rec *c = state.connection;
    const char *socket_ip = c->client_ip ? c->client_ip : "";
    const PeekState *peek = peeked(c);
    if (peek != nullptr && peek->found) {
        const ProxiedAddress &proxied = peek->address;
        state.client_ip = proxied.ip;
        state.client_port = proxied.port;
        if (state.client_ip != socket_ip) state.peer_ip = socket_ip;
        // Built as mod_remoteip builds its own: no resolver involved.
        apr_sockaddr_t *address = nullptr;
        if (apr_sockaddr_info_get(&address, nullptr, proxied.ipv6 ? APR_INET6 : APR_INET,
                                  proxied.port, 0, c->pool) == APR_SUCCESS) {
            if (proxied.ipv6) {
                std::memcpy(&address->sa.sin6.sin6_addr, proxied.bytes, 16);
            } else {
                std::memcpy(&address->sa.sin.sin_addr, proxied.bytes, 4);
            }
            state.client_addr = address;
        }
    } else {
        state.client_ip = socket_ip;
        state.client_port = c->client_addr ? c->client_addr->port : 0;
        state.client_addr = c->client_addr;
    }
}

}  // namespace snifallback::glue
