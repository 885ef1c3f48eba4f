#!/usr/bin/env bash
# Fuzz the ClientHello parser and the JA3/JA4 fingerprints (and the other parsers of untrusted bytes
# the target names, the report's log line reader among them) with libFuzzer (clang, ASan + UBSan):
#
#   scripts/fuzz.sh [seconds] [extra libFuzzer options ...]      (default 60 seconds)
#
# Builds in its own directory (build-fuzz, or $SNIFALLBACK_FUZZ_BUILD_DIR) with clang++
# ($SNIFALLBACK_FUZZ_CXX, default clang++-14 or clang++), using one core. Seeds: the hellos of
# tests/data/*.jsonl (record and handshake forms), the public vectors when present (seeds are
# written into the build directory only, never into the repository), and the committed regression
# inputs. The corpus grows in <build>/corpus across runs; crashes land in <build>/artifacts/ and
# fail the run: copy them to tests/data/fuzz_regressions/ once fixed.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
seconds=${1:-60}
shift || true
build=${SNIFALLBACK_FUZZ_BUILD_DIR:-$root/build-fuzz}
cxx=${SNIFALLBACK_FUZZ_CXX:-$(command -v clang++-14 || command -v clang++ || true)}
[ -n "$cxx" ] || { echo "fuzz: clang++ not found (Debian: clang-14 libclang-rt-14-dev)" >&2; exit 1; }
cc=${cxx/clang++/clang}
public=${SNIFALLBACK_PUBLIC_VECTORS:-$root/../shared/clienthello/public.jsonl}

mkdir -p "$build"
flags="-fsanitize=address,undefined,fuzzer-no-link -fno-sanitize-recover=undefined -fno-omit-frame-pointer"
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_COMPILER="$cxx" -DCMAKE_C_COMPILER="$cc" -DCMAKE_CXX_FLAGS="$flags" \
  -DSNIFALLBACK_BUILD_MODULE=OFF -DSNIFALLBACK_FUZZ=ON -DSNIFALLBACK_WERROR=ON >"$build/fuzz-cmake.log" 2>&1 \
  || { cat "$build/fuzz-cmake.log" >&2; exit 1; }
cmake --build "$build" --target snifallback_fuzz_client_hello -j1 >"$build/fuzz-build.log" 2>&1 \
  || { cat "$build/fuzz-build.log" >&2; exit 1; }
rm -f "$build/fuzz-cmake.log" "$build/fuzz-build.log"
fuzzer=$(find "$build" -type f -name snifallback_fuzz_client_hello -perm -u+x | head -1)

seeds="$build/seeds"
rm -rf "$seeds"
mkdir -p "$seeds" "$build/corpus" "$build/artifacts"
files=("$root"/tests/data/*.jsonl)
[ -f "$public" ] && files+=("$public")
/usr/bin/python3 - "$seeds" "${files[@]}" <<'PY'
import hashlib, json, os, sys
out, n = sys.argv[1], 0
for path in sys.argv[2:]:
    for line in open(path):
        try:
            v = json.loads(line)
        except ValueError:
            continue
        for key in ("record_hex", "handshake_hex"):
            if isinstance(v.get(key), str):
                data = bytes.fromhex(v[key])
                with open(os.path.join(out, hashlib.sha1(data).hexdigest()), "wb") as f:
                    f.write(data)
                n += 1
print("fuzz: %d seeds" % n, file=sys.stderr)
PY
# Log lines for the report's reader (the target also reads its bytes as one): every line of the CLI
# test's fixed logs, JSON and logfmt, with and without syslog prefixes.
/usr/bin/python3 - "$seeds" "$root"/tests/data/report <<'PY'
import hashlib, os, pathlib, sys
out, n = sys.argv[1], 0
for path in sorted(pathlib.Path(sys.argv[2]).rglob("*.log")):
    for line in path.read_bytes().splitlines():
        with open(os.path.join(out, hashlib.sha1(line).hexdigest()), "wb") as f:
            f.write(line)
        n += 1
print("fuzz: %d log line seeds" % n, file=sys.stderr)
PY
cp "$root"/tests/data/fuzz_regressions/* "$seeds"/ 2>/dev/null || true

# One worker on one core; -max_len covers the largest legal hello in records.
exec "$fuzzer" "$build/corpus" "$seeds" -max_total_time="$seconds" -max_len=70000 \
  -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$build/artifacts/" "$@"
