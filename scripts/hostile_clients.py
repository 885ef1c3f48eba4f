"""Hostile TLS clients: thousands of malformed ClientHellos over raw TCP, interleaved with
well-formed no-SNI and SNI requests that must all be answered.

    scripts/hostile_clients.sh --module build/mod_snifallback.so \
        [--count 3000] [--seconds 600] [--mpm event] [--seed 1] [--concurrency 8]

    scripts/hostile_clients.sh --port 8443 --cafile ca.pem --sni a.test ...
        (against a server that is already running; the log checks are then left to the caller)

The cases (every malformed hello is derived from a real one) are described in
tests/snifharness/hostile_cases.py, the run in tests/snifharness/hostile.py. With --module the
script starts its own apache2 (snifharness.httpd), configures `SNIFallbackLog logs/nosni.json`, and
afterwards checks: no crash line in the error log, the parent alive, every line of the no-SNI log
valid JSON, and one request record per answered no-SNI request. It prints the figures and exits
non-zero on any failure. scripts/hostile_clients.sh sets PYTHONPATH for the package.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from snifharness import hostile
from snifharness.hostile_cases import PUBLIC_VECTORS
from snifharness.httpd import VHOST_NAMES, Httpd
from snifharness.pki import Pki
from snifharness.process import child_pids
from snifharness.records import level_lines


def arguments() -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--module", help="mod_snifallback.so: start a throwaway apache2 with it")
    ap.add_argument("--mpm", default="event", choices=["event", "worker", "prefork"])
    ap.add_argument("--port", type=int, help="an already running server's https port instead")
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--sni", default="a.test", help="name sent by the SNI clients")
    ap.add_argument("--cafile", help="CA for the SNI clients (with --port)")
    ap.add_argument("--count", type=int, default=3000, help="hostile cases to send")
    ap.add_argument("--seconds", type=float, default=600, help="stop sending after this long")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--every", type=int, default=10,
                    help="a well-formed no-SNI and SNI request after this many hostile cases")
    ap.add_argument("--concurrency", type=int, default=8)
    ap.add_argument("--no-vectors", action="store_true", help="ignore the public vectors")
    args = ap.parse_args()
    if not args.port and not args.module:
        ap.error("give --module (start a server) or --port (use a running one)")
    args.vectors = None if args.no_vectors else PUBLIC_VECTORS
    return args


def send(args, t: hostile.Target, http2: bool = True) -> hostile.Figures:
    return hostile.run(t, args.count, args.seconds, args.seed, args.every, args.concurrency,
                       args.vectors, progress=print, http2=http2)


def against_running_server(args) -> int:
    fig = send(args, hostile.Target(args.host, args.port, args.sni, args.cafile))
    print(fig.summary())
    for f in fig.failures[:20]:
        print("  FAIL", f)
    return 1 if fig.failures else 0


def report(args, httpd: Httpd, fig: hostile.Figures, pids_before: list[int]) -> bool:
    """Prints what the clients saw and what the server wrote; True when all is well."""
    parent_alive = httpd.proc.poll() is None
    pids_after = child_pids(httpd.proc.pid) if parent_alive else []
    logs = hostile.check_logs(httpd.error_log(), httpd.log("nosni.json"))
    bad_levels = level_lines(httpd.error_log())
    print(fig.summary())
    print("how hostile connections ended: "
          + ", ".join(f"{k} {v}" for k, v in sorted(fig.endings.items())))
    print(f"MPM {args.mpm}; children before {pids_before}, after {pids_after}; parent "
          f"{'alive' if parent_alive else 'DEAD'}")
    print(f"error log: {len(logs['crashes'])} crash lines, {len(bad_levels)} warn/error lines, "
          f"{httpd.error_log().count('SNIF0002')} hellos the module's parser refused (SNIF0002)")
    print(f"no-SNI log: {logs['lines']} lines, {len(logs['invalid'])} invalid JSON, events "
          f"{logs['events']}, handshake outcomes {logs['outcomes']}")
    print(f"request records of well-formed no-SNI requests: "
          f"{logs['wellformed_request_records']} (answered: {fig.nosni_ok})")
    for ln in logs["crashes"][:10] + bad_levels[:10] + logs["invalid"][:5]:
        print("  LOG", ln[:300])
    for f in fig.failures[:20]:
        print("  FAIL", f)
    return (not fig.failures and not logs["crashes"] and not logs["invalid"] and parent_alive
            and logs["wellformed_request_records"] == fig.nosni_ok)


def against_own_server(args) -> int:
    pki = Pki(Path(tempfile.mkdtemp(prefix="snif-hostile-pki-")))
    for name in VHOST_NAMES:
        pki.leaf(name)
    httpd = Httpd(pki, str(Path(args.module).resolve()), mpm=args.mpm)
    try:
        # The module's debug level shows how often its parser refused a hello (SNIF0002).
        httpd.start("SNIFallbackLog logs/nosni.json\nLogLevel snifallback:debug\n")
        pids_before = child_pids(httpd.proc.pid)
        t = hostile.Target("127.0.0.1", httpd.https_port, args.sni, str(pki.ca_cert))
        fig = send(args, t, http2=args.mpm != "prefork")
        time.sleep(1.0)  # the last records
        ok = report(args, httpd, fig, pids_before)
        print("RESULT: " + ("ok" if ok else "FAILED"))
        return 0 if ok else 1
    finally:
        httpd.cleanup()


def main() -> int:
    args = arguments()
    return against_running_server(args) if args.port else against_own_server(args)


if __name__ == "__main__":
    sys.exit(main())
