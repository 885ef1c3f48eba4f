#!/usr/bin/env bash
# Build mod_snifallback with apxs instead of CMake, and with --install install it the apxs way.
#
#   scripts/apxs-build.sh              # builds into build-apxs/ (module: build-apxs/.libs/mod_snifallback.so)
#   scripts/apxs-build.sh --install    # ... then `apxs -i -a -n snifallback` into `apxs -q LIBEXECDIR`
#
# `apxs -c file.cpp` silently makes an empty module: apxs compiles only *.c. So the C++ sources are
# compiled with APR's libtool in C++ mode and apxs only links the objects, with libstdc++ and OpenSSL.
# Environment: APXS (default apxs), CXX (default g++, through ccache when it is installed),
# OUT (build directory), JOBS (files compiled at once, default 2).
set -euo pipefail

src=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
out=${OUT:-$src/build-apxs}
apxs=${APXS:-apxs}
read -r -a cxx <<<"${CXX:-g++}"
# ccache, when there, makes a second build of the same tree (the test, a rebuild) take seconds.
if [ -z "${CXX:-}" ] && command -v ccache >/dev/null 2>&1; then cxx=(ccache "${cxx[@]}"); fi
jobs=${JOBS:-2}
install=0
case "${1:-}" in
  --install) install=1 ;;
  "") ;;
  *) echo "usage: $0 [--install]" >&2; exit 2 ;;
esac

read -r -a libtool <<<"$("$apxs" -q LIBTOOL)"
httpd_include=$("$apxs" -q INCLUDEDIR)
read -r -a apr_flags <<<"$(apr-1-config --includes --cppflags) $(apu-1-config --includes)"
cxxflags=(-std=c++17 -O2 -g -fPIC -Wall -Wextra)

mkdir -p "$out"
cd "$out"
# Quiet when it works: APR's libtool says "ignoring unknown tag CXX" for every file and apxs prints
# the whole link command. Everything goes to a log, shown in full only when a step fails.
log=$out/apxs-build.log
: >"$log"
quietly() {  # quietly COMMAND...: runs it into the log; on failure shows the log and stops
  if ! "$@" >>"$log" 2>&1; then
    echo "apxs-build: failed: $*" >&2
    cat "$log" >&2
    exit 1
  fi
}
objects=()
compile() {  # compile SOURCE OBJECT-STEM [extra flags...]: JOBS at a time, in the background
  local source=$1 stem=$2
  shift 2
  while (($(jobs -rp | wc -l) >= jobs)); do wait -n || exit 1; done
  quietly "${libtool[@]}" --silent --mode=compile --tag=CXX "${cxx[@]}" "${cxxflags[@]}" \
    -I"$src/mod_snifallback" "$@" -c "$source" -o "$stem.lo" &
  objects+=("$stem.lo")
}
# Objects are named after their folder and source (core_tls_floor, httpd_tls_floor): the core
# and the glue may hold files of the same name.
# The core is compiled without any httpd or APR include directory, as in the CMake build.
for f in "$src"/mod_snifallback/core/*.cpp; do
  compile "$f" "core_$(basename "${f%.cpp}")"
done
for f in "$src"/mod_snifallback/httpd/*.cpp; do
  compile "$f" "httpd_$(basename "${f%.cpp}")" -I"$httpd_include" "${apr_flags[@]}"
done
while (($(jobs -rp | wc -l) > 0)); do wait -n || exit 1; done
quietly "$apxs" -c -o mod_snifallback.la "${objects[@]}" -lstdc++ -lssl -lcrypto
echo "built $out/.libs/mod_snifallback.so"

if ((install)); then
  "$apxs" -i -a -n snifallback mod_snifallback.la
fi
