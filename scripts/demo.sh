#!/usr/bin/env bash
# Install what is missing, build, start a real apache2 with mod_snifallback on loopback, send one
# client without SNI and one with SNI, and show what the module recorded.
#
#   scripts/demo.sh          # ... then keeps serving until Ctrl-C
#   scripts/demo.sh --once   # ... then stops and exits
set -euo pipefail
src=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${BUILD_DIR:-$src/build}

"$src/scripts/deps.sh"
cmake -S "$src" -B "$build" >/dev/null
cmake --build "$build" -j"$(nproc)" >/dev/null
export PYTHONPATH="$src/tests${PYTHONPATH:+:$PYTHONPATH}"  # the harness package, snifharness
exec /usr/bin/python3 "$src/scripts/demo.py" --module "$build/mod_snifallback.so" "$@"
