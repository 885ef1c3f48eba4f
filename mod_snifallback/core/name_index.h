// The host names the virtual hosts of one address serve, asked once per TLS handshake whether a
// name the client sent in SNI is among them.
//
// It answers as mod_ssl does when it picks a vhost for an SNI name: a name matches a ServerName
// or ServerAlias compared without regard to ASCII case, or a ServerAlias pattern where '*' stands
// for any run of characters and '?' for one. Nothing else is folded: "a.test." (trailing dot) is
// not "a.test", and "[::1]" is not "::1".
//
// The cost of a lookup does not grow with the number of names: exact names sit in a hash table,
// and the common pattern "*<suffix>" (e.g. "*.example.org") in a second table keyed by suffix.
// Names are hashed from their last byte to their first, so one pass over a name gives, on the
// way, the hash of each of its suffixes whose length the suffix table holds: each such length
// costs one probe, and a probe compares stored hashes before bytes. Only other patterns
// ("www?.example.org", "a*b.example") are tried one by one, and a configuration has few of those.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace snifallback {

// True when `name` matches the pattern, '*' any run of characters (also none) and '?' one
// character, ASCII case-insensitively: the rule of httpd's ap_strcasecmp_match().
bool host_pattern_matches(std::string_view pattern, std::string_view name) noexcept;

class NameIndex {
  public:
    // Adds a ServerName or ServerAlias; one holding '*' or '?' is a pattern.
    void add(std::string_view name);

    // Whether a vhost of the address serves `host_name` (the SNI name as the client sent it).
    bool serves(std::string_view host_name) const noexcept;

    std::size_t size() const noexcept { return size_; }

  private:
    // A set of names under ASCII case folding, open addressing; stores the names lower-cased with
    // their hash (hash_backwards in name_index.cpp), which the caller supplies to a lookup.
    class FoldedSet {
      public:
        void insert(std::string_view name);
        bool contains(std::string_view name, std::uint32_t hash) const noexcept;

      private:
        struct Entry {
            std::string name;
            std::uint32_t hash;
        };
        void rehash(std::size_t slot_count);
        std::vector<Entry> entries_;
        std::vector<std::uint32_t> slots_;  // index into entries_ + 1; 0 = empty
    };

    FoldedSet exact_;
    FoldedSet suffixes_;                       // "*<suffix>" patterns, by suffix
    std::vector<std::size_t> suffix_lengths_;  // distinct lengths of those suffixes, ascending
    std::vector<std::string> patterns_;        // every other pattern
    std::size_t size_ = 0;
};

}  // namespace snifallback
