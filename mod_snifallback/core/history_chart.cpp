// The status page's charts of the hourly and the daily history (history_chart.h).
#include "core/history_chart.h"

#include <algorithm>
#include <initializer_list>
#include <iterator>

namespace snifallback {
namespace {

// The plot area in the viewBox "0 0 480 280": counts on the left axis, the share on the right,
// hours below, the legend above in two rows. Narrow, so that its 14-unit text stays readable when
// a phone scales the chart down to its width. Coordinates are computed in tenths of a unit, as
// integers, so that no floating-point formatting (nor its locale) is involved.
constexpr std::int64_t plot_left = 44;
constexpr std::int64_t plot_right = 432;
constexpr std::int64_t plot_top = 50;
constexpr std::int64_t plot_bottom = 250;

struct SeriesStyle {
    const char *color;
    const char *dash;  // stroke-dasharray; nullptr: a solid line
};
// Okabe and Ito's colours, which the common colour-vision deficiencies tell apart, with a dash
// pattern each as well, for print and for grey.
// One per fallback class, in fallback_classes' order.
constexpr SeriesStyle class_styles[] = {
    {"#d55e00", nullptr}, {"#0072b2", "7 3"}, {"#009e73", "2 2"}};
static_assert(std::size(class_styles) == fallback_class_count,
              "every fallback class needs a chart style (colour and dash) of its own");
constexpr SeriesStyle share_style = {"#666666", nullptr};

void append_tenths(std::string &out, std::int64_t tenths) {
    if (tenths < 0) {
        out += '-';
        tenths = -tenths;
    }
    out += std::to_string(tenths / 10);
    if (tenths % 10 != 0) {
        out += '.';
        out += static_cast<char>('0' + tenths % 10);
    }
}

// An axis label: `tenths` tenths of a count, with k, M, G or T for thousands and up ("2.5k"),
// exact for the scales nice_ceiling() picks and their halves.
std::string axis_number(std::uint64_t tenths) {
    std::uint64_t unit = 1;
    const char *suffix = "";
    for (const char *next : {"k", "M", "G", "T"}) {
        if (tenths / 10 / unit < 1000) break;
        unit *= 1000;
        suffix = next;
    }
    std::string out;
    append_tenths(out, static_cast<std::int64_t>(tenths / unit));
    return out + suffix;
}

// The smallest of 1, 2, 5, 10, 20, 50, ... that is at least `value`.
std::uint64_t nice_ceiling(std::uint64_t value) {
    for (std::uint64_t decade = 1; decade <= 1'000'000'000'000'000'000u / 10; decade *= 10) {
        for (std::uint64_t step : {1u, 2u, 5u}) {
            if (step * decade >= value) return step * decade;
        }
    }
    return value;
}

std::int64_t x_at(std::size_t index, std::size_t count) {
    if (count < 2) return plot_right * 10;
    return plot_left * 10 + static_cast<std::int64_t>(index) * (plot_right - plot_left) * 10 /
                                static_cast<std::int64_t>(count - 1);
}

std::int64_t y_at(std::uint64_t value, std::uint64_t scale) {
    const long double part = static_cast<long double>(std::min(value, scale)) /
                             static_cast<long double>(std::max<std::uint64_t>(scale, 1));
    return plot_bottom * 10 - static_cast<std::int64_t>(
                                  part * static_cast<long double>((plot_bottom - plot_top) * 10));
}

void append_point(std::string &out, std::int64_t x, std::int64_t y) {
    append_tenths(out, x);
    out += ',';
    append_tenths(out, y);
}

void append_stroke(std::string &out, const SeriesStyle &style, const char *width) {
    out += " fill=\"none\" stroke=\"";
    out += style.color;
    out += "\" stroke-width=\"";
    out += width;
    out += '"';
    if (style.dash) {
        out += " stroke-dasharray=\"";
        out += style.dash;
        out += '"';
    }
}

void append_text(std::string &out, std::int64_t x, std::int64_t y, const char *anchor,
                 std::string_view text) {
    out += "<text x=\"";
    append_tenths(out, x);
    out += "\" y=\"";
    append_tenths(out, y);
    out += "\" text-anchor=\"";
    out += anchor;
    out += "\">";
    out += text;
    out += "</text>";
}

// What the chart's points are: hours, or days given as HourCounts of their first hour.
enum class Period { hours, days };

// Whether a point gets a tick and a label on the time axis, and which: every sixth hour ("12-01"
// at midnight, "06:00" at the other quarters of the day), or every Monday ("12-07").
bool tick_label(Period period, std::int64_t hour, std::string &label) {
    const std::int64_t hour_of_day = (hour % 24 + 24) % 24;
    if (period == Period::days) {
        const std::int64_t day = (hour - hour_of_day) / 24;
        if ((day % 7 + 7) % 7 != 4) return false;  // day 4, 1970-01-05, was a Monday
    } else if (hour_of_day % 6 != 0) {
        return false;
    }
    const std::string when = format_hour_utc(hour);
    if (when.size() < 16) return true;  // a tick without a label
    label = when.substr(period == Period::days || hour_of_day == 0 ? 5 : 11, 5);
    return true;
}

// Gridlines, the frame, and the labels of both axes and of the ticks of the time axis.
void append_axes(std::string &out, const std::vector<HourCounts> &hours, Period period,
                 std::uint64_t scale, std::int64_t share_scale) {
    const std::int64_t middle = (plot_top + plot_bottom) / 2;
    const std::string left = std::to_string(plot_left);
    const std::string right = std::to_string(plot_right);
    out += "<path d=\"M" + left + ' ' + std::to_string(middle) + 'H' + right + 'M' + left + ' ' +
           std::to_string(plot_top) + 'H' + right + "\" stroke=\"#dddddd\"/><path d=\"M" + left +
           ' ' + std::to_string(plot_top) + 'V' + std::to_string(plot_bottom) + 'H' + right + 'V' +
           std::to_string(plot_top) + "\" fill=\"none\" stroke=\"#888888\"/>\n<g fill=\"#333333\">";
    // Labels sit 5 units off the axes and 5 below the line they name (about a third of the text).
    const std::int64_t left_labels = (plot_left - 5) * 10;
    const std::int64_t right_labels = (plot_right + 5) * 10;
    append_text(out, left_labels, plot_bottom * 10 + 50, "end", "0");
    append_text(out, left_labels, middle * 10 + 50, "end", axis_number(scale * 5));
    append_text(out, left_labels, plot_top * 10 + 50, "end", axis_number(scale * 10));
    append_text(out, right_labels, plot_bottom * 10 + 50, "start", "0%");
    append_text(out, right_labels, plot_top * 10 + 50, "start", format_share(share_scale, 1));
    std::string ticks;
    for (std::size_t i = 0; i < hours.size(); ++i) {
        std::string label;
        if (!tick_label(period, hours[i].hour, label)) continue;
        const std::int64_t x = x_at(i, hours.size());
        ticks += 'M';
        append_point(ticks, x, plot_bottom * 10);
        ticks += "v4";
        if (!label.empty()) append_text(out, x, plot_bottom * 10 + 200, "middle", label);
    }
    out += "</g>";
    if (!ticks.empty()) out += "<path d=\"" + ticks + "\" stroke=\"#888888\"/>";
    out += '\n';
}

// Two rows: the classes, then the share.
void append_legend(std::string &out) {
    struct Place {
        std::int64_t x, y;
    };
    // One place per fallback class, in fallback_classes' order, then the share's.
    constexpr Place at[] = {
        {plot_left, 14}, {plot_left + 100, 14}, {plot_left + 220, 14}, {plot_left, 34}};
    static_assert(std::size(at) == fallback_class_count + 1,
                  "every fallback class needs a place in the chart's legend");
    const auto item = [&](Place place, const SeriesStyle &style, const char *width,
                          std::string_view label) {
        out +=
            "<path d=\"M" + std::to_string(place.x) + ' ' + std::to_string(place.y - 5) + "h20\"";
        append_stroke(out, style, width);
        out += "/>";
        append_text(out, (place.x + 25) * 10, place.y * 10, "start", label);
    };
    out += "<g fill=\"#333333\">";
    for (std::size_t c = 0; c < fallback_class_count; ++c) {
        item(at[c], class_styles[c], "2.5",
             history_field_label(history_class_field(fallback_classes[c])));
    }
    item(at[fallback_class_count], share_style, "1.5", "share of all TLS connections (right axis)");
    out += "</g>\n";
}

}  // namespace

std::uint64_t fallback_connections(const HourCounts &hour) noexcept {
    std::uint64_t sum = 0;
    for (ClientClass c : fallback_classes) sum += hour[history_class_field(c)];
    return sum;
}

std::uint64_t fallback_connections(const DayCounts &day) noexcept {
    std::uint64_t sum = 0;
    for (ClientClass c : fallback_classes) sum += day[history_class_field(c)];
    return sum;
}

std::int64_t share_tenths(std::uint64_t part, std::uint64_t whole) noexcept {
    if (whole == 0) return -1;
    if (part >= whole) return 1000;
    // Rounded down, so that only all of it reads 100%; in long double, so that part * 1000 cannot
    // overflow.
    return static_cast<std::int64_t>(static_cast<long double>(part) * 1000.0L /
                                     static_cast<long double>(whole));
}

std::string format_share(std::int64_t tenths, std::uint64_t part) {
    if (tenths < 0) return "-";
    if (tenths == 0 && part > 0) return "<0.1%";
    std::string out;
    append_tenths(out, tenths);
    return out + '%';
}

namespace {

void append_chart(std::string &out, const std::vector<HourCounts> &hours, Period period,
                  std::string_view described_by) {
    std::uint64_t peak = 0;
    std::uint64_t all_fallback = 0;
    std::int64_t peak_share = 0;
    for (const HourCounts &hour : hours) {
        // no more than a history cell holds: the scale and its labels then never overflow
        for (ClientClass c : fallback_classes) {
            peak = std::max(peak, std::min(hour[history_class_field(c)], kHistoryMaxCount));
        }
        const std::uint64_t fallback = fallback_connections(hour);
        all_fallback += fallback;
        peak_share = std::max(peak_share, share_tenths(fallback, hour[HistoryField::tls]));
    }
    const std::uint64_t scale = nice_ceiling(peak);
    const auto share_scale = static_cast<std::int64_t>(
        std::min<std::uint64_t>(1000, nice_ceiling(static_cast<std::uint64_t>(peak_share))));

    const bool daily = period == Period::days;
    const char *title_id = daily ? "daily-chart-title" : "chart-title";  // one page, two charts
    out +=
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 480 280\" width=\"100%\" "
        "role=\"img\" aria-labelledby=\"";
    out += title_id;
    out += "\" aria-describedby=\"";
    out += described_by;
    out += "\" font-family=\"sans-serif\" font-size=\"14\">\n<title id=\"";
    out += title_id;
    out += daily ? "\">Fallback connections per day, last 35 days (UTC)"
                 : "\">Fallback connections per hour, last 48 hours (UTC)";
    out +=
        "</title>\n<desc>One line per class of "
        "fallback client, counts on the left axis; the grey line is their share of all TLS "
        "connections, on the right axis. The table after the chart has every number.</desc>\n";
    append_axes(out, hours, period, scale, share_scale);
    for (std::size_t c = 0; c < fallback_class_count; ++c) {
        if (hours.empty()) break;
        const HistoryField field = history_class_field(fallback_classes[c]);
        out += "<polyline points=\"";
        for (std::size_t i = 0; i < hours.size(); ++i) {
            if (i > 0) out += ' ';
            append_point(out, x_at(i, hours.size()), y_at(hours[i][field], scale));
        }
        out += '"';
        append_stroke(out, class_styles[c], "2.5");
        out += " stroke-linejoin=\"round\"/>\n";
    }
    // The share: a gap where an hour had no TLS connection; a lone hour is drawn as a dot.
    std::string share_path;
    std::size_t run = 0;
    for (std::size_t i = 0; i < hours.size(); ++i) {
        const std::int64_t share =
            share_tenths(fallback_connections(hours[i]), hours[i][HistoryField::tls]);
        if (share < 0) {
            if (run == 1) share_path += "h0";
            run = 0;
            continue;
        }
        share_path += run == 0 ? 'M' : 'L';
        append_point(
            share_path, x_at(i, hours.size()),
            y_at(static_cast<std::uint64_t>(share), static_cast<std::uint64_t>(share_scale)));
        ++run;
    }
    if (run == 1) share_path += "h0";
    if (!share_path.empty()) {
        out += "<path d=\"" + share_path + '"';
        append_stroke(out, share_style, "1.5");
        out += " stroke-linecap=\"round\" stroke-linejoin=\"round\"/>\n";
    }
    append_legend(out);
    if (all_fallback == 0) {
        append_text(out, (plot_left + plot_right) * 5, (plot_top + plot_bottom) * 5 - 200, "middle",
                    daily ? "No connections that cannot be served by name in these days."
                          : "No connections that cannot be served by name in these hours.");
        out += '\n';
    }
    out += "</svg>\n";
}

}  // namespace

void append_history_chart(std::string &out, const std::vector<HourCounts> &hours,
                          std::string_view described_by) {
    append_chart(out, hours, Period::hours, described_by);
}

void append_daily_history_chart(std::string &out, const std::vector<DayCounts> &days,
                                std::string_view described_by) {
    std::vector<HourCounts> points(days.size());
    for (std::size_t i = 0; i < days.size(); ++i) {
        points[i].hour = days[i].day * 24;
        points[i].counts = days[i].counts;
    }
    append_chart(out, points, Period::days, described_by);
}

}  // namespace snifallback
