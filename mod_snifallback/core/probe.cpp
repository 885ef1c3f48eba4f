#include "core/probe.h"

namespace snifallback {

std::string probe_url_problem(std::string_view url) {
    std::string_view rest;
    if (url.substr(0, 8) == "https://") {
        rest = url.substr(8);
    } else if (url.substr(0, 7) == "http://") {
        rest = url.substr(7);
    } else {
        return "must be an absolute http:// or https:// URL";
    }
    if (rest.empty() || rest.front() == '/') return "has no host";
    for (char c : url) {
        const auto u = static_cast<unsigned char>(c);
        if (u <= 0x20 || u >= 0x7f || c == '"' || c == '\'' || c == '<' || c == '>' || c == '\\' ||
            c == '`') {
            return "holds a character that would need quoting (space, quote, <, >, \\, `, or a "
                   "control or non-ASCII byte): percent-encode it";
        }
    }
    return {};
}

std::string probe_script(std::string_view pixel_url, std::string_view success_url,
                         std::string_view failure_url) {
    // The URLs hold no quote, backslash or control byte (probe_url_problem), so they can stand in
    // string literals as they are.
    std::string script =
        "/* mod_snifallback SNI probe: can this browser reach an SNI-only HTTPS site? */\n"
        "(function () {\n"
        "  var pixel = \"";
    script += pixel_url;
    script += "\";\n  var success = \"";
    script += success_url;
    script += "\";\n  var failure = \"";
    script += failure_url;
    script +=
        "\";\n"
        "  var me = document.currentScript && document.currentScript.src;\n"
        "  var report = me ? new URL(\"report\", me).href : null;\n"
        "  var done = false;\n"
        "  function finish(ok) {\n"
        "    if (done) return;\n"
        "    done = true;\n"
        "    if (!ok && report) {\n"
        "      var data = \"result=sni-failed&page=\" + encodeURIComponent(location.href);\n"
        "      if (navigator.sendBeacon) {\n"
        "        navigator.sendBeacon(report, new Blob([data],\n"
        "            {type: \"application/x-www-form-urlencoded\"}));\n"
        "      } else {\n"
        "        new Image().src = report + \"?\" + data;\n"
        "      }\n"
        "    }\n"
        "    window.location.replace(ok ? success : failure);\n"
        "  }\n"
        "  var img = new Image();\n"
        "  img.onload = function () { finish(true); };\n"
        "  img.onerror = function () { finish(false); };\n"
        "  setTimeout(function () { finish(false); }, 10000);\n"
        "  img.src = pixel + (pixel.indexOf(\"?\") < 0 ? \"?\" : \"&\") + \"t=\" + Date.now();\n"
        "})();\n";
    return script;
}

std::string_view probe_result_name(std::string_view reported) noexcept {
    return reported == "sni-failed" ? "sni-failed" : "other";
}

bool ProbeReportLimit::admit(std::int64_t now_seconds) noexcept {
    std::lock_guard<std::mutex> hold(lock_);
    if (now_seconds != window_) {
        window_ = now_seconds;
        used_ = 0;
    }
    if (used_ >= per_second_) return false;
    ++used_;
    return true;
}

std::string_view probe_pixel_gif() noexcept {
    static constexpr unsigned char gif[] = {
        0x47, 0x49, 0x46, 0x38, 0x39, 0x61, 0x01, 0x00, 0x01, 0x00, 0x80, 0x00, 0x00, 0x00,
        0x00, 0x00, 0xff, 0xff, 0xff, 0x21, 0xf9, 0x04, 0x01, 0x00, 0x00, 0x00, 0x00, 0x2c,
        0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x02, 0x02, 0x44, 0x01, 0x00,
        0x3b};
    return {reinterpret_cast<const char *>(gif), sizeof gif};
}

}  // namespace snifallback
