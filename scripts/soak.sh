#!/usr/bin/env bash
# Load with graceful restarts: every answered no-SNI request must have exactly one record.
#
#   scripts/soak.sh --module build/mod_snifallback.so --nosni 20000 --sni 20000 \
#       --concurrency 32 --restarts 2 --mpm event
#
# Options: scripts/soak.sh --help. Runs Debian's python3 with PYTHONPATH naming tests/, where the
# harness package (snifharness) is.
set -euo pipefail
src=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export PYTHONPATH="$src/tests${PYTHONPATH:+:$PYTHONPATH}"
exec /usr/bin/python3 "$src/scripts/soak.py" "$@"
