#include "httpd/log_writer.h"

#include <atomic>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include "http_config.h"
#include "apr_lib.h"
#include "apr_portable.h"
#include "apr_strings.h"

#include "httpd/module.h"
#include "httpd/shared_stats.h"

namespace snifallback::glue {
namespace {

struct Facility {
    const char *name;
    int value;
};

constexpr Facility facilities[] = {
    {"local0", LOG_LOCAL0}, {"local1", LOG_LOCAL1}, {"local2", LOG_LOCAL2},
    {"local3", LOG_LOCAL3}, {"local4", LOG_LOCAL4}, {"local5", LOG_LOCAL5},
    {"local6", LOG_LOCAL6}, {"local7", LOG_LOCAL7}, {"user", LOG_USER},
    {"daemon", LOG_DAEMON}, {"auth", LOG_AUTH},     {"authpriv", LOG_AUTHPRIV},
};

// One report per process and failure streak: a full disk must not flood the error log.
std::atomic<bool> write_failure_reported{false};

// Room for the record past the end of the file (other processes append too, hence the margin).
// False only when the disk is full; file systems without fallocate just write.
bool reserve_space(int fd, std::size_t bytes) noexcept {
    constexpr off_t margin = 4096;  // a concurrent writer's record
    struct stat info;
    if (fstat(fd, &info) != 0) return true;
    if (fallocate(fd, FALLOC_FL_KEEP_SIZE, info.st_size, static_cast<off_t>(bytes) + margin) == 0) {
        return true;
    }
    return errno != ENOSPC;
}

}  // namespace

const char *parse_log_target(apr_pool_t *p, const char *directive, const char *arg,
                             LogTarget &out) {
    out = LogTarget{};
    out.spec = arg;
    if (arg[0] == '|') {
        const char *command = arg + 1;
        if (*command == '|') ++command;  // "||program": run without a shell, as CustomLog does
        while (apr_isspace(*command)) ++command;
        if (*command == '\0') {
            return apr_psprintf(p, "%s: '%s' names no program; write \"|/path/to/program args\"",
                                directive, arg);
        }
        out.kind = LogTarget::Kind::pipe;
        out.path = arg;
        return nullptr;
    }
    if (!strncasecmp(arg, "syslog", 6) && (arg[6] == '\0' || arg[6] == ':')) {
        out.kind = LogTarget::Kind::syslog;
        out.syslog_facility = LOG_LOCAL7;  // httpd's own ErrorLog syslog default
        if (arg[6] == ':') {
            const char *name = arg + 7;
            for (const Facility &f : facilities) {
                if (!strcasecmp(name, f.name)) {
                    out.syslog_facility = f.value;
                    return nullptr;
                }
            }
            return apr_psprintf(p,
                                "%s: unknown syslog facility '%s'; use one of local0 ... local7, "
                                "user, daemon, auth, authpriv (default local7)",
                                directive, name);
        }
        return nullptr;
    }
    out.kind = LogTarget::Kind::file;
    out.path = ap_server_root_relative(p, arg);
    if (out.path == nullptr) {
        return apr_psprintf(p, "%s: invalid file path '%s'", directive, arg);
    }
    return nullptr;
}

bool LogWriter::open(apr_pool_t *p, server_rec *s, const LogTarget &target) {
    target_ = target;
    file_ = nullptr;
    switch (target.kind) {
        case LogTarget::Kind::none:
        case LogTarget::Kind::syslog:
            return true;
        case LogTarget::Kind::pipe: {
            const char *command = target.path + 1;
            apr_cmdtype_e type = APR_SHELLCMD_ENV;
            if (*command == '|') {
                type = APR_PROGRAM_ENV;
                ++command;
            }
            piped_log *pipe = ap_open_piped_log_ex(p, command, type);
            if (pipe == nullptr) {
                ap_log_error(APLOG_MARK, APLOG_ERR, 0, s,
                             "SNIF0010: SNIFallbackLog: could not start the piped logger '%s'",
                             command);
                return false;
            }
            file_ = ap_piped_log_write_fd(pipe);
            return true;
        }
        case LogTarget::Kind::file: {
            apr_status_t rv = apr_file_open(
                &file_, target.path,
                APR_FOPEN_WRITE | APR_FOPEN_APPEND | APR_FOPEN_CREATE | APR_FOPEN_LARGEFILE,
                APR_FPROT_OS_DEFAULT, p);
            if (rv != APR_SUCCESS) {
                ap_log_error(APLOG_MARK, APLOG_ERR, rv, s,
                             "SNIF0011: SNIFallbackLog: could not open '%s' for appending; check "
                             "that its directory exists and is writable by the user starting httpd",
                             target.path);
                file_ = nullptr;
                return false;
            }
            apr_os_file_t fd = -1;
            apr_os_file_get(&fd, file_);
            struct stat info;
            regular_file_ = fstat(fd, &info) == 0 && S_ISREG(info.st_mode);
            return true;
        }
    }
    return false;
}

void LogWriter::write(std::string_view record, server_rec *s) noexcept {
    bool ok = true;
    int error = 0;
    if (target_.kind == LogTarget::Kind::syslog) {
        std::string_view line = record;
        if (!line.empty() && line.back() == '\n') line.remove_suffix(1);
        syslog(target_.syslog_facility | LOG_INFO, "%.*s", static_cast<int>(line.size()),
               line.data());
    } else if (file_ != nullptr) {
        apr_os_file_t fd = -1;
        apr_os_file_get(&fd, file_);
        if (regular_file_ && !reserve_space(fd, record.size())) {
            // A full disk would cut the record short and glue the next one to its half: drop it
            // whole instead.
            ok = false;
            error = ENOSPC;
        } else {
            // Exactly one write(): atomic for O_APPEND files and for pipes below PIPE_BUF.
            ssize_t written = ::write(fd, record.data(), record.size());
            ok = written == static_cast<ssize_t>(record.size());
            if (!ok) error = written < 0 ? errno : ENOSPC;
        }
    } else {
        ok = target_.kind == LogTarget::Kind::none;
    }
    if (ok) {
        write_failure_reported.store(false, std::memory_order_relaxed);
        return;
    }
    count(Counter::log_records_dropped, nullptr);  // server-wide: a log is not a vhost's
    if (!write_failure_reported.exchange(true)) {
        ap_log_error(APLOG_MARK, APLOG_ERR, error, s,
                     "SNIF0012: SNIFallbackLog: writing a record to '%s' failed; records are "
                     "dropped until writing works again (requests are served as usual)",
                     target_.spec ? target_.spec : "?");
    }
}

}  // namespace snifallback::glue
