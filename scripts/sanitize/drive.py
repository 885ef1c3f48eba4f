"""Drives the integration scenarios against one apache2 started through a wrapper (sanitizer
runtime preloaded, or valgrind), for scripts/sanitize.sh.

    SNIFALLBACK_APACHE=wrapper PYTHONPATH=tests /usr/bin/python3 drive.py --module M --work DIR \
        [--hostile N] [--valgrind]

The wrapper runs `apache2 -X` (one process, in the foreground). The scenarios: no-SNI and SNI
requests over HTTP/1.1 (keep-alive) and HTTP/2, a client that rejects the certificate (alert), a
client that closes mid-handshake, the notice / redirect / vhost / exempt actions, the status
handler (HTML, JSON, metrics), logfmt with `SNIFallbackFingerprint all`, a short hostile-clients
run, and every client class with a TLS 1.0 profile, report mode and a path that needs normalising.
Prints what each step got; exits non-zero when a well-formed request was not answered as expected
or the server died. The sanitizer and valgrind reports are read by sanitize.sh, which also sets
PYTHONPATH for the harness package (tests/snifharness).
"""
from __future__ import annotations

import argparse
import json
import socket
import sys
import tempfile
import time
from pathlib import Path

from snifharness import hostile
from snifharness.httpd import VHOST_NAMES, Httpd
from snifharness.pki import Pki
from snifharness.records import crash_lines, json_records
from snifharness.sslv2 import java6_client_hello
from snifharness.tls_bio import abandon_handshake

failures: list[str] = []

STATUS_LOCATION = ('<Location "/snifallback-status">\n    SetHandler snifallback-status\n'
                   '</Location>\n')
ACTIONS = {
    "a.test": 'SNIFallbackAction notice\n    SNIFallbackExempt "%{REQUEST_URI} =~ m#^/health#"',
    "b.test": 'SNIFallbackAction redirect "https://legacy.test%{REQUEST_URI}" 301',
    "default.test": "SNIFallbackAction vhost legacy.test",
}


def expect(label: str, got, want) -> None:
    ok = got == want
    print(f"  {'ok ' if ok else 'BAD'} {label}: {got!r}" + ("" if ok else f" (want {want!r})"))
    if not ok:
        failures.append(label)


def actions(httpd: Httpd) -> None:
    """No-SNI requests under each action, over HTTP/1.1 and HTTP/2."""
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


def handshakes_and_status(httpd: Httpd) -> None:
    """SNI clients, a client that rejects the certificate, one that closes mid-handshake, and
    the status handler."""
    for name in ("default.test", "a.test", "b.test"):
        expect(f"SNI {name} HTTP/1.1", httpd.curl("/", sni=name)[0].status, 200)
        expect(f"SNI {name} HTTP/2", httpd.curl("/", sni=name, http2=True)[0].status, 200)
    done = httpd.s_client(args=["-verify_hostname", "a.test", "-verify_return_error"], timeout=120)
    expect("client rejects the certificate", done.returncode != 0, True)
    abandon_handshake(httpd.https_port, timeout=60)
    expect("closed mid-handshake, then a request", httpd.curl("/")[0].status, 200)
    r = httpd.curl("/snifallback-status?json", sni="default.test")[0]
    expect("status JSON", (r.status, "connections" in json.loads(r.body)), (200, True))
    r = httpd.curl("/snifallback-status", sni="default.test")[0]
    expect("status HTML", r.status, 200)


def hostile_clients(httpd: Httpd, count: int, valgrind: bool) -> None:
    t = hostile.Target("127.0.0.1", httpd.https_port, "a.test", str(httpd.pki.ca_cert),
                       timeout=120)
    print(f"hostile clients: {count} cases")
    fig = hostile.run(t, count=count, seconds=600, seed=5, every=10,
                      concurrency=2 if valgrind else 4)
    print("  " + fig.summary().replace("\n", "\n  "))
    # under the default vhost action the good no-SNI requests are routed (200) too
    failures.extend(fig.failures[:10])


def first_start(httpd: Httpd, count: int, valgrind: bool) -> None:
    print("start 1: JSON log, fallback certificate, actions, status handler")
    httpd.start("SNIFallbackLog logs/nosni.json\nSNIFallbackCertificate legacy.test\n"
                "Timeout 120\n" + STATUS_LOCATION, vhost_extra=ACTIONS)
    maps = Path(f"/proc/{httpd.proc.pid}/maps").read_text()
    print("  mapped in the server process: " + ", ".join(
        name for name in ("libasan", "libubsan", "vgpreload_memcheck", "mod_snifallback")
        if name in maps))
    actions(httpd)
    handshakes_and_status(httpd)
    if count:
        hostile_clients(httpd, count, valgrind)
    time.sleep(1)
    _, invalid = json_records(httpd.log("nosni.json"))
    expect("no-SNI log lines that are not JSON", len(invalid), 0)
    print(f"  no-SNI log: {httpd.log('nosni.json').count(chr(10))} records")


def second_start(httpd: Httpd) -> None:
    print("start 2: logfmt, SNIFallbackFingerprint all")
    httpd.start("SNIFallbackLog logs/nosni.logfmt\nSNIFallbackLogFormat logfmt\n"
                "SNIFallbackFingerprint all\nHttpProtocolOptions Unsafe\nTimeout 120\n")
    expect("no-SNI HTTP/1.1, odd User-Agent",
           httpd.curl("/", extra=["-A", 'x"y\\z \x01 é']).pop().status, 200)
    expect("SNI HTTP/2 fingerprinted", httpd.curl("/", sni="a.test", http2=True)[0].status, 200)
    expect("logfmt records", httpd.wait_for_log("nosni.logfmt", lambda s: s.count("\n") >= 2,
                                                timeout=30).count("\n"), 2)
    httpd.stop()
    if crash_lines(httpd.error_log()):
        failures.append("crash lines in the error log")


def third_start(httpd: Httpd) -> None:
    print("start 3: every client class, a TLS 1.0 profile, report mode, ?metrics")
    old = ["-tls1", "-cipher", "DEFAULT:@SECLEVEL=0"]
    httpd.start("SNIFallbackLog logs/nosni.json\nSNIFallbackClients no-sni ip-literal unknown-name\n"
                'SNIFallbackProtocol all\nSNIFallbackCipherSuite "DEFAULT:@SECLEVEL=0"\n'
                "Timeout 120\n" + STATUS_LOCATION,
                vhost_extra={**ACTIONS, "b.test": ACTIONS["b.test"] + "\n    SNIFallbackMode report"})
    get = "GET {} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n"
    done = httpd.s_client(get.format("/", "a.test").encode(), args=old, timeout=120)
    expect("TLS 1.0 without SNI, notice", b"HTTP/1.1 403" in done.stdout, True)
    done = httpd.s_client(get.format("/health/../x", "a.test").encode(), timeout=120)
    expect("exemption on the served path", b"HTTP/1.1 403" in done.stdout, True)
    done = httpd.s_client(get.format("/", "default.test").encode(), servername="127.0.0.1",
                          timeout=120)
    expect("IP-literal SNI, routed", b"site legacy.test" in done.stdout, True)
    done = httpd.s_client(get.format("/", "b.test").encode(), servername="nosuch.test",
                          timeout=120)
    expect("unknown name, redirect reported (mod_ssl's 421)", b"HTTP/1.1 421" in done.stdout, True)
    # the per-request floor: TLS 1.0 let in by the profile, below the vhosts' own settings
    done = httpd.s_client(get.format("/", "b.test").encode(), args=old, timeout=120)
    expect("TLS 1.0 below b.test's floor, its redirect (report mode)",
           b"HTTP/1.1 301" in done.stdout, True)
    done = httpd.s_client(get.format("/", "default.test").encode(), args=old, timeout=120)
    expect("TLS 1.0 route below legacy.test's floor", b"HTTP/1.1 421" in done.stdout, True)
    # fallback sessions do not resume by name
    session = Path(httpd.root) / "fallback-session.pem"
    httpd.s_client(get.format("/", "default.test").encode(), timeout=120,
                   args=["-tls1_2", "-sess_out", str(session)])
    done = httpd.s_client(get.format("/", "default.test").encode(), servername="default.test",
                          timeout=120, args=["-tls1_2", "-sess_in", str(session)])
    expect("no-SNI session offered by name, not resumed", b"Reused," in done.stdout, False)
    # an SSLv2-format hello (Java 6)
    with socket.create_connection(("127.0.0.1", httpd.https_port), timeout=60) as sock:
        sock.sendall(java6_client_hello())
        expect("SSLv2-format hello, ServerHello", sock.recv(6)[:1], b"\x16")
    r = httpd.curl("/snifallback-status?metrics", sni="default.test")[0]
    expect("status ?metrics", (r.status, "snifallback_tls_connections_total" in r.body), (200, True))
    httpd.stop()
    if crash_lines(httpd.error_log()):
        failures.append("crash lines in the error log")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--module", required=True)
    ap.add_argument("--work", required=True, help="where the server root copy of logs goes")
    ap.add_argument("--hostile", type=int, default=300)
    ap.add_argument("--valgrind", action="store_true")
    args = ap.parse_args()
    pki = Pki(Path(tempfile.mkdtemp(prefix="snif-sanitize-pki-")))
    for name in VHOST_NAMES:
        pki.leaf(name)
    # apache2 under valgrind starts, and stops (its leak check), slowly.
    httpd = Httpd(pki, str(Path(args.module).resolve()), mpm="event", start_timeout=120,
                  stop_timeout=180)
    httpd.one_process = True  # the wrapper runs apache2 -X
    try:
        first_start(httpd, args.hostile, args.valgrind)
        second_start(httpd)
        third_start(httpd)
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
