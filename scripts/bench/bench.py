"""The driver behind scripts/bench.sh: what mod_snifallback costs, measured against the alternatives.

Method: every server side (apache2, and HAProxy where it is in front) is pinned
to CPU 0, with one apache2 child process and a fixed number of threads; the load generator is pinned
to CPU 1. All servers of the throughput part run side by side on their own loopback ports, and the
configurations are interleaved inside each repetition (rotating their order), so that slow drifts
of the machine hit every configuration alike. Every configuration serves the same certificates
(one throwaway CA, leaf certificates of the same key type, chain length 1 everywhere).

The parts: throughput.py, callgrind.py, vhosts.py, memory.py, status.py; the servers: servers.py (with the
templates httpd.conf, vhost.conf, stock_log.conf, haproxy.cfg); the load: load.py; the table:
results.py.
Servers, PKI, ports and processes come from the harness package (tests/snifharness), which
scripts/bench.sh puts on PYTHONPATH.

Only loopback addresses are used; every run is bounded by a request count or a duration; all
servers are stopped at exit, also on errors and Ctrl-C.
"""
from __future__ import annotations

import argparse
import os
import shutil
import signal
import sys
import tempfile
from pathlib import Path

from callgrind import callgrind
from memory import memory
from results import Row, log, table
from servers import HAPROXY, HERE, stop_all
from status import status
from throughput import throughput
from vhosts import vhosts

from snifharness.apache import APACHE
from snifharness.pki import Pki
from snifharness.process import run


# The parts, in the order they run.
PARTS = {"throughput": throughput, "callgrind": callgrind, "vhosts": vhosts, "memory": memory,
         "status": status}


def arguments() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--module", required=True, help="path of mod_snifallback.so")
    p.add_argument("--quick", action="store_true", help="fewer and shorter runs")
    p.add_argument("--action", default=os.environ.get("SNIF_BENCH_ACTION", ""),
                   help="SNIFallbackAction for the module's no-SNI runs (e.g. notice); "
                        "empty: none")
    p.add_argument("--key", choices=("ec", "rsa"), default="ec",
                   help="key type of every certificate (default ec: P-256)")
    p.add_argument("--only", default=",".join(PARTS),
                   help=f"comma-separated parts to run, of {', '.join(PARTS)} (default: all)")
    p.add_argument("--keep", action="store_true", help="keep the work directory")
    p.add_argument("--mem-connections", type=int, default=0,
                   help="connections of the memory part (default 50,000; 5,000 with --quick)")
    args = p.parse_args()
    args.threads = 16
    if args.quick:
        args.reps, args.handshakes, args.duration, args.cg_handshakes = 3, 1000, 2, 100
    else:
        args.reps, args.handshakes, args.duration, args.cg_handshakes = 7, 4000, 5, 200
    if args.mem_connections:
        args.mem_connections = max(args.mem_connections, 5000)
    else:
        args.mem_connections = 5000 if args.quick else 50000
    args.parts = set(args.only.split(","))
    unknown = args.parts - set(PARTS)
    if unknown:
        p.error(f"--only: no part {', '.join(sorted(unknown))} (parts: {', '.join(PARTS)})")
    args.mix_problems = []  # handshake mixes that are not what their row claims
    args.limit_failures = []  # limits that the run must not exceed (vhosts, status)
    return args


def run_parts(args, workdir: Path) -> list[Row]:
    # A copy of the module in the work tree: readable by www-data whatever the checkout's modes.
    module = workdir / "mod_snifallback.so"
    shutil.copyfile(args.module, module)
    os.chmod(module, 0o755)
    args.module = str(module)
    pki = Pki(workdir / "pki", key=args.key, subject="mod_snifallback bench CA")
    log(f"work directory {workdir}; certificates: {args.key}, chain length 1 "
        f"(leaf signed by a throwaway CA) for every configuration")
    rows: list[Row] = []
    for name, part in PARTS.items():
        if name in args.parts:
            part(args, workdir, pki, rows)
    return rows


def main() -> int:
    args = arguments()
    workdir = Path(tempfile.mkdtemp(prefix="snif-bench-"))
    os.chmod(workdir, 0o755)
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt))
    try:
        print_summary(args, run_parts(args, workdir))
        for problem in args.mix_problems:
            print(f"WRONG HANDSHAKE MIX: {problem}")
        for failure in args.limit_failures:
            print(f"LIMIT EXCEEDED: {failure}")
        return 1 if args.mix_problems or args.limit_failures else 0
    except KeyboardInterrupt:
        log("interrupted")
        return 130
    finally:
        stop_all()
        if args.keep:
            log(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


def machine() -> str:
    cpu = "unknown CPU"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    versions = []
    for cmd in ([APACHE, "-v"], ["openssl", "version"], ["h2load", "--version"],
                [HAPROXY, "-v"]):
        try:
            versions.append(run(cmd, check=False).stdout.splitlines()[0].strip())
        except (OSError, IndexError):
            pass
    return f"{os.cpu_count()} × {cpu}, Linux {os.uname().release}; " + "; ".join(versions)


def print_summary(args, rows: list[Row]) -> None:
    print(f"\n## mod_snifallback benchmark ({'quick' if args.quick else 'full'}: "
          f"{args.reps} repetitions, {args.handshakes} handshakes per run, keep-alive "
          f"{args.duration}s, callgrind {args.cg_handshakes} handshakes, memory "
          f"{args.mem_connections:,} connections; {args.key} certificates; parts: {args.only})")
    print(f"Machine: {machine()}")
    src = HERE.parent.parent
    rev = run(["git", "-C", str(src), "describe", "--always", "--dirty"], check=False).stdout
    print(f"Module: built from {rev.strip() or 'unknown revision'} (Release)"
          + (f"; SNIFallbackAction {args.action}" if args.action else "") + "\n")
    print(table(rows))
    print()


if __name__ == "__main__":
    sys.exit(main())
