#!/usr/bin/env bash
# Memory safety inside httpd: runs the integration scenarios against `apache2 -X` (one process, in
# the foreground) with the module built under AddressSanitizer + UndefinedBehaviorSanitizer, or
# under valgrind memcheck, and fails when a report is attributable to the module.
#
#   scripts/sanitize.sh [asan|valgrind|both]      (default: asan)
#
# Environment:
#   CXX            compiler for the asan build (default g++; clang++-14 works too)
#   HOSTILE        hostile-client cases in the run (default 600 under asan, 150 under valgrind)
#   BUILD_DIR      build used for valgrind (default build-rel, brought up to date first)
#   OUT            where logs and reports go (default build-asan/sanitize-out or build-rel/...)
#
# asan: the module and its core library are compiled with -fsanitize=address,undefined
# -fsanitize-recover=address,undefined in build-asan/; apache2 (not instrumented) is started with
# the sanitizer runtime in LD_PRELOAD; halt_on_error=0 keeps the server going after a report, and
# every report goes to OUT/asan.<pid> / OUT/ubsan.<pid>. Leak detection is off (detect_leaks=0):
# httpd frees its pools wholesale at exit and OpenSSL keeps process-wide state, and LeakSanitizer
# would report all of httpd's uninstrumented allocations; valgrind's definite-leak check below
# covers the module's own leaks instead.
# valgrind: memcheck on apache2 -X with the ordinary RelWithDebInfo module; errors and definite
# leaks whose stack has a frame in mod_snifallback.so count as the module's.
set -euo pipefail
src=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export PYTHONPATH="$src/tests${PYTHONPATH:+:$PYTHONPATH}"  # drive.py's harness package, snifharness
mode=${1:-asan}
py=/usr/bin/python3
apache=/usr/sbin/apache2

need() {  # Debian packages this needs, installed when missing
    local missing=()
    for p in "$@"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
    if [ ${#missing[@]} -gt 0 ]; then
        echo "installing: ${missing[*]}"
        apt-get install -y --no-install-recommends "${missing[@]}" >/dev/null
    fi
}

run_asan() {
    local build=$src/build-asan out=${OUT:-$src/build-asan/sanitize-out}
    local cxx=${CXX:-g++}
    case $cxx in
        clang*) need clang-14 libclang-rt-14-dev ;;
        *) need g++ libasan8 libubsan1 ;;
    esac
    local flags="-O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fsanitize-recover=address,undefined"
    cmake -S "$src" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER="$cxx" \
        -DSNIFALLBACK_BUILD_TESTS=OFF -DCMAKE_CXX_FLAGS="$flags" \
        -DCMAKE_MODULE_LINKER_FLAGS="-fsanitize=address,undefined" \
        -DCMAKE_SHARED_LINKER_FLAGS="-fsanitize=address,undefined" >/dev/null
    cmake --build "$build" -j1 --target mod_snifallback >/dev/null
    local module=$build/mod_snifallback.so
    # the runtime the module was linked against, preloaded into the uninstrumented apache2
    local preload
    preload=$(ldd "$module" | awk '/lib(clang_rt\.)?(asan|ubsan)[^ ]*\.so/ {print $3}' | tr '\n' ' ')
    [ -n "$preload" ] || { echo "no sanitizer runtime found in ldd $module" >&2; exit 2; }
    rm -rf "$out" && mkdir -p "$out" && chmod 0777 "$out"  # the server runs as www-data
    cat >"$out/apache2-asan" <<EOF
#!/bin/sh
export LD_PRELOAD="$preload"
export ASAN_OPTIONS="halt_on_error=0:detect_leaks=0:log_path=$out/asan:abort_on_error=0:detect_odr_violation=0:allocator_may_return_null=1"
export UBSAN_OPTIONS="halt_on_error=0:print_stacktrace=1:log_path=$out/ubsan"
exec $apache -X "\$@"
EOF
    chmod +x "$out/apache2-asan"
    echo "asan: module $module, runtime $preload"
    local rc=0
    SNIFALLBACK_APACHE=$out/apache2-asan $py "$src/scripts/sanitize/drive.py" --module "$module" \
        --work "$out" --hostile "${HOSTILE:-600}" | tee "$out/drive.log" || rc=1
    shopt -s nullglob
    local logs=("$out"/asan.* "$out"/ubsan.*)
    echo "sanitizer log files: ${#logs[@]} (${out})"
    $py "$src/scripts/sanitize/report.py" asan "${logs[@]}" | tee "$out/report.txt" || rc=1
    return $rc
}

run_valgrind() {
    need valgrind
    local build=${BUILD_DIR:-$src/build-rel}
    local out=${OUT:-$build/valgrind-out}
    # Always brought up to date: a stale module would report bugs already fixed.
    cmake -S "$src" -B "$build" >/dev/null
    cmake --build "$build" -j1 --target mod_snifallback >/dev/null
    rm -rf "$out" && mkdir -p "$out" && chmod 0777 "$out"
    cat >"$out/apache2-valgrind" <<EOF
#!/bin/sh
exec valgrind --tool=memcheck --log-file=$out/valgrind.%p --num-callers=40 \
    --leak-check=full --show-leak-kinds=definite --errors-for-leak-kinds=definite \
    --trace-children=no $apache -X "\$@"
EOF
    chmod +x "$out/apache2-valgrind"
    echo "valgrind: module $build/mod_snifallback.so"
    local rc=0
    SNIFALLBACK_APACHE=$out/apache2-valgrind $py "$src/scripts/sanitize/drive.py" \
        --module "$build/mod_snifallback.so" --work "$out" --hostile "${HOSTILE:-150}" --valgrind \
        | tee "$out/drive.log" || rc=1
    shopt -s nullglob
    local logs=("$out"/valgrind.*)
    echo "valgrind log files: ${#logs[@]} (${out})"
    grep -h "ERROR SUMMARY\|definitely lost:" "${logs[@]}" || true
    $py "$src/scripts/sanitize/report.py" valgrind "${logs[@]}" | tee "$out/report.txt" || rc=1
    return $rc
}

case $mode in
    asan) run_asan ;;
    valgrind) run_valgrind ;;
    both) rc=0; run_asan || rc=1; run_valgrind || rc=1; exit $rc ;;
    *) echo "usage: $0 [asan|valgrind|both]" >&2; exit 2 ;;
esac
