// The browser SNI probe: a page served without SNI (or over plain HTTP) includes probe.js, which
// loads a 1-pixel image from an SNI-only HTTPS URL. A browser that cannot use SNI gets the wrong
// certificate there and the image fails: the script reports it and sends the visitor to the
// failure (notice) URL; otherwise to the success URL. Pure text; the glue serves it.
#pragma once

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

// A transparent 1x1 GIF.
std::string_view probe_pixel_gif() noexcept;

}  // namespace snifallback
