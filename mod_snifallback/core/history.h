// The history of the fallback counts: for each of the last 48 hours (UTC), and for each of the
// last 35 days (UTC, from midnight to midnight), how many TLS connections there were, how many
// fallback connections of each class, and how many fallback requests got each action or were only
// reported. An hour or a day without traffic is a zero, never a gap. The daily buckets have the
// same fields and work exactly as the hourly ones below, with days (since 1970-01-01) for hours
// and 35 ring slots for 48: every record() counts in both, every snapshot reads one of them.
//
// Fields mirror counters (core/counters.h): `tls` is Counter::tls, the class fields are
// class_counter(class, HandshakeStage::hello), the request fields are request totals (sums over
// the request cells they select). history_fields_of() says which fields an increment of a counter,
// or a request in a cell, adds to, so the glue feeds the history from the very calls that count,
// and the two never disagree about what happened in the hours the history still holds.
//
// Memory: the history lives in a caller-provided block (in the module: the apr_shm segment of the
// counters, so it survives graceful restarts as they do) and holds no pointers, so every process
// may map it at a different address. Its layout is one HistoryHeader followed by kHistoryHours
// HistoryBuckets, then kHistoryDays HistoryBuckets, history_bytes() in all, fixed at create().
//
// Time: every call takes the clock as a parameter (microseconds since the epoch, as apr_time_now()
// gives), so tests simulate hours, days and gaps. The hour of a time is its floor in UTC hours
// since 1970-01-01T00Z; bucket `hour % kHistoryHours` is the ring slot of that hour.
//
// Cells: each count is one 64-bit word that also names the hour it counts,
//     cell = hour << kHistoryCountBits | count,
// so a cell is read and replaced whole by one atomic operation and never needs a separate zeroing
// step. record() of a field at hour h looks at that field's cell in slot h % 48:
//   - the cell names hour h:          count + 1 (saturating at 2^40 - 1)
//   - it names any other hour:        it is taken over for hour h with count 1
// snapshot(now) reads, for each of the 48 hours ending with now's hour, every cell of that hour's
// slot and takes its count when the cell names that very hour, else 0. So hours nobody recorded
// in read as zeros without anything having written them ("rolling the ring forward" costs
// nothing, even after weeks without traffic), and a cell left from 48 or more hours ago is never
// mistaken for a recent one.
//
// Concurrency: lock-free. record() is one compare-and-swap loop on one std::atomic<uint64_t> (in
// shared memory: a lock-free atomic is address-free, so it works across the child processes that
// map the segment) and takes no mutex; the hot path costs about what the counters' fetch_add does.
// Two processes that take the same cell over for a new hour at once cannot lose a count: the
// compare-and-swap of the loser fails, it sees the winner's "hour h, count 1" and adds to it.
// Fields are independent words: a snapshot taken while records run may see one field of an event
// before another (tls before no_sni), as the counters' own readings may; never a torn value.
//
// Clock going backwards (NTP steps, a wrong clock corrected): hours are what the clock says.
//   - Back by less than 48 hours: the clock repeats hours that are still in the ring; their cells
//     still name them, so counts made in a repeated hour add to what that hour had. Counts of
//     hours "after" the clock's present are not shown until the clock reaches them again.
//   - Back by 48 hours or more: the cells of the "future" are taken over like stale ones; what was
//     counted under the wrong clock is lost from the history (not from the counters).
// A time before 1970 or from year 3884 on is not recorded (the hour does not fit a cell).
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <string>
#include <string_view>
#include <type_traits>

#include "core/client_class.h"
#include "core/counters.h"

namespace snifallback {

inline constexpr std::uint32_t kHistoryHours = 48;
inline constexpr std::uint32_t kHistoryDays = 35;  // five weeks

// The request totals the history keeps, in the order the status outputs list them:
// X(id, label), id naming a RequestTotal, label a short heading for tables.
#define SNIFALLBACK_HISTORY_REQUEST_FIELDS(X) \
    X(notice, "notice")                       \
    X(redirect, "redirect")                   \
    X(vhost, "vhost")                         \
    X(exempt, "exempt")                       \
    X(reported, "reported")

// The fields of one hour, in the order the status outputs list them: TLS connections (ClientHellos
// seen), then the fallback connections of each class at their ClientHello (client_class.h), then
// fallback requests per action decided (enforced or reported) and the requests only reported.
enum class HistoryField : std::size_t {
    tls,
#define SNIFALLBACK_HISTORY_CLASS_FIELD(id, name, key, label) id,
    SNIFALLBACK_FALLBACK_CLASSES(SNIFALLBACK_HISTORY_CLASS_FIELD)
#undef SNIFALLBACK_HISTORY_CLASS_FIELD
#define SNIFALLBACK_HISTORY_REQUEST_FIELD(id, label) id,
        SNIFALLBACK_HISTORY_REQUEST_FIELDS(SNIFALLBACK_HISTORY_REQUEST_FIELD)
#undef SNIFALLBACK_HISTORY_REQUEST_FIELD
};
inline constexpr RequestTotal history_request_totals[] = {
#define SNIFALLBACK_HISTORY_REQUEST_TOTAL(id, label) RequestTotal::id,
    SNIFALLBACK_HISTORY_REQUEST_FIELDS(SNIFALLBACK_HISTORY_REQUEST_TOTAL)
#undef SNIFALLBACK_HISTORY_REQUEST_TOTAL
};
inline constexpr std::size_t history_field_count =
    1 + fallback_class_count + std::size(history_request_totals);

inline constexpr std::size_t history_field_index(HistoryField field) noexcept {
    return static_cast<std::size_t>(field);
}

// The field that counts the connections of a fallback class.
HistoryField history_class_field(ClientClass c) noexcept;
// The field's JSON key: that of the counter or request total it mirrors ("tls", "no_sni", ...).
std::string_view history_field_key(HistoryField field) noexcept;
// A short heading for tables ("TLS", "no SNI", ...).
std::string_view history_field_label(HistoryField field) noexcept;

// The fields an increment of `counter`, or a request counted in `cell`, adds to: a bit set, bit
// 1 << history_field_index(field). Zero for counters the history does not keep.
std::uint32_t history_fields_of(Counter counter) noexcept;
std::uint32_t history_fields_of(const RequestCell &cell) noexcept;

// Hours since the epoch of a time in microseconds since the epoch (floor, also before 1970).
std::int64_t history_hour(std::int64_t time_us) noexcept;
// "2026-12-01T07:00Z": an hour (hours since the epoch) as RFC 3339 without seconds; empty outside
// the years 0000-9999.
std::string format_hour_utc(std::int64_t hour);
// Days since the epoch of a time in microseconds since the epoch (floor: a day starts at
// midnight UTC).
std::int64_t history_day(std::int64_t time_us) noexcept;
// "2026-12-01": a day (days since the epoch) as an RFC 3339 full-date; empty outside the years
// 0000-9999.
std::string format_day_utc(std::int64_t day);

// One hour's counts.
struct HourCounts {
    std::int64_t hour = 0;  // hours since 1970-01-01T00Z
    std::array<std::uint64_t, history_field_count> counts{};

    std::uint64_t operator[](HistoryField field) const noexcept {
        return counts[history_field_index(field)];
    }
};

// One day's counts.
struct DayCounts {
    std::int64_t day = 0;  // days since 1970-01-01 (UTC)
    std::array<std::uint64_t, history_field_count> counts{};

    std::uint64_t operator[](HistoryField field) const noexcept {
        return counts[history_field_index(field)];
    }
};

// The 48 hours ending with the current one, oldest first.
using HistorySnapshot = std::array<HourCounts, kHistoryHours>;
// The 35 days ending with the current one, oldest first.
using DailyHistorySnapshot = std::array<DayCounts, kHistoryDays>;

// Cell encoding (see the top of this file).
inline constexpr unsigned kHistoryCountBits = 40;
inline constexpr std::uint64_t kHistoryMaxCount = (std::uint64_t{1} << kHistoryCountBits) - 1;
inline constexpr std::int64_t kHistoryHourLimit = std::int64_t{1} << (64 - kHistoryCountBits);

// The header's magic ("SNIH") and layout version; attach() accepts only these.
inline constexpr std::uint32_t kHistoryMagic = 0x534E4948u;
// 2: the daily buckets follow the hourly ones.
inline constexpr std::uint32_t kHistoryVersion = 2;

struct HistoryHeader {
    std::uint32_t magic;         // kHistoryMagic, written last by create()
    std::uint32_t version;       // kHistoryVersion
    std::uint32_t hours;         // kHistoryHours
    std::uint32_t fields;        // history_field_count
    std::uint32_t bucket_bytes;  // sizeof(HistoryBucket), so a changed layout is refused
    std::uint32_t days;          // kHistoryDays
};

// The ring slot of the hours h with h % kHistoryHours == its index (or of the days d with
// d % kHistoryDays == its index): one cell per field.
struct HistoryBucket {
    std::atomic<std::uint64_t> cells[history_field_count];
};

static_assert(std::atomic<std::uint64_t>::is_always_lock_free,
              "the history in shared memory must use lock-free (address-free) atomics");
static_assert(std::is_standard_layout_v<HistoryHeader> &&
              std::is_trivially_copyable_v<HistoryHeader>);
static_assert(std::is_standard_layout_v<HistoryBucket> &&
              sizeof(HistoryBucket) == history_field_count * sizeof(std::uint64_t));
static_assert(sizeof(HistoryHeader) % alignof(HistoryBucket) == 0);

inline constexpr std::size_t kHistoryAlignment = alignof(HistoryBucket);

// Bytes a history takes: header plus kHistoryHours and kHistoryDays buckets (6,000).
inline constexpr std::size_t history_bytes() noexcept {
    return sizeof(HistoryHeader) + (kHistoryHours + kHistoryDays) * sizeof(HistoryBucket);
}

// A handle on a history in someone else's memory; cheap to copy; owns nothing. A
// default-constructed view, or one create()/attach() refused, is invalid: record() does nothing
// and snapshot() gives the 48 hours (snapshot_daily() the 35 days) with zero counts.
class HistoryView {
  public:
    HistoryView() noexcept = default;

    // Formats `memory` as an empty history (every cell zero). Invalid when memory is null or
    // misaligned (kHistoryAlignment) or bytes < history_bytes(). Not safe against concurrent use
    // of the same memory: the module calls it in the parent, before any child exists.
    static HistoryView create(void *memory, std::size_t bytes) noexcept;

    // Uses a history create() made in `memory` (in another process, or before a graceful
    // restart). Invalid unless memory is non-null and aligned, bytes >= history_bytes() and the
    // header has the right magic, version, hours, days, fields and bucket size.
    static HistoryView attach(void *memory, std::size_t bytes) noexcept;

    bool valid() const noexcept { return buckets_ != nullptr; }

    // Counts one event in `field` (or in each field of the bit set `fields`) at now_us, in the
    // hour's and in the day's buckets.
    void record(HistoryField field, std::int64_t now_us) noexcept;
    void record_fields(std::uint32_t fields, std::int64_t now_us) noexcept;
    // What the counters count, mirrored: history_fields_of(counter) / (cell).
    void record(Counter counter, std::int64_t now_us) noexcept {
        record_fields(history_fields_of(counter), now_us);
    }
    void record(const RequestCell &cell, std::int64_t now_us) noexcept {
        record_fields(history_fields_of(cell), now_us);
    }

    // The 48 hours ending with now_us's hour, oldest first, every hour present.
    HistorySnapshot snapshot(std::int64_t now_us) const noexcept;
    // The 35 days ending with now_us's day, oldest first, every day present.
    DailyHistorySnapshot snapshot_daily(std::int64_t now_us) const noexcept;

  private:
    explicit HistoryView(HistoryBucket *buckets) noexcept : buckets_(buckets) {}

    // kHistoryHours hourly buckets, then kHistoryDays daily ones.
    HistoryBucket *buckets_ = nullptr;
};

}  // namespace snifallback
