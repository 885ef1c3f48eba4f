"""Throughput: requests per second and server CPU time per request, module against the others.

All servers run side by side on their own loopback ports, and the configurations are interleaved
inside each repetition (every other repetition in reverse order), so that slow drifts of the
machine hit every configuration alike. Every handshake run states its mix ("full" or "resumed");
the servers' access logs count it after each run (mix.py), and a wrong mix fails the benchmark.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from load import h2load_rate, h2load_run, url_args
from mix import AccessLog, Mix
from results import Row, Series, log, throughput_row
from servers import SESSIONS, Apache, Haproxy, flavours

from snifharness.pki import Pki
from snifharness.process import cpu_seconds

CLIENTS = 16  # h2load clients of the handshake and keep-alive runs: the server's thread count


@dataclass
class Run:
    """One configuration measured in every repetition: h2load arguments against one server."""
    key: str
    args: list[str]
    server: str        # a flavour's name, or "haproxy" (in front of "none")
    sessions: str      # the server's sessions: "full" or "resumable" (servers.SESSIONS)
    sni: bool
    status: str        # the class of answer expected: "2xx", or "4xx" for the notice page
    claim: str         # the handshake mix it claims: "full", "resumed" or "keep-alive"


def handshake_runs(args) -> list[Run]:
    """One request per connection (Connection: close), 16 clients that reconnect. Against a
    server without sessions (SESSIONS["full"]) every connection is a full handshake; against a
    resumable one every client resumes the session of its previous connection (h2load keeps it),
    all but the first."""
    hs = ["--h1", f"-c{CLIENTS}", f"-n{args.handshakes}", "-H", "Connection: close"]
    expect = "4xx" if args.action == "notice" else "2xx"
    plan = []
    for prefix, sni, names in (("sni", True, ("none", "module", "none_twin")),
                               ("nosni", False, ("none", "module", "module_nofp", "stock",
                                                 "haproxy"))):
        for claim, sessions in (("full", "full"), ("resumed", "resumable")):
            for name in names:
                if claim == "resumed" and name == "none_twin":
                    continue  # the A/A check is made on full handshakes
                status = expect if not sni and name in ("module", "module_nofp", "stock") \
                    else "2xx"
                plan.append(Run(f"{prefix}_{claim}:{name}", hs, name, sessions, sni, status,
                                claim))
    return plan


def runs(args) -> list[Run]:
    # No --warm-up-time: the servers are warm, and the CPU time of a run must match its count.
    ka = ["--h1", f"-c{CLIENTS}", f"-D{args.duration}"]
    h2 = ["-c8", "-m8", f"-D{args.duration}"]
    keep_alive = [Run(f"ka_h1:{name}", ka, name, "resumable", True, "2xx", "keep-alive")
                  for name in ("none", "module", "none_twin")]
    keep_alive += [Run(f"h2:{name}", h2, name, "resumable", True, "2xx", "keep-alive")
                   for name in ("none", "module")]
    hs = handshake_runs(args)
    return [r for r in hs if r.sni] + keep_alive + [r for r in hs if not r.sni]


class Servers:
    """Every flavour's apache2 with each kind of sessions, and HAProxy in front of the two
    servers without the module."""

    def __init__(self, args, workdir: Path, pki: Pki):
        self.apache = {(name, sessions): Apache(workdir, pki, args.module, f, args.threads,
                                                sessions)
                       for name, f in flavours(args.action).items() for sessions in SESSIONS}
        for s in self.apache.values():
            s.start()
        self.haproxy = {sessions: Haproxy(workdir, self.apache["none", sessions])
                        for sessions in SESSIONS}
        for h in self.haproxy.values():
            h.start()

    def pids(self, r: Run) -> list[int]:
        if r.server == "haproxy":
            h = self.haproxy[r.sessions]
            return [h.proc.pid, h.backend.proc.pid]
        return [self.apache[r.server, r.sessions].proc.pid]

    def port(self, r: Run) -> int:
        if r.server == "haproxy":
            return self.haproxy[r.sessions].port
        return self.apache[r.server, r.sessions].port

    def access(self, r: Run) -> AccessLog:
        if r.server == "haproxy":
            return self.haproxy[r.sessions].backend.access
        return self.apache[r.server, r.sessions].access

    def check_and_stop(self) -> None:
        """Sanity of what was measured (the module logged, the stock recipe logged, HAProxy
        logged, no errors), then every server stopped."""
        checks = {
            "module no-SNI log lines": sum(self.apache["module", s].log_lines("nosni.log")
                                           for s in SESSIONS),
            "stock no-SNI log lines": sum(self.apache["stock", s].log_lines("nosni.log")
                                          for s in SESSIONS),
            "haproxy log lines": sum(sum(1 for _ in open(h.log, "rb"))
                                     for h in self.haproxy.values()),
        }
        log("  records written: " + ", ".join(f"{k} {v:,}" for k, v in checks.items()))
        sample = self.apache["module", "full"].root / "logs" / "nosni.log"
        if sample.exists():
            with open(sample) as f:
                log(f"  module record sample: {f.readline().strip()[:300]}")
        for s in self.apache.values():
            for line in s.error_log().splitlines():
                # AH00484: all 16 threads busy, which -c16 is meant to do.
                if re.search(r"\[(?:[a-z_0-9]+:)?(error|crit|alert|emerg)\]", line) \
                        and "AH00484" not in line:
                    log(f"  error log ({s.name}): {line}")
        for h in self.haproxy.values():
            h.stop()
        for s in self.apache.values():
            s.stop()


@dataclass
class Measured:
    """What the repetitions gave, per run key."""
    rates: dict    # requests per second
    cpu: dict      # server CPU µs per request
    mixes: dict    # handshake mix, added up over the repetitions


def measure_once(servers: Servers, r: Run, m: Measured) -> float:
    access = servers.access(r)
    access.mark()
    before = cpu_seconds(*servers.pids(r))
    rate, done = h2load_run([*r.args, *url_args(servers.port(r), r.sni)], r.status)
    m.cpu[r.key].values.append(1e6 * (cpu_seconds(*servers.pids(r)) - before) / done)
    m.rates[r.key].values.append(rate)
    initial, resumed = access.count(requests=done)
    m.mixes[r.key].add(initial, resumed, clients=CLIENTS if r.claim == "resumed" else 0)
    return rate


def measure(args, servers: Servers, plan: list[Run]) -> Measured:
    """Requests per second, server CPU µs per request and the handshake mix of every run."""
    # Server CPU time per request: what the server side spent, whatever else ran on the
    # machine -- far less disturbed by other load than requests per second.
    m = Measured({r.key: Series() for r in plan}, {r.key: Series() for r in plan},
                 {r.key: Mix(r.claim) for r in plan})
    # Warm-up: every server once (page cache, session cache, lazy init).
    for r in plan:
        h2load_rate(["--h1", "-c4", "-n200", "-H", "Connection: close",
                     *url_args(servers.port(r), r.sni)], r.status)
    for rep in range(args.reps):
        # Every other repetition runs in reverse order, so that no configuration always runs
        # before the one it is compared with.
        line = [f"{r.key}={measure_once(servers, r, m):,.0f}"
                for r in (plan if rep % 2 == 0 else plan[::-1])]
        log(f"  rep {rep + 1}/{args.reps}: " + "  ".join(line))
    return m


# (item, what, module's run, other's run, other's name, target, spreads must overlap)
ROWS = (
    ("1", "full handshakes with SNI, HTTP/1.1, 1 req/conn (req/s)", "sni_full:module",
     "sni_full:none", "no module", 0.99, True),
    ("1-r", "resumed handshakes with SNI, HTTP/1.1, 1 req/conn (req/s)", "sni_resumed:module",
     "sni_resumed:none", "no module", 0.99, True),
    ("2a", "keep-alive HTTP/1.1 with SNI, -c16 (req/s)", "ka_h1:module", "ka_h1:none",
     "no module", 0.99, True),
    ("2b", "HTTP/2 with SNI, -c8 -m8 (req/s)", "h2:module", "h2:none", "no module", 0.99, True),
    ("3", "no-SNI full handshakes: fingerprints + JSON log + fallback certificate{act} (req/s)",
     "nosni_full:module", "nosni_full:none", "no module", 0.97, False),
    ("3-r", "no-SNI resumed handshakes: the same (req/s)", "nosni_resumed:module",
     "nosni_resumed:none", "no module", 0.97, False),
    ("4", "no-SNI full handshakes: module vs mod_rewrite + conditional CustomLog",
     "nosni_full:module", "nosni_full:stock", "stock", 1.0, False),
    ("4-r", "no-SNI resumed handshakes: module vs the stock recipe", "nosni_resumed:module",
     "nosni_resumed:stock", "stock", 1.0, False),
    ("4b", "no-SNI full handshakes, module without fingerprints vs the stock recipe",
     "nosni_full:module_nofp", "nosni_full:stock", "stock", 1.0, False),
    ("4b-r", "no-SNI resumed handshakes, module without fingerprints vs the stock recipe",
     "nosni_resumed:module_nofp", "nosni_resumed:stock", "stock", 1.0, False),
    ("5", "no-SNI full handshakes: module vs HAProxy (TCP, req.ssl_sni) in front",
     "nosni_full:module", "nosni_full:haproxy", "HAProxy+Apache", 1.2, False),
    ("5-r", "no-SNI resumed handshakes: module vs HAProxy in front", "nosni_resumed:module",
     "nosni_resumed:haproxy", "HAProxy+Apache", 1.2, False),
)


def add_rows(args, m: Measured, rows: list[Row]) -> None:
    def row(item, what, mod, other, other_name, target, need_overlap):
        rw = throughput_row(item, what, m.rates[mod], m.rates[other], other_name, target,
                            need_overlap)
        rw.cpu = f"{m.cpu[other].median / m.cpu[mod].median:.3f} ({m.cpu[mod].median:.0f} vs " \
                 f"{m.cpu[other].median:.0f} µs)"
        rw.mix = f"{m.mixes[mod].describe()} · {m.mixes[other].describe()}"
        return rw

    for item, key, what in (("0a", "sni_full", "full handshakes with SNI"),
                            ("0b", "ka_h1", "keep-alive HTTP/1.1 with SNI")):
        aa = row(item, f"A/A check, {what}: two identical servers without the module",
                 f"{key}:none_twin", f"{key}:none", "no module", 0.0, False)
        aa.target, aa.met = "(resolution of 1 and 2a)", None
        rows.append(aa)
    act = f" + SNIFallbackAction {args.action}" if args.action else ""
    rows += [row(item, what.format(act=act), *rest) for item, what, *rest in ROWS]


def throughput(args, workdir: Path, pki: Pki, rows: list[Row]) -> None:
    servers = Servers(args, workdir, pki)
    plan = runs(args)
    log(f"== throughput: {args.reps} repetitions, configurations interleaved "
        f"({args.handshakes} handshakes per run, keep-alive runs {args.duration}s)")
    m = measure(args, servers, plan)
    servers.check_and_stop()
    print("\n### Throughput (requests per second; each handshake run = one request per connection)"
          ", server CPU time per request, handshake mix (access logs, all repetitions)")
    for key, series in m.rates.items():
        print(f"- {key}: median {series.median:,.0f} req/s, min–max {series.spread()}  "
              f"[{', '.join(f'{v:,.0f}' for v in series.values)}]; server CPU "
              f"{m.cpu[key].median:.1f} µs/req ({m.cpu[key].spread()}); {m.mixes[key].describe()}")
        problem = m.mixes[key].problem()
        if problem and m.mixes[key].claim != "keep-alive":
            args.mix_problems.append(f"throughput {key}: {problem}")
    add_rows(args, m, rows)
