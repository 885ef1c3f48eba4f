#include "httpd/shared_stats.h"

#include <atomic>
#include <cstring>
#include <string>

#include "httpd/connection_state.h"
#include "httpd/server_config.h"

#include "util_mutex.h"
#include "apr_global_mutex.h"
#include "apr_shm.h"
#include "apr_strings.h"
#include "apr_time.h"

#include "core/history.h"
#include "core/inventory.h"

namespace snifallback::glue {
namespace {

constexpr const char *mutex_type = "snifallback-inventory";
constexpr const char *shm_key = "snifallback-shm";  // process pool userdata: survives restarts
// Names the layout: a graceful restart into a build with another layout starts afresh. The
// counter tables' sizes are part of it; area_layout names what they do not show (2: the hourly
// history follows the inventory; 3: a vhost's name holds 255 bytes).
constexpr std::size_t area_layout = 3;
constexpr std::uint32_t area_magic =
    0x53000000u +
    static_cast<std::uint32_t>(area_layout << 16 | counter_count << 8 | request_cell_count);
// A whole ServerName of the 255 bytes DNS allows, and its NUL: two vhosts whose names differ
// anywhere never share a row (a longer name fails the start, SNIF0061).
constexpr std::size_t vhost_name_bytes = 256;

// Every counter of the tables, as a lock-free atomic.
struct SharedCounters {
    std::atomic<std::uint64_t> values[counter_count];
    std::atomic<std::uint64_t> requests[request_cell_count];
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
    // SharedVhost vhosts[vhost_capacity]; then the inventory, aligned; then the history, aligned.
};

struct Shared {
    apr_shm_t *shm = nullptr;
    SharedArea *area = nullptr;
    SharedVhost *vhosts = nullptr;
    InventoryView inventory;
    HistoryView history;
};

Shared shared;  // per process; set in post_config, inherited at fork
apr_global_mutex_t *inventory_mutex = nullptr;

// Holds the inventory's mutex for a scope, so that nothing (not even a failed allocation) leaves it
// locked for every other process.
class InventoryLock {
  public:
    InventoryLock() noexcept
        : held_(inventory_mutex != nullptr && apr_global_mutex_lock(inventory_mutex) == APR_SUCCESS) {}
    ~InventoryLock() {
        if (held_) apr_global_mutex_unlock(inventory_mutex);
    }
    InventoryLock(const InventoryLock &) = delete;
    InventoryLock &operator=(const InventoryLock &) = delete;
    bool held() const noexcept { return held_; }

  private:
    bool held_;
};

std::size_t align_up(std::size_t n, std::size_t a) { return (n + a - 1) / a * a; }

std::size_t vhosts_offset() { return align_up(sizeof(SharedArea), alignof(SharedVhost)); }

std::size_t inventory_offset(std::uint32_t vhost_capacity) {
    return align_up(vhosts_offset() + vhost_capacity * sizeof(SharedVhost), kInventoryAlignment);
}

std::size_t history_offset(std::uint32_t vhost_capacity, std::uint32_t inventory_capacity) {
    return align_up(inventory_offset(vhost_capacity) + inventory_bytes(inventory_capacity),
                    kHistoryAlignment);
}

std::size_t area_bytes(std::uint32_t vhost_capacity, std::uint32_t inventory_capacity) {
    return history_offset(vhost_capacity, inventory_capacity) + history_bytes();
}

SharedCounters *counters_of(const server_rec *vhost) noexcept {
    if (shared.area == nullptr || vhost == nullptr) return nullptr;
    const int slot = server_config(vhost).startup.stats_slot;
    return slot < 0 ? nullptr : &shared.vhosts[slot].counters;
}

Counters read(const SharedCounters &shared_counters) noexcept {
    Counters out;
    for (std::size_t i = 0; i < counter_count; ++i) {
        out.values[i] = shared_counters.values[i].load(std::memory_order_relaxed);
    }
    for (std::size_t i = 0; i < request_cell_count; ++i) {
        out.requests[i] = shared_counters.requests[i].load(std::memory_order_relaxed);
    }
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
    // The parts lie at offsets computed from the area's own vhost capacity: the segment must hold
    // them at that capacity.
    if (apr_shm_size_get(shm) < sizeof(SharedArea) || area->magic != area_magic ||
        area->vhost_capacity < vhost_capacity || area->inventory_capacity != capacity ||
        apr_shm_size_get(shm) < area_bytes(area->vhost_capacity, capacity)) {
        return false;
    }
    shared.shm = shm;
    shared.area = area;
    shared.vhosts = reinterpret_cast<SharedVhost *>(reinterpret_cast<char *>(area) + vhosts_offset());
    shared.inventory = InventoryView::attach(
        reinterpret_cast<char *>(area) + inventory_offset(area->vhost_capacity),
        inventory_bytes(capacity));
    shared.history = HistoryView::attach(
        reinterpret_cast<char *>(area) + history_offset(area->vhost_capacity, capacity),
        history_bytes());
    return shared.inventory.valid() && shared.history.valid();
}

}  // namespace

int stats_pre_config(apr_pool_t *pconf, apr_pool_t *, apr_pool_t *) {
    return ap_mutex_register(pconf, mutex_type, nullptr, APR_LOCK_DEFAULT, 0) == APR_SUCCESS
               ? OK
               : HTTP_INTERNAL_SERVER_ERROR;
}

int stats_post_config(apr_pool_t *pconf, apr_pool_t *, apr_pool_t *, server_rec *main_server) {
    const std::uint32_t capacity = server_config(main_server).module.effective_inventory_size();
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
        HistoryView::create(static_cast<char *>(base) + history_offset(vhost_capacity, capacity),
                            history_bytes());
        area->magic = area_magic;
        apr_pool_userdata_set(shm, shm_key, apr_pool_cleanup_null, process_pool);
        if (!attach_existing(shm, count_servers(main_server), capacity)) return OK;
    }
    for (server_rec *s = main_server; s; s = s->next) {
        const char *name = s->server_hostname ? s->server_hostname : "";
        if (strlen(name) >= vhost_name_bytes) {
            ap_log_error(APLOG_MARK, APLOG_STARTUP | APLOG_EMERG, 0, s,
                         "SNIF0061: ServerName of %" APR_SIZE_T_FMT
                         " bytes (starting %.64s...) "
                         "is longer than the 255 a host name may have; mod_snifallback counts "
                         "vhosts by their whole name: shorten it",
                         strlen(name), name);
            return HTTP_INTERNAL_SERVER_ERROR;
        }
        server_config(s).startup.stats_slot = slot_for(name);
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

// The hourly history is fed here and only here, by the calls that count, so that it never
// disagrees with the counters. Lock-free like them (core/history.h): no mutex on this path.
void count(Counter counter, const server_rec *vhost) noexcept {
    if (shared.area == nullptr) return;
    const auto index = static_cast<std::size_t>(counter);
    shared.area->total.values[index].fetch_add(1, std::memory_order_relaxed);
    if (SharedCounters *own = counters_of(vhost)) {
        own->values[index].fetch_add(1, std::memory_order_relaxed);
    }
    shared.history.record(counter, apr_time_now());
}

void count_request(const server_rec *vhost, const RequestCell &cell) noexcept {
    if (shared.area == nullptr) return;
    const std::size_t index = request_cell_index(cell);
    shared.area->total.requests[index].fetch_add(1, std::memory_order_relaxed);
    if (SharedCounters *own = counters_of(vhost)) {
        own->requests[index].fetch_add(1, std::memory_order_relaxed);
    }
    shared.history.record(cell, apr_time_now());
}

void remember_client(ConnectionState &state, const char *user_agent) noexcept {
    // HTTP/2 streams of one connection may get here at the same time: one of them records it.
    if (state.inventory_recorded.exchange(true)) return;
    if (!shared.inventory.valid()) return;
    const InventoryLock lock;
    if (!lock.held()) return;
    const InventoryView::Sighting sighting{user_agent ? user_agent : "",
                                           static_cast<std::uint8_t>(state.client_class), state.sni};
    shared.inventory.record(state.client_ip, state.ja4, sighting, apr_time_now());
}

StatusReport read_status_report(const server_rec *main_server) {
    StatusReport report;
    if (shared.area == nullptr) return report;
    report.total = read(shared.area->total);
    const HistorySnapshot hours = shared.history.snapshot(apr_time_now());
    report.history.assign(hours.begin(), hours.end());
    const std::uint32_t used = shared.area->vhost_used.load();
    for (std::uint32_t i = 0; i < used; ++i) {
        if (shared.vhosts[i].name[0] == '\0') continue;  // the unnamed main server
        report.vhosts.push_back({shared.vhosts[i].name, read(shared.vhosts[i].counters), {}});
    }
    // The forecast is configuration: taken from this generation's vhosts (the first of a name).
    for (const server_rec *s = main_server->next; s; s = s->next) {
        const ServerConfig &config = server_config(s);
        if (config.startup.ssl_ctx == nullptr || config.startup.stats_slot < 0) continue;
        const char *name = shared.vhosts[config.startup.stats_slot].name;
        for (VhostCounters &vhost : report.vhosts) {
            if (vhost.name == name) vhost.forecast = forecast_name(config.startup.forecast);
        }
    }
    if (!shared.inventory.valid()) return report;
    report.inventory_capacity = shared.inventory.capacity();
    std::vector<InventoryEntry> entries;
    {
        const InventoryLock lock;  // copy under the mutex, render after releasing it
        if (!lock.held()) return report;
        entries = shared.inventory.snapshot_sorted();
    }
    for (const auto &entry : entries) {
        const auto client_class = static_cast<ClientClass>(entry.client_class);
        report.clients.push_back({std::string(entry.client_ip()), client_class_name(client_class),
                                  std::string(entry.sni()), std::string(entry.ja4()),
                                  std::string(entry.user_agent()), entry.count,
                                  entry.first_seen_us, entry.last_seen_us, {}});  // named later
    }
    return report;
}

}  // namespace snifallback::glue
