#include "core/spelling.h"

#include <algorithm>

#include "core/ascii.h"

namespace snifallback {

std::size_t edit_distance(std::string_view a, std::string_view b) {
    std::vector<std::size_t> row(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i) {
        std::size_t diagonal = row[0];
        row[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j) {
            const std::size_t above = row[j];
            const std::size_t substitution = diagonal + (ascii_lower(a[i - 1]) == ascii_lower(b[j - 1]) ? 0 : 1);
            row[j] = std::min({above + 1, row[j - 1] + 1, substitution});
            diagonal = above;
        }
    }
    return row[b.size()];
}

std::string closest_name(std::string_view wanted, const std::vector<std::string> &candidates) {
    const std::string *best = nullptr;
    std::size_t best_distance = 0;
    for (const std::string &candidate : candidates) {
        const std::size_t distance = edit_distance(wanted, candidate);
        const std::size_t allowed = std::min<std::size_t>(4, std::max(wanted.size(), candidate.size()) / 3);
        if (distance == 0 || distance > allowed) continue;
        if (best == nullptr || distance < best_distance) {
            best = &candidate;
            best_distance = distance;
        }
    }
    return best ? *best : std::string();
}

}  // namespace snifallback
