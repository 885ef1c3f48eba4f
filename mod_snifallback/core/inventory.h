// The client inventory: a bounded top-k of the most frequent fallback clients (no SNI, an IP
// literal or an unknown name in SNI), shared by all child processes.
//
// The table lives in a caller-provided block of memory (in the module: an apr_shm segment) and
// holds no pointers, so every process may map it at a different address. Its layout is one
// InventoryHeader followed by `capacity` InventoryEntry slots, all trivially copyable, sized by
// inventory_bytes(capacity); memory never grows after create().
//
// Algorithm: Space-Saving (Metwally, Agrawal, El Abbadi, "Efficient Computation of Frequent and
// Top-k Elements in Data Streams", ICDT 2005). record() of a key (client_ip, client_class, ja4):
//   - present:            count += 1
//   - absent, free slot:  insert with count 1, error 0
//   - absent, table full: replace the entry with the smallest count `min` (ties: the one least
//                         recently seen): count = min + 1, error = min, first_seen = now
// Guarantees, with N = total() records so far and k = capacity():
//   - sum of all counts == N; for every entry error <= count and error <= N / k;
//   - an entry's true frequency f satisfies count - error <= f <= count;
//   - every key with f > N / k is in the table.
// The class is part of the key: one address with one TLS library (one JA4) that sends an IP
// address in SNI on some connections and an unknown name on others is two clients, never one
// whose class is that of its latest sighting.
// Every operation is O(capacity) with no allocation (except snapshot_sorted's result).
//
// Concurrency: none here. The caller serialises every call on one table, across processes and
// threads, with its global mutex (record, clear, snapshot alike); InventoryView only computes
// addresses and holds no lock.
//
// Untrusted input: client_ip, ja4, user_agent and sni are copied bounded. Each is first cut at its
// first NUL byte, then to its field's limit (kInventoryIpMax, kInventoryJa4Max, kInventoryUaMax,
// kInventorySniMax bytes) without splitting a UTF-8 sequence. Keys compare on that stored form, so
// two inputs that agree on it are the same client. Bytes are stored as they are (no escaping):
// render them through escape.h / record.h like any other client text.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <type_traits>
#include <vector>

namespace snifallback {

// Longest stored texts, in bytes, without the terminating NUL.
inline constexpr std::size_t kInventoryIpMax = 46;   // INET6_ADDRSTRLEN - 1
inline constexpr std::size_t kInventoryJa4Max = 36;  // "t13d1516h2_8daaf6152771_e5627efa2ab1"
inline constexpr std::size_t kInventoryUaMax = 127;
inline constexpr std::size_t kInventorySniMax = 95;

inline constexpr std::uint32_t kInventoryDefaultCapacity = 64;
inline constexpr std::uint32_t kInventoryMaxCapacity = 4096;

// The header's magic ("SNIV") and layout version; attach() accepts only these.
inline constexpr std::uint32_t kInventoryMagic = 0x534E4956u;
// 3: the class is part of the key.
inline constexpr std::uint32_t kInventoryVersion = 3;

// One client. The text fields are NUL-terminated and NUL-padded; read them through the accessors,
// which never read past the array even if the NUL is missing.
struct InventoryEntry {
    std::uint64_t count;         // records attributed to this key (an overestimate by <= error)
    std::uint64_t error;         // Space-Saving overestimation bound
    std::int64_t first_seen_us;  // microseconds since the epoch: insertion (or replacement) time
    std::int64_t last_seen_us;   // latest record's time (never moves backwards)
    char ip_buf[kInventoryIpMax + 1];
    char ja4_buf[kInventoryJa4Max + 1];
    char ua_buf[kInventoryUaMax + 1];  // last non-empty User-Agent; empty if none was seen
    char sni_buf[kInventorySniMax + 1];  // the SNI name of the latest sighting; empty without
    std::uint8_t client_class;           // the caller's class code: part of the key

    std::string_view client_ip() const noexcept;
    std::string_view ja4() const noexcept;
    std::string_view user_agent() const noexcept;
    std::string_view sni() const noexcept;
};

struct InventoryHeader {
    std::uint32_t magic;        // kInventoryMagic, written last by create()
    std::uint32_t version;      // kInventoryVersion
    std::uint32_t capacity;     // slots following the header
    std::uint32_t used;         // slots [0, used) hold entries; used <= capacity
    std::uint64_t total;        // records since create() or clear(): the sum of all counts
    std::uint32_t entry_bytes;  // sizeof(InventoryEntry), so a changed layout is refused
    std::uint32_t reserved;     // zero
};

static_assert(std::is_trivially_copyable_v<InventoryEntry> &&
              std::is_standard_layout_v<InventoryEntry>);
static_assert(std::is_trivially_copyable_v<InventoryHeader> &&
              std::is_standard_layout_v<InventoryHeader>);
static_assert(sizeof(InventoryHeader) % alignof(InventoryEntry) == 0);

// Bytes a table of `capacity` slots needs: header plus slots. 0 when capacity is outside
// [1, kInventoryMaxCapacity].
std::size_t inventory_bytes(std::uint32_t capacity) noexcept;

// Required alignment of the memory handed to create() and attach() (8; apr_shm and malloc give
// more).
inline constexpr std::size_t kInventoryAlignment =
    std::max(alignof(InventoryHeader), alignof(InventoryEntry));

// Sorts copies of entries as snapshot_sorted() gives them: after releasing the mutex.
void sort_by_frequency(std::vector<InventoryEntry> &entries) noexcept;

// A handle on a table in someone else's memory; cheap to copy; owns nothing. A default-constructed
// view, or one create()/attach() refused, is invalid: its record() and clear() do nothing, its
// queries return 0 / nothing.
class InventoryView {
  public:
    InventoryView() noexcept = default;

    // Formats `memory` as an empty table of `capacity` slots (overwriting whatever was there).
    // Invalid when memory is null or misaligned, capacity is outside [1, kInventoryMaxCapacity] or
    // bytes < inventory_bytes(capacity). Bytes beyond inventory_bytes(capacity) are left alone.
    static InventoryView create(void *memory, std::size_t bytes, std::uint32_t capacity) noexcept;

    // Uses a table create() made in `memory` (e.g. in another process, or before a graceful
    // restart). Invalid unless memory is non-null and aligned, bytes holds a header with the right
    // magic, version and entry size, a capacity in [1, kInventoryMaxCapacity], used <= capacity,
    // and bytes >= inventory_bytes(capacity).
    static InventoryView attach(void *memory, std::size_t bytes) noexcept;

    bool valid() const noexcept { return header_ != nullptr; }

    // What a sighting says about the client besides its address and JA4.
    struct Sighting {
        std::string_view user_agent;  // empty (a handshake-only client): the previous one stays
        std::uint8_t client_class = 0;  // part of the key
        std::string_view sni;           // the name sent in SNI; empty for none
    };

    // Counts one sighting of (client_ip, sighting.client_class, ja4) at now_us; the SNI becomes
    // the sighting's.
    void record(std::string_view client_ip, std::string_view ja4, const Sighting &sighting,
                std::int64_t now_us) noexcept;
    // The same with only a User-Agent (class 0, no SNI).
    void record(std::string_view client_ip, std::string_view ja4, std::string_view user_agent,
                std::int64_t now_us) noexcept {
        record(client_ip, ja4, Sighting{user_agent, 0, {}}, now_us);
    }

    // Empties the table (capacity unchanged; total() back to 0).
    void clear() noexcept;

    std::uint32_t capacity() const noexcept;
    std::uint32_t used() const noexcept;
    std::uint64_t total() const noexcept;  // records since create()/clear()

    // The entry for a key, compared on its stored (truncated) form, if it is in the table.
    std::optional<InventoryEntry> find(std::string_view client_ip, std::string_view ja4,
                                       std::uint8_t client_class = 0) const noexcept;

    // Copies of the entries, in slot order: all a reader does under the mutex (one copy of at
    // most capacity entries, no comparison). Empty if invalid or if the allocation fails.
    std::vector<InventoryEntry> snapshot() const noexcept;
    // The same, by count descending, then last seen descending, then client_ip, ja4 and class
    // ascending (a total order, so the result is deterministic).
    std::vector<InventoryEntry> snapshot_sorted() const noexcept;

  private:
    InventoryView(InventoryHeader *header, InventoryEntry *entries, std::uint32_t capacity) noexcept
        : header_(header), entries_(entries), capacity_(capacity) {}

    InventoryHeader *header_ = nullptr;
    InventoryEntry *entries_ = nullptr;
    // The capacity checked against the memory's size when the view was made: every index is
    // bounded by it, whatever the shared header says later.
    std::uint32_t capacity_ = 0;
};

}  // namespace snifallback
