#!/usr/bin/python3
"""How fast snifallback-report reads logs, against jq doing the same grouping.

    scripts/bench.sh report [--size-mb 1024] [--jq-mb 100] [--runs 3] [--keep DIR]

1. Builds snifallback-report and the log generator (Release, build-bench-report/).
2. Writes a log of --size-mb MB with the generator (tests/bench/report_log_gen.cpp), whose records
   are rendered by the module's own writer (core/record.h): 30 days, 600 fingerprints with a long
   tail, the three classes, 60,000 addresses, failed handshakes, 0-4 requests per connection
   with every action.
3. Runs the report on it --runs times, pinned to one CPU (taskset -c 0) under /usr/bin/time -v,
   the file in the page cache (read once before): throughput = size / elapsed time of the
   single-threaded process, also per CPU second (user + system); peak resident memory.
   Then the same on a gzip copy of the --jq-mb slice (zlib's inflate is then the bottleneck).
4. Runs jq on the first --jq-mb MB (jq is too slow for the whole file), computing the same
   grouping (per class and JA4: connections, failed, requests, breaks, distinct addresses, days,
   first/last seen, hosts and outcomes with counts, last User-Agent), checks that its numbers
   equal the report's on that slice, and scales: ratio = jq seconds per MB / report seconds per
   MB. Both on one pinned CPU.
5. Writes a logfmt log of --size-mb MB (the generator's --logfmt: the same records, as
   SNIFallbackLogFormat logfmt writes them), runs the report on it the same way, and checks that the
   first records of it give the same report as the same records of the JSON slice.

Prints a markdown table for scripts/bench/README.md. Not a timed test: nothing here fails on a
number.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SOURCE = Path(__file__).resolve().parents[2]

JQ_PROGRAM = r"""
def works: ((.status // 0) < 400) and (.action != "exempt")
           and ((.enforced == true and (.action == "notice" or .action == "redirect")) | not);
reduce (inputs | select(.event == "handshake" or .event == "request")) as $r ({};
  (($r.sni_class // "no-sni") + " " + ($r.ja4 // "")) as $k
  | .[$k].connections += (if $r.event == "handshake" then 1 else 0 end)
  | .[$k].failed += (if $r.event == "handshake" and $r.outcome != "established" then 1 else 0 end)
  | .[$k].requests += (if $r.event == "request" then 1 else 0 end)
  | .[$k].breaks += (if $r.event == "request" and ($r | works) then 1 else 0 end)
  | .[$k].addr[$r.client_ip] = true
  | .[$k].days[$r.time[0:10]] = true
  | .[$k].first = ([.[$k].first // $r.time, $r.time] | min)
  | .[$k].last = ([.[$k].last // $r.time, $r.time] | max)
  | if $r.event == "request" then
      .[$k].hosts[$r.host] += 1
      | .[$k].got[($r.action + " " + ($r.status | tostring))] += 1
      | (if $r.time >= (.[$k].ua_time // "") then .[$k].ua = $r.user_agent | .[$k].ua_time = $r.time
         else . end)
    else . end)
| map_values({connections, failed, requests, breaks, addresses: (.addr | length),
              days: (.days | length), first, last, hosts, got, ua})
"""


def sh(*cmd, **kw):
    return subprocess.run([str(c) for c in cmd], check=True, **kw)


def build(build_dir: Path) -> tuple[Path, Path]:
    sh("cmake", "-S", SOURCE, "-B", build_dir, "-DCMAKE_BUILD_TYPE=Release",
       "-DSNIFALLBACK_BUILD_MODULE=OFF", stdout=subprocess.DEVNULL)
    sh("cmake", "--build", build_dir, "-j2", "--target", "snifallback_report",
       "snifallback_report_loggen", stdout=subprocess.DEVNULL)
    return (build_dir / "mod_snifallback/cli/snifallback-report",
            build_dir / "tests/bench/snifallback-report-loggen")


def timed(cmd: list, stdout=subprocess.DEVNULL) -> dict:
    """Runs cmd pinned to CPU 0 under /usr/bin/time -v: elapsed, CPU seconds, peak RSS (KiB)."""
    with tempfile.NamedTemporaryFile("r", suffix=".time") as t:
        start = time.monotonic()
        subprocess.run(["taskset", "-c", "0", "/usr/bin/time", "-v", "-o", t.name,
                        *map(str, cmd)], check=True, stdout=stdout)
        elapsed = time.monotonic() - start
        text = Path(t.name).read_text()
    def field(name):
        return float(re.search(rf"{re.escape(name)}: ([0-9.]+)", text).group(1))
    return {"elapsed": elapsed, "cpu": field("User time (seconds)") + field("System time (seconds)"),
            "rss_kib": field("Maximum resident set size (kbytes)")}


def warm(path: Path) -> None:
    with open(path, "rb") as f:
        while f.read(1 << 24):
            pass


def slice_of(path: Path, out: Path, size: int) -> None:
    with open(path, "rb") as src, open(out, "wb") as dst:
        data = src.read(size)
        dst.write(data[:data.rfind(b"\n") + 1])


def head_lines(path: Path, out: Path, count: int) -> None:
    with open(path, "rb") as src, open(out, "wb") as dst:
        for _ in range(count):
            line = src.readline()
            if not line:
                break
            dst.write(line)


def same_report(a: Path, b: Path, report: Path) -> None:
    """The report of two logs read from standard input (so the server ids agree) is the same."""
    outs = []
    for path in (a, b):
        with open(path, "rb") as stdin:
            outs.append(json.loads(subprocess.run([str(report), "--format", "json"], stdin=stdin,
                                                  check=True, capture_output=True).stdout))
    assert outs[0] == outs[1], "the JSON and logfmt logs of the same records differ"


def compare(report_json: str, jq_json: str) -> None:
    """The report's rows and jq's groups hold the same numbers."""
    report = {(c["class"] + " " + (c["ja4"] or "")): c for c in json.loads(report_json)["clients"]}
    jq = json.loads(jq_json)
    assert set(report) == set(jq), (len(report), len(jq))
    for key, j in jq.items():
        r = report[key]
        for name in ("connections", "failed", "requests", "breaks", "days"):
            assert r[name] == j[name], (key, name, r[name], j[name])
        if not r["addresses_estimated"]:
            assert r["addresses"] == j["addresses"], (key, r["addresses"], j["addresses"])
        assert r["first_seen"] == j["first"] and r["last_seen"] == j["last"], key
        assert dict(r["hosts"]) == (j["hosts"] or {}) or r["other_hosts"], key
        assert sum(r["got"].values()) + r["other_got"] == sum((j["got"] or {}).values()), key
        assert (r["user_agent"] or None) == (j["ua"] or None), (key, r["user_agent"], j["ua"])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--size-mb", type=int, default=1024)
    ap.add_argument("--jq-mb", type=int, default=100)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--build", type=Path, default=SOURCE / "build-bench-report")
    ap.add_argument("--keep", type=Path, help="write the logs here and keep them")
    args = ap.parse_args()
    for tool in ("jq", "taskset", "/usr/bin/time", "gzip"):
        if not shutil.which(tool):
            sys.exit(f"report bench: {tool} is missing (scripts/deps.sh bench installs it)")

    report, loggen = build(args.build)
    work = args.keep or Path(tempfile.mkdtemp(prefix="snif-bench-report-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        log = work / "nosni.log"
        size = args.size_mb * 1_000_000
        if not log.exists() or log.stat().st_size < size:
            with open(log, "wb") as out:
                sh(loggen, size, stdout=out)
        size = log.stat().st_size
        lines = 0
        with open(log, "rb") as f:
            while chunk := f.read(1 << 24):
                lines += chunk.count(b"\n")
        warm(log)
        runs = [timed([report, "--format", "json", "-o", work / "report.json", log])
                for _ in range(args.runs)]
        elapsed = statistics.median(r["elapsed"] for r in runs)
        cpu = statistics.median(r["cpu"] for r in runs)
        rss = max(r["rss_kib"] for r in runs)
        clients = len(json.loads((work / "report.json").read_text())["clients"])

        part = work / "slice.log"
        slice_of(log, part, args.jq_mb * 1_000_000)
        part_size = part.stat().st_size
        warm(part)
        report_part = statistics.median(
            timed([report, "--format", "json", "-o", work / "slice.json", part])["elapsed"]
            for _ in range(args.runs))
        with open(work / "slice.jq.json", "w") as out:
            jq = timed(["jq", "-n", "-c", JQ_PROGRAM, part], stdout=out)
        compare((work / "slice.json").read_text(), (work / "slice.jq.json").read_text())
        gz = work / "slice.log.gz"
        with open(gz, "wb") as out:
            sh("gzip", "-6", "-c", part, stdout=out)
        warm(gz)
        report_gz = statistics.median(
            timed([report, "--format", "json", "-o", work / "gz.json", gz])["elapsed"]
            for _ in range(args.runs))

        mb = size / 1e6
        part_mb = part_size / 1e6
        ratio = (jq["elapsed"] / part_mb) / (report_part / part_mb)
        print(f"\n| measure | value |\n|---|---|")
        print(f"| log | {mb:,.0f} MB, {lines:,} records, {clients} clients |")
        print(f"| snifallback-report, plain file, one CPU | {mb / elapsed:,.0f} MB/s "
              f"(median of {args.runs}: {elapsed:.2f} s; {mb / cpu:,.0f} MB per CPU second) |")
        print(f"| peak resident memory | {rss / 1024:,.1f} MiB |")
        print(f"| snifallback-report, {part_mb:,.0f} MB slice | {part_mb / report_part:,.0f} MB/s |")
        print(f"| snifallback-report, that slice gzipped ({gz.stat().st_size / 1e6:,.0f} MB) | "
              f"{part_mb / report_gz:,.0f} MB/s of log |")
        print(f"| jq 1.6, the same grouping, {part_mb:,.0f} MB slice | {part_mb / jq['elapsed']:,.1f}"
              f" MB/s ({jq['elapsed']:.1f} s; peak {jq['rss_kib'] / 1024:,.0f} MiB) |")
        print(f"| ratio, report / jq, per MB | {ratio:,.0f}x (same numbers: checked) |")
        print(f"| jq on the whole log, scaled | about {jq['elapsed'] / part_mb * mb / 60:,.0f} min |")

        # The same kind of log as SNIFallbackLogFormat logfmt writes it (the generator's --logfmt:
        # the same records for the same seed, so a logfmt log of the same size holds more of them).
        lf = work / "nosni.logfmt.log"
        if not lf.exists() or lf.stat().st_size < args.size_mb * 1_000_000:
            with open(lf, "wb") as out:
                sh(loggen, args.size_mb * 1_000_000, "--logfmt", stdout=out)
        lf_mb = lf.stat().st_size / 1e6
        warm(lf)
        lf_runs = [timed([report, "--format", "json", "-o", work / "logfmt.json", lf])
                   for _ in range(args.runs)]
        lf_elapsed = statistics.median(r["elapsed"] for r in lf_runs)
        lf_cpu = statistics.median(r["cpu"] for r in lf_runs)
        # the first records of both logs are the same records: the same report
        with open(part, "rb") as f:
            count = sum(chunk.count(b"\n") for chunk in iter(lambda: f.read(1 << 24), b""))
        head_lines(lf, work / "slice.logfmt.log", count)
        same_report(part, work / "slice.logfmt.log", report)
        print(f"| snifallback-report, logfmt log ({lf_mb:,.0f} MB), one CPU | {lf_mb / lf_elapsed:,.0f}"
              f" MB/s (median of {args.runs}: {lf_elapsed:.2f} s; {lf_mb / lf_cpu:,.0f} MB per CPU"
              f" second; its first {count:,} records give the JSON slice's report: checked) |")
        return 0
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
