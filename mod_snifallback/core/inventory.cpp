// The client inventory: Space-Saving over a fixed table in caller-provided memory (inventory.h).
#include "core/inventory.h"

#include <algorithm>
#include <cstring>
#include <limits>
#include <new>
#include <tuple>

namespace snifallback {

namespace {

// `text` up to its first NUL, then cut to at most `max` bytes without splitting a UTF-8 sequence:
// when the cut would fall before a continuation byte (10xxxxxx) it moves back to the start of that
// sequence, at most 3 bytes (the longest sequence is 4 bytes; anything longer is not UTF-8 and is
// cut at `max`).
std::string_view stored_form(std::string_view text, std::size_t max) noexcept {
    const std::size_t nul = text.find('\0');
    if (nul != std::string_view::npos) text = text.substr(0, nul);
    if (text.size() <= max) return text;
    std::size_t cut = max;
    for (int back = 0; back < 3 && cut > 0; ++back) {
        if ((static_cast<unsigned char>(text[cut]) & 0xC0u) != 0x80u) break;
        --cut;
    }
    if ((static_cast<unsigned char>(text[cut]) & 0xC0u) == 0x80u) cut = max;
    return text.substr(0, cut);
}

// Bounded read of a NUL-terminated (or full) array.
template <std::size_t N>
std::string_view field(const char (&buf)[N]) noexcept {
    const void *nul = std::memchr(buf, '\0', N);
    const std::size_t len =
        nul ? static_cast<std::size_t>(static_cast<const char *>(nul) - buf) : N;
    return std::string_view(buf, len);
}

// Writes `text` (already at most N - 1 bytes) NUL-padded into `buf`.
template <std::size_t N>
void store(char (&buf)[N], std::string_view text) noexcept {
    static_assert(N > 0);
    const std::size_t len = std::min(text.size(), N - 1);
    std::memset(buf, 0, N);
    if (len > 0) std::memcpy(buf, text.data(), len);
}

void saturating_increment(std::uint64_t &value) noexcept {
    if (value != std::numeric_limits<std::uint64_t>::max()) ++value;
}

bool aligned(const void *memory) noexcept {
    return reinterpret_cast<std::uintptr_t>(memory) % kInventoryAlignment == 0;
}

InventoryEntry *entries_after(InventoryHeader *header) noexcept {
    return static_cast<InventoryEntry *>(
        static_cast<void *>(reinterpret_cast<unsigned char *>(header) + sizeof(InventoryHeader)));
}

}  // namespace

std::string_view InventoryEntry::client_ip() const noexcept {
    return field(ip_buf);
}
std::string_view InventoryEntry::ja4() const noexcept {
    return field(ja4_buf);
}
std::string_view InventoryEntry::user_agent() const noexcept {
    return field(ua_buf);
}
std::string_view InventoryEntry::sni() const noexcept {
    return field(sni_buf);
}

std::size_t inventory_bytes(std::uint32_t capacity) noexcept {
    if (capacity == 0 || capacity > kInventoryMaxCapacity) return 0;
    return sizeof(InventoryHeader) + std::size_t{capacity} * sizeof(InventoryEntry);
}

InventoryView InventoryView::create(void *memory, std::size_t bytes,
                                    std::uint32_t capacity) noexcept {
    const std::size_t need = inventory_bytes(capacity);
    if (memory == nullptr || !aligned(memory) || need == 0 || bytes < need) return {};
    // Clear the magic first, so a concurrent attach() during formatting is refused.
    std::memset(memory, 0, sizeof(InventoryHeader));
    auto *header = new (memory) InventoryHeader{};
    InventoryEntry *entries = entries_after(header);
    for (std::uint32_t i = 0; i < capacity; ++i) new (&entries[i]) InventoryEntry{};
    header->version = kInventoryVersion;
    header->capacity = capacity;
    header->used = 0;
    header->total = 0;
    header->entry_bytes = static_cast<std::uint32_t>(sizeof(InventoryEntry));
    header->reserved = 0;
    header->magic = kInventoryMagic;
    return InventoryView(header, entries, capacity);
}

InventoryView InventoryView::attach(void *memory, std::size_t bytes) noexcept {
    if (memory == nullptr || !aligned(memory) || bytes < sizeof(InventoryHeader)) return {};
    auto *header = std::launder(static_cast<InventoryHeader *>(memory));
    if (header->magic != kInventoryMagic || header->version != kInventoryVersion ||
        header->entry_bytes != sizeof(InventoryEntry)) {
        return {};
    }
    const std::size_t need = inventory_bytes(header->capacity);
    if (need == 0 || bytes < need || header->used > header->capacity) return {};
    return InventoryView(header, std::launder(entries_after(header)), header->capacity);
}

void InventoryView::record(std::string_view client_ip, std::string_view ja4,
                           const Sighting &sighting, std::int64_t now_us) noexcept {
    if (!valid()) return;
    const std::string_view ip = stored_form(client_ip, kInventoryIpMax);
    const std::string_view fp = stored_form(ja4, kInventoryJa4Max);
    const std::string_view ua = stored_form(sighting.user_agent, kInventoryUaMax);
    const std::string_view sni = stored_form(sighting.sni, kInventorySniMax);
    const std::uint32_t n_used = used();

    saturating_increment(header_->total);

    // Present: count one more.
    for (std::uint32_t i = 0; i < n_used; ++i) {
        InventoryEntry &e = entries_[i];
        if (e.client_class == sighting.client_class && e.client_ip() == ip && e.ja4() == fp) {
            saturating_increment(e.count);
            if (now_us > e.last_seen_us) e.last_seen_us = now_us;
            if (!ua.empty()) store(e.ua_buf, ua);
            store(e.sni_buf, sni);
            return;
        }
    }

    // Absent: a free slot, or else the least counted (least recently seen among equals).
    InventoryEntry *slot = nullptr;
    std::uint64_t base = 0;
    if (n_used < capacity_) {
        slot = &entries_[n_used];
        header_->used = n_used + 1;
    } else {
        slot = &entries_[0];
        for (std::uint32_t i = 1; i < n_used; ++i) {
            const InventoryEntry &e = entries_[i];
            if (e.count < slot->count ||
                (e.count == slot->count && e.last_seen_us < slot->last_seen_us)) {
                slot = &entries_[i];
            }
        }
        base = slot->count;
    }
    InventoryEntry fresh{};
    fresh.count = base;
    saturating_increment(fresh.count);
    fresh.error = base;
    fresh.first_seen_us = now_us;
    fresh.last_seen_us = now_us;
    store(fresh.ip_buf, ip);
    store(fresh.ja4_buf, fp);
    store(fresh.ua_buf, ua);
    store(fresh.sni_buf, sni);
    fresh.client_class = sighting.client_class;
    *slot = fresh;
}

void InventoryView::clear() noexcept {
    if (!valid()) return;
    for (std::uint32_t i = 0; i < capacity_; ++i) entries_[i] = InventoryEntry{};
    header_->used = 0;
    header_->total = 0;
}

std::uint32_t InventoryView::capacity() const noexcept {
    return valid() ? capacity_ : 0;
}

std::uint32_t InventoryView::used() const noexcept {
    return valid() ? std::min(header_->used, capacity_) : 0;
}

std::uint64_t InventoryView::total() const noexcept {
    return valid() ? header_->total : 0;
}

std::optional<InventoryEntry> InventoryView::find(std::string_view client_ip, std::string_view ja4,
                                                  std::uint8_t client_class) const noexcept {
    const std::string_view ip = stored_form(client_ip, kInventoryIpMax);
    const std::string_view fp = stored_form(ja4, kInventoryJa4Max);
    const std::uint32_t n = used();
    for (std::uint32_t i = 0; i < n; ++i) {
        const InventoryEntry &e = entries_[i];
        if (e.client_class == client_class && e.client_ip() == ip && e.ja4() == fp) return e;
    }
    return std::nullopt;
}

std::vector<InventoryEntry> InventoryView::snapshot() const noexcept {
    std::vector<InventoryEntry> out;
    const std::uint32_t n = used();
    if (n == 0) return out;
    try {
        out.assign(entries_, entries_ + n);
    } catch (...) {  // std::bad_alloc: report nothing rather than throw across the core's API
        return {};
    }
    return out;
}

void sort_by_frequency(std::vector<InventoryEntry> &entries) noexcept {
    std::sort(entries.begin(), entries.end(), [](const InventoryEntry &a, const InventoryEntry &b) {
        const auto ka =
            std::make_tuple(b.count, b.last_seen_us, a.client_ip(), a.ja4(), a.client_class);
        const auto kb =
            std::make_tuple(a.count, a.last_seen_us, b.client_ip(), b.ja4(), b.client_class);
        return ka < kb;
    });
}

std::vector<InventoryEntry> InventoryView::snapshot_sorted() const noexcept {
    std::vector<InventoryEntry> out = snapshot();
    sort_by_frequency(out);
    return out;
}

}  // namespace snifallback
