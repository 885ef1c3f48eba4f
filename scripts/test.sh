#!/usr/bin/env bash
# Install what is missing, build, and run every test (unit, integration, tools) through CTest.
#
#   scripts/test.sh [extra ctest arguments, e.g. -R integration -V]
#
# Environment: BUILD_DIR (default build), WERROR=1 to treat compiler warnings as errors (CI does).
set -euo pipefail
src=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${BUILD_DIR:-$src/build}

"$src/scripts/deps.sh"

werror=OFF
[ "${WERROR:-0}" = 1 ] && werror=ON
cmake -S "$src" -B "$build" -DSNIFALLBACK_WERROR="$werror" >/dev/null
cmake --build "$build" -j"$(nproc)"
cd "$build"
ctest --output-on-failure -j2 "$@"
