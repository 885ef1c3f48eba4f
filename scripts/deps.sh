#!/usr/bin/env bash
# Install, from Debian's packages only, everything the build, the tests and the demo need.
# Idempotent: packages already present are not fetched again; apt lists are refreshed only when
# something is missing.
#
#   scripts/deps.sh          # build, tests, demo
#   scripts/deps.sh bench    # ... and what scripts/bench.sh, sanitize.sh and busy-check.sh use
set -euo pipefail

packages=(
  apache2 apache2-dev apache2-ssl-dev libapr1-dev libaprutil1-dev
  libssl-dev libssl3 openssl
  cmake g++ make pkg-config libtool-bin
  catch2 libbenchmark-dev
  # snifallback-report: JSON lines with simdjson, rotated .gz logs with zlib
  libsimdjson-dev zlib1g-dev
  clang-14 libclang-rt-14-dev
  curl nghttp2-client
  python3 python3-pytest python3-openssl python3-h2 socat
  tshark
  chromium
  # a real client that still sends an SSLv2-format ClientHello (test_162: SSLv2Hello with TLSv1)
  openjdk-17-jdk-headless
  # the Debian package (cmake --build build --target package) and its tests
  dpkg-dev file lintian
  # log rotation and syslog with the real daemons (tests/integration/test_110_*)
  logrotate rsyslog
  # a real Prometheus server and promtool that scrape and check ?metrics (test_130_prometheus)
  prometheus
  # the load balancer in front of Apache (test_180, test_182, test_184: PROXY protocol, health
  # checks, TLS ended in front)
  haproxy
)

if [ "${1:-}" = bench ]; then
  packages+=(valgrind util-linux wrk)
  # scripts/busy-check.sh: a busy loop on every core
  packages+=(stress-ng)
  # scripts/bench/report.py: peak memory (/usr/bin/time -v) and jq, the baseline
  packages+=(time jq)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed$' || missing+=("$p")
done

sudo_cmd=()
[ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)

export DEBIAN_FRONTEND=noninteractive
if ((${#missing[@]})); then
  echo "deps: installing ${missing[*]}" >&2
  "${sudo_cmd[@]}" apt-get update -qq
  # tshark asks whether non-root users may capture; answer no without a prompt.
  echo "wireshark-common wireshark-common/install-setuid boolean false" | "${sudo_cmd[@]}" debconf-set-selections
  "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# mod_ssl warns at start-up when the running libssl is older than the one it was built against:
# keep libssl3 as new as the archive has it (a no-op when it already is).
if apt-get -s install --only-upgrade libssl3 2>/dev/null | grep -q '^Inst libssl3'; then
  "${sudo_cmd[@]}" apt-get install -y -qq --only-upgrade libssl3 libssl-dev openssl >/dev/null
fi

# Debian's package starts the system apache2 on port 80; the project never uses it (every test
# server runs on free loopback ports). Stop it when this run installed it, and only then: an
# apache2 that was here before, perhaps serving a site, is left alone.
if [[ " ${missing[*]} " == *" apache2 "* ]]; then
  if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
    "${sudo_cmd[@]}" systemctl stop apache2 >/dev/null 2>&1 || true
  elif [ -x /etc/init.d/apache2 ]; then
    "${sudo_cmd[@]}" /etc/init.d/apache2 stop >/dev/null 2>&1 || true
  fi
fi

# Debian's prometheus package enables and starts a system server on :9090 (systemd or its init
# script) that scrapes itself; the tests start their own on free loopback ports and never use it.
# Debian's haproxy service likewise (the tests start their own). Stop and disable each when this
# run installed it; one that was here before is left alone.
for service in prometheus haproxy; do
  [[ " ${missing[*]} " == *" $service "* ]] || continue
  if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
    "${sudo_cmd[@]}" systemctl disable --now "$service" >/dev/null 2>&1 || true
  elif [ -x "/etc/init.d/$service" ]; then
    "${sudo_cmd[@]}" "/etc/init.d/$service" stop >/dev/null 2>&1 || true
    "${sudo_cmd[@]}" update-rc.d "$service" disable >/dev/null 2>&1 || true
  fi
done
exit 0
