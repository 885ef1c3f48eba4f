"""Soak the module under load with graceful restarts and check that no record is lost.

    /usr/bin/python3 scripts/soak.py --module build/mod_snifallback.so \
        [--nosni 20000] [--sni 0] [--concurrency 32] [--restarts 1] [--mpm event]

Runs h2load against a real apache2 (IP URL: no SNI; --connect-to a name: SNI) while sending
graceful restarts (SIGUSR1) in the middle, then compares what the clients saw answered with the
no-SNI log: exactly one request record per answered no-SNI request, none for SNI requests, every
line valid JSON. Prints the figures and exits non-zero when they disagree.
"""
import argparse
import json
import re
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "integration"))
from harness import Httpd, Pki  # noqa: E402


def h2load(args: list) -> dict:
    done = subprocess.run(["h2load", *args], capture_output=True, text=True)
    out = done.stdout
    m = re.search(r"requests: (\d+) total, (\d+) started, (\d+) done, (\d+) succeeded, "
                  r"(\d+) failed, (\d+) errored", out)
    codes = re.search(r"status codes: (\d+) 2xx", out)
    if not m or not codes:
        raise RuntimeError("h2load output not understood:\n" + out + done.stderr)
    return {"total": int(m[1]), "succeeded": int(m[4]), "failed": int(m[5]),
            "errored": int(m[6]), "2xx": int(codes[1])}


def rss_kib(pids) -> int:
    total = 0
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total


def server_pids(httpd) -> list:
    parent = httpd.proc.pid
    out = subprocess.run(["pgrep", "-P", str(parent)], capture_output=True, text=True).stdout
    return [parent] + [int(p) for p in out.split()]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--module", required=True)
    ap.add_argument("--nosni", type=int, default=20000)
    ap.add_argument("--sni", type=int, default=0)
    ap.add_argument("--concurrency", type=int, default=32)
    ap.add_argument("--restarts", type=int, default=1)
    ap.add_argument("--mpm", default="event")
    args = ap.parse_args()

    pki = Pki(Path(tempfile.mkdtemp(prefix="snif-soak-pki-")))
    httpd = Httpd(pki, str(Path(args.module).resolve()), mpm=args.mpm)
    try:
        # h2load does not reconnect: no per-connection request limit, and enough threads that the
        # event MPM never turns a new connection away while the others hold theirs.
        tuning = ("StartServers 2\nServerLimit 4\nThreadsPerChild 32\nMaxRequestWorkers 128\n"
                  "MinSpareThreads 32\nMaxSpareThreads 128\n" if args.mpm != "prefork" else
                  "StartServers 8\nMinSpareServers 8\nMaxSpareServers 64\nServerLimit 64\n"
                  "MaxRequestWorkers 64\n")
        httpd.start("SNIFallbackLog logs/nosni.json\nKeepAliveTimeout 5\nMaxKeepAliveRequests 0\n"
                    + tuning)
        results = {}
        port = httpd.https_port

        batch = 1000  # h2load does not reconnect after a restart closes its connections

        def run(kind, n):
            totals = {"total": 0, "succeeded": 0, "failed": 0, "errored": 0, "2xx": 0}
            while totals["total"] < n:
                size = min(batch, n - totals["total"])
                base = ["--h1", "-n", str(size), "-c", str(min(args.concurrency, size)), "-t", "1"]
                if kind == "sni":
                    base += ["--connect-to", f"127.0.0.1:{port}", f"https://a.test:{port}/"]
                else:
                    base += [f"https://127.0.0.1:{port}/"]
                for key, value in h2load(base).items():
                    totals[key] += value
            results[kind] = totals

        rss_before = rss_kib(server_pids(httpd))
        started = time.monotonic()
        threads = [threading.Thread(target=run, args=(k, n))
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
        elapsed = time.monotonic() - started
        time.sleep(1.0)  # let the last records land
        rss_after = rss_kib(server_pids(httpd))

        lines = httpd.log("nosni.json").splitlines()
        invalid = 0
        requests_ok = requests_other = handshakes = 0
        for line in lines:
            try:
                rec = json.loads(line)
            except ValueError:
                invalid += 1
                continue
            if rec["event"] == "request":
                if rec["status"] == 200:
                    requests_ok += 1
                else:
                    requests_other += 1
            elif rec["event"] == "handshake":
                handshakes += 1
        crashes = httpd.error_log().count("exit signal")
        print(f"elapsed {elapsed:.1f} s, MPM {args.mpm}, concurrency {args.concurrency}, "
              f"graceful restarts {args.restarts}")
        for kind in ("nosni", "sni"):
            r = results[kind]
            print(f"{kind:6}: {r['total']} sent, {r['2xx']} answered 2xx, {r['failed']} failed, "
                  f"{r['errored']} errored")
        print(f"log: {len(lines)} lines, {invalid} invalid, {requests_ok} request records with "
              f"status 200, {requests_other} with another status, {handshakes} handshake records")
        print(f"child crashes (exit signal): {crashes}; server RSS {rss_before} KiB before, "
              f"{rss_after} KiB after")
        ok = (invalid == 0 and crashes == 0 and requests_ok == results["nosni"]["2xx"])
        print("RESULT: " + ("no record lost" if ok else "MISMATCH"))
        return 0 if ok else 1
    finally:
        httpd.cleanup()


if __name__ == "__main__":
    sys.exit(main())
