#!/usr/bin/env bash
# Hostile TLS clients against a throwaway apache2 with the module, or against a running server:
#
#   scripts/hostile_clients.sh --module build/mod_snifallback.so [--count 15000] [--mpm prefork]
#   scripts/hostile_clients.sh --port 8443 --cafile ca.pem --sni a.test
#
# Options: scripts/hostile_clients.sh --help. Runs Debian's python3 with PYTHONPATH naming tests/,
# where the harness package (snifharness) is.
set -euo pipefail
src=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export PYTHONPATH="$src/tests${PYTHONPATH:+:$PYTHONPATH}"
exec /usr/bin/python3 "$src/scripts/hostile_clients.py" "$@"
