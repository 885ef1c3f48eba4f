#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <map>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "core/inventory.h"
#include "segment.h"

using snifallback::inventory_bytes;
using snifallback::InventoryEntry;
using snifallback::InventoryView;

namespace {

std::string ip_of(std::uint32_t n) {
    return "10." + std::to_string((n >> 16) & 0xFF) + "." + std::to_string((n >> 8) & 0xFF) + "." +
           std::to_string(n & 0xFF);
}

const std::string kJa4 = "t13d1516h2_8daaf6152771_e5627efa2ab1";

// The Space-Saving invariants that hold after every record.
void check_invariants(const InventoryView &inv) {
    const std::vector<InventoryEntry> all = inv.snapshot_sorted();
    REQUIRE(all.size() == inv.used());
    REQUIRE(inv.used() <= inv.capacity());
    std::uint64_t sum = 0;
    for (const InventoryEntry &e : all) {
        sum += e.count;
        CHECK(e.count >= 1);
        CHECK(e.error < e.count);
        CHECK(e.error <= inv.total() / inv.capacity());
        CHECK(e.first_seen_us <= e.last_seen_us);
    }
    CHECK(sum == inv.total());
}

}  // namespace

TEST_CASE("Inventory sizes", "[inventory]") {
    CHECK(inventory_bytes(0) == 0);
    CHECK(inventory_bytes(snifallback::kInventoryMaxCapacity + 1) == 0);
    CHECK(inventory_bytes(1) == sizeof(snifallback::InventoryHeader) + sizeof(InventoryEntry));
    CHECK(inventory_bytes(64) ==
          sizeof(snifallback::InventoryHeader) + 64 * sizeof(InventoryEntry));
    CHECK(inventory_bytes(snifallback::kInventoryMaxCapacity) > 0);
    CHECK(sizeof(InventoryEntry) % alignof(InventoryEntry) == 0);
}

TEST_CASE("Inventory counts exactly below capacity", "[inventory]") {
    Segment shm(inventory_bytes(64));
    InventoryView inv = InventoryView::create(shm.data(), shm.bytes(), 64);
    REQUIRE(inv.valid());
    CHECK(inv.capacity() == 64);
    CHECK(inv.used() == 0);
    CHECK(inv.snapshot_sorted().empty());

    std::map<std::string, std::uint64_t> truth;
    for (std::uint32_t i = 0; i < 2000; ++i) {
        const std::uint32_t client = (i * 7u) % 50u;  // 50 clients < 64 slots
        inv.record(ip_of(client), kJa4, "curl/8.0", std::int64_t{1000} + i);
        ++truth[ip_of(client)];
    }
    CHECK(inv.used() == 50);
    CHECK(inv.total() == 2000);
    for (const auto &[ip, n] : truth) {
        const auto e = inv.find(ip, kJa4);
        REQUIRE(e.has_value());
        CHECK(e->count == n);
        CHECK(e->error == 0);
        CHECK(e->client_ip() == ip);
        CHECK(e->ja4() == kJa4);
        CHECK(e->user_agent() == "curl/8.0");
    }
    check_invariants(inv);
}

TEST_CASE("Inventory keys on address and JA4 together", "[inventory]") {
    Segment shm(inventory_bytes(8));
    InventoryView inv = InventoryView::create(shm.data(), shm.bytes(), 8);
    inv.record("192.0.2.1", "t13d1516h2_aaaaaaaaaaaa_bbbbbbbbbbbb", "", 1);
    inv.record("192.0.2.1", "t12d0707h1_cccccccccccc_dddddddddddd", "", 2);
    inv.record("192.0.2.2", "t13d1516h2_aaaaaaaaaaaa_bbbbbbbbbbbb", "", 3);
    inv.record("192.0.2.1", "t13d1516h2_aaaaaaaaaaaa_bbbbbbbbbbbb", "", 4);
    CHECK(inv.used() == 3);
    CHECK(inv.find("192.0.2.1", "t13d1516h2_aaaaaaaaaaaa_bbbbbbbbbbbb")->count == 2);
    CHECK(inv.find("192.0.2.1", "t12d0707h1_cccccccccccc_dddddddddddd")->count == 1);
    CHECK(inv.find("192.0.2.2", "t13d1516h2_aaaaaaaaaaaa_bbbbbbbbbbbb")->count == 1);
    CHECK_FALSE(inv.find("192.0.2.2", "t12d0707h1_cccccccccccc_dddddddddddd").has_value());
    CHECK_FALSE(inv.find("192.0.2.3", "").has_value());
}

TEST_CASE("Inventory never exceeds its capacity", "[inventory]") {
    const std::uint32_t capacity = GENERATE(1u, 2u, 64u, 4096u);
    CAPTURE(capacity);
    Segment shm(inventory_bytes(capacity) + 64);  // slack past the end must stay untouched
    std::memset(static_cast<unsigned char *>(shm.data()) + inventory_bytes(capacity), 0xA5, 64);
    InventoryView inv = InventoryView::create(shm.data(), shm.bytes(), capacity);
    REQUIRE(inv.valid());
    for (std::uint32_t i = 0; i < 10000; ++i) {
        inv.record(ip_of(i), kJa4, "ua-" + std::to_string(i), std::int64_t{i});
        REQUIRE(inv.used() <= capacity);
    }
    CHECK(inv.used() == std::min(capacity, 10000u));
    CHECK(inv.total() == 10000);
    check_invariants(inv);
    const auto *tail = static_cast<const unsigned char *>(shm.data()) + inventory_bytes(capacity);
    CHECK(std::all_of(tail, tail + 64, [](unsigned char b) { return b == 0xA5; }));
}

TEST_CASE("Inventory keeps the heavy hitters among many one-off clients", "[inventory]") {
    Segment shm(inventory_bytes(64));
    InventoryView inv = InventoryView::create(shm.data(), shm.bytes(), 64);
    const std::vector<std::string> heavy = {"198.51.100.1", "198.51.100.2", "2001:db8::1",
                                            "2001:db8::2", "203.0.113.77"};
    // 5 clients x 1,000 hits interleaved with 10,000 one-off clients: 15,000 records, and
    // 1,000 > 15,000 / 64, so all five must be kept.
    std::uint32_t one_off = 0;
    std::int64_t now = 0;
    for (int round = 0; round < 1000; ++round) {
        for (const std::string &ip : heavy) {
            inv.record(ip, kJa4, "Legacy/1.0", ++now);
            for (int k = 0; k < 2; ++k) inv.record(ip_of(one_off++), kJa4, "", ++now);
        }
    }
    REQUIRE(one_off == 10000);
    CHECK(inv.total() == 15000);
    CHECK(inv.used() == 64);
    for (const std::string &ip : heavy) {
        CAPTURE(ip);
        const auto e = inv.find(ip, kJa4);
        REQUIRE(e.has_value());
        CHECK(e->count >= 1000);
        CHECK(e->count - e->error <= 1000);
        CHECK(e->user_agent() == "Legacy/1.0");
    }
    // They are the top five of the snapshot.
    const auto top = inv.snapshot_sorted();
    REQUIRE(top.size() == 64);
    for (std::size_t i = 0; i < heavy.size(); ++i) {
        CHECK(std::find(heavy.begin(), heavy.end(), std::string(top[i].client_ip())) !=
              heavy.end());
    }
    check_invariants(inv);
}

TEST_CASE("Inventory bounds hold against exact counts on a skewed stream", "[inventory]") {
    const std::uint32_t capacity = GENERATE(4u, 16u, 64u);
    CAPTURE(capacity);
    Segment shm(inventory_bytes(capacity));
    InventoryView inv = InventoryView::create(shm.data(), shm.bytes(), capacity);
    std::mt19937 rng(12345u + capacity);
    // Zipf-like: client n drawn with weight about 1/(n+1), 500 clients.
    std::vector<double> weights;
    for (int n = 0; n < 500; ++n) weights.push_back(1.0 / (n + 1));
    std::discrete_distribution<std::uint32_t> pick(weights.begin(), weights.end());
    std::map<std::string, std::uint64_t> truth;
    const std::uint64_t records = 20000;
    for (std::uint64_t i = 0; i < records; ++i) {
        const std::string ip = ip_of(pick(rng));
        inv.record(ip, kJa4, "", static_cast<std::int64_t>(i));
        ++truth[ip];
        if (i % 997 == 0) check_invariants(inv);
    }
    check_invariants(inv);
    for (const InventoryEntry &e : inv.snapshot_sorted()) {
        const std::uint64_t f = truth[std::string(e.client_ip())];
        CAPTURE(e.client_ip(), e.count, e.error, f);
        CHECK(f <= e.count);
        CHECK(e.count - e.error <= f);
    }
    for (const auto &[ip, f] : truth) {
        if (f > records / capacity) {
            CAPTURE(ip, f);
            CHECK(inv.find(ip, kJa4).has_value());
        }
    }
}

TEST_CASE("Inventory replaces the least counted, least recently seen entry", "[inventory]") {
    Segment shm(inventory_bytes(3));
    InventoryView inv = InventoryView::create(shm.data(), shm.bytes(), 3);
    inv.record("a", kJa4, "A", 10);
    inv.record("a", kJa4, "", 11);
    inv.record("b", kJa4, "B", 12);
    inv.record("c", kJa4, "C", 13);
    inv.record("b", kJa4, "", 14);  // now b=2, a=2, c=1
    inv.record("d", kJa4, "", 20);  // replaces c (the minimum): count 2, error 1
    CHECK_FALSE(inv.find("c", kJa4).has_value());
    auto d = inv.find("d", kJa4);
    REQUIRE(d.has_value());
    CHECK(d->count == 2);
    CHECK(d->error == 1);
    CHECK(d->first_seen_us == 20);
    CHECK(d->last_seen_us == 20);
    CHECK(d->user_agent().empty());  // c's User-Agent is not inherited
    // a, b and d all have count 2: a was seen least recently (11) and goes.
    inv.record("e", kJa4, "E", 30);
    CHECK_FALSE(inv.find("a", kJa4).has_value());
    CHECK(inv.find("e", kJa4)->count == 3);
    CHECK(inv.find("e", kJa4)->error == 2);
    check_invariants(inv);
}

TEST_CASE("Inventory first and last seen", "[inventory]") {
    Segment shm(inventory_bytes(4));
    InventoryView inv = InventoryView::create(shm.data(), shm.bytes(), 4);
    const std::int64_t t0 = 1700000000000000;
    inv.record("192.0.2.9", kJa4, "x", t0);
    inv.record("192.0.2.9", kJa4, "x", t0 + 5000000);
    inv.record("192.0.2.9", kJa4, "x", t0 + 2000000);  // out of order (taken before the mutex)
    const auto e = inv.find("192.0.2.9", kJa4);
    REQUIRE(e.has_value());
    CHECK(e->first_seen_us == t0);
    CHECK(e->last_seen_us == t0 + 5000000);
    CHECK(e->count == 3);
}

TEST_CASE("Inventory keeps the last non-empty User-Agent", "[inventory]") {
    Segment shm(inventory_bytes(4));
    InventoryView inv = InventoryView::create(shm.data(), shm.bytes(), 4);
    inv.record("192.0.2.1", kJa4, "", 1);  // handshake only
    CHECK(inv.find("192.0.2.1", kJa4)->user_agent().empty());
    inv.record("192.0.2.1", kJa4, "Old/1.0", 2);
    inv.record("192.0.2.1", kJa4, "", 3);
    CHECK(inv.find("192.0.2.1", kJa4)->user_agent() == "Old/1.0");
    inv.record("192.0.2.1", kJa4, "New/2.0", 4);
    CHECK(inv.find("192.0.2.1", kJa4)->user_agent() == "New/2.0");
    inv.record("192.0.2.1", kJa4, "Short", 5);  // a shorter UA leaves nothing of the longer
    CHECK(inv.find("192.0.2.1", kJa4)->user_agent() == "Short");
}

TEST_CASE("Inventory truncates the User-Agent on a UTF-8 boundary", "[inventory]") {
    const std::string a126(126, 'a');
    const std::string a127(127, 'a');
    auto [ua, stored] = GENERATE_REF(table<std::string, std::string>({
        {a127, a127},
        {a127 + "b", a127},
        {std::string(1000, 'z'), std::string(127, 'z')},
        {a126 + "\xC3\xA9", a126},  // é would end at byte 128
        {std::string(125, 'a') + "\xC3\xA9", std::string(125, 'a') + "\xC3\xA9"},  // fits: 127
        {a126 + "\xE2\x82\xAC", a126},  // € (3 bytes) from byte 127
        {std::string(125, 'a') + "\xE2\x82\xAC", std::string(125, 'a')},
        {std::string(124, 'a') + "\xF0\x9F\x98\x80", std::string(124, 'a')},  // 😀 from 125
        {std::string(123, 'a') + "\xF0\x9F\x98\x80x", std::string(123, 'a') + "\xF0\x9F\x98\x80"},
        // Not UTF-8: a run of continuation bytes is cut at the limit rather than emptied.
        {std::string(200, '\x80'), std::string(127, '\x80')},
        // A NUL ends the stored text.
        {std::string("Mozilla\0/evil", 13), "Mozilla"},
    }));
    CAPTURE(ua.size());
    Segment shm(inventory_bytes(2));
    InventoryView inv = InventoryView::create(shm.data(), shm.bytes(), 2);
    inv.record("192.0.2.1", kJa4, ua, 1);
    const auto e = inv.find("192.0.2.1", kJa4);
    REQUIRE(e.has_value());
    CHECK(e->user_agent() == stored);
    CHECK(e->user_agent().size() <= snifallback::kInventoryUaMax);
}

TEST_CASE("Inventory keys compare on their truncated stored form", "[inventory]") {
    Segment shm(inventory_bytes(8));
    InventoryView inv = InventoryView::create(shm.data(), shm.bytes(), 8);
    const std::string long_ip(46, '1');
    const std::string long_ja4(36, 'j');
    inv.record(long_ip + "AAAA", long_ja4 + "x", "", 1);
    inv.record(long_ip + "BBBB", long_ja4 + "y", "", 2);
    inv.record(long_ip, long_ja4, "", 3);
    inv.record(std::string("192.0.2.1\0junk", 14), "j\0k", "", 4);
    inv.record("192.0.2.1", "j", "", 5);
    CHECK(inv.used() == 2);
    const auto e = inv.find(long_ip + "zzz", long_ja4);
    REQUIRE(e.has_value());
    CHECK(e->count == 3);
    CHECK(e->client_ip() == long_ip);
    CHECK(e->ja4() == long_ja4);
    CHECK(inv.find("192.0.2.1", "j")->count == 2);
    // The longest real address fits whole.
    const std::string v6 = "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255";
    inv.record(v6, kJa4, "", 6);
    CHECK(inv.find(v6, kJa4)->client_ip() == v6);
}

TEST_CASE("Inventory snapshot is ordered by count, then recency, then key", "[inventory]") {
    Segment shm(inventory_bytes(16));
    InventoryView inv = InventoryView::create(shm.data(), shm.bytes(), 16);
    const std::vector<std::pair<std::string, int>> hits = {{"a", 1}, {"b", 5}, {"c", 3},
                                                           {"d", 5}, {"e", 2}, {"f", 3}};
    std::int64_t now = 0;
    for (const auto &[ip, n] : hits) {
        for (int i = 0; i < n; ++i) inv.record(ip, kJa4, "", ++now);
    }
    inv.record("g", "j2", "", 100);
    inv.record("g", "j1", "", 100);  // same count and time: key order decides
    const auto all = inv.snapshot_sorted();
    std::vector<std::string> order;
    for (const auto &e : all)
        order.push_back(std::string(e.client_ip()) + "/" + std::string(e.ja4()));
    const std::vector<std::string> expected = {"d/" + kJa4, "b/" + kJa4, "f/" + kJa4, "c/" + kJa4,
                                               "e/" + kJa4, "g/j1",      "g/j2",      "a/" + kJa4};
    CHECK(order == expected);
    for (std::size_t i = 1; i < all.size(); ++i) CHECK(all[i - 1].count >= all[i].count);
}

TEST_CASE("Inventory attach sees the same table", "[inventory]") {
    Segment shm(inventory_bytes(32));
    InventoryView writer = InventoryView::create(shm.data(), shm.bytes(), 32);
    writer.record("192.0.2.1", kJa4, "A/1", 1);
    writer.record("192.0.2.1", kJa4, "", 2);
    writer.record("192.0.2.2", kJa4, "B/1", 3);

    InventoryView reader = InventoryView::attach(shm.data(), shm.bytes());
    REQUIRE(reader.valid());
    CHECK(reader.capacity() == 32);
    CHECK(reader.used() == 2);
    CHECK(reader.total() == 3);
    CHECK(reader.find("192.0.2.1", kJa4)->count == 2);
    CHECK(reader.find("192.0.2.1", kJa4)->user_agent() == "A/1");

    // Writes through either view are seen by the other (one table, no private state).
    reader.record("192.0.2.3", kJa4, "C/1", 4);
    CHECK(writer.used() == 3);
    CHECK(writer.find("192.0.2.3", kJa4)->count == 1);

    // A copy of the bytes elsewhere (another process's mapping address) reads the same: no
    // pointers.
    Segment moved(shm.bytes());
    std::memcpy(moved.data(), shm.data(), shm.bytes());
    InventoryView elsewhere = InventoryView::attach(moved.data(), moved.bytes());
    REQUIRE(elsewhere.valid());
    const auto a = writer.snapshot_sorted();
    const auto b = elsewhere.snapshot_sorted();
    REQUIRE(a.size() == b.size());
    for (std::size_t i = 0; i < a.size(); ++i) CHECK(std::memcmp(&a[i], &b[i], sizeof a[i]) == 0);

    // clear() through one view empties it for all.
    elsewhere.clear();
    CHECK(elsewhere.used() == 0);
    CHECK(elsewhere.total() == 0);
    CHECK(InventoryView::attach(moved.data(), moved.bytes()).used() == 0);
    CHECK(InventoryView::attach(moved.data(), moved.bytes()).capacity() == 32);
    CHECK(writer.used() == 3);  // the original is another segment
}

TEST_CASE("Inventory create and attach refuse bad memory", "[inventory]") {
    const std::size_t need = inventory_bytes(16);

    SECTION("create with bad arguments") {
        Segment shm(inventory_bytes(snifallback::kInventoryMaxCapacity) + 8);
        CHECK_FALSE(InventoryView::create(nullptr, need, 16).valid());
        CHECK_FALSE(InventoryView::create(shm.data(), need - 1, 16).valid());
        CHECK_FALSE(InventoryView::create(shm.data(), shm.bytes(), 0).valid());
        CHECK_FALSE(
            InventoryView::create(shm.data(), shm.bytes(), snifallback::kInventoryMaxCapacity + 1)
                .valid());
        auto *misaligned = static_cast<unsigned char *>(shm.data()) + 1;
        CHECK_FALSE(InventoryView::create(misaligned, need, 16).valid());
        CHECK(InventoryView::create(shm.data(), need, 16).valid());
        CHECK(InventoryView::create(shm.data(), shm.bytes(), snifallback::kInventoryMaxCapacity)
                  .valid());
    }
    SECTION("attach to zeroed memory") {
        Segment shm(need);
        CHECK_FALSE(InventoryView::attach(shm.data(), shm.bytes()).valid());
    }
    SECTION("attach to garbage") {
        Segment shm(need);
        for (int b : {0x00, 0x41, 0xFF}) {
            shm.fill(b);
            CHECK_FALSE(InventoryView::attach(shm.data(), shm.bytes()).valid());
        }
        std::mt19937 rng(7);
        auto *p = static_cast<unsigned char *>(shm.data());
        for (int round = 0; round < 100; ++round) {
            for (std::size_t i = 0; i < shm.bytes(); ++i) p[i] = static_cast<unsigned char>(rng());
            CHECK_FALSE(InventoryView::attach(shm.data(), shm.bytes()).valid());
        }
    }
    SECTION("attach with the wrong size or a damaged header") {
        Segment shm(need);
        REQUIRE(InventoryView::create(shm.data(), shm.bytes(), 16).valid());
        CHECK(InventoryView::attach(shm.data(), need).valid());
        CHECK_FALSE(InventoryView::attach(shm.data(), need - 1).valid());
        CHECK_FALSE(
            InventoryView::attach(shm.data(), sizeof(snifallback::InventoryHeader)).valid());
        CHECK_FALSE(InventoryView::attach(shm.data(), 3).valid());
        CHECK_FALSE(InventoryView::attach(nullptr, need).valid());

        auto *header = static_cast<snifallback::InventoryHeader *>(shm.data());
        const snifallback::InventoryHeader good = *header;
        header->version = 99;
        CHECK_FALSE(InventoryView::attach(shm.data(), need).valid());
        *header = good;
        header->entry_bytes += 8;
        CHECK_FALSE(InventoryView::attach(shm.data(), need).valid());
        *header = good;
        header->capacity = 17;  // claims more slots than the memory holds
        CHECK_FALSE(InventoryView::attach(shm.data(), need).valid());
        *header = good;
        header->capacity = 0;
        CHECK_FALSE(InventoryView::attach(shm.data(), need).valid());
        *header = good;
        header->used = 17;
        CHECK_FALSE(InventoryView::attach(shm.data(), need).valid());
        *header = good;
        CHECK(InventoryView::attach(shm.data(), need).valid());
    }
    SECTION("an invalid view does nothing") {
        InventoryView none;
        CHECK_FALSE(none.valid());
        none.record("192.0.2.1", kJa4, "x", 1);
        none.clear();
        CHECK(none.capacity() == 0);
        CHECK(none.used() == 0);
        CHECK(none.total() == 0);
        CHECK_FALSE(none.find("192.0.2.1", kJa4).has_value());
        CHECK(none.snapshot_sorted().empty());
    }
}

TEST_CASE("Inventory stays in bounds with a corrupted used count", "[inventory]") {
    Segment shm(inventory_bytes(4));
    InventoryView inv = InventoryView::create(shm.data(), shm.bytes(), 4);
    for (std::uint32_t i = 0; i < 4; ++i) inv.record(ip_of(i), kJa4, "", 1);
    static_cast<snifallback::InventoryHeader *>(shm.data())->used = 1000000;
    CHECK(inv.used() == 4);
    inv.record("192.0.2.200", kJa4, "", 2);  // replaces within the 4 slots
    CHECK(inv.snapshot_sorted().size() == 4);
    CHECK(inv.find("192.0.2.200", kJa4).has_value());
}

TEST_CASE("an entry keeps the SNI name of its latest sighting, bounded", "[inventory]") {
    std::vector<std::uint64_t> memory(snifallback::inventory_bytes(4) / sizeof(std::uint64_t) + 1);
    auto inv = snifallback::InventoryView::create(memory.data(), memory.size() * 8, 4);
    REQUIRE(inv.valid());
    using Sighting = snifallback::InventoryView::Sighting;
    inv.record("192.0.2.9", "t13i0000", Sighting{"old/1", 3, "10.0.0.1"}, 1);
    inv.record("192.0.2.9", "t13i0000", Sighting{"", 3, std::string(300, 'n') + "\xc3\xa9"}, 2);
    const auto entry = inv.find("192.0.2.9", "t13i0000", 3);
    REQUIRE(entry);
    CHECK(entry->count == 2);
    CHECK(entry->client_class == 3);
    CHECK(entry->sni() == std::string(snifallback::kInventorySniMax, 'n'));
    CHECK(entry->user_agent() == "old/1");  // a sighting without one keeps the last User-Agent
    inv.record("192.0.2.9", "t13i0000", Sighting{"new/2", 3, ""}, 3);
    CHECK(inv.find("192.0.2.9", "t13i0000", 3)->sni().empty());
}

// The case: four clients with an IP address in SNI and two with an unknown name, from one
// address with one TLS library (one JA4), are two clients, not one of the latest class.
TEST_CASE("Inventory keys on address, class and JA4 together", "[inventory]") {
    Segment shm(inventory_bytes(8));
    InventoryView inv = InventoryView::create(shm.data(), shm.bytes(), 8);
    using Sighting = InventoryView::Sighting;
    constexpr std::uint8_t ip_literal = 2;
    constexpr std::uint8_t unknown_name = 3;
    std::int64_t now = 0;
    for (int i = 0; i < 4; ++i) {
        inv.record("192.0.2.1", kJa4, Sighting{"lynx", ip_literal, "192.0.2.80"}, ++now);
    }
    for (int i = 0; i < 2; ++i) {
        inv.record("192.0.2.1", kJa4, Sighting{"curl/7.1", unknown_name, "old.example.org"}, ++now);
    }
    CHECK(inv.used() == 2);
    CHECK(inv.total() == 6);
    const auto literal = inv.find("192.0.2.1", kJa4, ip_literal);
    const auto unknown = inv.find("192.0.2.1", kJa4, unknown_name);
    REQUIRE(literal);
    REQUIRE(unknown);
    CHECK(
        (literal->count == 4 && literal->sni() == "192.0.2.80" && literal->user_agent() == "lynx"));
    CHECK((unknown->count == 2 && unknown->sni() == "old.example.org" &&
           unknown->user_agent() == "curl/7.1"));
    CHECK_FALSE(inv.find("192.0.2.1", kJa4, 1).has_value());  // no no-SNI client of that key
    // sorted: the most counted first; on equal counts and times the class decides, deterministic
    const auto sorted = inv.snapshot_sorted();
    REQUIRE(sorted.size() == 2);
    CHECK(sorted[0].client_class == ip_literal);
    check_invariants(inv);

    // Full: a client of a new class evicts the least counted like any new key, and the
    // Space-Saving bounds hold across classes.
    Segment small(inventory_bytes(2));
    InventoryView two = InventoryView::create(small.data(), small.bytes(), 2);
    two.record("192.0.2.1", kJa4, Sighting{"", 1, ""}, 1);
    two.record("192.0.2.1", kJa4, Sighting{"", 1, ""}, 2);
    two.record("192.0.2.1", kJa4, Sighting{"", ip_literal, "192.0.2.80"}, 3);
    two.record("192.0.2.1", kJa4, Sighting{"", unknown_name, "x.example"}, 4);  // evicts ip-literal
    CHECK(two.find("192.0.2.1", kJa4, 1)->count == 2);
    CHECK_FALSE(two.find("192.0.2.1", kJa4, ip_literal).has_value());
    const auto evicted_into = two.find("192.0.2.1", kJa4, unknown_name);
    REQUIRE(evicted_into);
    CHECK((evicted_into->count == 2 && evicted_into->error == 1));
    check_invariants(two);
}
