#!/usr/bin/env bash
# Install, from Debian's packages only, everything the build, the tests and the demo need.
# Idempotent: packages already present are not fetched again; apt lists are refreshed only when
# something is missing.
#
#   scripts/deps.sh          # build, tests, demo
#   scripts/deps.sh bench    # ... and what scripts/bench.sh and scripts/sanitize.sh use
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
)

if [ "${1:-}" = bench ]; then
  packages+=(haproxy valgrind util-linux wrk)
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

# Debian's package starts the system apache2 on port 80; the project never uses it.
if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet apache2 2>/dev/null; then
  "${sudo_cmd[@]}" systemctl stop apache2 || true
fi

# Debian's prometheus package enables and starts a system server on :9090 (systemd or its init
# script) that scrapes itself; the tests start their own on free loopback ports and never use it.
# Stop and disable it when this run installed it; a prometheus that was here before is left alone.
if [[ " ${missing[*]} " == *" prometheus "* ]]; then
  if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
    "${sudo_cmd[@]}" systemctl disable --now prometheus >/dev/null 2>&1 || true
  elif [ -x /etc/init.d/prometheus ]; then
    "${sudo_cmd[@]}" /etc/init.d/prometheus stop >/dev/null 2>&1 || true
    "${sudo_cmd[@]}" update-rc.d prometheus disable >/dev/null 2>&1 || true
  fi
fi
exit 0
