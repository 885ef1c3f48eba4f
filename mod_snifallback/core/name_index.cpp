#include "core/name_index.h"

#include <algorithm>

#include "core/ascii.h"

namespace snifallback {
namespace {

// FNV-1a over the case-folded bytes.
std::uint32_t folded_hash(std::string_view name) noexcept {
    std::uint32_t hash = 2166136261u;
    for (char c : name) {
        hash ^= static_cast<unsigned char>(ascii_lower(c));
        hash *= 16777619u;
    }
    return hash;
}

bool is_wildcard(char c) noexcept { return c == '*' || c == '?'; }

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
        } else if (p < pattern.size() && (pattern[p] == '?' || ascii_lower(pattern[p]) == ascii_lower(name[n]))) {
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
    if (contains(name)) return;
    std::string folded(name);
    for (char &c : folded) c = ascii_lower(c);
    names_.push_back(std::move(folded));
    // At most half full, so a probe ends at an empty slot soon.
    if (slots_.size() < 2 * names_.size()) {
        rehash(std::max<std::size_t>(16, 4 * names_.size()));
        return;
    }
    const std::size_t mask = slots_.size() - 1;
    std::size_t slot = folded_hash(names_.back()) & mask;
    while (slots_[slot] != 0) slot = (slot + 1) & mask;
    slots_[slot] = static_cast<std::uint32_t>(names_.size());
}

void NameIndex::FoldedSet::rehash(std::size_t slot_count) {
    std::size_t size = 1;
    while (size < slot_count) size <<= 1;
    slots_.assign(size, 0);
    const std::size_t mask = size - 1;
    for (std::size_t i = 0; i < names_.size(); ++i) {
        std::size_t slot = folded_hash(names_[i]) & mask;
        while (slots_[slot] != 0) slot = (slot + 1) & mask;
        slots_[slot] = static_cast<std::uint32_t>(i + 1);
    }
}

bool NameIndex::FoldedSet::contains(std::string_view name) const noexcept {
    if (slots_.empty()) return false;
    const std::size_t mask = slots_.size() - 1;
    for (std::size_t slot = folded_hash(name) & mask; slots_[slot] != 0; slot = (slot + 1) & mask) {
        if (equal_ignoring_case(names_[slots_[slot] - 1], name)) return true;
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
    const bool star_then_literal = name.front() == '*' && !rest.empty() &&
                                   std::none_of(rest.begin(), rest.end(), is_wildcard);
    if (star_then_literal) {
        suffixes_.insert(rest);
        if (std::find(suffix_lengths_.begin(), suffix_lengths_.end(), rest.size()) ==
            suffix_lengths_.end()) {
            suffix_lengths_.push_back(rest.size());
        }
        return;
    }
    patterns_.emplace_back(name);
}

bool NameIndex::serves(std::string_view host_name) const noexcept {
    if (exact_.contains(host_name)) return true;
    for (std::size_t length : suffix_lengths_) {
        if (length <= host_name.size() &&
            suffixes_.contains(host_name.substr(host_name.size() - length))) {
            return true;
        }
    }
    for (const std::string &pattern : patterns_) {
        if (host_pattern_matches(pattern, host_name)) return true;
    }
    return false;
}

}  // namespace snifallback
