"""The driver behind scripts/bench.sh: what mod_snifallback costs, measured against the alternatives.

Method (design.md section 4): every server side (apache2, and HAProxy where it is in front) is pinned
to CPU 0, with one apache2 child process and a fixed number of threads; the load generator is pinned
to CPU 1. All servers of the throughput part run side by side on their own loopback ports, and the
configurations are interleaved inside each repetition (rotating their order), so that slow drifts
of the machine hit every configuration alike. Every configuration serves the same certificates
(one throwaway CA, leaf certificates of the same key type, chain length 1 everywhere).

Only loopback addresses are used; every run is bounded by a request count or a duration; all
servers are stopped at exit, also on errors and Ctrl-C.
"""
from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

APACHE = os.environ.get("SNIFALLBACK_APACHE", "/usr/sbin/apache2")
HAPROXY = os.environ.get("SNIFALLBACK_HAPROXY", "/usr/sbin/haproxy")
MODULES = Path("/usr/lib/apache2/modules")
SERVER_CPU = "0"
CLIENT_CPU = "1"
HERE = Path(__file__).resolve().parent

# -- helpers ---------------------------------------------------------------------------------------


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def run(cmd, check=True, **kw) -> subprocess.CompletedProcess:
    kw.setdefault("capture_output", True)
    kw.setdefault("text", True)
    return subprocess.run(cmd, check=check, **kw)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def accepts(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def render(template: str, **values) -> str:
    """`@name@` placeholders, so that Apache's and HAProxy's own braces and % stay untouched."""
    text = (HERE / template).read_text()
    for key, value in values.items():
        text = text.replace(f"@{key}@", str(value))
    missing = re.findall(r"@[a-z_]+@", text)
    if missing:
        raise RuntimeError(f"{template}: no value for {sorted(set(missing))}")
    return text


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(x) for x in text.split()]


# -- certificates ----------------------------------------------------------------------------------


class Pki:
    """One throwaway CA and one leaf per vhost, all of the same key type: equal chains everywhere."""

    def __init__(self, directory: Path, key: str):
        self.dir = directory
        self.dir.mkdir(parents=True, exist_ok=True)
        self.newkey = (["-newkey", "rsa:2048"] if key == "rsa"
                       else ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"])
        self.ca_key, self.ca_cert = self.dir / "ca.key", self.dir / "ca.pem"
        run(["openssl", "req", "-x509", *self.newkey, "-nodes", "-days", "2",
             "-subj", "/CN=mod_snifallback bench CA", "-keyout", str(self.ca_key),
             "-out", str(self.ca_cert), "-addext", "basicConstraints=critical,CA:TRUE",
             "-addext", "keyUsage=critical,keyCertSign,cRLSign"])

    def leaf(self, name: str) -> tuple[Path, Path]:
        cert, key, csr, ext = (self.dir / f"{name}.{s}" for s in ("pem", "key", "csr", "ext"))
        if not cert.exists():
            run(["openssl", "req", "-new", *self.newkey, "-nodes", "-subj", f"/CN={name}",
                 "-keyout", str(key), "-out", str(csr)])
            ext.write_text("basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\n"
                           f"extendedKeyUsage=serverAuth\nsubjectAltName=DNS:{name}\n")
            run(["openssl", "x509", "-req", "-in", str(csr), "-CA", str(self.ca_cert),
                 "-CAkey", str(self.ca_key), "-CAcreateserial", "-days", "2", "-sha256",
                 "-extfile", str(ext), "-out", str(cert)])
            # Throwaway keys; readable, so that a server started as www-data can load them.
            os.chmod(self.dir, 0o755)
            for path in (cert, key):
                os.chmod(path, 0o644)
        return cert, key


# -- servers ---------------------------------------------------------------------------------------

# The vhosts of every apache2 configuration: the first one answers handshakes without SNI.
DEFAULT_VHOST, SNI_VHOST = "default.test", "a.test"


@dataclass
class Flavour:
    """What distinguishes one apache2 configuration from the others."""
    name: str
    load_module: bool = False
    global_extra: str = ""
    vhost_extra: str = ""


def flavours(action: str) -> dict[str, Flavour]:
    # "notice" serves the same page as the stock recipe (the file is read at start-up, relative
    # to ServerRoot); any other value is passed to SNIFallbackAction as written.
    action_arg = "notice htdocs/notice.html" if action == "notice" else action
    action_line = f"SNIFallbackAction {action_arg}\n" if action else ""
    if action == "notice":
        # The stock notice: 403 with the same page, for no-SNI requests only.
        stock_rule = ("    RewriteCond %{REQUEST_URI} !=/notice.html\n"
                      "    RewriteRule ^ - [F,E=NOSNI:1]\n"
                      "    ErrorDocument 403 /notice.html\n")
    else:
        stock_rule = "    RewriteRule ^ - [E=NOSNI:1]\n"
    return {
        # The baseline: the same server without the module.
        "none": Flavour("none"),
        # The same server again: its ratio to "none" (A/A) shows what the method can resolve.
        "none_twin": Flavour("none_twin"),
        # The module with what an administrator turns on: the no-SNI log (JSON, fingerprints
        # of no-SNI ClientHellos being the default) and, once it exists, an action.
        "module": Flavour("module", load_module=True, global_extra=(
            "SNIFallbackFingerprint nosni\n"
            "SNIFallbackLog logs/nosni.log\n"
            "SNIFallbackLogFormat json\n" + action_line)),
        # The same without fingerprints: what the module costs for the job the stock recipe does
        # (it still writes the handshake record, which the stock recipe cannot).
        "module_nofp": Flavour("module_nofp", load_module=True, global_extra=(
            "SNIFallbackFingerprint off\n"
            "SNIFallbackLog logs/nosni.log\n"
            "SNIFallbackLogFormat json\n" + action_line)),
        # The stock recipe: mod_rewrite marks requests whose connection had no SNI, a conditional
        # CustomLog writes them as JSON-ish lines (no fingerprints, no handshake records).
        "stock": Flavour("stock", global_extra=render("stock_log.conf"), vhost_extra=(
            "    RewriteEngine on\n"
            "    RewriteCond %{SSL:SSL_TLS_SNI} =\"\"\n" + stock_rule)),
    }


class Apache:
    def __init__(self, workdir: Path, pki: Pki, module: str, flavour: Flavour, threads: int,
                 extra_conf: str = ""):
        self.flavour = flavour
        self.root = workdir / f"apache-{flavour.name}"
        self.root.mkdir(parents=True)
        for sub in ("conf", "logs", "run", "htdocs"):
            (self.root / sub).mkdir()
        # One static page, the size of a small real page; the notice page the same size.
        page = ("<!doctype html><title>bench</title>\n" + "x" * 1000 + "\n")
        (self.root / "htdocs" / "index.html").write_text(page)
        (self.root / "htdocs" / "notice.html").write_text(page)
        self.port = free_port()
        self.proc: subprocess.Popen | None = None
        vhosts = []
        for name in (DEFAULT_VHOST, SNI_VHOST):
            cert, key = pki.leaf(name)
            vhosts.append(render("vhost.conf", port=self.port, name=name, root=self.root,
                                 cert=cert, key=key, vhost_extra=flavour.vhost_extra))
        user = "User www-data\nGroup www-data\n" if os.geteuid() == 0 else ""
        load = f"LoadModule snifallback_module {module}\n" if flavour.load_module else ""
        self.conf = self.root / "conf" / "httpd.conf"
        self.conf.write_text(render(
            "httpd.conf", root=self.root, modules=MODULES, port=self.port, user=user,
            load_module=load, threads=threads, global_extra=flavour.global_extra + extra_conf,
            vhosts="".join(vhosts)))
        # Children run as www-data when we are root: the tree must be readable to them.
        for path in [self.root, *self.root.rglob("*")]:
            os.chmod(path, 0o755 if path.is_dir() else 0o644)

    def config_test(self) -> None:
        r = run([APACHE, "-t", "-f", str(self.conf)], check=False)
        if r.returncode != 0:
            raise RuntimeError(f"apache2 -t failed for {self.flavour.name}:\n{r.stdout}{r.stderr}")

    def start(self, prefix: list[str] | None = None, timeout: float = 20) -> None:
        self.config_test()
        cmd = prefix if prefix is not None else ["taskset", "-c", SERVER_CPU]
        cmd = [*cmd, APACHE, "-f", str(self.conf)]
        cmd += ["-X"] if prefix is not None else ["-D", "FOREGROUND"]
        out = open(self.root / "logs" / "stdout.log", "w")
        self.proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        REGISTRY.append(self.proc)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"apache2 ({self.flavour.name}) exited at start:\n"
                                   + self.error_log())
            if accepts(self.port):
                return
            time.sleep(0.1)
        raise RuntimeError(f"apache2 ({self.flavour.name}) did not listen in {timeout}s")

    def child(self) -> int:
        """The one worker process (one child by configuration; -X: the process itself)."""
        kids = children(self.proc.pid)
        return kids[0] if kids else self.proc.pid

    def error_log(self) -> str:
        path = self.root / "logs" / "error.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def log_lines(self, name: str) -> int:
        path = self.root / "logs" / name
        if not path.exists():
            return 0
        with open(path, "rb") as f:
            return sum(1 for _ in f)

    def stop(self) -> None:
        stop(self.proc)
        self.proc = None


class Haproxy:
    """HAProxy in TCP mode in front of an apache2 backend, logging SNI from the ClientHello."""

    def __init__(self, workdir: Path, backend_port: int):
        self.root = workdir / "haproxy"
        self.root.mkdir()
        self.port = free_port()
        self.conf = self.root / "haproxy.cfg"
        self.conf.write_text(render("haproxy.cfg", port=self.port, backend_port=backend_port))
        self.log = self.root / "haproxy.log"
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        r = run([HAPROXY, "-c", "-q", "-f", str(self.conf)], check=False)
        if r.returncode != 0:
            raise RuntimeError(f"haproxy -c failed:\n{r.stdout}{r.stderr}")
        out = open(self.log, "w")
        self.proc = subprocess.Popen(["taskset", "-c", SERVER_CPU, HAPROXY, "-db", "-f",
                                      str(self.conf)], stdout=out, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        REGISTRY.append(self.proc)
        deadline = time.monotonic() + 10
        while not accepts(self.port):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("haproxy did not start:\n" + self.log.read_text())
            time.sleep(0.1)

    def stop(self) -> None:
        stop(self.proc)
        self.proc = None


REGISTRY: list[subprocess.Popen] = []


def stop(proc: subprocess.Popen | None, grace: float = 15) -> None:
    """SIGTERM the process group we started (apache2 and its child, or haproxy), then SIGKILL."""
    if proc is None or proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        proc.wait(grace)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait(5)


def stop_all() -> None:
    for proc in reversed(REGISTRY):
        stop(proc)


# -- load ------------------------------------------------------------------------------------------


@dataclass
class Load:
    """One h2load invocation: a URL, how to reach it, and how much to send."""
    label: str
    args: list[str]

    def url(self, port: int, sni: bool) -> list[str]:
        if sni:  # SNI a.test, connection to the loopback address
            return [f"--connect-to=127.0.0.1:{port}", f"https://{SNI_VHOST}:{port}/"]
        # An IP URL: h2load sends no SNI. The Host header names the site, as an old browser
        # does (a Host that is an address would make the module exempt the request).
        return ["-H", f":authority: {DEFAULT_VHOST}", f"https://127.0.0.1:{port}/"]


H2LOAD_DONE = re.compile(r"requests: (\d+) total, (\d+) started, (\d+) done, (\d+) succeeded, "
                         r"(\d+) failed, (\d+) errored")
H2LOAD_RATE = re.compile(r"finished in ([\d.]+)(m?s), ([\d.]+) req/s")
H2LOAD_STATUS = re.compile(r"status codes: (\d+) 2xx, (\d+) 3xx, (\d+) 4xx, (\d+) 5xx")


def h2load(args: list[str], expect_status: str = "2xx") -> float:
    """Requests per second of one h2load run; raises when requests failed."""
    return h2load_run(args, expect_status)[0]


def h2load_run(args: list[str], expect_status: str = "2xx") -> tuple[float, int]:
    """(requests per second, requests done) of one h2load run; raises when requests failed."""
    cmd = ["taskset", "-c", CLIENT_CPU, "h2load", "-t1", *args]
    r = run(cmd, check=False, timeout=300)
    done, rate, status = (H2LOAD_DONE.search(r.stdout), H2LOAD_RATE.search(r.stdout),
                          H2LOAD_STATUS.search(r.stdout))
    if r.returncode != 0 or not done or not rate or not status:
        raise RuntimeError(f"h2load failed ({' '.join(cmd)}):\n{r.stdout}{r.stderr}")
    total, succeeded, failed, errored = (int(done.group(i)) for i in (1, 4, 5, 6))
    codes = dict(zip(("2xx", "3xx", "4xx", "5xx"), (int(status.group(i)) for i in range(1, 5))))
    # In duration mode, h2load's status counts may include a few responses that arrived after
    # the end of the measurement: demand that all counted responses have the expected class.
    others = sum(v for k, v in codes.items() if k != expect_status)
    if expect_status in ("4xx", "5xx"):
        # h2load counts 4xx and 5xx answers (the notice page) as failed requests.
        succeeded, failed = failed, 0
    if failed or errored or succeeded == 0 or codes[expect_status] < succeeded or others:
        raise RuntimeError(f"h2load: {succeeded} succeeded, {failed} failed, {errored} errored, "
                           f"codes {codes} ({' '.join(cmd)}):\n{r.stdout}")
    return float(rate.group(3)), succeeded


def cpu_seconds(pids: list[int]) -> float:
    """CPU time of these processes, their children (apache2's worker) and all their threads, in
    seconds with nanosecond resolution (first field of /proc/PID/task/TID/schedstat)."""
    total = 0
    for pid in pids:
        for p in [pid, *children(pid)]:
            for task in Path(f"/proc/{p}/task").glob("*"):
                try:
                    total += int((task / "schedstat").read_text().split()[0])
                except (OSError, ValueError, IndexError):
                    continue
    return total / 1e9


# -- statistics and output -------------------------------------------------------------------------


def fmt(x: float) -> str:
    return f"{x:,.0f}" if x >= 100 else f"{x:.3g}"


@dataclass
class Series:
    values: list[float] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(self.values)

    def spread(self) -> str:
        return f"{fmt(min(self.values))}–{fmt(max(self.values))}"


@dataclass
class Row:
    item: str
    what: str
    module: str
    other: str
    ratio: float
    spread: str
    target: str
    met: bool | None
    note: str = ""
    cpu: str = "–"


def throughput_row(item: str, what: str, mod: Series, other: Series, other_name: str,
                   target: float, need_overlap: bool) -> Row:
    # The ratio judged is the median of the per-repetition ratios: both runs of a repetition
    # are minutes apart at most, so a load that comes and goes hits them alike more often than
    # it hits two medians taken from different repetitions.
    pairs = [m / o for m, o in zip(mod.values, other.values)]
    ratio = statistics.median(pairs)
    overlap = min(mod.values) <= max(other.values) and min(other.values) <= max(mod.values)
    met = ratio >= target and (overlap or not need_overlap or ratio >= 1)
    tgt = f"≥ {target:g}" + (" & overlap" if need_overlap else "")
    return Row(item, what, f"{fmt(mod.median)} ({mod.spread()})",
               f"{other_name} {fmt(other.median)} ({other.spread()})", ratio,
               f"{min(pairs):.3f}–{max(pairs):.3f}; of medians {mod.median / other.median:.3f}",
               tgt, met, "" if overlap else "spreads do not overlap")


def table(rows: list[Row]) -> str:
    out = ["| # | measurement | module: median (min–max) | other: median (min–max) | "
           "ratio module/other (median of repetitions) | spread of ratios / detail | "
           "server CPU per request, other/module | target | met |",
           "|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        met = "n/a" if r.met is None else ("yes" if r.met else "**no**")
        if r.note:
            met += f" ({r.note})"
        out.append(f"| {r.item} | {r.what} | {r.module} | {r.other} | **{r.ratio:.3f}** | "
                   f"{r.spread} | {r.cpu} | {r.target} | {met} |")
    return "\n".join(out)


# -- the benchmark parts ---------------------------------------------------------------------------


def throughput(args, workdir: Path, pki: Pki, rows: list[Row]) -> None:
    fl = flavours(args.action)
    servers = {name: Apache(workdir, pki, args.module, f, args.threads)
               for name, f in fl.items()}
    for s in servers.values():
        s.start()
    haproxy = Haproxy(workdir, servers["none"].port)
    haproxy.start()

    n_hs, dur = args.handshakes, args.duration
    expect = "4xx" if args.action == "notice" else "2xx"
    # One request per connection: the client says Connection: close, so every request is a full
    # handshake (h2load does not resume sessions); -c 16 = the server's thread count.
    hs = ["--h1", "-c16", f"-n{n_hs}", "-H", "Connection: close"]
    # No --warm-up-time: the servers are warm, and the CPU time of a run must match its count.
    ka = ["--h1", "-c16", f"-D{dur}"]
    h2 = ["-c8", "-m8", f"-D{dur}"]
    tests = [
        # (key, h2load args, target server name, port attribute, sni, expected status)
        ("sni_hs:none", hs, "none", True, "2xx"),
        ("sni_hs:module", hs, "module", True, "2xx"),
        ("sni_hs:none_twin", hs, "none_twin", True, "2xx"),
        ("ka_h1:none", ka, "none", True, "2xx"),
        ("ka_h1:module", ka, "module", True, "2xx"),
        ("ka_h1:none_twin", ka, "none_twin", True, "2xx"),
        ("h2:none", h2, "none", True, "2xx"),
        ("h2:module", h2, "module", True, "2xx"),
        ("nosni_hs:none", hs, "none", False, "2xx"),
        ("nosni_hs:module", hs, "module", False, expect),
        ("nosni_hs:module_nofp", hs, "module_nofp", False, expect),
        ("nosni_hs:stock", hs, "stock", False, expect),
        ("nosni_hs:haproxy", hs, "haproxy", False, "2xx"),
    ]
    results = {t[0]: Series() for t in tests}
    # Server CPU time per request (µs): what the server side spent, whatever else ran on the
    # machine -- far less disturbed by other load than requests per second.
    cpu = {t[0]: Series() for t in tests}

    def pids_of(name: str) -> list[int]:
        if name == "haproxy":
            return [haproxy.proc.pid, servers["none"].proc.pid]
        return [servers[name].proc.pid]

    def port_of(name: str) -> int:
        return haproxy.port if name == "haproxy" else servers[name].port

    log(f"== throughput: {args.reps} repetitions, configurations interleaved "
        f"({n_hs} handshakes per run, keep-alive runs {dur}s)")
    # Warm-up: every server once (page cache, session cache, lazy init).
    for key, a, name, sni, code in tests:
        h2load(["--h1", "-c4", "-n200", "-H", "Connection: close",
                *Load(key, []).url(port_of(name), sni)], code)
    for rep in range(args.reps):
        # Every other repetition runs in reverse order, so that no configuration always runs
        # before the one it is compared with.
        order = tests if rep % 2 == 0 else tests[::-1]
        line = []
        for key, a, name, sni, code in order:
            before = cpu_seconds(pids_of(name))
            rate, done = h2load_run([*a, *Load(key, []).url(port_of(name), sni)], code)
            cpu[key].values.append(1e6 * (cpu_seconds(pids_of(name)) - before) / done)
            results[key].values.append(rate)
            line.append(f"{key}={rate:,.0f}")
        log(f"  rep {rep + 1}/{args.reps}: " + "  ".join(line))

    # Sanity of what was measured: the module logged, the stock recipe logged, HAProxy logged.
    checks = {
        "module no-SNI log lines": servers["module"].log_lines("nosni.log"),
        "stock no-SNI log lines": servers["stock"].log_lines("nosni.log"),
        "haproxy log lines": sum(1 for _ in open(haproxy.log, "rb")),
    }
    log("  records written: " + ", ".join(f"{k} {v:,}" for k, v in checks.items()))
    sample = servers["module"].root / "logs" / "nosni.log"
    if sample.exists():
        with open(sample) as f:
            first = f.readline().strip()
        log(f"  module record sample: {first[:300]}")
    for s in servers.values():
        for line in s.error_log().splitlines():
            # AH00484: all 16 threads busy, which -c16 is meant to do.
            if re.search(r"\[(?:[a-z_0-9]+:)?(error|crit|alert|emerg)\]", line) \
                    and "AH00484" not in line:
                log(f"  error log ({s.flavour.name}): {line}")
    haproxy.stop()
    for s in servers.values():
        s.stop()

    print("\n### Throughput (requests per second; each handshake run = one request per connection)"
          " and server CPU time per request")
    for key, series in results.items():
        print(f"- {key}: median {series.median:,.0f} req/s, min–max {series.spread()}  "
              f"[{', '.join(f'{v:,.0f}' for v in series.values)}]; server CPU "
              f"{cpu[key].median:.1f} µs/req ({cpu[key].spread()})")
    r = results

    def row(item, what, mod, other, other_name, target, need_overlap):
        rw = throughput_row(item, what, r[mod], r[other], other_name, target, need_overlap)
        rw.cpu = f"{cpu[other].median / cpu[mod].median:.3f} ({cpu[mod].median:.0f} vs " \
                 f"{cpu[other].median:.0f} µs)"
        return rw
    for item, key, what in (("0a", "sni_hs", "full handshakes with SNI"),
                            ("0b", "ka_h1", "keep-alive HTTP/1.1 with SNI")):
        aa = row(item, f"A/A check, {what}: two identical servers without the module",
                 f"{key}:none_twin", f"{key}:none", "no module", 0.0, False)
        aa.target, aa.met = "(resolution of 1 and 2a)", None
        rows.append(aa)
    rows.append(row("1", "full handshakes with SNI, HTTP/1.1, 1 req/conn (req/s)",
                               "sni_hs:module", "sni_hs:none", "no module", 0.99, True))
    rows.append(row("2a", "keep-alive HTTP/1.1 with SNI, -c16 (req/s)",
                               "ka_h1:module", "ka_h1:none", "no module", 0.99, True))
    rows.append(row("2b", "HTTP/2 with SNI, -c8 -m8 (req/s)",
                               "h2:module", "h2:none", "no module", 0.99, True))
    act = f" + SNIFallbackAction {args.action}" if args.action else ""
    rows.append(row("3", f"no-SNI full handshakes: fingerprints + JSON log{act} (req/s)",
                               "nosni_hs:module", "nosni_hs:none", "no module", 0.97, False))
    rows.append(row("4", "no-SNI logging: module vs mod_rewrite + conditional CustomLog",
                               "nosni_hs:module", "nosni_hs:stock", "stock", 1.0, False))
    rows.append(row("4b", "the same, module without fingerprints (SNIFallbackFingerprint off)",
                               "nosni_hs:module_nofp", "nosni_hs:stock", "stock", 1.0, False))
    rows.append(row("5", "no-SNI logging: module vs HAProxy (TCP, req.ssl_sni) in front",
                               "nosni_hs:module", "nosni_hs:haproxy", "HAProxy+Apache", 1.2,
                               False))


def memory(args, workdir: Path, pki: Pki, rows: list[Row]) -> None:
    log(f"== memory: resident set of the apache2 child after {args.mem_connections:,} connections")
    result = {}
    fl = flavours(args.action)
    for name in ("none", "module"):
        s = Apache(workdir / "mem", pki, args.module, fl[name], args.threads)
        s.start()
        try:
            points = []
            done = 0
            # Warm-up: 1,000 handshakes (half without SNI, half with), then the bulk in steps,
            # alternating no-SNI (the module's work) and SNI connections.
            steps = [1000] + [args.mem_connections // 5] * 5
            for i, n in enumerate(steps):
                half = n // 2
                for sni, count in ((False, half), (True, n - half)):
                    code = "4xx" if (args.action == "notice" and not sni and name == "module") \
                        else "2xx"
                    h2load(["--h1", "-c16", f"-n{count}", "-H", "Connection: close",
                            *Load("", []).url(s.port, sni)], code)
                done += n
                points.append((done, rss_kib(s.child())))
            result[name] = points
            log(f"  {name}: " + ", ".join(f"{d:,} conns → {kib / 1024:.1f} MiB" for d, kib in points))
        finally:
            s.stop()
    base = {k: v[0][1] for k, v in result.items()}
    end = {k: v[-1][1] for k, v in result.items()}
    growth = {k: end[k] - base[k] for k in result}
    print(f"\n### Memory (VmRSS of the single apache2 child)")
    for k in result:
        print(f"- {k}: after warm-up {base[k] / 1024:.1f} MiB, after {result[k][-1][0]:,} "
              f"connections {end[k] / 1024:.1f} MiB (growth {growth[k]:+,} KiB)")
    extra = growth["module"] - growth["none"]
    # "No growth attributable to the module": allow page-level jitter (256 KiB).
    rows.append(Row("7", f"RSS of the child after {args.mem_connections:,} connections (MiB)",
                    f"{end['module'] / 1024:.1f} (growth {growth['module']:+,} KiB)",
                    f"no module {end['none'] / 1024:.1f} (growth {growth['none']:+,} KiB)",
                    end["module"] / end["none"], f"extra growth {extra:+,} KiB",
                    "no growth beyond fixed", extra <= 256))


def callgrind(args, workdir: Path, pki: Pki, rows: list[Row]) -> None:
    n = args.cg_handshakes
    log(f"== callgrind: instructions per full handshake over {n} handshakes (apache2 -X)")
    fl = flavours(args.action)
    out = {}
    annotate = {}
    # mode: "sni"/"nosni" = n full handshakes, one request each; "ka" = 10 n keep-alive requests
    # with SNI on one connection (the per-request cost behind item 2).
    for name, mode in (("none", "sni"), ("module", "sni"), ("none", "nosni"),
                       ("module", "nosni"), ("module_nofp", "nosni"), ("stock", "nosni"),
                       ("none", "ka"), ("module", "ka")):
        sni = mode != "nosni"
        units = 10 * n if mode == "ka" else n
        load = (["--h1", "-c1", f"-n{units}"] if mode == "ka"
                else ["--h1", "-c1", f"-n{n}", "-H", "Connection: close"])
        s = Apache(workdir / f"cg-{name}-{mode}", pki, args.module,
                   fl[name], args.threads)
        cg = s.root / "callgrind.out"
        # As root, apache2 -X would switch to www-data itself, and callgrind_control (vgdb)
        # could then no longer reach it: run it as www-data from the start (it needs no
        # privilege on a high loopback port) and give it its tree.
        as_user: list[str] = []
        if os.geteuid() == 0:
            as_user = ["setpriv", "--reuid=www-data", "--regid=www-data", "--clear-groups"]
            run(["chown", "-R", "www-data:www-data", str(s.root)])
        s.start(prefix=[*as_user, "taskset", "-c", SERVER_CPU, "valgrind",
                        "--tool=callgrind", f"--callgrind-out-file={cg}",
                        "--instr-atstart=no", "--dump-instr=no"], timeout=180)
        code = "4xx" if (args.action == "notice" and not sni and name != "none") else "2xx"

        def control(*what: str) -> None:
            run([*as_user, "callgrind_control", *what, str(s.proc.pid)], timeout=120)

        try:
            # Warm-up without instrumentation (session cache, lazy initialisation), then
            # count exactly n handshakes, one at a time, and dump just those.
            h2load(["--h1", "-c1", "-n20", "-H", "Connection: close",
                    *Load("", []).url(s.port, sni)], code)
            time.sleep(0.5)
            control("--instr=on")
            control("--zero")
            h2load([*load, *Load("", []).url(s.port, sni)], code)
            time.sleep(1)  # let the last connection's lingering close and cleanup run
            control("--dump=bench")
            control("--instr=off")
        finally:
            s.stop()
        files = [cg.with_name(cg.name + ".1")]  # the explicit dump
        total = 0
        for f in files:
            for line in f.read_text(errors="replace").splitlines():
                if line.startswith("totals:") or line.startswith("summary:"):
                    total = max(total, int(line.split()[1]))
        key = f"{name}:{mode}"
        out[key] = total / units
        if name.startswith("module"):
            annotate[key] = module_share(files, units)
        log(f"  {key}: {out[key]:,.0f} instructions per "
            f"{'request' if mode == 'ka' else 'handshake'}")
    print("\n### Instructions per full handshake (callgrind, apache2 -X, "
          f"{n} handshakes, warm-up excluded)")
    for sni in ("sni", "nosni"):
        none, mod = out[f"none:{sni}"], out[f"module:{sni}"]
        print(f"- {'with' if sni == 'sni' else 'without'} SNI: no module {none:,.0f}, module "
              f"{mod:,.0f} → {100 * (mod - none) / none:+.2f}%")
        inclusive, funcs = annotate[f"module:{sni}"]
        print(f"  module's own code and what it calls (inclusive, entry points): "
              f"{inclusive:,.0f} per handshake = {100 * inclusive / mod:.2f}% of the total")
        for cost, fn in funcs[:12]:
            fn = re.sub(r"\s*\[[^\]]*mod_snifallback\.so\]$", "", fn).replace("???:", "")
            fn = fn.replace("std::__cxx11::basic_string<char, std::char_traits<char>, "
                            "std::allocator<char> >", "std::string")
            print(f"    {cost:>10,.0f}  {fn[:150]}")
    stock = out["stock:nosni"]
    print(f"- without SNI, stock recipe (mod_rewrite + conditional CustomLog): {stock:,.0f} "
          f"→ {100 * (stock - out['none:nosni']) / out['none:nosni']:+.2f}% over no module")
    none_ka, mod_ka = out["none:ka"], out["module:ka"]
    print(f"- keep-alive HTTP/1.1 request with SNI ({10 * n} on one connection): no module "
          f"{none_ka:,.0f}, module {mod_ka:,.0f} per request → "
          f"{100 * (mod_ka - none_ka) / none_ka:+.2f}% (module's entry points "
          f"{annotate['module:ka'][0]:,.0f})")
    d_sni = (out["module:sni"] - out["none:sni"]) / out["none:sni"]
    d_nosni = (out["module:nosni"] - out["none:nosni"]) / out["none:nosni"]
    rows.append(Row("6a", "instructions per full handshake with SNI (callgrind)",
                    f"{out['module:sni']:,.0f}", f"no module {out['none:sni']:,.0f}",
                    out["module:sni"] / out["none:sni"], f"{100 * d_sni:+.2f}%",
                    "≤ +1%", d_sni <= 0.01))
    rows.append(Row("6b", "instructions per full handshake without SNI, fingerprints + log",
                    f"{out['module:nosni']:,.0f}", f"no module {out['none:nosni']:,.0f}",
                    out["module:nosni"] / out["none:nosni"], f"{100 * d_nosni:+.2f}%",
                    "(informative)", None))
    rows.append(Row("6c", "instructions per no-SNI handshake: module vs stock recipe",
                    f"{out['module:nosni']:,.0f}", f"stock {stock:,.0f}",
                    out["module:nosni"] / stock, f"{100 * (out['module:nosni'] - stock) / stock:+.2f}%",
                    "(informative, for 4)", None))
    d_ka = (mod_ka - none_ka) / none_ka
    rows.append(Row("6d", "instructions per keep-alive HTTP/1.1 request with SNI (for 2)",
                    f"{mod_ka:,.0f}", f"no module {none_ka:,.0f}", mod_ka / none_ka,
                    f"{100 * d_ka:+.2f}%", "≤ +1%", d_ka <= 0.01))
    nofp = out["module_nofp:nosni"]
    print(f"- without SNI, module without fingerprints: {nofp:,.0f} → "
          f"{100 * (nofp - out['none:nosni']) / out['none:nosni']:+.2f}% over no module, "
          f"{100 * (nofp - stock) / stock:+.2f}% over the stock recipe (module's entry points "
          f"{annotate['module_nofp:nosni'][0]:,.0f})")
    rows.append(Row("6e", "instructions per no-SNI handshake: module without fingerprints vs "
                    "stock recipe", f"{nofp:,.0f}", f"stock {stock:,.0f}", nofp / stock,
                    f"{100 * (nofp - stock) / stock:+.2f}%", "(informative, for 4b)", None))


MODULE_FN = re.compile(r"snifallback|mod_snifallback")


def module_share(files: list[Path], n: int) -> tuple[float, list[tuple[float, str]]]:
    """Inclusive cost of the module's functions, from callgrind_annotate --inclusive=yes.

    The module's entry points are the functions of mod_snifallback.so called from outside it;
    their inclusive costs add up without double counting. Entry points are found as the module
    functions that the tree (--tree=caller) shows with a caller outside the module."""
    inclusive: dict[str, float] = {}
    entries: set[str] = set()
    for f in files:
        r = run(["callgrind_annotate", "--inclusive=yes", "--tree=caller", "--threshold=100",
                 str(f)], check=False)
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
    total = sum(inclusive[fn] for fn in entries) / n
    funcs = sorted(((c / n, fn) for fn, c in inclusive.items()), reverse=True)
    return total, funcs


# -- main ------------------------------------------------------------------------------------------


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--module", required=True, help="path of mod_snifallback.so")
    p.add_argument("--quick", action="store_true", help="fewer and shorter runs")
    p.add_argument("--action", default=os.environ.get("SNIF_BENCH_ACTION", ""),
                   help="SNIFallbackAction for the module's no-SNI runs (e.g. notice); "
                        "empty: none")
    p.add_argument("--key", choices=("ec", "rsa"), default="ec",
                   help="key type of every certificate (default ec: P-256)")
    p.add_argument("--only", default="throughput,callgrind,memory",
                   help="comma-separated parts to run")
    p.add_argument("--keep", action="store_true", help="keep the work directory")
    p.add_argument("--mem-connections", type=int, default=0,
                   help="connections of the memory part (default 50,000; 5,000 with --quick)")
    args = p.parse_args()
    args.threads = 16
    if args.quick:
        args.reps, args.handshakes, args.duration = 3, 1000, 2
        args.cg_handshakes = 100
    else:
        args.reps, args.handshakes, args.duration = 7, 4000, 5
        args.cg_handshakes = 200
    if args.mem_connections:
        args.mem_connections = max(args.mem_connections, 5000)
    else:
        args.mem_connections = 5000 if args.quick else 50000
    parts = set(args.only.split(","))

    workdir = Path(tempfile.mkdtemp(prefix="snif-bench-"))
    os.chmod(workdir, 0o755)
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt))
    rows: list[Row] = []
    try:
        # A copy of the module in the work tree: readable by www-data whatever the checkout's modes.
        module = workdir / "mod_snifallback.so"
        shutil.copyfile(args.module, module)
        os.chmod(module, 0o755)
        args.module = str(module)
        pki = Pki(workdir / "pki", args.key)
        log(f"work directory {workdir}; certificates: {args.key}, chain length 1 "
            f"(leaf signed by a throwaway CA) for every configuration")
        if "throughput" in parts:
            throughput(args, workdir, pki, rows)
        if "callgrind" in parts:
            callgrind(args, workdir, pki, rows)
        if "memory" in parts:
            memory(args, workdir, pki, rows)
        print_summary(args, rows)
        return 0
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
          f"{args.mem_connections:,} connections; {args.key} certificates)")
    print(f"Machine: {machine()}")
    src = HERE.parent.parent
    rev = run(["git", "-C", str(src), "describe", "--always", "--dirty"], check=False).stdout
    print(f"Module: built from {rev.strip() or 'unknown revision'} (Release)"
          + (f"; SNIFallbackAction {args.action}" if args.action else "") + "\n")
    print(table(rows))
    print()


if __name__ == "__main__":
    sys.exit(main())
