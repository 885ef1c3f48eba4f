#include "core/action.h"

#include <cctype>

#include "core/ascii.h"
#include "core/hex.h"
#include "core/host.h"

namespace snifallback {

const char *action_name(Action action) noexcept {
    switch (action) {
        case Action::notice: return "notice";
        case Action::redirect: return "redirect";
        case Action::vhost: return "vhost";
        case Action::none: break;
    }
    return "none";
}

const char *decision_name(Decision::Kind kind) noexcept {
    switch (kind) {
        case Decision::Kind::exempt: return "exempt";
        case Decision::Kind::notice: return "notice";
        case Decision::Kind::redirect: return "redirect";
        case Decision::Kind::vhost: return "vhost";
        case Decision::Kind::none: break;
    }
    return "none";
}

Decision decide(Action configured, std::string_view host, bool exempt_expression_matched) noexcept {
    Decision decision;
    if (configured == Action::none) return decision;
    if (host_is_ip_literal(host) || is_ip_address(host)) {
        decision.kind = Decision::Kind::exempt;
        decision.reason = "ip-literal";
        return decision;
    }
    if (exempt_expression_matched) {
        decision.kind = Decision::Kind::exempt;
        decision.reason = "expression";
        return decision;
    }
    switch (configured) {
        case Action::notice: decision.kind = Decision::Kind::notice; break;
        case Action::redirect: decision.kind = Decision::Kind::redirect; break;
        case Action::vhost: decision.kind = Decision::Kind::vhost; break;
        case Action::none: break;
    }
    return decision;
}

std::string_view builtin_notice_page() noexcept {
    static constexpr std::string_view page =
        "<!DOCTYPE html>\n"
        "<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        "<title>Your browser is too old for this site</title>\n"
        "<style>body{font-family:sans-serif;max-width:40em;margin:3em auto;padding:0 1em;"
        "line-height:1.5;color:#222}h1{font-size:1.5em}</style>\n"
        "</head><body>\n"
        "<h1>Your browser is too old for this site</h1>\n"
        "<p>This server hosts many secure websites at the same address. To show you the right one,\n"
        "your browser has to say which site it wants when it opens the secure connection (a\n"
        "feature called Server Name Indication, SNI). Your browser or program did not, so the\n"
        "server cannot tell which site you asked for.</p>\n"
        "<p>What you can do:</p>\n"
        "<ul>\n"
        "<li>Use a current browser, such as an up-to-date Firefox, Chrome, Edge or Safari.</li>\n"
        "<li>Update your operating system, or use another device.</li>\n"
        "<li>If this is a script or device you run, use a TLS library that sends SNI, and connect\n"
        "by host name rather than by IP address.</li>\n"
        "</ul>\n"
        "</body></html>\n";
    return page;
}

namespace {

bool is_scheme_char(char c) noexcept {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '-' || c == '.';
}

// Characters a literal host[:port] may hold: no '%' (an expression), '/', '?', '#', '@', '\'.
bool is_authority_char(char c) noexcept {
    const auto u = static_cast<unsigned char>(c);
    return std::isalnum(u) || c == '-' || c == '.' || c == ':' || c == '[' || c == ']' || c == '_';
}

bool needs_encoding(unsigned char c) noexcept {
    if (c <= 0x20 || c >= 0x7f) return true;
    switch (c) {
        case '"': case '<': case '>': case '\\': case '^': case '`': case '{': case '|': case '}':
            return true;
        default:
            return false;
    }
}

}  // namespace

std::string literal_origin(std::string_view expression) {
    std::size_t i = 0;
    while (i < expression.size() && is_scheme_char(expression[i])) ++i;
    if (i == 0 || !std::isalpha(static_cast<unsigned char>(expression[0]))) return {};
    if (expression.substr(i, 3) != "://") return {};
    const std::size_t host_start = i + 3;
    std::size_t j = host_start;
    while (j < expression.size() && is_authority_char(expression[j])) ++j;
    if (j == host_start) return {};
    if (j < expression.size()) {
        const char next = expression[j];
        if (next != '/' && next != '?' && next != '#' && next != '%') return {};
    }
    return std::string(expression.substr(0, j));
}

bool is_http_url(std::string_view url) noexcept {
    for (std::string_view scheme : {std::string_view("http://"), std::string_view("https://")}) {
        if (url.size() > scheme.size() &&
            equal_ignoring_case(url.substr(0, scheme.size()), scheme) &&
            url[scheme.size()] != '/') {
            return true;
        }
    }
    return false;
}

std::string safe_redirect_target(std::string_view origin, std::string_view evaluated) {
    std::string_view rest;
    const bool keeps_origin = evaluated.substr(0, origin.size()) == origin &&
                              (evaluated.size() == origin.size() ||
                               evaluated[origin.size()] == '/' || evaluated[origin.size()] == '?' ||
                               evaluated[origin.size()] == '#');
    rest = keeps_origin ? evaluated.substr(origin.size()) : std::string_view("/");
    std::string target(origin);
    target.reserve(origin.size() + rest.size());
    for (char ch : rest) {
        const auto c = static_cast<unsigned char>(ch);
        if (needs_encoding(c)) {
            target += '%';
            target += hex_digits_upper[c >> 4];
            target += hex_digits_upper[c & 0x0f];
        } else {
            target += ch;
        }
    }
    return target;
}

}  // namespace snifallback
