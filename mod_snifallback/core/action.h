// What happens to an HTTP request that arrived on a connection without SNI (SNIFallbackAction).
// Pure decisions and text; the glue evaluates expressions and sends responses.
#pragma once

#include <string>
#include <string_view>

namespace snifallback {

enum class Action { none, notice, redirect, vhost };

// "none", "notice", "redirect", "vhost".
const char *action_name(Action action) noexcept;

struct Decision {
    enum class Kind { none, exempt, notice, redirect, vhost };
    Kind kind = Kind::none;
    const char *reason = nullptr;  // why exempt: "ip-literal" or "expression"; null otherwise
};

// "none", "exempt", "notice", "redirect", "vhost": the log's and SNIFALLBACK_ACTION's value.
const char *decision_name(Decision::Kind kind) noexcept;

// The configured action, unless the request is exempt: a Host that is an IP literal (a client
// cannot send an IP in SNI; health checks connect by address) or a matching SNIFallbackExempt.
Decision decide(Action configured, std::string_view host, bool exempt_expression_matched) noexcept;

// The built-in notice page: small, self-contained HTML (no external resources) that explains to a
// person why the site cannot be shown to their browser and what to do.
std::string_view builtin_notice_page() noexcept;

// Redirect targets. The URL of `SNIFallbackAction redirect` is an Apache string expression; its
// scheme and host must come from the configuration, never from the client.
//
// The literal "scheme://host[:port]" an expression starts with, or empty when the expression does
// not start with one (e.g. "%{HTTP_HOST}/x", "https://%{SERVER_NAME}/"): such expressions are
// refused at configuration time. The origin must be followed by '/', '?', '#', '%' (an expression)
// or the end.
std::string literal_origin(std::string_view expression);

// Whether `url` starts with "http://" or "https://" (scheme in any case) and a host.
bool is_http_url(std::string_view url) noexcept;

// The Location to send for an evaluated expression whose configured origin is `origin`: the value
// must still start with the origin followed by '/', '?', '#' or the end (otherwise only origin + "/"
// is used), and every byte that has no place in a header or a URL (controls, space, DEL, '"', '<',
// '>', '\', '^', '`', '{', '|', '}', non-ASCII) is percent-encoded, so nothing the client sent can
// split the header or move the target elsewhere.
std::string safe_redirect_target(std::string_view origin, std::string_view evaluated);

}  // namespace snifallback
