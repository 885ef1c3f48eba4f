#include "httpd/shared_stats.h"

#include <atomic>
#include <cstring>
#include <string>

#include "httpd/glue.h"

#include "http_protocol.h"
#include "util_mutex.h"
#include "apr_global_mutex.h"
#include "apr_shm.h"
#include "apr_strings.h"
#include "apr_time.h"
#include "mod_status.h"

#include "core/inventory.h"
#include "core/status.h"

namespace snifallback::glue {
namespace {

constexpr const char *mutex_type = "snifallback-inventory";
constexpr const char *shm_key = "snifallback-shm";  // process pool userdata: survives restarts
constexpr std::uint32_t area_magic = 0x534E4653u;   // "SNFS"
constexpr std::size_t vhost_name_bytes = 128;

// Counters as lock-free atomics, in the order of snifallback::Counters.
struct SharedCounters {
    std::atomic<std::uint64_t> tls, no_sni, no_sni_established, no_sni_failed;
    std::atomic<std::uint64_t> requests_no_sni, requests_none, requests_notice, requests_redirect,
        requests_vhost, requests_exempt;
};
static_assert(std::atomic<std::uint64_t>::is_always_lock_free,
              "counters in shared memory must be lock-free atomics");

struct SharedVhost {
    char name[vhost_name_bytes];
    SharedCounters counters;
};

struct SharedArea {
    std::uint32_t magic;
    std::uint32_t vhost_capacity;
    std::atomic<std::uint32_t> vhost_used;
    std::uint32_t inventory_capacity;
    SharedCounters total;
    // SharedVhost vhosts[vhost_capacity]; then the inventory, aligned.
};

struct Shared {
    apr_shm_t *shm = nullptr;
    SharedArea *area = nullptr;
    SharedVhost *vhosts = nullptr;
    InventoryView inventory;
};

Shared shared;  // per process; set in post_config, inherited at fork
apr_global_mutex_t *inventory_mutex = nullptr;

std::size_t align_up(std::size_t n, std::size_t a) { return (n + a - 1) / a * a; }

std::size_t vhosts_offset() { return align_up(sizeof(SharedArea), alignof(SharedVhost)); }

std::size_t inventory_offset(std::uint32_t vhost_capacity) {
    return align_up(vhosts_offset() + vhost_capacity * sizeof(SharedVhost), kInventoryAlignment);
}

std::size_t area_bytes(std::uint32_t vhost_capacity, std::uint32_t inventory_capacity) {
    return inventory_offset(vhost_capacity) + inventory_bytes(inventory_capacity);
}

SharedCounters *counters_of(const server_rec *vhost) noexcept {
    if (shared.area == nullptr || vhost == nullptr) return nullptr;
    const ServerConfig *config = server_config(vhost);
    if (config == nullptr || config->stats_slot < 0) return nullptr;
    return &shared.vhosts[config->stats_slot].counters;
}

void add(std::atomic<std::uint64_t> SharedCounters::*field, const server_rec *vhost) noexcept {
    if (shared.area == nullptr) return;
    (shared.area->total.*field).fetch_add(1, std::memory_order_relaxed);
    if (SharedCounters *c = counters_of(vhost)) (c->*field).fetch_add(1, std::memory_order_relaxed);
}

Counters read(const SharedCounters &c) noexcept {
    Counters out;
    out.tls = c.tls.load(std::memory_order_relaxed);
    out.no_sni = c.no_sni.load(std::memory_order_relaxed);
    out.no_sni_established = c.no_sni_established.load(std::memory_order_relaxed);
    out.no_sni_failed = c.no_sni_failed.load(std::memory_order_relaxed);
    out.requests_no_sni = c.requests_no_sni.load(std::memory_order_relaxed);
    out.requests_none = c.requests_none.load(std::memory_order_relaxed);
    out.requests_notice = c.requests_notice.load(std::memory_order_relaxed);
    out.requests_redirect = c.requests_redirect.load(std::memory_order_relaxed);
    out.requests_vhost = c.requests_vhost.load(std::memory_order_relaxed);
    out.requests_exempt = c.requests_exempt.load(std::memory_order_relaxed);
    return out;
}

std::uint32_t count_servers(server_rec *main_server) {
    std::uint32_t n = 0;
    for (server_rec *s = main_server; s; s = s->next) ++n;
    return n;
}

// The slot of a vhost's counters, found by ServerName so that it survives a graceful restart.
int slot_for(const char *name) {
    SharedArea &area = *shared.area;
    const std::uint32_t used = area.vhost_used.load();
    for (std::uint32_t i = 0; i < used; ++i) {
        if (!strncmp(shared.vhosts[i].name, name, vhost_name_bytes - 1)) return static_cast<int>(i);
    }
    if (used >= area.vhost_capacity) return -1;
    apr_cpystrn(shared.vhosts[used].name, name, vhost_name_bytes);
    area.vhost_used.store(used + 1);
    return static_cast<int>(used);
}

bool attach_existing(apr_shm_t *shm, std::uint32_t vhost_capacity, std::uint32_t capacity) {
    auto *area = static_cast<SharedArea *>(apr_shm_baseaddr_get(shm));
    if (apr_shm_size_get(shm) < area_bytes(vhost_capacity, capacity) ||
        area->magic != area_magic || area->vhost_capacity < vhost_capacity ||
        area->inventory_capacity != capacity) {
        return false;
    }
    shared.shm = shm;
    shared.area = area;
    shared.vhosts = reinterpret_cast<SharedVhost *>(reinterpret_cast<char *>(area) + vhosts_offset());
    shared.inventory = InventoryView::attach(
        reinterpret_cast<char *>(area) + inventory_offset(area->vhost_capacity),
        inventory_bytes(capacity));
    return shared.inventory.valid();
}

}  // namespace

int stats_pre_config(apr_pool_t *pconf) {
    return ap_mutex_register(pconf, mutex_type, nullptr, APR_LOCK_DEFAULT, 0) == APR_SUCCESS
               ? OK
               : HTTP_INTERNAL_SERVER_ERROR;
}

int stats_post_config(apr_pool_t *pconf, server_rec *main_server) {
    const ServerConfig *main_config = server_config(main_server);
    const std::uint32_t capacity = effective_inventory_size(*main_config);
    // Room for vhosts added by later graceful restarts.
    const std::uint32_t vhost_capacity = 2 * count_servers(main_server) + 16;
    apr_pool_t *process_pool = main_server->process->pool;

    shared = Shared{};
    void *existing = nullptr;
    apr_pool_userdata_get(&existing, shm_key, process_pool);
    auto *old_shm = static_cast<apr_shm_t *>(existing);
    if (old_shm == nullptr ||
        !attach_existing(old_shm, count_servers(main_server), capacity)) {
        if (old_shm != nullptr) {
            ap_log_error(APLOG_MARK, APLOG_INFO, 0, main_server,
                         "SNIF0040: counters and client inventory start afresh: their size "
                         "changed with the configuration");
            apr_shm_destroy(old_shm);
        }
        apr_shm_t *shm = nullptr;
        const std::size_t bytes = area_bytes(vhost_capacity, capacity);
        apr_status_t rv = apr_shm_create(&shm, bytes, nullptr, process_pool);
        if (rv != APR_SUCCESS) {
            ap_log_error(APLOG_MARK, APLOG_ERR, rv, main_server,
                         "SNIF0041: cannot create %" APR_SIZE_T_FMT " bytes of shared memory for "
                         "the counters; they are off",
                         bytes);
            apr_pool_userdata_set(nullptr, shm_key, apr_pool_cleanup_null, process_pool);
            return OK;
        }
        void *base = apr_shm_baseaddr_get(shm);
        std::memset(base, 0, bytes);
        auto *area = static_cast<SharedArea *>(base);
        area->vhost_capacity = vhost_capacity;
        area->inventory_capacity = capacity;
        InventoryView::create(static_cast<char *>(base) + inventory_offset(vhost_capacity),
                              inventory_bytes(capacity), capacity);
        area->magic = area_magic;
        apr_pool_userdata_set(shm, shm_key, apr_pool_cleanup_null, process_pool);
        if (!attach_existing(shm, count_servers(main_server), capacity)) return OK;
    }
    for (server_rec *s = main_server; s; s = s->next) {
        server_config(s)->stats_slot = slot_for(s->server_hostname ? s->server_hostname : "");
    }
    apr_status_t rv = ap_global_mutex_create(&inventory_mutex, nullptr, mutex_type, nullptr,
                                             main_server, pconf, 0);
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_ERR, rv, main_server,
                     "SNIF0042: cannot create the %s mutex (see the Mutex directive)", mutex_type);
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    return OK;
}

void stats_child_init(apr_pool_t *pchild, server_rec *s) {
    if (inventory_mutex == nullptr) return;
    apr_status_t rv = apr_global_mutex_child_init(
        &inventory_mutex, apr_global_mutex_lockfile(inventory_mutex), pchild);
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_ERR, rv, s,
                     "SNIF0043: cannot attach to the %s mutex in this child; its client inventory "
                     "updates are skipped",
                     mutex_type);
        inventory_mutex = nullptr;
    }
}

void count_tls_connection(const server_rec *vhost) noexcept { add(&SharedCounters::tls, vhost); }

void count_no_sni_hello(const server_rec *vhost) noexcept { add(&SharedCounters::no_sni, vhost); }

void count_handshake_end(const server_rec *vhost, bool established) noexcept {
    add(established ? &SharedCounters::no_sni_established : &SharedCounters::no_sni_failed, vhost);
}

void count_request(const server_rec *vhost, Decision::Kind decision) noexcept {
    add(&SharedCounters::requests_no_sni, vhost);
    switch (decision) {
        case Decision::Kind::none: add(&SharedCounters::requests_none, vhost); break;
        case Decision::Kind::exempt: add(&SharedCounters::requests_exempt, vhost); break;
        case Decision::Kind::notice: add(&SharedCounters::requests_notice, vhost); break;
        case Decision::Kind::redirect: add(&SharedCounters::requests_redirect, vhost); break;
        case Decision::Kind::vhost: add(&SharedCounters::requests_vhost, vhost); break;
    }
}

void remember_client(ConnectionState &state, const char *user_agent) noexcept {
    if (state.inventory_recorded) return;
    state.inventory_recorded = true;
    if (!shared.inventory.valid() || inventory_mutex == nullptr) return;
    if (apr_global_mutex_lock(inventory_mutex) != APR_SUCCESS) return;
    shared.inventory.record(state.connection->client_ip ? state.connection->client_ip : "",
                            state.ja4, user_agent ? user_agent : "", apr_time_now());
    apr_global_mutex_unlock(inventory_mutex);
}

namespace {

StatusReport build_report() {
    StatusReport report;
    if (shared.area == nullptr) return report;
    report.total = read(shared.area->total);
    const std::uint32_t used = shared.area->vhost_used.load();
    for (std::uint32_t i = 0; i < used; ++i) {
        if (shared.vhosts[i].name[0] == '\0') continue;  // the unnamed main server
        report.vhosts.push_back({shared.vhosts[i].name, read(shared.vhosts[i].counters)});
    }
    if (shared.inventory.valid() && inventory_mutex != nullptr &&
        apr_global_mutex_lock(inventory_mutex) == APR_SUCCESS) {
        const auto entries = shared.inventory.snapshot_sorted();
        apr_global_mutex_unlock(inventory_mutex);
        for (const auto &entry : entries) {
            report.clients.push_back({std::string(entry.client_ip()), std::string(entry.ja4()),
                                      std::string(entry.user_agent()), entry.count,
                                      entry.first_seen_us, entry.last_seen_us});
        }
    }
    return report;
}

}  // namespace

int status_handler(request_rec *r) {
    if (r->handler == nullptr || strcmp(r->handler, "snifallback-status") != 0) return DECLINED;
    r->allowed |= (AP_METHOD_BIT << M_GET);
    if (r->method_number != M_GET) return HTTP_METHOD_NOT_ALLOWED;
    try {
        const StatusReport report = build_report();
        const bool json = r->args != nullptr && strstr(r->args, "json") != nullptr;
        const std::string body = json ? render_status_json(report) : render_status_html(report);
        ap_set_content_type(r, json ? "application/json" : "text/html; charset=utf-8");
        apr_table_setn(r->headers_out, "Cache-Control", "no-store");
        if (!r->header_only) ap_rwrite(body.data(), static_cast<int>(body.size()), r);
        return OK;
    } catch (...) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "SNIF0044: cannot render the status page");
        return HTTP_INTERNAL_SERVER_ERROR;
    }
}

int status_hook(request_rec *r, int flags) {
    try {
        const StatusReport report = build_report();
        if (flags & AP_STATUS_SHORT) {
            ap_rputs(render_status_auto(report.total).c_str(), r);
        } else {
            ap_rputs("<hr />\n<h2>mod_snifallback: clients without SNI</h2>\n<pre>", r);
            ap_rputs(html_escape(render_status_auto(report.total)).c_str(), r);
            ap_rprintf(r, "</pre>\n<p>%d most frequent clients without SNI on the "
                          "<code>snifallback-status</code> handler.</p>\n",
                       static_cast<int>(report.clients.size()));
        }
    } catch (...) {
    }
    return OK;
}

}  // namespace snifallback::glue
