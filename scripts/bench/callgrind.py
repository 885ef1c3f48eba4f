"""Instructions per handshake and per request: valgrind --tool=callgrind on `apache2 -X`, counting
only the measured connections (instrumentation switched on and off around them).

Each count states and proves its handshake mix: full handshakes against a server without
sessions (servers.SESSIONS["full"]), resumed ones against a resumable server with one client that
reconnects. That client's first connection is a full handshake; it is counted on its own just
before (one connection, dumped apart) and subtracted, so a resumed count holds resumed handshakes
only. The modules run with SNIFallbackCertificate, so a full no-SNI handshake goes through the
module's certificate callback.
"""
from __future__ import annotations

import os
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

from load import h2load_rate, url_args
from mix import Mix
from results import Row, log
from servers import SERVER_CPU, Apache, flavours

from snifharness.pki import Pki
from snifharness.process import run

MODULE_FN = re.compile(r"snifallback|mod_snifallback")


@dataclass(frozen=True)
class Count:
    """One callgrind count: a flavour, its clients ("sni", "nosni"; "ka": 10 n keep-alive
    HTTP/1.1 requests with SNI on one connection; "h2": 10 n HTTP/2 requests with SNI on one
    connection, 8 streams at a time) and the handshakes it claims."""
    flavour: str
    mode: str
    claim: str     # "full", "resumed" or "keep-alive"

    @property
    def key(self) -> str:
        return f"{self.flavour}:{self.mode}:{self.claim}"

    @property
    def sessions(self) -> str:
        return "full" if self.claim == "full" else "resumable"


COUNTS = [Count(f, m, c) for f, m, c in (
    ("none", "sni", "full"), ("module", "sni", "full"),
    ("none", "sni", "resumed"), ("module", "sni", "resumed"),
    ("none", "nosni", "full"), ("module", "nosni", "full"), ("module_nofp", "nosni", "full"),
    ("stock", "nosni", "full"),
    ("none", "nosni", "resumed"), ("module", "nosni", "resumed"),
    ("module_nofp", "nosni", "resumed"),
    ("none", "ka", "keep-alive"), ("module", "ka", "keep-alive"),
    ("none", "h2", "keep-alive"), ("module", "h2", "keep-alive"))]


@dataclass
class Counted:
    per_unit: float          # instructions per handshake (per request for "ka" and "h2")
    mix: Mix
    own: float = 0.0         # of which the module's own code (its entry points, inclusive)
    functions: list = field(default_factory=list)  # [(per unit, module function)], most first


def start_under_callgrind(s: Apache, cg: Path, timeout: float = 180) -> list[str]:
    """Starts `s` under callgrind (ready within `timeout` seconds); returns the prefix that runs
    a command as its user."""
    # As root, apache2 -X would switch to www-data itself, and callgrind_control (vgdb) could
    # then no longer reach it: run it as www-data from the start (it needs no privilege on a
    # high loopback port) and give it its tree.
    as_user: list[str] = []
    if os.geteuid() == 0:
        as_user = ["setpriv", "--reuid=www-data", "--regid=www-data", "--clear-groups"]
        run(["chown", "-R", "www-data:www-data", str(s.root)])
    s.start(prefix=[*as_user, "taskset", "-c", SERVER_CPU, "valgrind", "--tool=callgrind",
                    f"--callgrind-out-file={cg}", "--instr-atstart=no", "--dump-instr=no"],
            timeout=timeout)
    return as_user


def controller(as_user: list[str], pid: int):
    """callgrind_control for the callgrind running as `pid`."""
    def control(*what: str) -> None:
        run([*as_user, "callgrind_control", *what, str(pid)], timeout=120)
    return control


def total_of(dump: Path) -> int:
    total = 0
    for line in dump.read_text(errors="replace").splitlines():
        if line.startswith("totals:") or line.startswith("summary:"):
            total = max(total, int(line.split()[1]))
    return total


def measured_load(c: Count, n: int) -> tuple[list[str], int, int]:
    """(h2load arguments, requests, units counted) of the measured run of `c`."""
    if c.mode == "ka":
        return ["--h1", "-c1", f"-n{10 * n}"], 10 * n, 10 * n
    if c.mode == "h2":
        return ["-c1", "-m8", f"-n{10 * n}"], 10 * n, 10 * n
    # resumed: the client's first connection is full; n resumed ones follow it
    requests = n + 1 if c.claim == "resumed" else n
    return ["--h1", "-c1", f"-n{requests}", "-H", "Connection: close"], requests, n


def measure(s: Apache, c: Count, n: int, code: str, control,
            target: list[str] | None = None) -> Mix:
    """Warm-up, then the measured connections under instrumentation, dumped: for a resumed
    count first one connection alone (one dump), then the measured run (the next one). The
    clients ask for `target` (h2load's arguments; default: a.test, or no SNI)."""
    target = target or url_args(s.port, c.mode != "nosni")
    # Warm-up without instrumentation (session cache, lazy initialisation).
    h2load_rate(["--h1", "-c1", "-n20", "-H", "Connection: close", *target], code)
    time.sleep(0.5)
    load, requests, _ = measured_load(c, n)
    control("--instr=on")
    if c.claim == "resumed":
        control("--zero")
        h2load_rate(["--h1", "-c1", "-n1", "-H", "Connection: close", *target], code)
        time.sleep(1)
        control("--dump=first")
    control("--zero")
    s.access.mark()
    h2load_rate([*load, *target], code)
    time.sleep(1)  # let the last connection's lingering close and cleanup run
    control("--dump=bench")
    control("--instr=off")
    mix = Mix(c.claim)
    mix.add(*s.access.count(requests=requests), clients=1 if c.claim == "resumed" else 0)
    return mix


def count(args, workdir: Path, pki: Pki, c: Count) -> Counted:
    """Instructions per unit of one count, its mix, and the module's share."""
    n = args.cg_handshakes
    s = Apache(workdir / f"cg-{c.flavour}-{c.mode}-{c.claim}", pki, args.module,
               flavours(args.action)[c.flavour], args.threads, c.sessions)
    cg = s.root / "callgrind.out"
    as_user = start_under_callgrind(s, cg)
    code = "4xx" if (args.action == "notice" and c.mode == "nosni" and c.flavour != "none") \
        else "2xx"
    try:
        mix = measure(s, c, n, code, controller(as_user, s.proc.pid))
    finally:
        s.stop()
    dumps = [dump_file(cg, i) for i in (1, 2)]  # the explicit dumps
    bench, first = (dumps[1], dumps[0]) if c.claim == "resumed" else (dumps[0], None)
    return counted(bench, first, measured_load(c, n)[2], mix, c.flavour.startswith("module"))


def dump_file(cg: Path, i: int) -> Path:
    """The `i`th dump that callgrind_control --dump asked for (1 first)."""
    return cg.with_name(f"{cg.name}.{i}")


def counted(bench: Path, first: Path | None, units: int, mix: Mix, module: bool) -> Counted:
    """Instructions per unit of the dump `bench`, less those of the dump `first` (a resumed
    count's first connection), and with the `module` the module's share."""
    total = total_of(bench) - (total_of(first) if first else 0)
    result = Counted(total / units, mix)
    if module:
        own, funcs = module_share(bench)
        if first:
            own0, funcs0 = module_share(first)
            own -= own0
            funcs = {fn: v - funcs0.get(fn, 0) for fn, v in funcs.items()}
        result.own = own / units
        result.functions = sorted(((v / units, fn) for fn, v in funcs.items()), reverse=True)
    return result


def module_share(dump: Path) -> tuple[float, dict[str, float]]:
    """Inclusive cost of the module's functions, from callgrind_annotate --inclusive=yes: the
    total of its entry points, and the cost of each of its functions.

    The module's entry points are the functions of mod_snifallback.so called from outside it;
    their inclusive costs add up without double counting. Entry points are found as the module
    functions that the tree (--tree=caller) shows with a caller outside the module."""
    inclusive: dict[str, float] = {}
    entries: set[str] = set()
    r = run(["callgrind_annotate", "--inclusive=yes", "--tree=caller", "--threshold=100",
             str(dump)], check=False)
    current_callers: list[str] = []
    for line in r.stdout.splitlines():
        m = re.match(r"^\s*([\d,]+)\s+(?:\([^)]*\)\s+)?(<\s+|\*\s+|)(.*)$", line)
        if not m:
            continue
        cost, mark, fn = int(m.group(1).replace(",", "")), m.group(2).strip(), m.group(3)
        if mark == "<":
            current_callers.append(fn)
        elif mark == "*":
            if MODULE_FN.search(fn):
                inclusive[fn] = inclusive.get(fn, 0) + cost
                if any(not MODULE_FN.search(c) for c in current_callers):
                    entries.add(fn)
            current_callers = []
        else:
            current_callers = []
    return sum(inclusive[fn] for fn in entries), inclusive


def short_name(fn: str) -> str:
    fn = re.sub(r"\s*\[[^\]]*mod_snifallback\.so\]$", "", fn).replace("???:", "")
    return fn.replace("std::__cxx11::basic_string<char, std::char_traits<char>, "
                      "std::allocator<char> >", "std::string")


def delta(out: dict, key: str, base: str) -> str:
    if key not in out:
        return "–"
    a, b = out[key].per_unit, out[base].per_unit
    return f"{a:,.0f} ({100 * (a - b) / b:+.2f}%)"


def print_counts(args, out: dict) -> None:
    n = args.cg_handshakes
    print(f"\n### Instructions per handshake (callgrind, apache2 -X, {n} measured connections "
          "each, warm-up excluded; the modules with SNIFallbackCertificate)")
    print("| clients | handshake mix (access log; module's) | no module | module | module "
          "without fingerprints | stock recipe | module's own code |")
    print("|---|---|---|---|---|---|---|")
    for mode, claim, what in (("sni", "full", "full handshake with SNI"),
                              ("sni", "resumed", "resumed handshake with SNI"),
                              ("nosni", "full", "full handshake without SNI"),
                              ("nosni", "resumed", "resumed handshake without SNI"),
                              ("ka", "keep-alive", f"keep-alive request with SNI ({10 * n} on "
                                                   "one connection), per request"),
                              ("h2", "keep-alive", f"HTTP/2 request with SNI ({10 * n} on one "
                                                   "connection, 8 streams at a time), per "
                                                   "request")):
        base, mod = f"none:{mode}:{claim}", f"module:{mode}:{claim}"
        print(f"| {what} | {out[mod].mix.describe()} | {out[base].per_unit:,.0f} | "
              f"{delta(out, mod, base)} | {delta(out, f'module_nofp:{mode}:{claim}', base)} | "
              f"{delta(out, f'stock:{mode}:{claim}', base)} | {out[mod].own:,.0f} |")
    for key in ("module:sni:full", "module:nosni:full", "module:nosni:resumed"):
        print(f"\nThe module's functions per unit ({key}; inclusive):")
        for cost, fn in out[key].functions[:12]:
            print(f"    {cost:>10,.0f}  {short_name(fn)[:150]}")


def count_row(out: dict, item: str, what: str, mod: str, other: str, other_name: str,
              target: str = "(informative)", limit: float | None = None) -> Row:
    a, b = out[mod].per_unit, out[other].per_unit
    d = (a - b) / b
    row = Row(item, what, f"{a:,.0f}", f"{other_name} {b:,.0f}", a / b, f"{100 * d:+.2f}%",
              target, None if limit is None else d <= limit)
    row.mix = f"{out[mod].mix.describe()} · {out[other].mix.describe()}"
    return row


def add_rows(out: dict, rows: list[Row]) -> None:
    rows += [
        count_row(out, "6a", "instructions per full handshake with SNI", "module:sni:full",
                  "none:sni:full", "no module", "≤ +1%", 0.01),
        count_row(out, "6a-r", "instructions per resumed handshake with SNI",
                  "module:sni:resumed", "none:sni:resumed", "no module", "≤ +1%", 0.01),
        count_row(out, "6b", "instructions per full no-SNI handshake: fingerprints + log + "
                  "fallback certificate", "module:nosni:full", "none:nosni:full", "no module"),
        count_row(out, "6b-r", "instructions per resumed no-SNI handshake: the same",
                  "module:nosni:resumed", "none:nosni:resumed", "no module"),
        count_row(out, "6c", "instructions per full no-SNI handshake: module vs stock recipe "
                  "(for 4)", "module:nosni:full", "stock:nosni:full", "stock"),
        count_row(out, "6d", "instructions per keep-alive HTTP/1.1 request with SNI (for 2)",
                  "module:ka:keep-alive", "none:ka:keep-alive", "no module", "≤ +1%", 0.01),
        count_row(out, "6d-h2", "instructions per HTTP/2 request with SNI, 8 streams at a time "
                  "(for 2b)", "module:h2:keep-alive", "none:h2:keep-alive", "no module",
                  "≤ +1%", 0.01),
        count_row(out, "6e", "instructions per full no-SNI handshake: module without "
                  "fingerprints vs stock recipe (for 4b)", "module_nofp:nosni:full",
                  "stock:nosni:full", "stock"),
        count_row(out, "6f", "instructions per full no-SNI handshake: module without "
                  "fingerprints", "module_nofp:nosni:full", "none:nosni:full", "no module"),
        count_row(out, "6f-r", "instructions per resumed no-SNI handshake: module without "
                  "fingerprints", "module_nofp:nosni:resumed", "none:nosni:resumed",
                  "no module"),
    ]


def callgrind(args, workdir: Path, pki: Pki, rows: list[Row]) -> None:
    log(f"== callgrind: instructions per handshake over {args.cg_handshakes} full or resumed "
        "handshakes (apache2 -X)")
    out: dict[str, Counted] = {}
    for c in COUNTS:
        out[c.key] = count(args, workdir, pki, c)
        problem = out[c.key].mix.problem()
        if problem and c.claim != "keep-alive":
            args.mix_problems.append(f"callgrind {c.key}: {problem}")
        log(f"  {c.key}: {out[c.key].per_unit:,.0f} instructions per "
            f"{'request' if c.mode in ('ka', 'h2') else 'handshake'}; {out[c.key].mix.describe()}")
    print_counts(args, out)
    add_rows(out, rows)
