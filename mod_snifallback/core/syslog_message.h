// One syslog message as the datagram a local syslog daemon reads from /dev/log: the form glibc's
// syslog(3) sends (RFC 3164: "<PRI>Mmm dd hh:mm:ss TAG[PID]: MESSAGE", local time), which rsyslogd,
// syslog-ng and journald all parse.
#pragma once

#include <ctime>
#include <string>
#include <string_view>

namespace snifallback {

// `priority` is facility | severity (LOG_LOCAL0 | LOG_INFO). A trailing '\n' of `message` is left
// out: one record is one message.
std::string syslog_datagram(int priority, const std::tm &local_time, std::string_view tag, long pid,
                            std::string_view message);

}  // namespace snifallback
