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

Counter class_counter(ClientClass c, HandshakeStage stage) noexcept {
    static constexpr Counter table[fallback_class_count][3] = {
        {Counter::no_sni, Counter::no_sni_established, Counter::no_sni_failed},
        {Counter::ip_literal, Counter::ip_literal_established, Counter::ip_literal_failed},
        {Counter::unknown_name, Counter::unknown_name_established, Counter::unknown_name_failed},
    };
    return table[fallback_class_index(c)][static_cast<std::size_t>(stage)];
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
