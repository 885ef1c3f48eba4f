#!/usr/bin/env bash
# What mod_snifallback costs, side by side with the alternatives (method: scripts/bench/README.md
# and bench.py's docstring). Builds the module (Release, its own build
# directory), then scripts/bench/bench.py runs, on loopback only and with bounded request counts:
#   1  TLS handshakes with SNI, one request per connection: module (with its log) vs none
#   2  keep-alive HTTP/1.1 and HTTP/2 with SNI: module vs none
#   3  no-SNI handshakes, fingerprints + JSON log + fallback certificate + notice: module vs none
#   4  the same no-SNI job done by mod_rewrite + a conditional CustomLog vs the module (4b:
#      the module without fingerprints)
#   5  HAProxy (TCP mode, logging req.ssl_sni) in front of apache2 vs the module alone
#   6  instructions per full and per resumed handshake (callgrind on apache2 -X) with and
#      without the module; 6g/6h (part "vhosts"): per full SNI handshake with 5 and with 5,000
#      name-based SSL vhosts on the address, exact and wildcard names: the module's own count
#      must not grow with the vhosts (limit: +10% or +100 instructions, whichever is more)
#   7  resident memory of the apache2 child after 50,000 connections with and without it
#   7a-7e (part "status"): one scrape of each status output (the handler's HTML, ?json, ?metrics;
#      mod_status's ?auto and HTML) at 10,000 SSL vhosts, each with a limit in ms
# Items 1, 3, 4, 4b and 5 are measured twice: full handshakes (servers that keep no sessions) and
# resumed ones (clients that reconnect to servers with a session cache and tickets, "-r" rows).
# Every handshake run counts its mix in the servers' access logs (SSL_SESSION_RESUMED); the
# script exits non-zero when a mix is not the one its row claims, or when 6g's or 7a-7e's limit is exceeded.
# It prints medians, min–max spreads and one markdown table of ratios (module / other) with each
# row's mix.
#
#   scripts/bench.sh            # full: 7 repetitions
#   scripts/bench.sh --quick    # fewer and shorter runs
#   scripts/bench.sh --only vhosts   # 6g/6h alone (about 10 minutes: apache2 with 5,000
#                                    # vhosts starts in ~3 minutes under callgrind)
#   other options: --key rsa, --only throughput,callgrind,vhosts,memory, --keep (see
#   bench.py --help)
#
# Needs 2 CPUs (server pinned to CPU 0, load generator to CPU 1) and, from Debian: apache2,
# cmake, g++, apache2-dev, libssl-dev, openssl, nghttp2-client (h2load), haproxy, valgrind,
# util-linux (taskset, setpriv), python3.
set -euo pipefail
src=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

# `scripts/bench.sh report [options]`: snifallback-report's throughput and memory against jq
# (scripts/bench/report.py); it needs no server.
if [ "${1:-}" = report ]; then
  shift
  "$(dirname "${BASH_SOURCE[0]}")/deps.sh" bench
  exec /usr/bin/python3 "$src/scripts/bench/report.py" "$@"
fi
build=${SNIFALLBACK_BENCH_HTTPD_BUILD_DIR:-$src/build-bench-httpd}

# What the module does to no-SNI requests in items 3-5 (SNIFallbackAction). Default notice, the
# action most sites start with: the module answers 403 with a notice page, the stock recipe of item 4 the same
# page with mod_rewrite [F] + ErrorDocument, and the servers without the module the same page with
# 200. SNIF_BENCH_ACTION= (set, empty) measures logging only.
export SNIF_BENCH_ACTION=${SNIF_BENCH_ACTION-notice}

"$(dirname "${BASH_SOURCE[0]}")/deps.sh" bench

missing=()
for tool in apache2:/usr/sbin/apache2 h2load haproxy:/usr/sbin/haproxy valgrind callgrind_control \
            callgrind_annotate taskset setpriv openssl cmake; do
  name=${tool%%:*} path=${tool#*:}
  [ "$name" = "$tool" ] && path=$name
  command -v "$path" >/dev/null 2>&1 || missing+=("$name")
done
if ((${#missing[@]})); then
  echo "bench: missing ${missing[*]}; run scripts/deps.sh (Debian: nghttp2-client haproxy valgrind" \
       "util-linux)" >&2
  exit 1
fi
if [ "$(nproc)" -lt 2 ]; then
  echo "bench: needs 2 CPUs (server on CPU 0, load generator on CPU 1); this machine has $(nproc)" >&2
  exit 1
fi

echo "bench: building the module (Release) in $build" >&2
cmake -S "$src" -B "$build" -DCMAKE_BUILD_TYPE=Release -DSNIFALLBACK_BUILD_MODULE=ON \
      -DSNIFALLBACK_BUILD_TESTS=OFF >/dev/null
cmake --build "$build" --target mod_snifallback -j1 >/dev/null

# bench.py stops every server it started on exit, error, Ctrl-C, SIGTERM or SIGHUP. It imports the
# harness package (servers, PKI, ports, processes) from tests/.
export PYTHONPATH="$src/tests${PYTHONPATH:+:$PYTHONPATH}"
exec /usr/bin/python3 "$src/scripts/bench/bench.py" --module "$build/mod_snifallback.so" "$@"
