#!/usr/bin/env bash
# Micro-benchmark of ClientHello parse + JA3 + JA4 (Google Benchmark), over the project's own
# vectors and, when present, the public ones read in place:
#
#   scripts/bench_fingerprint.sh [Google Benchmark options, e.g. --benchmark_repetitions=5]
#
# Release build in its own directory (build-bench, or $SNIFALLBACK_BENCH_BUILD_DIR), one core.
# Target: parse+ja3+ja4 at most 5 µs per hello.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build=${SNIFALLBACK_BENCH_BUILD_DIR:-$root/build-bench}
public=${SNIFALLBACK_PUBLIC_VECTORS:-$root/../shared/clienthello/public.jsonl}

cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DSNIFALLBACK_BUILD_MODULE=OFF >/dev/null
cmake --build "$build" --target snifallback_bench_fingerprint -j1 >/dev/null
bench=$(find "$build" -type f -name snifallback_bench_fingerprint -perm -u+x | head -1)
[ -n "$bench" ] || { echo "bench: Google Benchmark missing (Debian: libbenchmark-dev)" >&2; exit 1; }

vectors=("$root/tests/data/client_hellos.jsonl")
[ -f "$public" ] && vectors+=("$public")
exec "$bench" --benchmark_counters_tabular=true "$@" "${vectors[@]}"
