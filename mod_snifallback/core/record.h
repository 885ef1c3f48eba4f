// The no-SNI log record and its two renderings, JSON and logfmt.
//
// The glue fills a Record from the connection and request and calls render_json or render_logfmt;
// it never formats. Every rendered record is one line, ends in exactly one '\n', and is at most
// max_record_bytes long whatever the client sent, so one write() of it to a pipe is atomic.
//
// Keys, in this fixed order (the same in both formats):
//   every record:     time event client_ip client_port peer_ip local_ip local_port vhost
//                     cert_vhost sni_class sni tls_offered_max tls_version cipher alpn ja3
//                     ja3_hash ja4 client_name outcome source
//   event "request" and "probe" add:
//                     host method uri protocol user_agent action enforced reason status target
//   event "probe" adds:
//                     result page
// A record whose event is anything else (or absent) has the first group only; fields of a group
// that is not rendered are ignored. Absent values (std::nullopt) are rendered as JSON null and as
// logfmt "key=" (nothing after '='). client_port, local_port and status are integers, enforced is
// true or false (bare in both formats); time is a
// string "YYYY-MM-DDTHH:MM:SS.mmmZ" (UTC, RFC 3339; milliseconds truncated towards the past, never
// rounded up, so a record never claims a later millisecond or second); a time outside the years
// 0000-9999 renders as null. alpn is a JSON array of strings.
//
// JSON: one object, no spaces: {"time":"...","event":"request",...}\n. String escaping: escape.h.
//
// logfmt: key=value pairs separated by one space, then '\n'. A value is written in double quotes
// when its escaped text is empty or contains a space, '"', '=' or '\' (every escape starts with
// '\', so every value that needed an escape is quoted); otherwise it is written bare and holds its
// bytes literally. Inside quotes: \" \\ \n \r \t \xNN (one byte); see escape.h. So:
//   absent -> key=      empty -> key=""      a b -> key="a b"      a"b -> key="a\"b"
// A list (alpn) is one value: its elements escaped as list elements (',' -> \x2c, an empty element
// -> \_) and joined with ','; the empty list is key="". To read one back: take the value, drop the
// quotes if any, split on ',', then decode each element's escapes (\_ alone is the empty element).
//
// Truncation: every string value has a limit on its *rendered* length (after escaping, without
// the enclosing quotes; RecordLimits below). A value whose escaped form exceeds it is cut on a unit
// (UTF-8) boundary and ends in truncation_marker ("...[truncated]"), the whole within the limit.
// For ASCII text without anything to escape the limit is simply a byte count; hostile bytes use
// it up faster (up to 6 characters a byte in JSON, 4 in logfmt). Since the limits count escaped
// characters, JSON and logfmt may cut the same value at different places. A list is limited as a
// whole (JSON: with its brackets, quotes and commas; logfmt: the joined text) and each element on
// its own; when the next element does not fit, a final element that is exactly the marker is added
// and the rest is dropped. Worst-case sizes are checked at compile time (record.cpp).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/escape.h"

namespace snifallback {

// PIPE_BUF on Linux: a write() of at most this many bytes to a pipe is atomic. Every rendered
// record, '\n' included, is at most this long.
inline constexpr std::size_t max_record_bytes = 4096;

// Rendered-length limits of the string values (escaped characters, quotes excluded).
struct RecordLimits {
    static constexpr std::size_t event = 16;
    static constexpr std::size_t client_ip = 64;  // an IPv6 address with a zone id fits
    static constexpr std::size_t peer_ip = 48;  // a socket address: at most 45 characters
    static constexpr std::size_t local_ip = 64;
    static constexpr std::size_t vhost = 128;
    static constexpr std::size_t cert_vhost = 128;
    static constexpr std::size_t sni_class = 16;
    static constexpr std::size_t sni = 255;
    static constexpr std::size_t tls_offered_max = 16;
    static constexpr std::size_t tls_version = 16;
    static constexpr std::size_t cipher = 48;
    static constexpr std::size_t alpn = 384;         // the whole list: 20 real protocols fit
    static constexpr std::size_t alpn_element = 64;  // each element
    static constexpr std::size_t ja3 = 640;  // every real hello we know fits (embedded: 494)
    static constexpr std::size_t ja3_hash = 32;
    static constexpr std::size_t ja4 = 48;
    static constexpr std::size_t client_name = 80;
    static constexpr std::size_t outcome = 40;
    static constexpr std::size_t source = 16;
    static constexpr std::size_t host = 255;
    static constexpr std::size_t method = 24;
    static constexpr std::size_t uri = 432;
    static constexpr std::size_t protocol = 16;
    static constexpr std::size_t user_agent = 384;
    static constexpr std::size_t action = 16;
    static constexpr std::size_t reason = 32;
    static constexpr std::size_t target = 256;
    static constexpr std::size_t result = 32;
    static constexpr std::size_t page = 128;
};

// One no-SNI log record. Every field may be absent; strings hold raw bytes as received (no
// escaping, no validation: the renderers do that).
struct Record {
    using Text = std::optional<std::string>;
    using Integer = std::optional<int>;
    using Boolean = std::optional<bool>;

    std::optional<std::int64_t> time_us;  // microseconds since 1970-01-01T00:00:00Z (apr_time_now)
    Text event;                           // "handshake", "request" or "probe"
    Text client_ip;
    Integer client_port;
    Text peer_ip;  // the socket's remote address (a load balancer) when it is not client_ip
    Text local_ip;
    Integer local_port;
    Text vhost;            // ServerName of the vhost the handshake ran under
    Text cert_vhost;       // ServerName of the vhost whose certificate was served
    Text sni_class;        // "no-sni", "ip-literal" or "unknown-name"
    Text sni;              // the name the client sent in SNI; null for no-SNI records
    Text tls_offered_max;  // highest version the client offered, "TLSv1.3"
    Text tls_version;      // negotiated version, once established
    Text cipher;           // negotiated cipher, once established
    std::optional<std::vector<std::string>> alpn;  // protocols offered, in wire order
    Text ja3;                                      // JA3 text
    Text ja3_hash;                                 // MD5 of the JA3 text, lower-case hex
    Text ja4;
    Text client_name;  // the client's name from SNIFallbackClientNames (by JA4, else JA3)
    Text outcome;  // "established", "alert:<name>", "closed"
    Text source;   // "handshake", or "proxy-header": classified from a trusted proxy's headers

    // Request and probe records:
    Text host;  // Host header (or :authority)
    Text method;
    Text uri;       // the request target as sent
    Text protocol;  // "HTTP/1.1", "HTTP/2.0"
    Text user_agent;
    Text action;       // "none", "notice", "redirect", "vhost", "exempt": as decided
    Boolean enforced;  // whether the response carries the action (false: reported only)
    Text reason;     // why, e.g. "ip-literal"
    Integer status;  // the final response status
    Text target;     // redirect URL or vhost the request was sent to

    // Probe records:
    Text result;  // what the probe page reported, e.g. "sni-failed"
    Text page;    // the page that ran the probe (as reported by the browser)
};

// The keys render_json and render_logfmt write for this record, in order.
std::vector<std::string_view> record_keys(const Record &record);

// "2026-11-23T08:01:02.345Z"; empty when the time falls outside the years 0000-9999.
std::string format_time_utc(std::int64_t time_us);

// One JSON object on one line, '\n'-terminated, at most max_record_bytes.
std::string render_json(const Record &record);
// One logfmt line, '\n'-terminated, at most max_record_bytes.
std::string render_logfmt(const Record &record);

// Every record of one connection repeats the connection's fields (client_ip .. outcome, the
// fingerprints among them), and they no longer change once its handshake record is written. So
// they are rendered once per connection: render_connection_fields gives that piece, and
// render_line renders a record around it, taking time, event and the request fields from the
// record and ignoring its connection fields. The line is byte for byte the one render_json or
// render_logfmt gives for the record with those connection fields.
enum class LineFormat { json, logfmt };
std::string render_connection_fields(const Record &record, LineFormat format);
std::string render_line(const Record &record, LineFormat format,
                        std::string_view connection_fields);

// The largest rendering any Record can have in each format (checked against max_record_bytes at
// compile time; exposed for tests).
std::size_t max_json_bytes() noexcept;
std::size_t max_logfmt_bytes() noexcept;

}  // namespace snifallback
