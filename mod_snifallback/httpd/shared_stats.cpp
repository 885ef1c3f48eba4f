#include "httpd/shared_stats.h"

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

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
constexpr const char *mutex_key = "snifallback-inventory-mutex";  // the same
// Names the layout: a graceful restart into a build with another layout starts afresh. The
// counter tables' sizes are part of it; area_layout names what they do not show (2: the hourly
// history follows the inventory; 3: a vhost's name holds 255 bytes; 4: generation stamps on
// the area and the vhost slots; 5: the history's 35 daily buckets, the inventory keyed by class).
constexpr std::size_t area_layout = 5;
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
    // The last configuration generation (SharedArea::generation) that gave this slot to a vhost
    // of this name; 0: free. Written by the parent in post_config only.
    std::atomic<std::uint32_t> generation;
    SharedCounters counters;
};

struct SharedArea {
    std::uint32_t magic;
    std::uint32_t vhost_capacity;
    std::atomic<std::uint32_t> vhost_used;  // slots [0, vhost_used) have been handed out
    std::uint32_t inventory_capacity;
    std::atomic<std::uint32_t> generation;  // configurations that attached: 1, 2, ...
    SharedCounters total;
    // SharedVhost vhosts[vhost_capacity]; then the inventory, aligned; then the history, aligned.
};

// This process's view of the shared memory for one configuration generation: set in
// post_config, cleared when pconf, whose configuration it belongs to, is cleared.
struct Shared {
    apr_shm_t *shm = nullptr;
    SharedArea *area = nullptr;
    SharedVhost *vhosts = nullptr;
    InventoryView inventory;
    HistoryView history;
    std::uint32_t generation = 0;  // of the configuration this process runs
};

Shared shared;  // per process; set in post_config, inherited at fork
// The inventory's mutex: in the parent the one created in the process pool (it lives as long as
// the shared memory); in a child the handle child_init attached, from the child's pool. Cleared
// by a cleanup of the pool each value came from.
apr_global_mutex_t *inventory_mutex = nullptr;

apr_status_t forget_shared(void *) {
    shared = Shared{};
    return APR_SUCCESS;
}

apr_status_t forget_mutex(void *) {
    inventory_mutex = nullptr;
    return APR_SUCCESS;
}

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

// A name as a slot stores it (truncated to vhost_name_bytes - 1).
std::string_view slot_name(const char *name) noexcept {
    return std::string_view(name, strnlen(name, vhost_name_bytes - 1));
}

// Gives every server of this generation its counter slot, found by ServerName so that it
// survives graceful restarts; linear in the slots and the servers. A name not seen before gets a
// slot no vhost of this or the previous generation holds (the previous generation's children may
// still be counting into theirs), zeroed, else a new one; none left: SNIF0075.
void assign_slots(server_rec *main_server) {
    SharedArea &area = *shared.area;
    const std::uint32_t generation = shared.generation;
    std::uint32_t used = std::min(area.vhost_used.load(), area.vhost_capacity);
    std::unordered_map<std::string_view, std::uint32_t> by_name;
    by_name.reserve(2 * static_cast<std::size_t>(used) + 16);
    for (std::uint32_t i = 0; i < used; ++i) {
        if (shared.vhosts[i].generation.load() != 0) {
            by_name.emplace(slot_name(shared.vhosts[i].name), i);  // the first of a name wins
        }
    }
    std::vector<server_rec *> newcomers;
    for (server_rec *s = main_server; s; s = s->next) {
        const auto found = by_name.find(slot_name(s->server_hostname ? s->server_hostname : ""));
        if (found == by_name.end()) {
            newcomers.push_back(s);
            continue;
        }
        shared.vhosts[found->second].generation.store(generation);
        server_config(s).startup.stats_slot = static_cast<int>(found->second);
    }
    // Free: never handed out, or last held two or more generations ago.
    const auto reclaimable = [&](std::uint32_t i) {
        const std::uint32_t held = shared.vhosts[i].generation.load();
        return held == 0 || held + 1 < generation;
    };
    std::uint32_t next_free = 0;
    std::uint32_t without_slot = 0;
    const char *first_without = nullptr;
    for (server_rec *s : newcomers) {
        const char *name = s->server_hostname ? s->server_hostname : "";
        // Two vhosts of one name share a slot, also when the name is new.
        if (const auto found = by_name.find(slot_name(name)); found != by_name.end()) {
            server_config(s).startup.stats_slot = static_cast<int>(found->second);
            continue;
        }
        while (next_free < used && !reclaimable(next_free)) ++next_free;
        std::uint32_t slot = next_free;
        if (slot < used) {
            const auto previous = by_name.find(slot_name(shared.vhosts[slot].name));
            if (previous != by_name.end() && previous->second == slot) by_name.erase(previous);
            ++next_free;
        } else if (used < area.vhost_capacity) {
            slot = used++;
            next_free = used;
        } else {
            server_config(s).startup.stats_slot = -1;
            if (without_slot++ == 0) first_without = name;
            continue;
        }
        SharedVhost &vhost = shared.vhosts[slot];
        for (auto &value : vhost.counters.values) value.store(0, std::memory_order_relaxed);
        for (auto &value : vhost.counters.requests) value.store(0, std::memory_order_relaxed);
        apr_cpystrn(vhost.name, name, vhost_name_bytes);
        vhost.generation.store(generation);
        by_name.emplace(slot_name(vhost.name), slot);
        server_config(s).startup.stats_slot = static_cast<int>(slot);
    }
    area.vhost_used.store(used);
    if (without_slot != 0) {
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, main_server,
                     "SNIF0075: %u virtual hosts (e.g. '%s') have no counters of their own: "
                     "the %u counter slots in shared memory are taken by this configuration and "
                     "the previous one; their counts still go to the totals. The slots of vhosts "
                     "removed now are free for new ones after the next restart; a stop and start "
                     "sizes the memory for this configuration",
                     without_slot, first_without, area.vhost_capacity);
    }
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
    if (!shared.inventory.valid() || !shared.history.valid()) {
        shared = Shared{};
        return false;
    }
    return true;
}

// The inventory's mutex, created once in the process pool, beside the shared memory.
apr_status_t process_mutex(server_rec *main_server, apr_global_mutex_t *&out) {
    apr_pool_t *process_pool = main_server->process->pool;
    void *existing = nullptr;
    apr_pool_userdata_get(&existing, mutex_key, process_pool);
    if (existing != nullptr) {
        out = static_cast<apr_global_mutex_t *>(existing);
        return APR_SUCCESS;
    }
    apr_global_mutex_t *mutex = nullptr;
    const apr_status_t rv =
        ap_global_mutex_create(&mutex, nullptr, mutex_type, nullptr, main_server, process_pool, 0);
    if (rv != APR_SUCCESS) return rv;
    apr_pool_userdata_set(mutex, mutex_key, apr_pool_cleanup_null, process_pool);
    apr_pool_cleanup_register(process_pool, nullptr, forget_mutex, apr_pool_cleanup_null);
    out = mutex;
    return APR_SUCCESS;
}

}  // namespace

int stats_pre_config(apr_pool_t *pconf, apr_pool_t *, apr_pool_t *) {
    return ap_mutex_register(pconf, mutex_type, nullptr, APR_LOCK_DEFAULT, 0) == APR_SUCCESS
               ? OK
               : HTTP_INTERNAL_SERVER_ERROR;
}

int stats_post_config(apr_pool_t *pconf, apr_pool_t *, apr_pool_t *, server_rec *main_server) {
    // Whatever happens below, nothing of a previous generation's view stays (its pconf is gone).
    shared = Shared{};
    apr_pool_cleanup_register(pconf, nullptr, forget_shared, apr_pool_cleanup_null);
    // The mutex first: it outlives every generation, and child_init needs it whatever the
    // shared memory does below.
    apr_status_t rv = process_mutex(main_server, inventory_mutex);
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_ERR, rv, main_server,
                     "SNIF0042: cannot create the %s mutex (see the Mutex directive)", mutex_type);
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    const std::uint32_t capacity = server_config(main_server).module.effective_inventory_size();
    const std::uint32_t servers = count_servers(main_server);
    // Room for vhosts added by later graceful restarts.
    const std::uint32_t vhost_capacity = 2 * servers + 16;
    apr_pool_t *process_pool = main_server->process->pool;

    void *existing = nullptr;
    apr_pool_userdata_get(&existing, shm_key, process_pool);
    auto *old_shm = static_cast<apr_shm_t *>(existing);
    if (old_shm == nullptr || !attach_existing(old_shm, servers, capacity)) {
        if (old_shm != nullptr) {
            ap_log_error(APLOG_MARK, APLOG_INFO, 0, main_server,
                         "SNIF0040: counters and client inventory start afresh: their size "
                         "changed with the configuration");
            apr_pool_userdata_set(nullptr, shm_key, apr_pool_cleanup_null, process_pool);
            apr_shm_destroy(old_shm);
        }
        apr_shm_t *shm = nullptr;
        const std::size_t bytes = area_bytes(vhost_capacity, capacity);
        rv = apr_shm_create(&shm, bytes, nullptr, process_pool);
        if (rv != APR_SUCCESS) {
            ap_log_error(APLOG_MARK, APLOG_ERR, rv, main_server,
                         "SNIF0041: cannot create %" APR_SIZE_T_FMT " bytes of shared memory for "
                         "the counters; they are off",
                         bytes);
            for (server_rec *s = main_server; s; s = s->next) {
                server_config(s).startup.stats_slot = -1;
            }
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
        if (!attach_existing(shm, servers, capacity)) return OK;
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
    }
    shared.generation = shared.area->generation.fetch_add(1) + 1;
    assign_slots(main_server);
    return OK;
}

void stats_child_init(apr_pool_t *pchild, server_rec *s) {
    if (inventory_mutex == nullptr) return;
    apr_global_mutex_t *mutex = inventory_mutex;
    apr_status_t rv = apr_global_mutex_child_init(&mutex, apr_global_mutex_lockfile(mutex), pchild);
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_ERR, rv, s,
                     "SNIF0043: cannot attach to the %s mutex in this child; its client inventory "
                     "updates are skipped",
                     mutex_type);
        inventory_mutex = nullptr;
        return;
    }
    inventory_mutex = mutex;
    apr_pool_cleanup_register(pchild, nullptr, forget_mutex, apr_pool_cleanup_null);
}

// The history (hourly and daily) is fed here and only here, by the calls that count, so that it
// never disagrees with the counters. Lock-free like them (core/history.h): no mutex on this path.
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

Counters read_status_totals() noexcept {
    return shared.area == nullptr ? Counters{} : read(shared.area->total);
}

std::uint32_t inventory_clients() noexcept {
    if (!shared.inventory.valid()) return 0;
    const InventoryLock lock;
    return lock.held() ? shared.inventory.used() : 0;
}

StatusReport read_status_report(const server_rec *main_server) {
    StatusReport report;
    if (shared.area == nullptr) return report;
    report.total = read(shared.area->total);
    const apr_time_t now = apr_time_now();
    const HistorySnapshot hours = shared.history.snapshot(now);
    report.history.assign(hours.begin(), hours.end());
    const DailyHistorySnapshot days = shared.history.snapshot_daily(now);
    report.history_daily.assign(days.begin(), days.end());
    // This generation's vhosts in configuration order, one entry per slot (vhosts of one name
    // share it): the forecast is the first one's with TLS, as configuration says.
    std::vector<std::size_t> entry_of_slot(shared.area->vhost_capacity, SIZE_MAX);
    for (const server_rec *s = main_server; s; s = s->next) {
        const ServerConfig &config = server_config(s);
        const int slot = config.startup.stats_slot;
        if (slot < 0 || static_cast<std::uint32_t>(slot) >= shared.area->vhost_capacity) continue;
        const SharedVhost &vhost = shared.vhosts[slot];
        std::size_t &entry = entry_of_slot[static_cast<std::size_t>(slot)];
        if (entry == SIZE_MAX) {
            if (vhost.name[0] == '\0') continue;  // the unnamed main server
            entry = report.vhosts.size();
            report.vhosts.push_back({std::string(slot_name(vhost.name)), read(vhost.counters), {}});
        }
        if (s != main_server && config.startup.ssl_ctx != nullptr &&
            report.vhosts[entry].forecast.empty()) {
            report.vhosts[entry].forecast = forecast_name(config.startup.forecast);
        }
    }
    // A name no TLS server of this configuration has: a plain-HTTP server (no request without
    // SNI can reach it), or a vhost removed since its counts began.
    for (VhostCounters &vhost : report.vhosts) {
        if (vhost.forecast.empty()) vhost.forecast = "no-tls";
    }
    if (!shared.inventory.valid()) return report;
    report.inventory_capacity = shared.inventory.capacity();
    std::vector<InventoryEntry> entries;
    {
        const InventoryLock lock;  // only copy under the mutex: sort and render after it
        if (!lock.held()) return report;
        entries = shared.inventory.snapshot();
    }
    sort_by_frequency(entries);
    report.clients.reserve(entries.size());
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
