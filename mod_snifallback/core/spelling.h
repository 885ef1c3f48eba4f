// Suggestions for names an administrator mistyped: the closest of the names that exist.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace snifallback {

// Edit distance (insertions, deletions, substitutions; ASCII case ignored) between a and b.
std::size_t edit_distance(std::string_view a, std::string_view b);

// The candidate closest to `wanted`, when it is close enough to be a likely typo (at most a third
// of the longer name's length, and at most 4 edits); empty otherwise. Ties: the first candidate.
std::string closest_name(std::string_view wanted, const std::vector<std::string> &candidates);

}  // namespace snifallback
