"""One real Debian apache2 instance with a generated configuration: the integration tests'
fixture, also used by the demo, soak, hostile-client and sanitizer runs.

Everything an instance needs lives under its own ServerRoot (a fresh temporary directory): config,
document roots, logs, pid file and runtime files. Ports are free loopback ports picked at
creation. The server runs in the foreground as our child and is stopped by pid.
"""
from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

from snifharness import apache, clients, process
from snifharness.pki import Pki
from snifharness.ports import accepts, free_port
from snifharness.records import level_lines

VHOST_NAMES = ("default.test", "a.test", "b.test", "legacy.test")

# Expected after every start: the generated configuration gives a.test, b.test and legacy.test
# certificates of their own, so mod_ssl answers their requests without SNI with 421, and the
# module says so at start-up (SNIF0036).
ALWAYS_EXPECTED = [r"SNIF0036: on 127\.0\.0\.1:\d+, requests without SNI for"]

MPM_TUNING = {
    "event": "StartServers 2\nThreadsPerChild 8\nMaxRequestWorkers 32\nServerLimit 4\n"
             "MinSpareThreads 8\nMaxSpareThreads 32\n",
    "worker": "StartServers 2\nThreadsPerChild 8\nMaxRequestWorkers 32\nServerLimit 4\n"
              "MinSpareThreads 8\nMaxSpareThreads 32\n",
    "prefork": "StartServers 3\nMinSpareServers 3\nMaxSpareServers 6\nMaxRequestWorkers 16\n",
}


def vhost_block(port: int, name: str, docroot: Path, cert: Path, key: Path, extra: str) -> str:
    return f"""
<VirtualHost 127.0.0.1:{port}>
    ServerName {name}
    DocumentRoot "{docroot}"
    SSLEngine on
    SSLCertificateFile "{cert}"
    SSLCertificateKeyFile "{key}"
{extra}
</VirtualHost>
"""


def module_lines(mpm: str, module: str | None) -> str:
    """LoadModule lines: the MPM, what every instance needs, mod_http2 (not under prefork, where
    it does not run and says so with a warning) and mod_snifallback when `module` is given."""
    d = apache.MODULES_DIR
    names = ["authz_core", "mime", "dir", "socache_shmcb", "ssl"]
    lines = [f"LoadModule mpm_{mpm}_module {d}/mod_mpm_{mpm}.so"]
    lines += [f"LoadModule {n}_module {d}/mod_{n}.so" for n in names]
    if mpm != "prefork":
        lines.append(f"LoadModule http2_module {d}/mod_http2.so")
    if module:
        lines.append(f"LoadModule snifallback_module {module}")
    return "\n".join(lines) + "\n"


class Httpd:
    """One apache2 instance. `start(snippet)` writes the config and (re)starts the server.

    `start_timeout` and `stop_timeout` are generous enough for the tests; a server under
    valgrind wants more."""

    def __init__(self, pki: Pki, module: str, mpm: str = "event", start_timeout: float = 60,
                 stop_timeout: float = 60):
        self.pki = pki
        self.module = module
        self.mpm = mpm
        self.start_timeout, self.stop_timeout = start_timeout, stop_timeout
        # True when the command runs `apache2 -X` (scripts/sanitize.sh's wrappers): it serves in
        # the one process and forks no children to wait for.
        self.one_process = False
        self.root = Path(tempfile.mkdtemp(prefix="snif-httpd-"))
        # Child processes run as www-data when we are root: the tree must be readable to them.
        os.chmod(self.root, 0o755)
        for sub in ("conf", "logs", "run", "htdocs"):
            (self.root / sub).mkdir()
        self.https_port = free_port()
        self.http_port = free_port()
        self.proc: subprocess.Popen | None = None
        self.running_mpm = mpm
        self.log_offset = 0
        self.expected_log = []  # regexes of bad-level lines a test expects
        # Words run before apache2 (each exec'ing the next, so the pid stays apache2's), e.g.
        # `unshare --mount ...` to start it in a mount namespace of its own.
        self.command_prefix: list[str] = []
        for name in VHOST_NAMES:
            docroot = self.root / "htdocs" / name
            docroot.mkdir()
            (docroot / "index.html").write_text(f"site {name}\n")

    # -- configuration --------------------------------------------------------------------
    def vhost_cert(self, name: str) -> tuple[Path, Path]:
        return self.pki.leaf(name)

    def _vhosts(self, vhost_extra: dict, certs: dict) -> str:
        blocks = []
        for name in VHOST_NAMES:
            cert, key = certs.get(name) or self.vhost_cert(name)
            blocks.append(vhost_block(self.https_port, name, self.root / "htdocs" / name, cert,
                                      key, vhost_extra.get(name, "")))
        return "".join(blocks)

    def config_text(self, snippet: str = "", vhost_extra: dict | None = None,
                    module_loaded: bool = True, mpm: str | None = None,
                    certs: dict | None = None, before_vhosts: str = "",
                    standard_vhosts: bool = True) -> str:
        """`certs` replaces a vhost's (certificate, key) pair; `vhost_extra` adds lines to a vhost;
        without `standard_vhosts` the snippet brings its own <VirtualHost>s."""
        mpm = mpm or self.mpm
        user = "User www-data\nGroup www-data\n" if os.geteuid() == 0 else ""
        modules = module_lines(mpm, self.module if module_loaded else None)
        protocols = "http/1.1" if mpm == "prefork" else "h2 http/1.1"
        return f"""# generated by tests/snifharness/httpd.py
ServerRoot "{self.root}"
ServerName localhost
PidFile "{self.root}/run/httpd.pid"
DefaultRuntimeDir "{self.root}/run"
ErrorLog "{self.root}/logs/error.log"
LogLevel info ssl:warn {"" if mpm == "prefork" else "http2:warn"}
{modules}{user}{MPM_TUNING[mpm]}
TypesConfig /etc/mime.types
DirectoryIndex index.html
Listen 127.0.0.1:{self.https_port} https
Listen 127.0.0.1:{self.http_port} http
Protocols {protocols}
SSLSessionCache "shmcb:{self.root}/run/ssl_scache(512000)"
LogFormat "%h %{{Host}}i \\"%r\\" %>s sni=%{{SSL_TLS_SNI}}x missing=%{{SNI_MISSING}}e ja4=%{{SNIFALLBACK_JA4}}e" vhostlog
CustomLog "{self.root}/logs/access.log" vhostlog
DocumentRoot "{self.root}/htdocs/default.test"
<Directory />
    Require all granted
</Directory>
{before_vhosts}
{self._vhosts(vhost_extra or {}, certs or {}) if standard_vhosts else ""}
{snippet}
"""

    def write_config(self, **kw) -> Path:
        path = self.root / "conf" / "httpd.conf"
        path.write_text(self.config_text(**kw))
        return path

    def config_test(self, **kw) -> subprocess.CompletedProcess:
        """`apache2 -t` on a config built like start()'s; returns the finished process."""
        return apache.config_test(self.write_config(**kw))

    # -- life cycle -----------------------------------------------------------------------
    def start(self, snippet: str = "", **kw) -> "Httpd":
        self.stop()
        path = self.write_config(snippet=snippet, **kw)
        self.running_mpm = kw.get("mpm") or self.mpm
        # Each start begins with empty logs, so a test sees only what its own server wrote.
        for old in (self.root / "logs").iterdir():
            old.unlink()
        self.mark_log()
        cmd = [*self.command_prefix, apache.APACHE, "-f", str(path), "-D", "FOREGROUND"]
        self.proc = process.launch(cmd, self._ready, self.start_timeout, "apache2",
                                   diagnose=self.error_log)
        return self

    def _ready(self, proc: subprocess.Popen) -> bool:
        """The new parent wrote its pid (its configuration passed), has forked its children and
        both ports answer. The children matter: the MPM writes the pid file before it installs
        its signal handlers, and a SIGTERM in between (a test that starts and at once stops, on
        a busy machine) kills the parent outright, leaving its pid file and children behind."""
        return (self._pidfile_names(proc.pid)
                and (self.one_process or bool(process.child_pids(proc.pid)))
                and accepts(self.https_port) and accepts(self.http_port))

    def _pidfile_names(self, pid: int) -> bool:
        try:
            return int((self.root / "run" / "httpd.pid").read_text().strip()) == pid
        except (OSError, ValueError):
            return False

    def graceful(self, timeout: float = 60) -> None:
        assert self.proc is not None
        generation_marker = "resuming normal operations"
        before = self.error_log().count(generation_marker)
        self.proc.send_signal(signal.SIGUSR1)
        if not process.wait_until(lambda: self.error_log().count(generation_marker) > before,
                                  timeout):
            raise RuntimeError("graceful restart did not complete")

    def stop(self) -> None:
        if self.proc is None:
            return
        proc, self.proc = self.proc, None
        if process.stop(proc, grace=self.stop_timeout):
            # Said where CTest shows it: a server that needs SIGKILL is worth a look. A killed
            # parent leaves its pid file, and the next start in this ServerRoot would warn
            # (AH00098 "Unclean shutdown") in a test that allows no unexpected log line.
            print(f"snifharness: apache2 {proc.pid} had not stopped {self.stop_timeout:g} s "
                  "after SIGTERM and was killed", file=sys.stderr)
            (self.root / "run" / "httpd.pid").unlink(missing_ok=True)
        elif proc.returncode not in (0, None):
            print(f"snifharness: apache2 {proc.pid} exited with {proc.returncode} when stopped",
                  file=sys.stderr)
        # worker and prefork children may outlive their parent by a moment: the next start must
        # not mistake them for the new server.
        process.wait_until(lambda: not accepts(self.https_port) and not accepts(self.http_port))

    def cleanup(self) -> None:
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)

    def pids(self) -> list[int]:
        """The parent and its child processes (empty when not running)."""
        if self.proc is None or self.proc.poll() is not None:
            return []
        return [self.proc.pid, *process.child_pids(self.proc.pid)]

    # -- logs ---------------------------------------------------------------------------
    def log(self, name: str) -> str:
        path = self.root / "logs" / name
        return path.read_text(errors="replace") if path.exists() else ""

    def error_log(self) -> str:
        return self.log("error.log")

    def new_error_log(self) -> str:
        """Error-log text written since the last start()."""
        return self.error_log()[self.log_offset:]

    def mark_log(self) -> None:
        """Later checks look only at error-log lines written after this point."""
        err = self.root / "logs" / "error.log"
        self.log_offset = err.stat().st_size if err.exists() else 0

    def unexpected_log_lines(self) -> list[str]:
        """Lines at warn level or worse since mark_log() that no regex of expected_log matches."""
        return [line for line in level_lines(self.new_error_log())
                if not any(re.search(p, line) for p in self.expected_log + ALWAYS_EXPECTED)]

    def wait_for_log(self, name: str, predicate, timeout: float = 60.0) -> str:
        """Logs are written by other processes: wait until `predicate(text)` holds."""
        process.wait_until(lambda: predicate(self.log(name)), timeout)
        return self.log(name)

    # -- clients ------------------------------------------------------------------------
    def url(self, host: str | None = None, path: str = "/") -> str:
        return f"https://{host or '127.0.0.1'}:{self.https_port}{path}"

    def curl(self, *paths: str, sni: str | None = None, http2: bool = False,
             headers: dict | None = None, extra: list | None = None) -> list[clients.Response]:
        """curl over one connection for all `paths` (see clients.curl); HTTP/2 skips the test
        under the prefork MPM, where mod_http2 does not run."""
        if http2 and self.running_mpm == "prefork":
            import pytest
            pytest.skip("mod_http2 does not run under the prefork MPM")
        return clients.curl(self.https_port, str(self.pki.ca_cert), *paths, sni=sni, http2=http2,
                            headers=headers, extra=extra, workdir=self.root)

    def python_get(self, path: str = "/", server_hostname: str | None = None,
                   host_header: str | None = None) -> clients.Response:
        """One HTTP/1.1 request with Python's ssl; server_hostname None sends no SNI."""
        data = clients.https_get(self.https_port, path, sni=server_hostname, host=host_header,
                                 user_agent="python-ssl-test", cafile=str(self.pki.ca_cert),
                                 default_context=True)
        return clients.parse_response(data)

    def s_client(self, request: bytes | None = None, servername: str | None = None,
                 args: list | None = None, timeout: float = 20) -> subprocess.CompletedProcess:
        """openssl s_client; without servername it runs with -noservername."""
        return clients.s_client(self.https_port, str(self.pki.ca_cert), request, servername,
                                args, timeout)
