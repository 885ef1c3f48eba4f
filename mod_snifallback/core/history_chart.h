// The history drawn for people: inline SVG line charts of the fallback connections per hour (and
// per day) by class, with their share of all TLS connections, for the status page.
//
// The chart is markup only: no script, no external file, no CSS (colours and lines are SVG
// presentation attributes, which a Content-Security-Policy does not block), so it renders under
// `default-src 'none'` and in old browsers with inline SVG. It scales to its container (viewBox,
// width 100%). It is well-formed XML, and it holds no client text: only numbers and UTC hours.
// Accessibility: role="img" with a <title> naming it and aria-describedby pointing at the page's
// text summary; the page carries the same numbers in a table.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/history.h"

namespace snifallback {

// The fallback connections of an hour or a day: the sum of its class fields.
std::uint64_t fallback_connections(const HourCounts &hour) noexcept;
std::uint64_t fallback_connections(const DayCounts &day) noexcept;

// `part` as a share of `whole` in tenths of a percent, rounded down, 0 to 1000 (a part larger than
// the whole,
// which a reading taken between two increments may show, counts as all of it); -1 when whole is 0.
std::int64_t share_tenths(std::uint64_t part, std::uint64_t whole) noexcept;
// "2.5%", "100%", "<0.1%" (a part that is not zero but rounds to it), "0%"; "-" for -1.
std::string format_share(std::int64_t tenths, std::uint64_t part);

// Appends the chart of `hours` (oldest first, one point per hour) as one <svg> element.
// `described_by` is the id of the page element that summarises the chart in words.
void append_history_chart(std::string &out, const std::vector<HourCounts> &hours,
                          std::string_view described_by);
// The same for `days` (oldest first, one point per day), its ticks on Mondays; its <title> has
// another id, so that both charts fit one page.
void append_daily_history_chart(std::string &out, const std::vector<DayCounts> &days,
                                std::string_view described_by);

}  // namespace snifallback
