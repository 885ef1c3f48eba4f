#!/usr/bin/env bash
# Install what is missing, build, start a real apache2 with mod_snifallback on loopback, send one
# client without SNI and one with SNI, and show what the module recorded. Builds the module only
# (not the tests, fuzzers or benchmarks), and removes what it created when it ends (demo.py: the
# server's ServerRoot and the throwaway CA and keys, also on Ctrl-C or SIGTERM).
#
#   scripts/demo.sh          # ... then keeps serving until Ctrl-C
#   scripts/demo.sh --once   # ... then stops and exits
set -euo pipefail
src=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${BUILD_DIR:-$src/build}

echo "demo: checking the Debian packages it needs (scripts/deps.sh)" >&2
"$src/scripts/deps.sh"
echo "demo: configuring and building the module (only what the demo runs) in $build" >&2
cmake -S "$src" -B "$build" >/dev/null
cmake --build "$build" -j"$(nproc)" --target mod_snifallback
export PYTHONPATH="$src/tests${PYTHONPATH:+:$PYTHONPATH}"  # the harness package, snifharness
exec /usr/bin/python3 "$src/scripts/demo.py" --module "$build/mod_snifallback.so" "$@"
