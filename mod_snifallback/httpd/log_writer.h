// Where no-SNI records go (SNIFallbackLog): a file, a piped logger or syslog.
//
// Opened by the parent in the open_logs hook, like mod_log_config's logs, and inherited by every
// child. A record is written with exactly one write() so that records from all threads and processes
// never interleave: O_APPEND files are atomic per write, and rendered records stay under PIPE_BUF.
// syslog: each process connects to /dev/log itself and sends each record as one datagram, waiting
// a bounded time for a busy daemon; a record it cannot hand over is counted, never lost silently.
#pragma once

#include <string_view>

#include "httpd.h"
#include "http_log.h"
#include "apr_file_io.h"

namespace snifallback::glue {

struct LogTarget {
    enum class Kind { none, file, pipe, syslog };
    Kind kind = Kind::none;
    const char *spec = nullptr;    // the directive's argument, for messages
    const char *path = nullptr;    // file path (ServerRoot-relative resolved) or pipe command
    int syslog_facility = 0;       // LOG_LOCAL0 ... for Kind::syslog
};

// Parses an SNIFallbackLog argument; returns an error message (naming the directive) or null.
const char *parse_log_target(apr_pool_t *p, const char *directive, const char *arg, LogTarget &out);

class LogWriter {
public:
    // Opens the target in pool `p` (pconf); logs and returns false when it cannot.
    bool open(apr_pool_t *p, server_rec *s, const LogTarget &target);
    bool enabled() const noexcept { return target_.kind != LogTarget::Kind::none; }
    // One record, '\n'-terminated. A record that cannot be written is dropped, counted in
    // log.records_dropped and reported once per process and failure streak in the error log.
    void write(std::string_view record, server_rec *s) noexcept;

private:
    LogTarget target_;
    apr_file_t *file_ = nullptr;  // file or the pipe's write end
    bool regular_file_ = false;   // space can be reserved before writing (fallocate)
};

}  // namespace snifallback::glue
