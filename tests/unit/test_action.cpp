#include <catch2/catch.hpp>

#include <string>
#include <tuple>

#include "core/action.h"
#include "core/forecast.h"

using snifallback::Action;
using snifallback::Decision;

TEST_CASE("decide: configured action unless exempt") {
    using K = Decision::Kind;
    auto [action, host, matched, kind, reason] =
        GENERATE(table<Action, std::string, bool, K, std::string>({
            {Action::none, "a.test", false, K::none, ""},
            {Action::none, "192.0.2.1", true, K::none, ""},  // nothing to be exempt from
            {Action::notice, "a.test", false, K::notice, ""},
            {Action::redirect, "a.test:443", false, K::redirect, ""},
            {Action::vhost, "a.test", false, K::vhost, ""},
            {Action::notice, "192.0.2.1", false, K::exempt, "ip-literal"},
            {Action::notice, "[::1]:443", false, K::exempt, "ip-literal"},
            {Action::notice, "a.test", true, K::exempt, "expression"},
            {Action::redirect, "127.0.0.1:8443", true, K::exempt, "ip-literal"},
        }));
    CAPTURE(host);
    const Decision d = snifallback::decide(action, host, matched);
    CHECK(d.kind == kind);
    CHECK(std::string(d.reason ? d.reason : "") == reason);
}

TEST_CASE("names of actions and decisions") {
    CHECK(std::string(snifallback::action_name(Action::redirect)) == "redirect");
    CHECK(std::string(snifallback::decision_name(Decision::Kind::exempt)) == "exempt");
    CHECK(std::string(snifallback::decision_name(Decision::Kind::none)) == "none");
}

TEST_CASE("literal origin of a redirect expression") {
    auto [expression, origin] = GENERATE(table<std::string, std::string>({
        {"https://legacy.example.org%{REQUEST_URI}", "https://legacy.example.org"},
        {"https://legacy.example.org/", "https://legacy.example.org"},
        {"https://legacy.example.org", "https://legacy.example.org"},
        {"http://[2001:db8::1]:8080/x", "http://[2001:db8::1]:8080"},
        {"https://legacy.example.org:8443/path?q=%{QUERY_STRING}", "https://legacy.example.org:8443"},
        {"%{HTTP_HOST}/x", ""},
        {"https://%{SERVER_NAME}/", ""},
        {"https://legacy.example.org@%{HTTP_HOST}/", ""},
        {"https://legacy.example.org\\@evil/", ""},
        {"//legacy.example.org/", ""},
        {"/relative/path", ""},
        {"https:///path", ""},
    }));
    CAPTURE(expression);
    CHECK(snifallback::literal_origin(expression) == origin);
}

TEST_CASE("redirect targets keep the configured origin and cannot split a header") {
    const std::string origin = "https://legacy.example.org";
    auto [evaluated, target] = GENERATE(table<std::string, std::string>({
        {"https://legacy.example.org/a/b?c=d", "https://legacy.example.org/a/b?c=d"},
        {"https://legacy.example.org", "https://legacy.example.org"},
        {"https://legacy.example.org//evil.example/", "https://legacy.example.org//evil.example/"},
        {"https://legacy.example.org/x\r\nSet-Cookie: a=b", "https://legacy.example.org/x%0D%0ASet-Cookie:%20a=b"},
        {"https://legacy.example.org/\"<script>", "https://legacy.example.org/%22%3Cscript%3E"},
        {"https://legacy.example.org/caf\xc3\xa9", "https://legacy.example.org/caf%C3%A9"},
        {"https://legacy.example.org.evil.example/", "https://legacy.example.org/"},
        {"https://legacy.example.org@evil.example/", "https://legacy.example.org/"},
        {"https://evil.example/", "https://legacy.example.org/"},
        {"", "https://legacy.example.org/"},
        {std::string("https://legacy.example.org/\0x", 29), "https://legacy.example.org/%00x"},
    }));
    CAPTURE(evaluated);
    CHECK(snifallback::safe_redirect_target(origin, evaluated) == target);
}

TEST_CASE("the built-in notice page is small and self-contained") {
    const auto page = snifallback::builtin_notice_page();
    CHECK(page.size() < 4096);
    CHECK(page.find("<!DOCTYPE html>") == 0);
    CHECK(page.find("SNI") != std::string::npos);
    CHECK(page.find("src=") == std::string::npos);   // no images, scripts
    CHECK(page.find("href=") == std::string::npos);  // no stylesheets or links
}

TEST_CASE("forecast: mod_ssl's checks for a request without SNI", "[forecast]") {
    using snifallback::Forecast;
    using snifallback::SniVhostPolicy;
    using snifallback::VhostComparison;
    const VhostComparison same{true, false, false};
    const VhostComparison other_certificate{false, true, false};
    const VhostComparison other_auth{false, false, true};
    const VhostComparison compatible{false, false, false};
    using Case = std::tuple<SniVhostPolicy, VhostComparison, Forecast, Forecast, Forecast>;
    // policy, comparison, outcome, outcome with the strict check, outcome of a route
    auto [policy, comparison, outcome, strict, routed] =
        GENERATE_COPY(table<SniVhostPolicy, VhostComparison, Forecast, Forecast, Forecast>({
            Case{SniVhostPolicy::secure, same, Forecast::served, Forecast::forbidden,
                 Forecast::vhost},
            Case{SniVhostPolicy::secure, other_certificate, Forecast::misdirected,
                 Forecast::forbidden, Forecast::vhost},
            Case{SniVhostPolicy::secure, other_auth, Forecast::misdirected, Forecast::forbidden,
                 Forecast::vhost},
            Case{SniVhostPolicy::authonly, other_certificate, Forecast::served,
                 Forecast::forbidden, Forecast::vhost},
            Case{SniVhostPolicy::authonly, other_auth, Forecast::misdirected,
                 Forecast::forbidden, Forecast::vhost},
            Case{SniVhostPolicy::insecure, other_auth, Forecast::forbidden, Forecast::forbidden,
                 Forecast::vhost},
            Case{SniVhostPolicy::strict, compatible, Forecast::misdirected, Forecast::forbidden,
                 Forecast::vhost},
        }));
    CHECK(snifallback::mod_ssl_forecast(policy, false, comparison) == outcome);
    CHECK(snifallback::mod_ssl_forecast(policy, true, comparison) == strict);
    CHECK(snifallback::request_forecast(snifallback::Action::vhost, true, true, strict) ==
          Forecast::forbidden);  // the strict check's 403 wins over a route
    CHECK(snifallback::request_forecast(snifallback::Action::vhost, true, false, outcome) ==
          routed);
    CHECK(snifallback::request_forecast(snifallback::Action::notice, false, false, outcome) ==
          outcome);
    CHECK(snifallback::request_forecast(snifallback::Action::redirect, true, true, strict) ==
          Forecast::redirect);
}

TEST_CASE("forecast: policy names", "[forecast]") {
    CHECK(snifallback::parse_sni_vhost_policy("AuthOnly") == snifallback::SniVhostPolicy::authonly);
    CHECK_FALSE(snifallback::parse_sni_vhost_policy("lax"));
    CHECK(std::string(snifallback::forecast_name(snifallback::Forecast::misdirected)) ==
          "misdirected");
}

TEST_CASE("an IP-literal host is exempt however httpd spells it", "[action]") {
    for (const char *host : {"192.0.2.1", "192.0.2.1:8443", "[2001:db8::1]", "2001:db8::1", "::1"}) {
        INFO(host);
        CHECK(snifallback::decide(snifallback::Action::notice, host, false).kind ==
              snifallback::Decision::Kind::exempt);
    }
    CHECK(snifallback::decide(snifallback::Action::notice, "shop.example", false).kind ==
          snifallback::Decision::Kind::notice);
}

TEST_CASE("Redirect targets are http or https only") {
    using snifallback::is_http_url;
    CHECK(is_http_url("https://legacy.example.org"));
    CHECK(is_http_url("HTTP://legacy.example.org/x"));
    CHECK(is_http_url("http://[::1]:8080/"));
    CHECK_FALSE(is_http_url("javascript://x.test/%0aalert(1)"));
    CHECK_FALSE(is_http_url("data://x"));
    CHECK_FALSE(is_http_url("ftp://x.test/"));
    CHECK_FALSE(is_http_url("https://"));
    CHECK_FALSE(is_http_url("https:///path"));
    CHECK_FALSE(is_http_url("httpsx://x.test"));
}
