// One wrapper at every boundary where httpd or OpenSSL calls into the module: no C++ exception
// crosses into C. What a failure means depends on the kind of hook, and is decided here, once:
//
//   configuration  pre_config, check_config, post_config, open_logs: the (re)start fails
//                  (SNIF0004 at emerg, naming what failed); a server that cannot set the module up
//                  must not run with it half set up.
//   child          child_init: it cannot fail a start, so the child runs on without what the
//                  hook would have set up (SNIF0079 at error, naming what failed).
//   connection     pre_handshake: the connection is served unobserved (SNIF0001), as without
//                  the module.
//   request        post_read_request, log_transaction, handlers, mod_status's hook: the request is
//                  served unchanged (SNIF0003), as without the module; a handler declines.
//   TLS callback   OpenSSL's message and certificate callbacks: see guard_tls_callback below.
//   pool cleanup   the module's cleanups at a connection's end: what they would have written is
//                  lost; the connection closes as usual.
//
// Register hooks as `ap_hook_x(request_hook<on_x>, ...)`: the guarded function has the hook's
// exact signature.
#pragma once

#include <exception>
#include <new>
#include <type_traits>

#include "httpd/module.h"

namespace snifallback::glue {

enum class HookKind { configuration, child, connection, request };

namespace hook_guard_detail {

// The httpd objects a failure is logged against, taken from the hook's own arguments.
struct FailureContext {
    const request_rec *request = nullptr;
    const conn_rec *connection = nullptr;
    const server_rec *server = nullptr;
};

template <typename T>
void take(FailureContext &, const T &) noexcept {}
inline void take(FailureContext &context, request_rec *r) noexcept {
    if (context.request == nullptr) context.request = r;
}
inline void take(FailureContext &context, conn_rec *c) noexcept {
    if (context.connection == nullptr) context.connection = c;
}
inline void take(FailureContext &context, server_rec *s) noexcept {
    if (context.server == nullptr) context.server = s;
}

// Logs the failure with the policy's message id; defined in hook_guard.cpp.
void report_failure(HookKind kind, const FailureContext &context, const char *what) noexcept;

// What the hook returns after a failure, by the policy of its kind.
template <typename Result>
Result failure_result(HookKind kind) noexcept {
    if constexpr (std::is_void_v<Result>) {
        return;
    } else {
        return kind == HookKind::configuration ? HTTP_INTERNAL_SERVER_ERROR : DECLINED;
    }
}

template <HookKind kind, auto hook>
struct Guarded;

template <HookKind kind, typename Result, typename... Args, Result (*hook)(Args...)>
struct Guarded<kind, hook> {
    static Result call(Args... args) noexcept {
        const char *what = "unknown exception";
        try {
            return hook(args...);
        } catch (const std::bad_alloc &) {
            what = "out of memory";
        } catch (const std::exception &error) {
            what = error.what();
        } catch (...) {
        }
        FailureContext context;
        (take(context, args), ...);
        report_failure(kind, context, what);
        return failure_result<Result>(kind);
    }
};

}  // namespace hook_guard_detail

template <auto hook>
inline constexpr auto configuration_hook =
    &hook_guard_detail::Guarded<HookKind::configuration, hook>::call;
template <auto hook>
inline constexpr auto child_hook = &hook_guard_detail::Guarded<HookKind::child, hook>::call;
template <auto hook>
inline constexpr auto connection_hook =
    &hook_guard_detail::Guarded<HookKind::connection, hook>::call;
template <auto hook>
inline constexpr auto request_hook = &hook_guard_detail::Guarded<HookKind::request, hook>::call;

// OpenSSL callbacks: a failure means the module stops observing this connection and leaves the
// handshake to OpenSSL and mod_ssl, as without the module. `on_failure` (noexcept) does what
// "stop observing" takes for the callback at hand and returns the callback's neutral result.
template <typename Body, typename OnFailure>
auto guard_tls_callback(Body &&body, OnFailure &&on_failure) noexcept -> decltype(body()) {
    try {
        return body();
    } catch (...) {
        return on_failure();
    }
}

// A pool cleanup: `cleanup(data)` runs; a failure is dropped (see the policy above).
template <void (*cleanup)(void *)>
apr_status_t guarded_cleanup(void *data) noexcept {
    try {
        cleanup(data);
    } catch (...) {
    }
    return APR_SUCCESS;
}

}  // namespace snifallback::glue
