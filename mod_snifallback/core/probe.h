// The browser SNI probe: a page served without SNI (or over plain HTTP) includes probe.js, which
// loads a 1-pixel image from an SNI-only HTTPS URL. A browser that cannot use SNI gets the wrong
// certificate there and the image fails: the script reports it and sends the visitor to the
// failure (notice) URL; otherwise to the success URL. Pure text; the glue serves it.
#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>

namespace snifallback {

// Why `url` cannot be a probe URL, or empty when it can: it must be an absolute http:// or
// https:// URL with a host, and hold nothing that needs quoting (no spaces, quotes, '<', '>',
// backslashes or control bytes).
std::string probe_url_problem(std::string_view url);

// The script, with the three configured URLs (checked with probe_url_problem) and nothing else
// from outside: the report goes to "report" next to the script's own URL.
std::string probe_script(std::string_view pixel_url, std::string_view success_url,
                         std::string_view failure_url);

// What a probe record's `result` says: one of the values the probe script reports ("sni-failed"),
// or "other" for anything else a client sent (or nothing), so a record never carries free text in
// that field.
std::string_view probe_result_name(std::string_view reported) noexcept;

// At most `per_second` reports a second (a fixed one-second window): what one child process lets
// through to the log. Thread-safe.
class ProbeReportLimit {
  public:
    explicit ProbeReportLimit(std::uint32_t per_second) noexcept : per_second_(per_second) {}
    // True when a report at `now_seconds` (any monotonic or wall-clock second) may be written.
    bool admit(std::int64_t now_seconds) noexcept;

  private:
    std::mutex lock_;
    std::uint32_t per_second_;
    std::int64_t window_ = -1;
    std::uint32_t used_ = 0;
};

// A transparent 1x1 GIF.
std::string_view probe_pixel_gif() noexcept;

}  // namespace snifallback
