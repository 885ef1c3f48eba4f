#include "httpd/log_writer.h"

#include <atomic>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <mutex>
#include <string>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <syslog.h>
#include <unistd.h>

#include "http_config.h"
#include "apr_lib.h"
#include "apr_portable.h"
#include "apr_strings.h"

#include "core/syslog_message.h"
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

// -- syslog ---------------------------------------------------------------------------------------
// The module talks to the local syslog daemon itself instead of calling syslog(3): glibc's syslog()
// drops a message without a word when /dev/log is missing or refuses it, and the module must count
// every record it loses. The socket is the process's own (as glibc's is), opened at the first
// record a process sends, so each child has its own connection.
constexpr const char *syslog_socket_path = "/dev/log";
// A daemon that is slower than the records come gets this long to take each one (glibc would wait
// forever). After a record was dropped for it, later ones are tried without waiting until one is
// taken again, so a stuck daemon costs one request this delay, not every request.
constexpr int syslog_wait_seconds = 5;

struct SyslogSocket {
    std::mutex lock;
    int fd = -1;
    int type = SOCK_DGRAM;
    pid_t owner = 0;       // the process that opened fd (a forked child opens its own)
    bool stalled = false;  // the last record was dropped because the daemon did not take it
};
SyslogSocket syslog_socket;

// Connects syslog_socket (lock held); returns 0 or the errno.
int syslog_connect() noexcept {
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::strncpy(address.sun_path, syslog_socket_path, sizeof address.sun_path - 1);
    int error = 0;
    // A datagram socket as rsyslogd, syslog-ng and journald offer; a stream one as some syslog-ng
    // set-ups do (glibc tries both in this order too).
    for (int type : {SOCK_DGRAM, SOCK_STREAM}) {
        int fd = socket(AF_UNIX, type | SOCK_CLOEXEC, 0);
        if (fd < 0) return errno;
        timeval wait{syslog_wait_seconds, 0};
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &wait, sizeof wait);
        if (connect(fd, reinterpret_cast<sockaddr *>(&address), sizeof address) == 0) {
            syslog_socket.fd = fd;
            syslog_socket.type = type;
            return 0;
        }
        error = errno;
        close(fd);
        if (error != EPROTOTYPE) break;
    }
    return error;
}

void syslog_disconnect() noexcept {
    if (syslog_socket.fd >= 0) close(syslog_socket.fd);
    syslog_socket.fd = -1;
}

// Hands one message to the syslog daemon: 0 once its socket took the message whole, else the errno
// of the failure (the message is then lost and the caller counts it).
int syslog_send(const std::string &message) noexcept {
    std::lock_guard<std::mutex> hold(syslog_socket.lock);
    if (syslog_socket.owner != getpid()) {
        // Inherited across fork: the parent's connection is not this process's to use.
        if (syslog_socket.fd >= 0) close(syslog_socket.fd);
        syslog_socket.fd = -1;
        syslog_socket.owner = getpid();
        syslog_socket.stalled = false;
    }
    const int flags = MSG_NOSIGNAL | (syslog_socket.stalled ? MSG_DONTWAIT : 0);
    int error = 0;
    // A second attempt on a fresh connection when the daemon restarted (its old socket is gone).
    for (int attempt = 0; attempt < 2; ++attempt) {
        if (syslog_socket.fd < 0) {
            error = syslog_connect();
            if (error != 0) return error;
        }
        // A stream socket separates messages with a NUL, as glibc does.
        const std::size_t size = message.size() + (syslog_socket.type == SOCK_STREAM ? 1 : 0);
        ssize_t sent;
        do {
            sent = send(syslog_socket.fd, message.c_str(), size, flags);
        } while (sent < 0 && errno == EINTR);
        if (sent == static_cast<ssize_t>(size)) {
            syslog_socket.stalled = false;
            return 0;
        }
        error = sent < 0 ? errno : EIO;
        if (sent >= 0 || error == EAGAIN || error == EWOULDBLOCK || error == ENOBUFS) {
            // The daemon did not take it in time. A partial stream write broke the framing: start
            // the next message on a new connection.
            if (sent >= 0) syslog_disconnect();
            syslog_socket.stalled = true;
            return error == EIO ? EAGAIN : error;
        }
        if (error == EMSGSIZE) return error;
        syslog_disconnect();  // ECONNREFUSED, ENOTCONN, EPIPE...: reconnect and try once more
    }
    return error;
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
        try {
            std::time_t now = std::time(nullptr);
            std::tm local{};
            localtime_r(&now, &local);
            error = syslog_send(syslog_datagram(target_.syslog_facility | LOG_INFO, local,
                                                program_invocation_short_name, getpid(), record));
        } catch (...) {  // std::bad_alloc
            error = ENOMEM;
        }
        ok = error == 0;
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
    if (write_failure_reported.exchange(true)) return;
    if (target_.kind == LogTarget::Kind::syslog) {
        ap_log_error(APLOG_MARK, APLOG_ERR, error, s,
                     "SNIF0053: SNIFallbackLog %s: the syslog daemon at %s did not take a record "
                     "(none running, or it was busy for %d s); records are dropped and counted in "
                     "log.records_dropped until it takes them again (requests are served as usual)",
                     target_.spec ? target_.spec : "syslog", syslog_socket_path,
                     syslog_wait_seconds);
    } else {
        ap_log_error(APLOG_MARK, APLOG_ERR, error, s,
                     "SNIF0012: SNIFallbackLog: writing a record to '%s' failed; records are "
                     "dropped until writing works again (requests are served as usual)",
                     target_.spec ? target_.spec : "?");
    }
}

}  // namespace snifallback::glue
