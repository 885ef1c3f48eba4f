#include "core/syslog_message.h"

#include <cstdio>

namespace snifallback {

std::string syslog_datagram(int priority, const std::tm &local_time, std::string_view tag, long pid,
                            std::string_view message) {
    static constexpr const char *months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                             "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    const int month = local_time.tm_mon >= 0 && local_time.tm_mon < 12 ? local_time.tm_mon : 0;
    char header[64];
    // "%e": the day of the month padded with a space, as RFC 3164 and glibc write it.
    const int length =
        std::snprintf(header, sizeof header, "<%d>%s %2d %02d:%02d:%02d ", priority, months[month],
                      local_time.tm_mday, local_time.tm_hour, local_time.tm_min, local_time.tm_sec);
    if (!message.empty() && message.back() == '\n') message.remove_suffix(1);
    std::string out;
    out.reserve(static_cast<std::size_t>(length) + tag.size() + 24 + message.size());
    out.append(header, static_cast<std::size_t>(length > 0 ? length : 0));
    out.append(tag);
    out += '[';
    out += std::to_string(pid);
    out += "]: ";
    out.append(message);
    return out;
}

}  // namespace snifallback
