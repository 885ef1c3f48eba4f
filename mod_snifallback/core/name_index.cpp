#include "core/name_index.h"

#include <algorithm>

#include "core/ascii.h"

namespace snifallback {
namespace {

// FNV-1a over the case-folded bytes, last byte first: a name's hash is then one step on from the
// hash of its suffix one byte shorter, so one backward pass hashes every suffix of a name.
constexpr std::uint32_t hash_start = 2166136261u;

std::uint32_t hash_step(std::uint32_t hash, char c) noexcept {
    return (hash ^ static_cast<unsigned char>(ascii_lower(c))) * 16777619u;
}

std::uint32_t hash_backwards(std::string_view name) noexcept {
    std::uint32_t hash = hash_start;
    for (auto c = name.rbegin(); c != name.rend(); ++c) hash = hash_step(hash, *c);
    return hash;
}

bool is_wildcard(char c) noexcept {
    return c == '*' || c == '?';
}

}  // namespace

bool host_pattern_matches(std::string_view pattern, std::string_view name) noexcept {
    // Iterative glob with one backtrack point: the last '*' seen.
    std::size_t p = 0;
    std::size_t n = 0;
    std::size_t star = std::string_view::npos;
    std::size_t star_n = 0;
    while (n < name.size()) {
        if (p < pattern.size() && pattern[p] == '*') {
            star = p++;
            star_n = n;
        } else if (p < pattern.size() &&
                   (pattern[p] == '?' || ascii_lower(pattern[p]) == ascii_lower(name[n]))) {
            ++p;
            ++n;
        } else if (star != std::string_view::npos) {
            p = star + 1;
            n = ++star_n;
        } else {
            return false;
        }
    }
    while (p < pattern.size() && pattern[p] == '*') ++p;
    return p == pattern.size();
}

void NameIndex::FoldedSet::insert(std::string_view name) {
    const std::uint32_t hash = hash_backwards(name);
    if (contains(name, hash)) return;
    std::string folded(name);
    for (char &c : folded) c = ascii_lower(c);
    entries_.push_back({std::move(folded), hash});
    // At most half full, so a probe ends at an empty slot soon.
    if (slots_.size() < 2 * entries_.size()) {
        rehash(std::max<std::size_t>(16, 4 * entries_.size()));
        return;
    }
    const std::size_t mask = slots_.size() - 1;
    std::size_t slot = hash & mask;
    while (slots_[slot] != 0) slot = (slot + 1) & mask;
    slots_[slot] = static_cast<std::uint32_t>(entries_.size());
}

void NameIndex::FoldedSet::rehash(std::size_t slot_count) {
    std::size_t size = 1;
    while (size < slot_count) size <<= 1;
    slots_.assign(size, 0);
    const std::size_t mask = size - 1;
    for (std::size_t i = 0; i < entries_.size(); ++i) {
        std::size_t slot = entries_[i].hash & mask;
        while (slots_[slot] != 0) slot = (slot + 1) & mask;
        slots_[slot] = static_cast<std::uint32_t>(i + 1);
    }
}

bool NameIndex::FoldedSet::contains(std::string_view name, std::uint32_t hash) const noexcept {
    if (slots_.empty()) return false;
    const std::size_t mask = slots_.size() - 1;
    for (std::size_t slot = hash & mask; slots_[slot] != 0; slot = (slot + 1) & mask) {
        const Entry &entry = entries_[slots_[slot] - 1];
        if (entry.hash == hash && equal_ignoring_case(entry.name, name)) return true;
    }
    return false;
}

void NameIndex::add(std::string_view name) {
    ++size_;
    const auto first_wildcard = std::find_if(name.begin(), name.end(), is_wildcard);
    if (first_wildcard == name.end()) {
        exact_.insert(name);
        return;
    }
    const std::string_view rest = name.substr(1);
    const bool star_then_literal =
        name.front() == '*' && !rest.empty() && std::none_of(rest.begin(), rest.end(), is_wildcard);
    if (star_then_literal) {
        suffixes_.insert(rest);
        const auto at =
            std::lower_bound(suffix_lengths_.begin(), suffix_lengths_.end(), rest.size());
        if (at == suffix_lengths_.end() || *at != rest.size())
            suffix_lengths_.insert(at, rest.size());
        return;
    }
    patterns_.emplace_back(name);
}

bool NameIndex::serves(std::string_view host_name) const noexcept {
    // Exact names first: most clients send one, and it costs one pass and one probe.
    if (exact_.contains(host_name, hash_backwards(host_name))) return true;
    // Then one more backward pass, probing the suffix table as the pass reaches each length.
    const std::size_t size = host_name.size();
    std::uint32_t hash = hash_start;
    std::size_t hashed = 0;
    for (std::size_t suffix_length : suffix_lengths_) {
        if (suffix_length > size) break;
        for (; hashed < suffix_length; ++hashed)
            hash = hash_step(hash, host_name[size - 1 - hashed]);
        if (suffixes_.contains(host_name.substr(size - hashed), hash)) return true;
    }
    for (const std::string &pattern : patterns_) {
        if (host_pattern_matches(pattern, host_name)) return true;
    }
    return false;
}

}  // namespace snifallback
