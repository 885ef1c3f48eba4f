"""Soak the module under load with graceful restarts and check that no record is lost.

    scripts/soak.sh --module build/mod_snifallback.so \
        [--nosni 20000] [--sni 0] [--concurrency 32] [--restarts 1] [--mpm event]

Runs h2load against a real apache2 (IP URL: no SNI; --connect-to a name: SNI) while sending
graceful restarts (SIGUSR1) in the middle, then compares what the clients saw answered with the
no-SNI log: exactly one request record per answered no-SNI request, none for SNI requests, every
line valid JSON. Prints the figures and exits non-zero when they disagree. scripts/soak.sh sets
PYTHONPATH for the harness package (tests/snifharness).
"""
import argparse
import sys
import tempfile
import threading
import time
from pathlib import Path

from snifharness.h2load import h2load
from snifharness.httpd import Httpd
from snifharness.pki import Pki
from snifharness.process import rss_kib
from snifharness.records import crash_lines, json_records

BATCH = 1000  # h2load does not reconnect after a restart closes its connections: short runs
# h2load does not reconnect: no per-connection request limit, and enough threads that the event
# MPM never turns a new connection away while the others hold theirs.
THREADED = ("StartServers 2\nServerLimit 4\nThreadsPerChild 32\nMaxRequestWorkers 128\n"
            "MinSpareThreads 32\nMaxSpareThreads 128\n")
PREFORK = ("StartServers 8\nMinSpareServers 8\nMaxSpareServers 64\nServerLimit 64\n"
           "MaxRequestWorkers 64\n")


def arguments() -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--module", required=True)
    ap.add_argument("--nosni", type=int, default=20000)
    ap.add_argument("--sni", type=int, default=0)
    ap.add_argument("--concurrency", type=int, default=32)
    ap.add_argument("--restarts", type=int, default=1)
    ap.add_argument("--mpm", default="event")
    return ap.parse_args()


def load(port: int, kind: str, n: int, concurrency: int) -> dict:
    """n requests (no SNI, or SNI a.test) in h2load runs of BATCH; the added-up figures."""
    totals = {"total": 0, "succeeded": 0, "failed": 0, "errored": 0, "2xx": 0}
    while totals["total"] < n:
        size = min(BATCH, n - totals["total"])
        args = ["--h1", "-n", str(size), "-c", str(min(concurrency, size)), "-t", "1"]
        if kind == "sni":
            args += ["--connect-to", f"127.0.0.1:{port}", f"https://a.test:{port}/"]
        else:
            args += [f"https://127.0.0.1:{port}/"]
        r = h2load(args, check_exit=False)
        for key, value in (("total", r.total), ("succeeded", r.succeeded), ("failed", r.failed),
                           ("errored", r.errored), ("2xx", r.codes["2xx"])):
            totals[key] += value
    return totals


def load_with_restarts(httpd: Httpd, args) -> dict:
    """Both loads in threads, graceful restarts spread over them; figures per kind."""
    results = {}

    def one(kind: str, n: int) -> None:
        results[kind] = load(httpd.https_port, kind, n, args.concurrency)

    started = time.monotonic()
    threads = [threading.Thread(target=one, args=(k, n))
               for k, n in (("nosni", args.nosni), ("sni", args.sni))]
    for t in threads:
        t.start()
    pause = max(1.0, (args.nosni + args.sni) / 6000 / (args.restarts + 1))
    for i in range(args.restarts):
        time.sleep(pause)
        httpd.graceful()
        print(f"graceful restart {i + 1} done at {time.monotonic() - started:.1f} s")
    for t in threads:
        t.join()
    results["elapsed"] = time.monotonic() - started
    return results


def log_figures(httpd: Httpd) -> dict:
    records, invalid = json_records(httpd.log("nosni.json"))
    requests = [r for r in records if r.get("event") == "request"]
    return {"lines": len(records) + len(invalid), "invalid": len(invalid),
            "requests_ok": sum(1 for r in requests if r.get("status") == 200),
            "requests_other": sum(1 for r in requests if r.get("status") != 200),
            "handshakes": sum(1 for r in records if r.get("event") == "handshake"),
            "crashes": len(crash_lines(httpd.error_log()))}


def soak(httpd: Httpd, args) -> int:
    httpd.start("SNIFallbackLog logs/nosni.json\nKeepAliveTimeout 5\nMaxKeepAliveRequests 0\n"
                + (PREFORK if args.mpm == "prefork" else THREADED))
    rss_before = rss_kib(*httpd.pids())
    results = load_with_restarts(httpd, args)
    time.sleep(1.0)  # let the last records land
    rss_after = rss_kib(*httpd.pids())
    log = log_figures(httpd)
    print(f"elapsed {results['elapsed']:.1f} s, MPM {args.mpm}, concurrency {args.concurrency}, "
          f"graceful restarts {args.restarts}")
    for kind in ("nosni", "sni"):
        r = results[kind]
        print(f"{kind:6}: {r['total']} sent, {r['2xx']} answered 2xx, {r['failed']} failed, "
              f"{r['errored']} errored")
    print(f"log: {log['lines']} lines, {log['invalid']} invalid, {log['requests_ok']} request "
          f"records with status 200, {log['requests_other']} with another status, "
          f"{log['handshakes']} handshake records")
    print(f"child crashes: {log['crashes']}; server RSS {rss_before} KiB before, "
          f"{rss_after} KiB after")
    ok = (log["invalid"] == 0 and log["crashes"] == 0
          and log["requests_ok"] == results["nosni"]["2xx"])
    print("RESULT: " + ("no record lost" if ok else "MISMATCH"))
    return 0 if ok else 1


def main() -> int:
    args = arguments()
    pki = Pki(Path(tempfile.mkdtemp(prefix="snif-soak-pki-")))
    httpd = Httpd(pki, str(Path(args.module).resolve()), mpm=args.mpm)
    try:
        return soak(httpd, args)
    finally:
        httpd.cleanup()


if __name__ == "__main__":
    sys.exit(main())
