"""Drives the integration scenarios against one apache2 started through a wrapper (sanitizer
runtime preloaded, or valgrind), for scripts/sanitize.sh.

    SNIFALLBACK_APACHE=wrapper /usr/bin/python3 drive.py --module M --work DIR [--hostile N]

The wrapper runs `apache2 -X` (one process, in the foreground). The scenarios: no-SNI and SNI
requests over HTTP/1.1 (keep-alive) and HTTP/2, a client that rejects the certificate (alert), a
client that closes mid-handshake, the notice / redirect / vhost / exempt actions, the status
handler (HTML, JSON), logfmt with `SNIFallbackFingerprint all`, and a short hostile-clients run.
Prints what each step got; exits non-zero when a well-formed request was not answered as expected
or the server died. The sanitizer and valgrind reports are read by sanitize.sh.
"""
from __future__ import annotations

import argparse
import json
import os
import socket
import ssl
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent / "tests" / "integration"))
sys.path.insert(0, str(HERE.parent))
from harness import Httpd, Pki  # noqa: E402
import hostile_clients as hc  # noqa: E402


class SlowHttpd(Httpd):
    """Httpd whose start waits as long as valgrind needs."""

    start_timeout = 120.0

    def start(self, snippet: str = "", **kw):
        self.stop()
        path = self.write_config(snippet=snippet, **kw)
        for old in (self.root / "logs").iterdir():
            old.unlink()
        self.mark_log()
        apache = os.environ["SNIFALLBACK_APACHE"]
        self.proc = subprocess.Popen([apache, "-f", str(path), "-D", "FOREGROUND"],
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                     start_new_session=True)
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"apache2 exited at start ({self.proc.returncode}):\n"
                                   f"{self.proc.stdout.read()}\n{self.error_log()}")
            if self._accepts(self.https_port) and self._accepts(self.http_port):
                return self
            time.sleep(0.2)
        raise RuntimeError("apache2 did not start listening:\n" + self.error_log())

    def stop(self) -> None:
        # valgrind needs time for its leak check at exit
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=180)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        super().stop()


failures: list[str] = []


def expect(label: str, got, want) -> None:
    ok = got == want
    print(f"  {'ok ' if ok else 'BAD'} {label}: {got!r}" + ("" if ok else f" (want {want!r})"))
    if not ok:
        failures.append(label)


def closed_mid_handshake(port: int) -> None:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname, ctx.verify_mode = False, ssl.CERT_NONE
    out = ssl.MemoryBIO()
    obj = ctx.wrap_bio(ssl.MemoryBIO(), out, server_hostname=None)
    try:
        obj.do_handshake()
    except ssl.SSLWantReadError:
        pass
    with socket.create_connection(("127.0.0.1", port), timeout=60) as s:
        s.sendall(out.read())
        s.recv(1)


def scenarios(httpd: SlowHttpd, hostile: int, valgrind: bool) -> None:
    status_loc = ('<Location "/snifallback-status">\n    SetHandler snifallback-status\n'
                  '</Location>\n')
    snippet = ("SNIFallbackLog logs/nosni.json\nSNIFallbackCertificate legacy.test\n"
               "Timeout 120\n" + status_loc)
    extra = {
        "a.test": 'SNIFallbackAction notice\n    SNIFallbackExempt "%{REQUEST_URI} =~ m#^/health#"',
        "b.test": 'SNIFallbackAction redirect "https://legacy.test%{REQUEST_URI}" 301',
        "default.test": "SNIFallbackAction vhost legacy.test",
    }
    print("start 1: JSON log, fallback certificate, actions, status handler")
    httpd.start(snippet, vhost_extra=extra)
    maps = Path(f"/proc/{httpd.proc.pid}/maps").read_text()
    print("  mapped in the server process: " + ", ".join(
        name for name in ("libasan", "libubsan", "vgpreload_memcheck", "mod_snifallback")
        if name in maps))
    expect("no-SNI HTTP/1.1 keep-alive, vhost action",
           [r.status for r in httpd.curl("/", "/x", headers={"Host": "default.test"})], [200, 404])
    expect("no-SNI HTTP/2", [(r.status, r.http_version) for r in
                             httpd.curl("/", "/", http2=True, headers={"Host": "default.test"})],
           [(200, "HTTP/2")] * 2)
    expect("no-SNI IP literal (exempt)", httpd.curl("/")[0].status, 200)
    expect("no-SNI notice", httpd.curl("/", headers={"Host": "a.test"})[0].status, 403)
    # exempt: mod_ssl's own check applies, and a.test's TLS settings differ from default.test's
    expect("no-SNI notice, exempt expression (mod_ssl's 421)",
           httpd.curl("/health", headers={"Host": "a.test"})[0].status, 421)
    r = httpd.curl("/p?q=1", headers={"Host": "b.test"})[0]
    expect("no-SNI redirect", (r.status, r.headers.get("location")), (301, "https://legacy.test/p"))
    r = httpd.curl("/", headers={"Host": "b.test"}, http2=True)[0]
    expect("no-SNI redirect over HTTP/2", r.status, 301)
    for name in ("default.test", "a.test", "b.test"):
        expect(f"SNI {name} HTTP/1.1", httpd.curl("/", sni=name)[0].status, 200)
        expect(f"SNI {name} HTTP/2", httpd.curl("/", sni=name, http2=True)[0].status, 200)
    done = httpd.s_client(args=["-verify_hostname", "a.test", "-verify_return_error"], timeout=120)
    expect("client rejects the certificate", done.returncode != 0, True)
    closed_mid_handshake(httpd.https_port)
    expect("closed mid-handshake, then a request", httpd.curl("/")[0].status, 200)
    r = httpd.curl("/snifallback-status?json", sni="default.test")[0]
    expect("status JSON", (r.status, "connections" in json.loads(r.body)), (200, True))
    r = httpd.curl("/snifallback-status", sni="default.test")[0]
    expect("status HTML", r.status, 200)
    t = hc.Target("127.0.0.1", httpd.https_port, "a.test", str(httpd.pki.ca_cert), timeout=120)
    if hostile:
        print(f"hostile clients: {hostile} cases")
        fig = hc.run(t, count=hostile, seconds=600, seed=5, every=10,
                     concurrency=2 if valgrind else 4)
        print("  " + fig.summary().replace("\n", "\n  "))
        if fig.failures:
            # under the default vhost action the good no-SNI requests are routed (200) too
            failures.extend(fig.failures[:10])
    time.sleep(1)
    bad = [ln for ln in httpd.log("nosni.json").splitlines() if not _valid(ln)]
    expect("no-SNI log lines that are not JSON", len(bad), 0)
    print(f"  no-SNI log: {httpd.log('nosni.json').count(chr(10))} records")

    print("start 2: logfmt, SNIFallbackFingerprint all")
    httpd.start("SNIFallbackLog logs/nosni.logfmt\nSNIFallbackLogFormat logfmt\n"
                "SNIFallbackFingerprint all\nHttpProtocolOptions Unsafe\nTimeout 120\n")
    expect("no-SNI HTTP/1.1, odd User-Agent",
           httpd.curl("/", extra=["-A", 'x"y\\z \x01 é']).pop().status, 200)
    expect("SNI HTTP/2 fingerprinted", httpd.curl("/", sni="a.test", http2=True)[0].status, 200)
    expect("logfmt records", httpd.wait_for_log("nosni.logfmt", lambda s: s.count("\n") >= 2,
                                                timeout=30).count("\n"), 2)
    httpd.stop()
    if CRASHED(httpd):
        failures.append("crash lines in the error log")


def _valid(line: str) -> bool:
    try:
        json.loads(line)
        return True
    except ValueError:
        return False


def CRASHED(httpd) -> bool:  # noqa: N802
    return any(hc.CRASH.search(ln) for ln in httpd.error_log().splitlines())


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--module", required=True)
    ap.add_argument("--work", required=True, help="where the server root copy of logs goes")
    ap.add_argument("--hostile", type=int, default=300)
    ap.add_argument("--valgrind", action="store_true")
    args = ap.parse_args()
    pki = Pki(Path(tempfile.mkdtemp(prefix="snif-sanitize-pki-")))
    os.chmod(pki.dir, 0o755)
    for name in ("default.test", "a.test", "b.test", "legacy.test"):
        pki.leaf(name)
    httpd = SlowHttpd(pki, str(Path(args.module).resolve()), mpm="event")
    try:
        scenarios(httpd, args.hostile, args.valgrind)
    except Exception as e:  # noqa: BLE001
        failures.append(f"scenario aborted: {type(e).__name__}: {e}")
        print("ABORTED:", e)
    finally:
        httpd.stop()
        work = Path(args.work)
        work.mkdir(parents=True, exist_ok=True)
        (work / "error.log").write_text(httpd.error_log())
        httpd.cleanup()
    print(f"scenario failures: {len(failures)}")
    for f in failures:
        print("  ", f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
