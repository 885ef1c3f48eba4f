#include "core/counters.h"

namespace snifallback {
namespace {

std::size_t decision_index(Decision::Kind kind) noexcept {
    for (std::size_t i = 0; i < decision_kind_count; ++i) {
        if (decision_kinds[i] == kind) return i;
    }
    return 0;
}

}  // namespace

std::string prometheus_counter_name(const CounterDescription &counter) {
    std::string name = "snifallback_";
    if (counter.group == CounterGroup::connections) {
        name += counter.key;
        name += "_connections_total";
    } else {
        name += counter_group_key(counter.group);
        name += '_';
        name += counter.key;
        name += "_total";
    }
    return name;
}

std::size_t request_cell_index(const RequestCell &cell) noexcept {
    return (fallback_class_index(cell.client_class) * decision_kind_count +
            decision_index(cell.action)) * 2 +
           (cell.enforced ? 1 : 0);
}

RequestCell request_cell_at(std::size_t index) noexcept {
    const bool enforced = index % 2 == 1;
    index /= 2;
    return {fallback_classes[index / decision_kind_count % fallback_class_count],
            decision_kinds[index % decision_kind_count], enforced};
}

std::uint64_t Counters::total(RequestTotal id) const noexcept {
    const auto &description = request_total_descriptions[static_cast<std::size_t>(id)];
    std::uint64_t sum = 0;
    for (std::size_t i = 0; i < request_cell_count; ++i) {
        if (description.selects(request_cell_at(i))) sum += requests[i];
    }
    return sum;
}

Counters &Counters::operator+=(const Counters &other) noexcept {
    for (std::size_t i = 0; i < counter_count; ++i) values[i] += other.values[i];
    for (std::size_t i = 0; i < request_cell_count; ++i) requests[i] += other.requests[i];
    return *this;
}

}  // namespace snifallback
