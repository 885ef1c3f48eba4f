#include <catch2/catch.hpp>

#include <cstdint>
#include <string>
#include <thread>
#include <vector>

#include "core/history.h"
#include "segment.h"

using snifallback::ClientClass;
using snifallback::Counter;
using snifallback::Decision;
using snifallback::history_bytes;
using snifallback::HistoryField;
using snifallback::HistorySnapshot;
using snifallback::HistoryView;
using snifallback::HourCounts;
using snifallback::kHistoryHours;

namespace {

constexpr std::int64_t kHourUs = 3'600'000'000;
// 2026-12-01T00:00Z: a day boundary, in epoch hours.
constexpr std::int64_t kDay = 20'788 * 24;

// A simulated clock: microseconds of hour `hour`, `minute` minutes in.
std::int64_t at(std::int64_t hour, std::int64_t minute = 0) {
    return hour * kHourUs + minute * 60'000'000;
}

std::uint64_t sum(const HistorySnapshot &snap, HistoryField field) {
    std::uint64_t total = 0;
    for (const HourCounts &hour : snap) total += hour[field];
    return total;
}

// The count of `field` in hour `hour` of a snapshot (which must hold that hour).
std::uint64_t in_hour(const HistorySnapshot &snap, std::int64_t hour, HistoryField field) {
    for (const HourCounts &h : snap) {
        if (h.hour == hour) return h[field];
    }
    FAIL("hour " << hour << " is not in the snapshot");
    return 0;
}

void check_hours(const HistorySnapshot &snap, std::int64_t last) {
    for (std::size_t i = 0; i < kHistoryHours; ++i) {
        CHECK(snap[i].hour == last - static_cast<std::int64_t>(kHistoryHours - 1 - i));
    }
}

}  // namespace

TEST_CASE("history fields mirror the counters", "[history]") {
    using snifallback::history_field_key;
    using snifallback::history_fields_of;
    const std::vector<std::string> keys = {"tls",          "no_sni", "ip_literal",
                                           "unknown_name", "notice", "redirect",
                                           "vhost",        "exempt", "reported"};
    REQUIRE(keys.size() == snifallback::history_field_count);
    for (std::size_t i = 0; i < keys.size(); ++i) {
        CHECK(std::string(history_field_key(static_cast<HistoryField>(i))) == keys[i]);
    }
    const auto bit = [](HistoryField f) {
        return std::uint32_t{1} << snifallback::history_field_index(f);
    };
    CHECK(history_fields_of(Counter::tls) == bit(HistoryField::tls));
    for (ClientClass c : snifallback::fallback_classes) {
        using snifallback::HandshakeStage;
        const HistoryField field = snifallback::history_class_field(c);
        CHECK(history_fields_of(snifallback::class_counter(c, HandshakeStage::hello)) ==
              bit(field));
        CHECK(history_fields_of(snifallback::class_counter(c, HandshakeStage::established)) == 0);
        CHECK(history_fields_of(snifallback::class_counter(c, HandshakeStage::failed)) == 0);
        CHECK(std::string(history_field_key(field)) == snifallback::client_class_key(c));
    }
    CHECK(history_fields_of(Counter::log_records_dropped) == 0);
    // A request adds to its action's field, and to "reported" exactly when the request totals say
    // so: the fields are sums over the same cells as the totals.
    for (std::size_t i = 0; i < snifallback::request_cell_count; ++i) {
        const auto cell = snifallback::request_cell_at(i);
        std::uint32_t expected = 0;
        for (const auto &total : snifallback::request_total_descriptions) {
            // the fields after tls and the classes; the class keys name request totals too
            for (std::size_t f = 1 + snifallback::fallback_class_count; f < keys.size(); ++f) {
                if (total.key == keys[f] && total.selects(cell)) expected |= std::uint32_t{1} << f;
            }
        }
        CHECK(history_fields_of(cell) == expected);
    }
    CHECK(history_fields_of({ClientClass::no_sni, Decision::Kind::notice, false}) ==
          (bit(HistoryField::notice) | bit(HistoryField::reported)));
    CHECK(history_fields_of({ClientClass::no_sni, Decision::Kind::notice, true}) ==
          bit(HistoryField::notice));
    CHECK(history_fields_of({ClientClass::ip_literal, Decision::Kind::none, true}) == 0);
}

TEST_CASE("history hours are UTC floors, also before 1970", "[history]") {
    using snifallback::history_hour;
    CHECK(history_hour(0) == 0);
    CHECK(history_hour(kHourUs - 1) == 0);
    CHECK(history_hour(kHourUs) == 1);
    CHECK(history_hour(-1) == -1);
    CHECK(history_hour(-kHourUs) == -1);
    CHECK(history_hour(-kHourUs - 1) == -2);
}

TEST_CASE("history counts per simulated hour, oldest first, quiet hours as zeros", "[history]") {
    Segment shm(history_bytes());
    HistoryView history = HistoryView::create(shm.data(), shm.bytes());
    REQUIRE(history.valid());
    const std::int64_t start = kDay + 7;
    // 3 TLS connections at 07:05, 2 of them without SNI; 1 in 08:59; nothing at 09:xx; 4 at 10:xx
    for (int i = 0; i < 3; ++i) history.record(Counter::tls, at(start, 5));
    for (int i = 0; i < 2; ++i) history.record(Counter::no_sni, at(start, 5));
    history.record(Counter::tls, at(start + 1, 59) + 59'999'999);
    for (int i = 0; i < 4; ++i) history.record(HistoryField::tls, at(start + 3, 30));

    const HistorySnapshot snap = history.snapshot(at(start + 3, 45));
    check_hours(snap, start + 3);
    CHECK(snap.back().hour == start + 3);
    CHECK(in_hour(snap, start, HistoryField::tls) == 3);
    CHECK(in_hour(snap, start, HistoryField::no_sni) == 2);
    CHECK(in_hour(snap, start + 1, HistoryField::tls) == 1);
    CHECK(in_hour(snap, start + 2, HistoryField::tls) == 0);  // a zero, not a gap
    CHECK(in_hour(snap, start + 3, HistoryField::tls) == 4);
    CHECK(sum(snap, HistoryField::tls) == 8);
    CHECK(sum(snap, HistoryField::ip_literal) == 0);
    // Hours before anything was recorded read as zeros too.
    CHECK(snap.front()[HistoryField::tls] == 0);
}

TEST_CASE("history crosses a day boundary", "[history]") {
    Segment shm(history_bytes());
    HistoryView history = HistoryView::create(shm.data(), shm.bytes());
    history.record(HistoryField::unknown_name, at(kDay) - 1);  // 2026-11-30T23:59:59.999999
    history.record(HistoryField::unknown_name, at(kDay));      // 2026-12-01T00:00
    history.record(HistoryField::unknown_name, at(kDay));
    const HistorySnapshot snap = history.snapshot(at(kDay, 1));
    CHECK(in_hour(snap, kDay - 1, HistoryField::unknown_name) == 1);
    CHECK(in_hour(snap, kDay, HistoryField::unknown_name) == 2);
    // A day later the same hours are still there, 24 and 25 hours back.
    const HistorySnapshot later = history.snapshot(at(kDay + 24));
    CHECK(in_hour(later, kDay - 1, HistoryField::unknown_name) == 1);
    CHECK(in_hour(later, kDay, HistoryField::unknown_name) == 2);
}

TEST_CASE("history forgets what is 48 hours old, also after a long gap", "[history]") {
    Segment shm(history_bytes());
    HistoryView history = HistoryView::create(shm.data(), shm.bytes());
    const std::int64_t h = kDay + 3;
    history.record(HistoryField::tls, at(h));
    history.record(HistoryField::notice, at(h + 1));
    CHECK(sum(history.snapshot(at(h + 47)), HistoryField::tls) == 1);  // the oldest hour shown
    CHECK(sum(history.snapshot(at(h + 48)), HistoryField::tls) == 0);  // out of the window
    CHECK(sum(history.snapshot(at(h + 48)), HistoryField::notice) == 1);

    SECTION("the slot taken over 48 hours later counts from zero") {
        history.record(HistoryField::tls, at(h + 48));
        const HistorySnapshot snap = history.snapshot(at(h + 48));
        CHECK(in_hour(snap, h + 48, HistoryField::tls) == 1);
        CHECK(sum(snap, HistoryField::tls) == 1);
    }
    SECTION("a gap of weeks shows 48 quiet hours, then counts again") {
        const std::int64_t back = h + 24 * 21 + 5;
        const HistorySnapshot quiet = history.snapshot(at(back));
        check_hours(quiet, back);
        for (const HourCounts &hour : quiet) {
            for (std::uint64_t count : hour.counts) CHECK(count == 0);
        }
        history.record(HistoryField::tls, at(back));
        history.record(HistoryField::tls, at(back));
        const HistorySnapshot snap = history.snapshot(at(back));
        CHECK(snap.back()[HistoryField::tls] == 2);
        CHECK(sum(snap, HistoryField::tls) == 2);
        CHECK(sum(snap, HistoryField::notice) == 0);
    }
}

TEST_CASE("history with a clock that goes backwards", "[history]") {
    Segment shm(history_bytes());
    HistoryView history = HistoryView::create(shm.data(), shm.bytes());
    const std::int64_t h = kDay + 10;

    SECTION("back by less than 48 hours: repeated hours add up, later ones wait") {
        history.record(HistoryField::tls, at(h));
        history.record(HistoryField::tls, at(h + 2));
        history.record(HistoryField::tls, at(h, 30));  // the clock was set back by two hours
        HistorySnapshot snap = history.snapshot(at(h, 30));
        CHECK(snap.back().hour == h);
        CHECK(snap.back()[HistoryField::tls] == 2);
        CHECK(sum(snap, HistoryField::tls) == 2);  // hour h + 2 is not shown before its time
        history.record(HistoryField::tls, at(h + 2, 10));
        snap = history.snapshot(at(h + 2, 10));
        CHECK(in_hour(snap, h, HistoryField::tls) == 2);
        CHECK(in_hour(snap, h + 2, HistoryField::tls) == 2);
    }
    SECTION("back by 48 hours or more: the slot is taken over for the clock's hour") {
        history.record(HistoryField::tls, at(h + 96));  // a clock four days ahead...
        history.record(HistoryField::tls, at(h));       // ...corrected
        CHECK(history.snapshot(at(h)).back()[HistoryField::tls] == 1);
        CHECK(sum(history.snapshot(at(h + 96)), HistoryField::tls) == 0);
    }
    SECTION("times before 1970 and past the cell's hours are not recorded") {
        history.record(HistoryField::tls, -1);
        history.record(HistoryField::tls, at(snifallback::kHistoryHourLimit));
        CHECK(sum(history.snapshot(-1), HistoryField::tls) == 0);
        CHECK(sum(history.snapshot(at(snifallback::kHistoryHourLimit)), HistoryField::tls) == 0);
        const HistorySnapshot snap = history.snapshot(at(1));
        check_hours(snap, 1);
        CHECK(sum(snap, HistoryField::tls) == 0);
    }
}

TEST_CASE("history counts saturate instead of spilling into the hour", "[history]") {
    Segment shm(history_bytes());
    HistoryView history = HistoryView::create(shm.data(), shm.bytes());
    const std::int64_t h = kDay;
    history.record(HistoryField::tls, at(h));
    // Set the cell to its largest count, as 2^40 - 1 records would.
    auto *buckets = reinterpret_cast<snifallback::HistoryBucket *>(
        static_cast<unsigned char *>(shm.data()) + sizeof(snifallback::HistoryHeader));
    auto &cell =
        buckets[h % kHistoryHours].cells[snifallback::history_field_index(HistoryField::tls)];
    cell.store(static_cast<std::uint64_t>(h) << snifallback::kHistoryCountBits |
               snifallback::kHistoryMaxCount);
    history.record(HistoryField::tls, at(h));
    const HistorySnapshot snap = history.snapshot(at(h));
    CHECK(snap.back().hour == h);
    CHECK(snap.back()[HistoryField::tls] == snifallback::kHistoryMaxCount);
}

TEST_CASE("history attach sees the same history; bad memory is refused", "[history]") {
    Segment shm(history_bytes());
    HistoryView created = HistoryView::create(shm.data(), shm.bytes());
    created.record(HistoryField::redirect, at(kDay));
    // As a child process, or the next generation after a graceful restart, sees it.
    HistoryView attached = HistoryView::attach(shm.data(), shm.bytes());
    REQUIRE(attached.valid());
    attached.record(HistoryField::redirect, at(kDay));
    CHECK(created.snapshot(at(kDay)).back()[HistoryField::redirect] == 2);

    CHECK_FALSE(HistoryView::create(nullptr, history_bytes()).valid());
    CHECK_FALSE(HistoryView::create(shm.data(), history_bytes() - 1).valid());
    CHECK_FALSE(HistoryView::attach(shm.data(), history_bytes() - 1).valid());
    CHECK_FALSE(
        HistoryView::attach(static_cast<unsigned char *>(shm.data()) + 4, shm.bytes()).valid());
    Segment garbage(history_bytes());
    garbage.fill(0x5A);
    CHECK_FALSE(HistoryView::attach(garbage.data(), garbage.bytes()).valid());
    Segment empty(history_bytes());
    CHECK_FALSE(HistoryView::attach(empty.data(), empty.bytes()).valid());
    // Another version's header is refused.
    Segment other(history_bytes());
    HistoryView::create(other.data(), other.bytes());
    static_cast<snifallback::HistoryHeader *>(other.data())->version += 1;
    CHECK_FALSE(HistoryView::attach(other.data(), other.bytes()).valid());

    // An invalid view records nothing and still gives 48 hours.
    HistoryView invalid;
    invalid.record(HistoryField::tls, at(kDay));
    const HistorySnapshot snap = invalid.snapshot(at(kDay));
    check_hours(snap, kDay);
    CHECK(sum(snap, HistoryField::tls) == 0);
}

TEST_CASE("history loses no count when threads take a slot over for a new hour at once",
          "[history]") {
    Segment shm(history_bytes());
    HistoryView history = HistoryView::create(shm.data(), shm.bytes());
    const std::int64_t h = kDay + 5;
    // The slot holds counts from 48 hours earlier, so every thread's first record wants to take
    // it over for hour h.
    for (int i = 0; i < 100; ++i) history.record(Counter::tls, at(h - 48));
    constexpr int threads = 4;
    constexpr int per_thread = 20'000;
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; ++t) {
        pool.emplace_back([&history, h] {
            HistoryView own = history;  // each with its own view, as each process has
            for (int i = 0; i < per_thread; ++i) {
                own.record(Counter::tls, at(h, 59));
                own.record({ClientClass::no_sni, Decision::Kind::redirect, false}, at(h, 59));
            }
        });
    }
    for (auto &thread : pool) thread.join();
    const HistorySnapshot snap = history.snapshot(at(h, 59));
    CHECK(snap.back()[HistoryField::tls] == threads * per_thread);
    CHECK(snap.back()[HistoryField::redirect] == threads * per_thread);
    CHECK(snap.back()[HistoryField::reported] == threads * per_thread);
    CHECK(sum(snap, HistoryField::tls) == threads * per_thread);
}

TEST_CASE("history and counters agree when fed from the same calls", "[history]") {
    Segment shm(history_bytes());
    HistoryView history = HistoryView::create(shm.data(), shm.bytes());
    snifallback::Counters counters;
    const auto count = [&](Counter counter, std::int64_t now) {
        counters[counter] += 1;
        history.record(counter, now);
    };
    const auto count_request = [&](const snifallback::RequestCell &cell, std::int64_t now) {
        counters[cell] += 1;
        history.record(cell, now);
    };
    // A simulated day and a half of mixed traffic, one event every 7 minutes.
    const std::int64_t start = kDay - 12;
    std::uint64_t step = 0;
    for (std::int64_t minute = 0; minute < 36 * 60; minute += 7, ++step) {
        const std::int64_t now = at(start, minute);
        count(Counter::tls, now);
        const ClientClass c = snifallback::fallback_classes[step % 3];
        if (step % 2 == 0) {
            count(snifallback::class_counter(c, snifallback::HandshakeStage::hello), now);
            count(snifallback::class_counter(c, snifallback::HandshakeStage::established), now);
            const Decision::Kind action = snifallback::decision_kinds[step % 5];
            count_request({c, action, step % 4 == 0}, now);
        }
    }
    const HistorySnapshot snap = history.snapshot(at(start, 36 * 60));
    for (std::size_t f = 0; f < snifallback::history_field_count; ++f) {
        const auto field = static_cast<HistoryField>(f);
        INFO(std::string(snifallback::history_field_key(field)));
        std::uint64_t expected = 0;
        if (f == 0) {
            expected = counters[Counter::tls];
        } else if (f <= snifallback::fallback_class_count) {
            expected = counters[snifallback::class_counter(snifallback::fallback_classes[f - 1],
                                                           snifallback::HandshakeStage::hello)];
        } else {
            for (const auto &total : snifallback::request_total_descriptions) {
                if (total.key == snifallback::history_field_key(field)) {
                    expected = counters.total(total.id);
                }
            }
        }
        CHECK(sum(snap, field) == expected);
    }
    CHECK(sum(snap, HistoryField::tls) == step);
}

// The daily buckets (issue 31): 35 days next to the 48 hours, same fields, same memory.
namespace {

using snifallback::DailyHistorySnapshot;
using snifallback::DayCounts;
using snifallback::kHistoryDays;

// 2026-12-01, in epoch days.
constexpr std::int64_t kDate = kDay / 24;

// A simulated clock: microseconds of day `day`, `hour` hours and `minute` minutes in.
std::int64_t on(std::int64_t day, std::int64_t hour = 0, std::int64_t minute = 0) {
    return at(day * 24 + hour, minute);
}

std::uint64_t sum(const DailyHistorySnapshot &snap, HistoryField field) {
    std::uint64_t total = 0;
    for (const DayCounts &day : snap) total += day[field];
    return total;
}

std::uint64_t in_day(const DailyHistorySnapshot &snap, std::int64_t day, HistoryField field) {
    for (const DayCounts &d : snap) {
        if (d.day == day) return d[field];
    }
    FAIL("day " << day << " is not in the snapshot");
    return 0;
}

void check_days(const DailyHistorySnapshot &snap, std::int64_t last) {
    for (std::size_t i = 0; i < kHistoryDays; ++i) {
        CHECK(snap[i].day == last - static_cast<std::int64_t>(kHistoryDays - 1 - i));
    }
}

}  // namespace

TEST_CASE("history days are UTC floors, named by their date", "[history][daily]") {
    using snifallback::format_day_utc;
    using snifallback::history_day;
    CHECK(kHistoryDays == 35);
    CHECK(history_day(0) == 0);
    CHECK(history_day(on(kDate)) == kDate);
    CHECK(history_day(on(kDate) - 1) == kDate - 1);  // 2026-11-30T23:59:59.999999Z
    CHECK(history_day(on(kDate, 23, 59)) == kDate);
    CHECK(history_day(-1) == -1);
    CHECK(format_day_utc(kDate) == "2026-12-01");
    CHECK(format_day_utc(0) == "1970-01-01");
    CHECK(format_day_utc(std::int64_t{1} << 60).empty());
    CHECK(history_bytes() ==
          sizeof(snifallback::HistoryHeader) +
              (kHistoryHours + kHistoryDays) * sizeof(snifallback::HistoryBucket));
}

TEST_CASE("daily history rolls over at midnight UTC, hourly beside it", "[history][daily]") {
    Segment shm(history_bytes());
    HistoryView history = HistoryView::create(shm.data(), shm.bytes());
    history.record(HistoryField::no_sni, on(kDate) - 1);  // the last microsecond of 11-30
    history.record(HistoryField::no_sni, on(kDate));      // midnight: 12-01
    history.record(HistoryField::no_sni, on(kDate, 23, 59));
    history.record({ClientClass::ip_literal, Decision::Kind::notice, true}, on(kDate, 12));
    const DailyHistorySnapshot days = history.snapshot_daily(on(kDate, 23, 59));
    check_days(days, kDate);
    CHECK(in_day(days, kDate - 1, HistoryField::no_sni) == 1);
    CHECK(in_day(days, kDate, HistoryField::no_sni) == 2);
    CHECK(in_day(days, kDate, HistoryField::notice) == 1);
    CHECK(sum(days, HistoryField::tls) == 0);
    // the same events in the hourly buckets
    const HistorySnapshot hours = history.snapshot(on(kDate, 23, 59));
    CHECK(sum(hours, HistoryField::no_sni) == 3);
    CHECK(in_hour(hours, kDay - 1, HistoryField::no_sni) == 1);
    CHECK(in_hour(hours, kDay + 12, HistoryField::notice) == 1);
    // the next midnight starts a new day; yesterday stays
    history.record(HistoryField::no_sni, on(kDate + 1));
    const DailyHistorySnapshot next = history.snapshot_daily(on(kDate + 1));
    check_days(next, kDate + 1);
    CHECK(next.back()[HistoryField::no_sni] == 1);
    CHECK(in_day(next, kDate, HistoryField::no_sni) == 2);
}

TEST_CASE("daily history across gaps of days", "[history][daily]") {
    Segment shm(history_bytes());
    HistoryView history = HistoryView::create(shm.data(), shm.bytes());
    for (std::int64_t d = 0; d < 35; ++d) history.record(HistoryField::tls, on(kDate + d, 9));
    CHECK(sum(history.snapshot_daily(on(kDate + 34)), HistoryField::tls) == 35);

    SECTION("a gap of several days: quiet days read as zeros, the rest stays") {
        const std::int64_t back = kDate + 34 + 4;
        history.record(HistoryField::tls, on(back, 1));
        const DailyHistorySnapshot snap = history.snapshot_daily(on(back, 1));
        check_days(snap, back);
        for (std::int64_t d = back - 3; d < back; ++d)
            CHECK(in_day(snap, d, HistoryField::tls) == 0);
        CHECK(in_day(snap, back, HistoryField::tls) == 1);
        CHECK(in_day(snap, back - 34, HistoryField::tls) == 1);  // the oldest day shown
        CHECK(sum(snap, HistoryField::tls) == 31 + 1);           // kDate+4 .. kDate+34, and today
    }
    SECTION("a gap of more than 35 days clears everything") {
        const std::int64_t back = kDate + 34 + 36;
        const DailyHistorySnapshot quiet = history.snapshot_daily(on(back, 5));
        check_days(quiet, back);
        for (const DayCounts &day : quiet) {
            for (std::uint64_t count : day.counts) CHECK(count == 0);
        }
        history.record(HistoryField::tls, on(back, 5));
        history.record(HistoryField::tls, on(back, 6));
        const DailyHistorySnapshot snap = history.snapshot_daily(on(back, 6));
        CHECK(snap.back()[HistoryField::tls] == 2);
        CHECK(sum(snap, HistoryField::tls) == 2);  // the slot taken over counts from zero
    }
}

TEST_CASE("daily history with a clock that goes backwards", "[history][daily]") {
    Segment shm(history_bytes());
    HistoryView history = HistoryView::create(shm.data(), shm.bytes());
    const std::int64_t d = kDate + 3;

    SECTION("back by days: repeated days add up, later ones wait, nothing is corrupted") {
        history.record(HistoryField::tls, on(d, 10));
        history.record(HistoryField::tls, on(d + 5, 10));  // a clock five days ahead...
        history.record(HistoryField::tls, on(d, 11));      // ...corrected
        DailyHistorySnapshot snap = history.snapshot_daily(on(d, 11));
        check_days(snap, d);
        CHECK(snap.back()[HistoryField::tls] == 2);
        CHECK(sum(snap, HistoryField::tls) == 2);  // day d + 5 is not shown before its time
        snap = history.snapshot_daily(on(d + 5, 12));
        CHECK(in_day(snap, d, HistoryField::tls) == 2);
        CHECK(in_day(snap, d + 5, HistoryField::tls) == 1);
        CHECK(sum(snap, HistoryField::tls) == 3);
    }
    SECTION("back by 35 days or more: the slot is taken over for the clock's day") {
        history.record(HistoryField::tls, on(d + 70));  // seventy days ahead, same slot as d
        history.record(HistoryField::tls, on(d));
        CHECK(history.snapshot_daily(on(d)).back()[HistoryField::tls] == 1);
        CHECK(sum(history.snapshot_daily(on(d + 70)), HistoryField::tls) == 0);
    }
    SECTION("times before 1970 are not recorded; the snapshot still has 35 days") {
        history.record(HistoryField::tls, -1);
        const DailyHistorySnapshot snap = history.snapshot_daily(-1);
        check_days(snap, -1);
        CHECK(sum(snap, HistoryField::tls) == 0);
        CHECK(sum(history.snapshot_daily(on(0)), HistoryField::tls) == 0);
    }
}

TEST_CASE("daily history survives attach; another layout is refused", "[history][daily]") {
    Segment shm(history_bytes());
    HistoryView created = HistoryView::create(shm.data(), shm.bytes());
    created.record(HistoryField::reported, on(kDate, 3));
    // the next generation after a graceful restart attaches to the same memory
    HistoryView attached = HistoryView::attach(shm.data(), shm.bytes());
    REQUIRE(attached.valid());
    attached.record(HistoryField::reported, on(kDate, 4));
    CHECK(created.snapshot_daily(on(kDate, 5)).back()[HistoryField::reported] == 2);
    // a history of another number of days (an older build's layout) is refused
    static_cast<snifallback::HistoryHeader *>(shm.data())->days = 0;
    CHECK_FALSE(HistoryView::attach(shm.data(), shm.bytes()).valid());
    // an invalid view gives 35 quiet days
    const DailyHistorySnapshot snap = HistoryView{}.snapshot_daily(on(kDate));
    check_days(snap, kDate);
    CHECK(sum(snap, HistoryField::reported) == 0);
}
