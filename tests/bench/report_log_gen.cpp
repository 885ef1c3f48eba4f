// snifallback-report-loggen: writes a realistic no-SNI log for the report's benchmark
// (scripts/bench/report.py), rendered by the module's own record writer (core/record.h).
//
//   snifallback-report-loggen BYTES [SEED] [--syslog SERVERS]
//
// About BYTES bytes of records on standard output (whole records: it stops after the record that
// reaches BYTES). The mix: 30 days from 2026-11-01, clients spread over 600 fingerprints with a
// long tail (a few stacks make most traffic, as in real logs), 80% no-sni, 15% ip-literal, 5%
// unknown-name; 60,000 client addresses; 92% of handshakes established, the others ended by an
// alert or a close; 0 to 4 requests per established connection over 24 hosts, with actions none,
// notice, redirect, exempt (enforced or reported) and their statuses; real-looking User-Agents
// and JA3 texts of realistic length. With --syslog N each line gets an rsyslog file-format prefix
// naming one of N servers ("2026-11-01T08:00:00.123+00:00 web3 apache2[1234]: {...}").
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "core/record.h"

namespace {

struct Rng {
    std::uint64_t s;
    std::uint64_t next() {
        s += 0x9e3779b97f4a7c15ULL;
        std::uint64_t z = s;
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        return z ^ (z >> 31);
    }
    std::uint64_t below(std::uint64_t n) { return next() % n; }
    // a long tail: small values much more often
    std::uint64_t skewed(std::uint64_t n) {
        const double u = static_cast<double>(next() >> 11) / 9007199254740992.0;
        return static_cast<std::uint64_t>(static_cast<double>(n) * u * u * u) % n;
    }
};

std::string hex(Rng &rng, std::size_t n) {
    static const char digits[] = "0123456789abcdef";
    std::string out;
    for (std::size_t i = 0; i < n; ++i) out += digits[rng.below(16)];
    return out;
}

struct Stack {
    std::string ja4, ja3, ja3_hash, user_agent, offered;
    std::vector<std::string> alpn;
};

}  // namespace

int main(int argc, char **argv) {
    if (argc < 2) {
        std::fputs("usage: snifallback-report-loggen BYTES [SEED] [--syslog SERVERS] [--logfmt]\n",
                   stderr);
        return 2;
    }
    const std::uint64_t bytes = std::strtoull(argv[1], nullptr, 10);
    std::uint64_t seed = 1;
    int servers = 0;
    bool logfmt = false;  // records as SNIFallbackLogFormat logfmt writes them
    for (int i = 2; i < argc; ++i) {
        if (std::strcmp(argv[i], "--logfmt") == 0) {
            logfmt = true;
        } else if (std::strcmp(argv[i], "--syslog") == 0 && i + 1 < argc) {
            servers = std::atoi(argv[++i]);
        } else {
            seed = std::strtoull(argv[i], nullptr, 10);
        }
    }
    Rng rng{seed};
    static const char *agents[] = {
        "Mozilla/4.0 (compatible; MSIE 8.0; Windows NT 5.1; Trident/4.0)",
        ("Mozilla/5.0 (Linux; U; Android 2.3.6; en-us; GT-S5830 Build/GINGERBREAD) "
         "AppleWebKit/533.1 (KHTML, like Gecko) Version/4.0 Mobile Safari/533.1"),
        "Java/1.6.0_45",
        "curl/7.88.1",
        "python-requests/2.28.1",
        "Go-http-client/1.1",
        "Wget/1.21.3",
        "okhttp/3.12.13",
        "Apache-HttpClient/4.5.13 (Java/1.8.0_362)",
        "ELB-HealthChecker/2.0",
        "kube-probe/1.27",
        "Mozilla/5.0 (compatible; Nmap Scripting Engine)"};
    static const char *classes[] = {"no-sni", "ip-literal", "unknown-name"};
    static const char *versions[] = {"TLSv1.3", "TLSv1.2", "TLSv1", "TLSv1.1"};
    std::vector<Stack> stacks(600);
    for (std::size_t i = 0; i < stacks.size(); ++i) {
        Stack &s = stacks[i];
        s.offered = versions[rng.skewed(4)];
        const char v = s.offered == "TLSv1.3" ? '3' : s.offered == "TLSv1.2" ? '2' : '1';
        s.ja4 = std::string("t1") + v + "i" + std::to_string(10 + rng.below(80)) +
                std::to_string(10 + rng.below(10)) + (rng.below(2) ? "h1" : "00") + "_" +
                hex(rng, 12) + "_" + hex(rng, 12);
        s.ja3 = "771,";
        const std::size_t ciphers = 8 + rng.below(30);
        for (std::size_t c = 0; c < ciphers; ++c) {
            s.ja3 += std::to_string(4865 + rng.below(50000)) + (c + 1 < ciphers ? "-" : ",");
        }
        s.ja3 += "0-23-65281-10-11-35-16-5-13-18-51-45-43-27-21,29-23-24,0";
        s.ja3_hash = hex(rng, 32);
        s.user_agent = agents[rng.skewed(sizeof agents / sizeof *agents)];
        if (rng.below(3) == 0)
            s.alpn = {"h2", "http/1.1"};
        else if (rng.below(2) == 0)
            s.alpn = {"http/1.1"};
    }
    std::vector<std::string> hosts;
    for (int i = 0; i < 24; ++i) hosts.push_back("site" + std::to_string(i) + ".example.org");

    const std::int64_t start_us = 1'793'491'200'000'000;  // 2026-11-01T00:00:00Z
    const std::int64_t span_us = 30LL * 86'400'000'000;
    std::uint64_t written = 0;
    std::int64_t now = start_us;
    const std::int64_t step = 1 + static_cast<std::int64_t>(span_us / (bytes / 2300 + 1));
    std::string out;
    out.reserve(1 << 20);
    while (written < bytes) {
        now += static_cast<std::int64_t>(rng.below(static_cast<std::uint64_t>(2 * step)));
        const Stack &stack = stacks[rng.skewed(stacks.size())];
        const std::uint64_t c = rng.below(100);
        const char *sni_class = classes[c < 80 ? 0 : c < 95 ? 1 : 2];
        const std::uint64_t client = rng.skewed(60'000);
        snifallback::Record r;
        r.time_us = now;
        r.event = "handshake";
        r.client_ip =
            "198.51." + std::to_string(client / 256 % 256) + '.' + std::to_string(client % 256);
        if (client >= 65'536) r.client_ip = "2001:db8::" + std::to_string(client);
        r.client_port = static_cast<int>(1024 + rng.below(60000));
        r.local_ip = "203.0.113.10";
        r.local_port = 443;
        r.vhost = "www.example.org";
        r.cert_vhost = "legacy.example.org";
        r.sni_class = sni_class;
        if (sni_class != std::string("no-sni")) {
            r.sni = sni_class == std::string("ip-literal") ? "203.0.113.10" : "old.example.net";
        }
        r.tls_offered_max = stack.offered;
        r.alpn = stack.alpn;
        r.ja3 = stack.ja3;
        r.ja3_hash = stack.ja3_hash;
        r.ja4 = stack.ja4;
        const std::uint64_t o = rng.below(100);
        const bool established = o < 92;
        r.outcome = established ? "established"
                    : o < 96    ? "alert:bad_certificate"
                    : o < 98    ? "alert:unknown_ca"
                                : "closed";
        if (established) {
            r.tls_version = stack.offered == "TLSv1.3" ? "TLSv1.3" : "TLSv1.2";
            r.cipher = "ECDHE-RSA-AES128-GCM-SHA256";
        }
        std::string prefix;
        if (servers > 0) {
            prefix = snifallback::format_time_utc(now);
            prefix.pop_back();
            prefix += "+00:00 web" +
                      std::to_string(1 + rng.below(static_cast<std::uint64_t>(servers))) +
                      " apache2[" + std::to_string(1000 + rng.below(9000)) + "]: ";
        }
        out += prefix;
        out += logfmt ? snifallback::render_logfmt(r) : snifallback::render_json(r);
        const std::uint64_t requests = established ? rng.below(5) : 0;
        for (std::uint64_t i = 0; i < requests; ++i) {
            r.time_us = now + static_cast<std::int64_t>(rng.below(5'000'000));
            r.event = "request";
            r.host = hosts[rng.skewed(hosts.size())];
            r.method = "GET";
            r.uri = "/path/" + std::to_string(rng.below(1000)) + "?q=" + hex(rng, 8);
            r.protocol = "HTTP/1.1";
            r.user_agent = stack.user_agent;
            const std::uint64_t a = rng.below(100);
            r.action = a < 50 ? "none" : a < 75 ? "notice" : a < 90 ? "redirect" : "exempt";
            r.enforced = (*r.action == "notice" || *r.action == "redirect") && rng.below(2) == 0;
            r.reason =
                *r.action == "exempt" ? snifallback::Record::Text("expression") : std::nullopt;
            r.status = *r.enforced ? (*r.action == "notice" ? 403 : 302) : 200;
            r.target = *r.action == "redirect"
                           ? snifallback::Record::Text("https://www.example.org" + *r.uri)
                           : std::nullopt;
            out += prefix;
            out += logfmt ? snifallback::render_logfmt(r) : snifallback::render_json(r);
        }
        if (out.size() >= (1 << 20) - 16384 || written + out.size() >= bytes) {
            written += out.size();
            if (std::fwrite(out.data(), 1, out.size(), stdout) != out.size()) return 1;
            out.clear();
        }
    }
    return std::fflush(stdout) == 0 ? 0 : 1;
}
