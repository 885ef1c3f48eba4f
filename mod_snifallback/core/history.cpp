// The history: a ring of 48 hour-tagged cells per field and one of 35 day-tagged cells per field
// in caller-provided memory (history.h).
#include "core/history.h"

#include <cstring>
#include <limits>
#include <new>

#include "core/record.h"

namespace snifallback {
namespace {

constexpr std::int64_t hour_us = 3'600'000'000;
constexpr std::int64_t hours_per_day = 24;

// What a field mirrors: a connection counter, or a request total.
struct FieldSource {
    bool is_request;
    Counter counter;       // when !is_request
    RequestTotal request;  // when is_request
    std::string_view label;
};

constexpr FieldSource connection(Counter counter, std::string_view label) {
    return {false, counter, RequestTotal::no_sni, label};
}
constexpr FieldSource request(RequestTotal total, std::string_view label) {
    return {true, Counter::tls, total, label};
}

// In HistoryField's order, generated from the same lists as the enum, so none can be missing.
constexpr FieldSource field_sources[] = {
    connection(Counter::tls, "TLS"),
#define SNIFALLBACK_CLASS_SOURCE(id, name, key, label) connection(Counter::id, label),
    SNIFALLBACK_FALLBACK_CLASSES(SNIFALLBACK_CLASS_SOURCE)
#undef SNIFALLBACK_CLASS_SOURCE
#define SNIFALLBACK_REQUEST_SOURCE(id, label) request(RequestTotal::id, label),
        SNIFALLBACK_HISTORY_REQUEST_FIELDS(SNIFALLBACK_REQUEST_SOURCE)
#undef SNIFALLBACK_REQUEST_SOURCE
};
static_assert(std::size(field_sources) == history_field_count);
static_assert(history_field_count <= 32, "history_fields_of() returns a 32-bit set");

constexpr std::uint64_t field_bit(std::size_t index) noexcept {
    return std::uint64_t{1} << index;
}

constexpr std::uint64_t pack(std::int64_t hour, std::uint64_t count) noexcept {
    return static_cast<std::uint64_t>(hour) << kHistoryCountBits | count;
}
// The hour or day a cell counts.
constexpr std::int64_t hour_of_cell(std::uint64_t cell) noexcept {
    return static_cast<std::int64_t>(cell >> kHistoryCountBits);
}
constexpr std::uint64_t count_of_cell(std::uint64_t cell) noexcept {
    return cell & kHistoryMaxCount;
}

bool recordable(std::int64_t hour) noexcept {
    return hour >= 0 && hour < kHistoryHourLimit;
}

// A ring: its first bucket and its number of slots. A period (hour or day) p counts in slot
// p % slots.
struct Ring {
    HistoryBucket *buckets;
    std::uint32_t slots;

    HistoryBucket &of(std::int64_t period) const noexcept {
        return buckets[static_cast<std::size_t>(period % std::int64_t{slots})];
    }
};

Ring hourly(HistoryBucket *buckets) noexcept {
    return {buckets, kHistoryHours};
}
Ring daily(HistoryBucket *buckets) noexcept {
    return {buckets + kHistoryHours, kHistoryDays};
}

// Adds one to a cell of `period` (an hour or a day), taking a cell that names another period
// over (history.h).
void bump(std::atomic<std::uint64_t> &cell, std::int64_t period) noexcept {
    // Relaxed: each cell is a value of its own; nothing else is published through it.
    std::uint64_t seen = cell.load(std::memory_order_relaxed);
    for (;;) {
        std::uint64_t next = pack(period, 1);
        if (hour_of_cell(seen) == period) {
            if (count_of_cell(seen) == kHistoryMaxCount) return;
            next = seen + 1;
        }
        if (cell.compare_exchange_weak(seen, next, std::memory_order_relaxed)) return;
    }
}

constexpr std::uint32_t all_fields = static_cast<std::uint32_t>(field_bit(history_field_count) - 1);

// The counts of `period` in its slot: a cell that names another period reads as 0.
void read_period(const HistoryBucket &bucket, std::int64_t period,
                 std::array<std::uint64_t, history_field_count> &counts) noexcept {
    for (std::size_t f = 0; f < history_field_count; ++f) {
        const std::uint64_t cell = bucket.cells[f].load(std::memory_order_relaxed);
        if (hour_of_cell(cell) == period) counts[f] = count_of_cell(cell);
    }
}

HistoryBucket *buckets_after(void *header) noexcept {
    return static_cast<HistoryBucket *>(
        static_cast<void *>(static_cast<unsigned char *>(header) + sizeof(HistoryHeader)));
}

bool usable(const void *memory, std::size_t bytes) noexcept {
    return memory != nullptr && reinterpret_cast<std::uintptr_t>(memory) % kHistoryAlignment == 0 &&
           bytes >= history_bytes();
}

}  // namespace

HistoryField history_class_field(ClientClass c) noexcept {
    return static_cast<HistoryField>(history_field_index(HistoryField::no_sni) +
                                     fallback_class_index(c));
}

std::string_view history_field_key(HistoryField field) noexcept {
    const FieldSource &source = field_sources[history_field_index(field)];
    return source.is_request
               ? request_total_descriptions[static_cast<std::size_t>(source.request)].key
               : counter_descriptions[static_cast<std::size_t>(source.counter)].key;
}

std::string_view history_field_label(HistoryField field) noexcept {
    return field_sources[history_field_index(field)].label;
}

std::uint32_t history_fields_of(Counter counter) noexcept {
    std::uint32_t fields = 0;
    for (std::size_t i = 0; i < history_field_count; ++i) {
        if (!field_sources[i].is_request && field_sources[i].counter == counter) {
            fields |= static_cast<std::uint32_t>(field_bit(i));
        }
    }
    return fields;
}

std::uint32_t history_fields_of(const RequestCell &cell) noexcept {
    std::uint32_t fields = 0;
    for (std::size_t i = 0; i < history_field_count; ++i) {
        if (!field_sources[i].is_request) continue;
        const auto &total =
            request_total_descriptions[static_cast<std::size_t>(field_sources[i].request)];
        if (total.selects(cell)) fields |= static_cast<std::uint32_t>(field_bit(i));
    }
    return fields;
}

std::int64_t history_hour(std::int64_t time_us) noexcept {
    const std::int64_t hour = time_us / hour_us;
    return time_us % hour_us < 0 ? hour - 1 : hour;
}

std::int64_t history_day(std::int64_t time_us) noexcept {
    const std::int64_t hour = history_hour(time_us);
    const std::int64_t day = hour / hours_per_day;
    return hour % hours_per_day < 0 ? day - 1 : day;
}

std::string format_day_utc(std::int64_t day) {
    constexpr std::int64_t limit = std::numeric_limits<std::int64_t>::max() / hour_us / 24;
    if (day > limit || day < -limit) return {};
    const std::string hour = format_hour_utc(day * hours_per_day);  // "...T00:00Z"
    return hour.empty() ? hour : hour.substr(0, 10);
}

std::string format_hour_utc(std::int64_t hour) {
    constexpr std::int64_t limit = std::numeric_limits<std::int64_t>::max() / hour_us;
    if (hour > limit || hour < -limit) return {};
    const std::string time = format_time_utc(hour * hour_us);  // "...T07:00:00.000Z"
    return time.empty() ? time : time.substr(0, 16) + 'Z';
}

HistoryView HistoryView::create(void *memory, std::size_t bytes) noexcept {
    if (!usable(memory, bytes)) return {};
    // Clear the magic first, so a concurrent attach() during formatting is refused.
    std::memset(memory, 0, sizeof(HistoryHeader));
    auto *header = new (memory) HistoryHeader{};
    HistoryBucket *buckets = buckets_after(memory);
    for (std::uint32_t i = 0; i < kHistoryHours + kHistoryDays; ++i) {
        auto *bucket = new (&buckets[i]) HistoryBucket;
        for (auto &cell : bucket->cells) cell.store(0, std::memory_order_relaxed);
    }
    header->version = kHistoryVersion;
    header->hours = kHistoryHours;
    header->fields = static_cast<std::uint32_t>(history_field_count);
    header->bucket_bytes = static_cast<std::uint32_t>(sizeof(HistoryBucket));
    header->days = kHistoryDays;
    header->magic = kHistoryMagic;
    return HistoryView(buckets);
}

HistoryView HistoryView::attach(void *memory, std::size_t bytes) noexcept {
    if (!usable(memory, bytes)) return {};
    const auto *header = std::launder(static_cast<HistoryHeader *>(memory));
    if (header->magic != kHistoryMagic || header->version != kHistoryVersion ||
        header->hours != kHistoryHours || header->days != kHistoryDays ||
        header->fields != history_field_count || header->bucket_bytes != sizeof(HistoryBucket)) {
        return {};
    }
    return HistoryView(std::launder(buckets_after(memory)));
}

void HistoryView::record(HistoryField field, std::int64_t now_us) noexcept {
    record_fields(static_cast<std::uint32_t>(field_bit(history_field_index(field))), now_us);
}

void HistoryView::record_fields(std::uint32_t fields, std::int64_t now_us) noexcept {
    if (!valid() || fields == 0) return;
    const std::int64_t hour = history_hour(now_us);
    if (!recordable(hour)) return;
    const std::int64_t day = hour / hours_per_day;  // hour >= 0
    HistoryBucket &hour_bucket = hourly(buckets_).of(hour);
    HistoryBucket &day_bucket = daily(buckets_).of(day);
    // Only the fields set (one, mostly: this runs on every TLS handshake, SNI or not).
    for (std::uint32_t rest = fields & all_fields; rest != 0; rest &= rest - 1) {
        const auto i = static_cast<std::size_t>(__builtin_ctz(rest));
        bump(hour_bucket.cells[i], hour);
        bump(day_bucket.cells[i], day);
    }
}

HistorySnapshot HistoryView::snapshot(std::int64_t now_us) const noexcept {
    HistorySnapshot out{};
    const std::int64_t last = history_hour(now_us);
    for (std::size_t i = 0; i < kHistoryHours; ++i) {
        HourCounts &hour = out[i];
        hour.hour = last - static_cast<std::int64_t>(kHistoryHours - 1 - i);
        if (!valid() || !recordable(hour.hour)) continue;
        read_period(hourly(buckets_).of(hour.hour), hour.hour, hour.counts);
    }
    return out;
}

DailyHistorySnapshot HistoryView::snapshot_daily(std::int64_t now_us) const noexcept {
    DailyHistorySnapshot out{};
    const std::int64_t last = history_day(now_us);
    for (std::size_t i = 0; i < kHistoryDays; ++i) {
        DayCounts &day = out[i];
        day.day = last - static_cast<std::int64_t>(kHistoryDays - 1 - i);
        // a day is recorded when its hours are
        if (!valid() || !recordable(day.day * hours_per_day)) continue;
        read_period(daily(buckets_).of(day.day), day.day, day.counts);
    }
    return out;
}

}  // namespace snifallback
