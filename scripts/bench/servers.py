"""The servers of the benchmark: apache2 configurations (flavours) rendered from the pinned
templates beside this file, and HAProxy in TCP mode in front of one of them.

Every server side is pinned to CPU 0 (the load generator runs on CPU 1), with one apache2 child
process and a fixed number of threads. All servers are stopped at exit (stop_all), also on errors
and Ctrl-C.
"""
from __future__ import annotations

import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

from mix import AccessLog

from snifharness import apache, process
from snifharness.pki import Pki
from snifharness.ports import accepts, free_port

HAPROXY = os.environ.get("SNIFALLBACK_HAPROXY", "/usr/sbin/haproxy")
SERVER_CPU = "0"
CLIENT_CPU = "1"
HERE = Path(__file__).resolve().parent
# The vhosts of every apache2 configuration: the first one answers handshakes without SNI.
DEFAULT_VHOST, SNI_VHOST = "default.test", "a.test"

_started: list[subprocess.Popen] = []

# What a server does with TLS sessions (the @sessions@ lines of httpd.conf).
SESSIONS = {
    # As a production server does: a session cache and tickets, so clients that reconnect resume.
    "resumable": 'SSLSessionCache "shmcb:{root}/run/ssl_scache(512000)"\n',
    # Full handshakes only, whatever the client does: no session cache, no TLS 1.2 session
    # tickets and no TLS 1.3 tickets (NumTickets 0): there is nothing to resume. The load of a
    # "full" row stays that of the old rows (16 clients that reconnect), so nothing but the
    # handshakes changes.
    "full": "SSLSessionCache none\nSSLSessionTickets off\nSSLOpenSSLConfCmd NumTickets 0\n",
}


def fill(text: str, **values) -> str:
    """`@name@` placeholders, so that Apache's and HAProxy's own braces and % stay untouched."""
    for key, value in values.items():
        text = text.replace(f"@{key}@", str(value))
    return text


def render(template: str, **values) -> str:
    """The template file filled; every placeholder must have a value."""
    text = fill((HERE / template).read_text(), **values)
    missing = re.findall(r"@[a-z_]+@", text)
    if missing:
        raise RuntimeError(f"{template}: no value for {sorted(set(missing))}")
    return text


@dataclass
class Flavour:
    """What distinguishes one apache2 configuration from the others."""
    name: str
    load_module: bool = False
    global_extra: str = ""
    vhost_extra: str = ""


@dataclass(frozen=True)
class Site:
    """A further name-based vhost on the server's address, after the two of every server."""
    name: str
    aliases: tuple[str, ...]
    cert: Path
    key: Path


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
    # The module with the no-SNI log and a fallback certificate: no-SNI handshakes get the
    # certificate of the second vhost (same key type and chain length) through the module's
    # certificate callback, which only full handshakes run.
    module_log = (f"SNIFallbackCertificate {SNI_VHOST}\n"
                  "SNIFallbackLog logs/nosni.log\nSNIFallbackLogFormat json\n" + action_line)
    return {
        # The baseline: the same server without the module.
        "none": Flavour("none"),
        # The same server again: its ratio to "none" (A/A) shows what the method can resolve.
        "none_twin": Flavour("none_twin"),
        # The module with what an administrator turns on: the no-SNI log (JSON, fingerprints
        # of no-SNI ClientHellos being the default), the fallback certificate and an action.
        "module": Flavour("module", load_module=True,
                          global_extra="SNIFallbackFingerprint nosni\n" + module_log),
        # The same without fingerprints: what the module costs for the job the stock recipe does
        # (it still writes the handshake record, which the stock recipe cannot).
        "module_nofp": Flavour("module_nofp", load_module=True,
                               global_extra="SNIFallbackFingerprint off\n" + module_log),
        # The stock recipe: mod_rewrite marks requests whose connection had no SNI, a conditional
        # CustomLog writes them as JSON-ish lines (no fingerprints, no handshake records).
        "stock": Flavour("stock", global_extra=render("stock_log.conf"), vhost_extra=(
            "    RewriteEngine on\n"
            "    RewriteCond %{SSL:SSL_TLS_SNI} =\"\"\n" + stock_rule)),
    }


class Apache:
    """One apache2 of the benchmark, with its own ServerRoot under `workdir`; `sessions` is a
    key of SESSIONS; `sites` are vhosts of the same address after its two own."""

    def __init__(self, workdir: Path, pki: Pki, module: str, flavour: Flavour, threads: int,
                 sessions: str = "resumable", extra_conf: str = "", sites: tuple[Site, ...] = ()):
        self.flavour = flavour
        self.sessions = sessions
        self.name = f"{flavour.name}/{sessions}"
        self.root = workdir / f"apache-{flavour.name}-{sessions}"
        self.root.mkdir(parents=True)
        for sub in ("conf", "logs", "run", "htdocs"):
            (self.root / sub).mkdir()
        # One static page, the size of a small real page; the notice page the same size.
        page = ("<!doctype html><title>bench</title>\n" + "x" * 1000 + "\n")
        (self.root / "htdocs" / "index.html").write_text(page)
        (self.root / "htdocs" / "notice.html").write_text(page)
        self.port = free_port()
        self.proc: subprocess.Popen | None = None
        self.conf = self.root / "conf" / "httpd.conf"
        self.conf.write_text(self._config(pki, module, threads, extra_conf, sites))
        self.access = AccessLog(self.root / "logs" / "access.log")
        # Children run as www-data when we are root: the tree must be readable to them.
        for path in [self.root, *self.root.rglob("*")]:
            os.chmod(path, 0o755 if path.is_dir() else 0o644)

    def _config(self, pki: Pki, module: str, threads: int, extra_conf: str,
                sites: tuple[Site, ...]) -> str:
        vhosts = []
        for name in (DEFAULT_VHOST, SNI_VHOST):
            cert, key = pki.leaf(name)
            vhosts.append(render("vhost.conf", port=self.port, name=name, root=self.root,
                                 cert=cert, key=key, vhost_extra=self.flavour.vhost_extra))
        # Thousands of sites: the template is read once (checked above) and filled per site.
        template = fill((HERE / "vhost.conf").read_text(), port=self.port, root=self.root)
        for site in sites:
            aliases = "".join(f"    ServerAlias {alias}\n" for alias in site.aliases)
            vhosts.append(fill(template, name=site.name, cert=site.cert, key=site.key,
                               vhost_extra=aliases + self.flavour.vhost_extra))
        user = "User www-data\nGroup www-data\n" if os.geteuid() == 0 else ""
        load = f"LoadModule snifallback_module {module}\n" if self.flavour.load_module else ""
        return render("httpd.conf", root=self.root, modules=apache.MODULES_DIR, port=self.port,
                      user=user, load_module=load, threads=threads,
                      sessions=SESSIONS[self.sessions].format(root=self.root),
                      global_extra=self.flavour.global_extra + extra_conf,
                      vhosts="".join(vhosts))

    def config_test(self) -> None:
        r = apache.config_test(self.conf)
        if r.returncode != 0:
            raise RuntimeError(f"apache2 -t failed for {self.name}:\n{r.stdout}{r.stderr}")

    def start(self, prefix: list[str] | None = None, timeout: float = 20) -> None:
        """Pinned to the server CPU with -D FOREGROUND; with a `prefix` (valgrind) that prefix
        and -X (one process) instead."""
        self.config_test()
        cmd = prefix if prefix is not None else ["taskset", "-c", SERVER_CPU]
        cmd = [*cmd, apache.APACHE, "-f", str(self.conf)]
        cmd += ["-X"] if prefix is not None else ["-D", "FOREGROUND"]
        with open(self.root / "logs" / "stdout.log", "w") as out:
            self.proc = process.launch(cmd, lambda _: accepts(self.port), timeout,
                                       f"apache2 ({self.name})", stdout=out,
                                       diagnose=self.error_log, step=0.1)
        _started.append(self.proc)

    def child(self) -> int:
        """The one worker process (one child by configuration; -X: the process itself)."""
        kids = process.child_pids(self.proc.pid)
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
        process.stop(self.proc, grace=15)
        self.proc = None


class Haproxy:
    """HAProxy in TCP mode in front of an apache2 backend, logging SNI from the ClientHello."""

    def __init__(self, workdir: Path, backend: Apache):
        self.backend = backend
        self.root = workdir / f"haproxy-{backend.sessions}"
        self.root.mkdir()
        self.port = free_port()
        self.conf = self.root / "haproxy.cfg"
        self.conf.write_text(render("haproxy.cfg", port=self.port, backend_port=backend.port))
        self.log = self.root / "haproxy.log"
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        r = process.run([HAPROXY, "-c", "-q", "-f", str(self.conf)], check=False)
        if r.returncode != 0:
            raise RuntimeError(f"haproxy -c failed:\n{r.stdout}{r.stderr}")
        with open(self.log, "w") as out:
            self.proc = process.launch(["taskset", "-c", SERVER_CPU, HAPROXY, "-db", "-f",
                                        str(self.conf)], lambda _: accepts(self.port), 10,
                                       "haproxy", stdout=out, diagnose=self.log.read_text,
                                       step=0.1)
        _started.append(self.proc)

    def stop(self) -> None:
        process.stop(self.proc, grace=15)
        self.proc = None


def stop_all() -> None:
    """Stops every server started, the last first."""
    for proc in reversed(_started):
        process.stop(proc, grace=15)
