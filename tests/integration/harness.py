"""A real Debian apache2 instance with a generated configuration, and the clients that drive it.

Everything an instance needs lives under its own ServerRoot (a fresh temporary directory): config,
certificates' copies, document roots, logs, pid file and runtime files. Ports are free loopback
ports picked at start. The server runs in the foreground as our child and is stopped by pid.
"""
from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

APACHE = os.environ.get("SNIFALLBACK_APACHE", "/usr/sbin/apache2")
MODULES_DIR = Path(subprocess.run(["apxs", "-q", "LIBEXECDIR"], capture_output=True, text=True,
                                  check=True).stdout.strip() or "/usr/lib/apache2/modules")
VHOST_NAMES = ("default.test", "a.test", "b.test", "legacy.test")

# Error-log lines at these levels fail a test unless the test says it expects them.
BAD_LEVEL = re.compile(r"\[(?:[a-z_0-9]+:)?(warn|error|crit|alert|emerg)\]")
# Expected in every test: the generated configuration gives a.test, b.test and legacy.test
# certificates of their own, so mod_ssl answers their requests without SNI with 421, and the
# module says so at start-up.
ALWAYS_EXPECTED = [r"SNIF0036: on 127\.0\.0\.1:\d+, requests without SNI for"]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run(cmd, check=True, **kw) -> subprocess.CompletedProcess:
    kw.setdefault("capture_output", True)
    kw.setdefault("text", True)
    return subprocess.run(cmd, check=check, **kw)


class Pki:
    """A throwaway CA and one leaf certificate per name, made with the openssl command."""

    def __init__(self, directory: Path):
        self.dir = directory
        self.dir.mkdir(parents=True, exist_ok=True)
        self.ca_key = self.dir / "ca.key"
        self.ca_cert = self.dir / "ca.pem"
        run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
             "-subj", "/CN=mod_snifallback test CA", "-keyout", str(self.ca_key),
             "-out", str(self.ca_cert), "-addext", "basicConstraints=critical,CA:TRUE",
             "-addext", "keyUsage=critical,keyCertSign,cRLSign"])

    def leaf(self, name: str, sans: list[str] | None = None, key: str = "rsa") -> tuple[Path, Path]:
        """Certificate and key for `name` (SANs default to the name itself); cached per name/key."""
        sans = sans or [name]
        stem = f"{name}-{key}-{abs(hash(tuple(sans))) % 10**8}"
        cert, keyfile = self.dir / f"{stem}.pem", self.dir / f"{stem}.key"
        if cert.exists():
            return cert, keyfile
        newkey = ["-newkey", "rsa:2048"] if key == "rsa" else ["-newkey", "ec", "-pkeyopt",
                                                                "ec_paramgen_curve:P-256"]
        csr = self.dir / f"{stem}.csr"
        run(["openssl", "req", "-new", *newkey, "-nodes", "-subj", f"/CN={name}",
             "-keyout", str(keyfile), "-out", str(csr)])
        ext = self.dir / f"{stem}.ext"
        ext.write_text("basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\n"
                       "extendedKeyUsage=serverAuth,clientAuth\nsubjectAltName="
                       + ",".join(f"DNS:{n}" for n in sans) + "\n")
        run(["openssl", "x509", "-req", "-in", str(csr), "-CA", str(self.ca_cert),
             "-CAkey", str(self.ca_key), "-CAcreateserial", "-days", "2", "-sha256",
             "-extfile", str(ext), "-out", str(cert)])
        return cert, keyfile


@dataclass
class Response:
    status: int
    body: str
    headers: dict = field(default_factory=dict)
    http_version: str = ""


class Httpd:
    """One apache2 instance. `start(snippet)` writes the config and (re)starts the server."""

    def __init__(self, pki: Pki, module: str, mpm: str = "event"):
        self.pki = pki
        self.module = module
        self.mpm = mpm
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

    def config_text(self, snippet: str = "", vhost_extra: dict | None = None,
                    module_loaded: bool = True, mpm: str | None = None,
                    certs: dict | None = None, before_vhosts: str = "") -> str:
        """`certs` replaces a vhost's (certificate, key) pair; `vhost_extra` adds lines to a vhost."""
        mpm = mpm or self.mpm
        vhost_extra = vhost_extra or {}
        certs = certs or {}
        user = ""
        if os.geteuid() == 0:
            user = "User www-data\nGroup www-data\n"
        load = f"LoadModule snifallback_module {self.module}\n" if module_loaded else ""
        vhosts = []
        for name in VHOST_NAMES:
            cert, key = certs.get(name) or self.vhost_cert(name)
            vhosts.append(f"""
<VirtualHost 127.0.0.1:{self.https_port}>
    ServerName {name}
    DocumentRoot "{self.root}/htdocs/{name}"
    SSLEngine on
    SSLCertificateFile "{cert}"
    SSLCertificateKeyFile "{key}"
{vhost_extra.get(name, "")}
</VirtualHost>
""")
        mpm_tuning = {
            "event": "StartServers 2\nThreadsPerChild 8\nMaxRequestWorkers 32\nServerLimit 4\n"
                     "MinSpareThreads 8\nMaxSpareThreads 32\n",
            "worker": "StartServers 2\nThreadsPerChild 8\nMaxRequestWorkers 32\nServerLimit 4\n"
                      "MinSpareThreads 8\nMaxSpareThreads 32\n",
            "prefork": "StartServers 3\nMinSpareServers 3\nMaxSpareServers 6\nMaxRequestWorkers 16\n",
        }[mpm]
        # mod_http2 does not work under prefork (it says so with a warning): HTTP/1.1 only there.
        http2 = "" if mpm == "prefork" else f"LoadModule http2_module {MODULES_DIR}/mod_http2.so\n"
        protocols = "http/1.1" if mpm == "prefork" else "h2 http/1.1"
        return f"""# generated by tests/integration/harness.py
ServerRoot "{self.root}"
ServerName localhost
PidFile "{self.root}/run/httpd.pid"
DefaultRuntimeDir "{self.root}/run"
ErrorLog "{self.root}/logs/error.log"
LogLevel info ssl:warn {"http2:warn" if http2 else ""}
LoadModule mpm_{mpm}_module {MODULES_DIR}/mod_mpm_{mpm}.so
LoadModule authz_core_module {MODULES_DIR}/mod_authz_core.so
LoadModule mime_module {MODULES_DIR}/mod_mime.so
LoadModule dir_module {MODULES_DIR}/mod_dir.so
LoadModule socache_shmcb_module {MODULES_DIR}/mod_socache_shmcb.so
LoadModule ssl_module {MODULES_DIR}/mod_ssl.so
{http2}{load}{user}{mpm_tuning}
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
{"".join(vhosts)}
{snippet}
"""

    def write_config(self, **kw) -> Path:
        path = self.root / "conf" / "httpd.conf"
        path.write_text(self.config_text(**kw))
        return path

    def config_test(self, **kw) -> subprocess.CompletedProcess:
        """`apache2 -t` on a config built like start()'s; returns the finished process."""
        path = self.write_config(**kw)
        return run([APACHE, "-t", "-f", str(path)], check=False)

    # -- life cycle -----------------------------------------------------------------------
    def start(self, snippet: str = "", **kw) -> "Httpd":
        self.stop()
        path = self.write_config(snippet=snippet, **kw)
        self.running_mpm = kw.get("mpm") or self.mpm
        # Each start begins with empty logs, so a test sees only what its own server wrote.
        for old in (self.root / "logs").iterdir():
            old.unlink()
        self.mark_log()
        # A session of its own: prefork signals its whole process group when it stops, which
        # must not be the test runner's.
        self.proc = subprocess.Popen([*self.command_prefix, APACHE, "-f", str(path), "-D",
                                      "FOREGROUND"],
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                     start_new_session=True)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                out = self.proc.stdout.read() if self.proc.stdout else ""
                raise RuntimeError(f"apache2 exited at start ({self.proc.returncode}):\n{out}\n"
                                   + self.error_log())
            # The new parent wrote its pid (its configuration passed); ports answer.
            if self._pidfile_names(self.proc.pid) and self._accepts(self.https_port) \
                    and self._accepts(self.http_port):
                return self
            time.sleep(0.05)
        raise RuntimeError("apache2 did not start listening in 15 s:\n" + self.error_log())

    def _pidfile_names(self, pid: int) -> bool:
        try:
            return int((self.root / "run" / "httpd.pid").read_text().strip()) == pid
        except (OSError, ValueError):
            return False

    @staticmethod
    def _accepts(port: int) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return True
        except OSError:
            return False

    def graceful(self, timeout: float = 15) -> None:
        assert self.proc is not None
        generation_marker = "resuming normal operations"
        before = self.error_log().count(generation_marker)
        self.proc.send_signal(signal.SIGUSR1)
        deadline = time.monotonic() + timeout
        while self.error_log().count(generation_marker) <= before:
            if time.monotonic() > deadline:
                raise RuntimeError("graceful restart did not complete")
            time.sleep(0.05)

    def stop(self) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc.stdout:
            self.proc.stdout.close()
        self.proc = None
        # worker and prefork children may outlive their parent by a moment: the next start must
        # not mistake them for the new server.
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and (self._accepts(self.https_port)
                                               or self._accepts(self.http_port)):
            time.sleep(0.05)

    def cleanup(self) -> None:
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)

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
        bad = []
        for line in self.new_error_log().splitlines():
            if BAD_LEVEL.search(line) and not any(re.search(p, line)
                                                  for p in self.expected_log + ALWAYS_EXPECTED):
                bad.append(line)
        return bad

    def wait_for_log(self, name: str, predicate, timeout: float = 10.0) -> str:
        """Logs are written by other processes: wait until `predicate(text)` holds."""
        deadline = time.monotonic() + timeout
        while True:
            text = self.log(name)
            if predicate(text) or time.monotonic() > deadline:
                return text
            time.sleep(0.05)

    # -- clients ------------------------------------------------------------------------
    def url(self, host: str | None = None, path: str = "/") -> str:
        return f"https://{host or '127.0.0.1'}:{self.https_port}{path}"

    def curl(self, *paths: str, sni: str | None = None, http2: bool = False,
             headers: dict | None = None, extra: list | None = None) -> list[Response]:
        """curl over one connection for all `paths` (keep-alive / one h2 connection).

        Without `sni` the URL is the IP address, so curl sends no SNI; with `sni` curl resolves that
        name to 127.0.0.1 and sends it."""
        if http2 and self.running_mpm == "prefork":
            import pytest
            pytest.skip("mod_http2 does not run under the prefork MPM")
        cmd = ["curl", "-sS", "--cacert", str(self.pki.ca_cert), "--max-time", "20"]
        cmd += ["--http2"] if http2 else ["--http1.1"]
        if sni:
            cmd += ["--resolve", f"{sni}:{self.https_port}:127.0.0.1"]
        else:
            cmd += ["-k"]  # the default vhost's certificate names no IP address
        for k, v in (headers or {}).items():
            cmd += ["-H", f"{k}: {v}"]
        cmd += extra or []
        out_dir = Path(tempfile.mkdtemp(prefix="curl-", dir=self.root))
        for i, p in enumerate(paths):
            if i:
                cmd.append("--next")
                cmd += ["--cacert", str(self.pki.ca_cert)]
                cmd += ["--http2"] if http2 else ["--http1.1"]
                if sni:
                    cmd += ["--resolve", f"{sni}:{self.https_port}:127.0.0.1"]
                else:
                    cmd += ["-k"]
                for k, v in (headers or {}).items():
                    cmd += ["-H", f"{k}: {v}"]
            cmd += ["-o", str(out_dir / f"{i}.body"), "-D", str(out_dir / f"{i}.head"),
                    self.url(sni, p)]
        run(cmd)
        responses = []
        for i in range(len(paths)):
            head = (out_dir / f"{i}.head").read_text()
            body = (out_dir / f"{i}.body").read_text(errors="replace")
            status_line = [ln for ln in head.splitlines() if ln.startswith("HTTP/")][-1]
            version, status = status_line.split()[0], int(status_line.split()[1])
            hdrs = {}
            for ln in head.splitlines()[1:]:
                if ":" in ln:
                    k, v = ln.split(":", 1)
                    hdrs[k.strip().lower()] = v.strip()
            responses.append(Response(status, body, hdrs, version))
        shutil.rmtree(out_dir, ignore_errors=True)
        return responses

    def python_get(self, path: str = "/", server_hostname: str | None = None,
                   host_header: str | None = None) -> Response:
        """One HTTP/1.1 request with Python's ssl module; server_hostname None sends no SNI."""
        ctx = ssl.create_default_context(cafile=str(self.pki.ca_cert))
        if server_hostname is None:
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
        with socket.create_connection(("127.0.0.1", self.https_port), timeout=10) as raw:
            with ctx.wrap_socket(raw, server_hostname=server_hostname) as tls:
                host = host_header or server_hostname or "127.0.0.1"
                tls.sendall(f"GET {path} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: python-ssl-test"
                            f"\r\nConnection: close\r\n\r\n".encode())
                data = b""
                while chunk := tls.recv(65536):
                    data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        lines = head.decode(errors="replace").split("\r\n")
        hdrs = {ln.split(":", 1)[0].lower(): ln.split(":", 1)[1].strip()
                for ln in lines[1:] if ":" in ln}
        return Response(int(lines[0].split()[1]), body.decode(errors="replace"), hdrs, "HTTP/1.1")

    def s_client(self, request: bytes | None = None, servername: str | None = None,
                 args: list | None = None, timeout: float = 20) -> subprocess.CompletedProcess:
        """openssl s_client; without servername it runs with -noservername."""
        cmd = ["openssl", "s_client", "-connect", f"127.0.0.1:{self.https_port}",
               "-CAfile", str(self.pki.ca_cert), "-ign_eof"]
        cmd += ["-servername", servername] if servername else ["-noservername"]
        cmd += args or []
        return subprocess.run(cmd, input=request or b"", capture_output=True, timeout=timeout)
