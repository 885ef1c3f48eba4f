"""The no-SNI log: one handshake record per no-SNI connection, one request record per request."""
import json
import os
import re
import socket
import ssl
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from snifharness.clients import https_get, status_of
from snifharness.tls_bio import abandon_handshake

LOG = "SNIFallbackLog logs/nosni.json\n"


def records(httpd, name="nosni.json", count=0, timeout=10.0):
    text = httpd.wait_for_log(name, lambda t: t.count("\n") >= count, timeout=timeout)
    out = []
    for line in text.splitlines():
        out.append(json.loads(line))  # every line must be one valid JSON object
    return out


def by_event(recs, event):
    return [r for r in recs if r["event"] == event]


def one_request(httpd, sni=None, path="/", user_agent="log-test"):
    """One request with Python's ssl; with SNI the certificate is checked."""
    return status_of(https_get(httpd.https_port, path, sni=sni, user_agent=user_agent,
                               cafile=str(httpd.pki.ca_cert), default_context=True))


def test_handshake_and_request_records_for_a_no_sni_client(httpd):
    httpd.start(LOG)
    assert httpd.curl("/", extra=["-A", "curl-nosni"])[0].status == 200
    assert httpd.curl("/", sni="a.test")[0].status == 200
    recs = records(httpd, count=2)
    hs, rq = by_event(recs, "handshake"), by_event(recs, "request")
    assert len(hs) == 1 and len(rq) == 1, recs
    h = hs[0]
    assert h["outcome"] == "established"
    assert h["client_ip"] == "127.0.0.1" and isinstance(h["client_port"], int)
    assert h["local_port"] == httpd.https_port
    assert h["vhost"] == "default.test" and h["cert_vhost"] == "default.test"
    assert h["sni"] is None
    assert h["tls_offered_max"] == "TLSv1.3" and h["tls_version"] == "TLSv1.3"
    assert h["cipher"].startswith("TLS_")
    assert "http/1.1" in h["alpn"]
    assert re.fullmatch(r"[0-9a-f]{32}", h["ja3_hash"])
    assert re.fullmatch(r"t13i\d{4}[0-9a-z]{2}_[0-9a-f]{12}_[0-9a-f]{12}", h["ja4"])
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", h["time"])
    r = rq[0]
    assert (r["method"], r["uri"], r["protocol"], r["user_agent"], r["status"]) == (
        "GET", "/", "HTTP/1.1", "curl-nosni", 200)
    assert r["host"] == "127.0.0.1"  # the host httpd used, without the Host header's port
    assert r["action"] == "none" and r["ja4"] == h["ja4"] and r["client_port"] == h["client_port"]


def test_keepalive_and_http2_give_one_handshake_and_a_record_per_request(httpd):
    httpd.start(LOG)
    httpd.curl("/a", "/b", "/c")
    httpd.curl("/", "/d", http2=True)
    recs = records(httpd, count=7)
    assert len(by_event(recs, "handshake")) == 2
    reqs = by_event(recs, "request")
    assert [(r["uri"], r["protocol"]) for r in reqs] == [
        ("/a", "HTTP/1.1"), ("/b", "HTTP/1.1"), ("/c", "HTTP/1.1"), ("/", "HTTP/2.0"),
        ("/d", "HTTP/2.0")]
    assert [r["status"] for r in reqs] == [404, 404, 404, 200, 404]


def test_client_that_rejects_the_certificate_logs_an_alert_and_no_request(httpd):
    httpd.start(LOG)
    done = httpd.s_client(args=["-verify_hostname", "a.test", "-verify_return_error"])
    assert done.returncode != 0
    recs = records(httpd, count=1)
    assert len(recs) == 1, recs
    assert recs[0]["event"] == "handshake"
    assert recs[0]["outcome"].startswith("alert:"), recs[0]
    assert recs[0]["outcome"] in ("alert:bad_certificate", "alert:unknown_ca",
                                  "alert:certificate_unknown")


def test_client_that_closes_mid_handshake_logs_closed(httpd):
    httpd.start(LOG)
    # A real no-SNI ClientHello from Python's ssl; once the server's first flight has started (it
    # has read the hello), the socket is closed before the handshake ends.
    abandon_handshake(httpd.https_port)
    recs = records(httpd, count=1)
    assert [(r["event"], r["outcome"]) for r in recs] == [("handshake", "closed")]


def test_sni_clients_are_not_logged(httpd):
    httpd.start(LOG)
    for name in ("default.test", "a.test", "b.test"):
        httpd.curl("/", sni=name)
        httpd.curl("/", sni=name, http2=True)
    httpd.curl("/marker")
    recs = records(httpd, count=2)
    assert {r.get("uri") for r in by_event(recs, "request")} == {"/marker"}
    assert len(by_event(recs, "handshake")) == 1


@pytest.mark.parametrize("mpm", ["event", "worker", "prefork"])
def test_200_no_sni_and_50_sni_requests_in_parallel(httpd, mpm):
    httpd.start(LOG, mpm=mpm)
    jobs = [None] * 200 + ["a.test"] * 50
    with ThreadPoolExecutor(16) as pool:
        statuses = list(pool.map(lambda sni: one_request(httpd, sni), jobs))
    assert statuses == [200] * 250
    recs = records(httpd, count=400)
    assert len(by_event(recs, "request")) == 200
    assert [r["outcome"] for r in by_event(recs, "handshake")] == ["established"] * 200
    # the records came from several child processes, whole
    assert len({r["client_port"] for r in by_event(recs, "request")}) == 200


@pytest.mark.parametrize("mpm", ["event", "worker"])  # mod_http2 does not run under prefork
def test_http2_requests_from_parallel_connections(httpd, mpm):
    httpd.start(LOG, mpm=mpm)
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda i: httpd.curl(*[f"/h2/{i}/{k}" for k in range(5)],
                                                     http2=True), range(16)))
    assert all(r.http_version == "HTTP/2" for rs in results for r in rs)
    recs = records(httpd, count=16 * 6)
    assert len(by_event(recs, "handshake")) == 16
    assert sorted(r["uri"] for r in by_event(recs, "request")) == sorted(
        f"/h2/{i}/{k}" for i in range(16) for k in range(5))
    assert {r["protocol"] for r in by_event(recs, "request")} == {"HTTP/2.0"}


HOSTILE = [
    'evil"quote', "back\\slash", "ctl\x01\x1b[31mred", "tab\tand\x7f", "utf8-ü-€-😀",
    "x" * 6000,
]


@pytest.mark.parametrize("fmt", ["json", "logfmt"])
def test_hostile_values_keep_one_record_per_line(httpd, fmt):
    # Unsafe: let httpd accept control bytes in headers, so they really reach the log.
    httpd.start(LOG.replace("nosni.json", f"nosni.{fmt}") + f"SNIFallbackLogFormat {fmt}\n"
                "HttpProtocolOptions Unsafe\n")
    for i, ua in enumerate(HOSTILE):
        s = socket.create_connection(("127.0.0.1", httpd.https_port), timeout=10)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname, ctx.verify_mode = False, ssl.CERT_NONE
        with ctx.wrap_socket(s, server_hostname=None) as tls:
            tls.sendall(b"GET /h" + str(i).encode() + b"?q=%0d%0a\"x HTTP/1.1\r\nHost: evil\"\\host"
                        b"\r\nUser-Agent: " + ua.encode("utf-8", "surrogateescape")
                        + b"\xff\xfe\r\nConnection: close\r\n\r\n")
            while tls.recv(65536):
                pass
    name = f"nosni.{fmt}"
    text = httpd.wait_for_log(name, lambda t: t.count("\n") >= 2 * len(HOSTILE))
    lines = text.splitlines()
    assert len(lines) == 2 * len(HOSTILE)
    assert all(len(line) < 4096 for line in lines)
    if fmt == "json":
        reqs = [json.loads(line) for line in lines if '"event":"request"' in line]
        assert [r["uri"] for r in reqs] == [f'/h{i}?q=%0d%0a"x' for i in range(len(HOSTILE))]
        assert reqs[0]["user_agent"].startswith('evil"quote')
        assert reqs[2]["user_agent"].startswith("ctl\x01\x1b[31mred")
        assert reqs[4]["user_agent"].startswith("utf8-ü-€-😀")
        assert reqs[5]["user_agent"].endswith("[truncated]") or len(reqs[5]["user_agent"]) < 6000
        assert all(r["host"] == 'evil"\\host' for r in reqs)
    else:
        assert all(line.startswith("time=") for line in lines)
        assert sum("event=request" in line for line in lines) == len(HOSTILE)


def test_piped_logger_receives_every_record(httpd):
    target = httpd.root / "logs" / "piped.json"
    httpd.start(f'SNIFallbackLog "|/bin/cat >> {target}"\n')
    httpd.curl("/p1", "/p2")
    text = httpd.wait_for_log("piped.json", lambda t: t.count("\n") >= 3)
    recs = [json.loads(line) for line in text.splitlines()]
    assert [r.get("uri") for r in recs] == [None, "/p1", "/p2"]


def test_no_log_directive_writes_no_file(httpd):
    httpd.start("")
    httpd.curl("/")
    assert not (httpd.root / "logs" / "nosni.json").exists()


@pytest.mark.parametrize("directive, message", [
    ("SNIFallbackLogFormat xml", "SNIFallbackLogFormat: unknown value 'xml'; supported values are "
                                 "'json' (default) and 'logfmt'"),
    ("SNIFallbackLog syslog:local9", "SNIFallbackLog: unknown syslog facility 'local9'"),
    ('SNIFallbackLog "|"', "SNIFallbackLog: '|' names no program"),
    ("SNIFallbackLog a.json\nSNIFallbackLog b.json", "SNIFallbackLog: given twice"),
])
def test_bad_log_directives_fail_the_config_test(httpd, directive, message):
    done = httpd.config_test(snippet=directive + "\n")
    assert done.returncode != 0
    assert message in done.stderr


def test_log_directive_is_refused_in_a_vhost(httpd):
    done = httpd.config_test(vhost_extra={"a.test": "SNIFallbackLog logs/x.json"})
    assert done.returncode != 0
    assert "SNIFallbackLog cannot occur within <VirtualHost> section" in done.stderr


def test_log_that_cannot_be_opened_stops_the_start_like_customlog(httpd):
    httpd.expected_log = [r"SNIF0011", r"AH00015"]
    with pytest.raises(RuntimeError, match="SNIF0011: SNIFallbackLog: could not open "
                                           "'/nonexistent-dir/nosni.json'"):
        httpd.start("SNIFallbackLog /nonexistent-dir/nosni.json\n")


def parse_logfmt(line: str) -> dict:
    """The reading rule of README / record.h: quoted values hold escapes, bare ones are literal."""
    out, i = {}, 0
    while i < len(line):
        eq = line.index("=", i)
        key = line[i:eq]
        i = eq + 1
        if i < len(line) and line[i] == '"':
            i += 1
            raw = bytearray()
            while line[i] != '"':
                if line[i] == "\\":
                    nxt = line[i + 1]
                    if nxt == "x":
                        raw += bytes([int(line[i + 2:i + 4], 16)])
                        i += 4
                        continue
                    raw += {"n": b"\n", "r": b"\r", "t": b"\t", '"': b'"', "\\": b"\\",
                            "_": b""}[nxt].replace(b"", b"") if nxt != "_" else b""
                    i += 2
                    continue
                raw += line[i].encode()
                i += 1
            value = raw.decode("utf-8", "surrogateescape")
            i += 1
        else:
            end = line.find(" ", i)
            end = len(line) if end < 0 else end
            value = line[i:end] if end > i else None
            i = end
        out[key] = value
        i += 1  # the separating space
    return out


def test_logfmt_parses_back_to_what_the_client_sent(httpd):
    httpd.start("SNIFallbackLog logs/nosni.logfmt\nSNIFallbackLogFormat logfmt\n"
                "HttpProtocolOptions Unsafe\n")
    agent = 'say "hi" a=b \\ back \x01\x1b tab\tend é'
    httpd.curl("/lf?x=1&y=\"2\"", extra=["-A", agent, "--path-as-is"])
    text = httpd.wait_for_log("nosni.logfmt", lambda t: t.count("\n") >= 2)
    handshake, request = [parse_logfmt(line) for line in text.splitlines()]
    assert handshake["event"] == "handshake" and handshake["outcome"] == "established"
    assert handshake["sni"] is None and handshake["alpn"] == "http/1.1"
    assert request["user_agent"] == agent
    assert request["uri"] == '/lf?x=1&y="2"'
    assert request["status"] == "404" and request["action"] == "none"
    assert request["ja4"] == handshake["ja4"]


def test_write_failure_is_reported_once_and_requests_are_served(httpd):
    httpd.start("SNIFallbackLog /dev/full\n", mpm="prefork")
    httpd.expected_log = [r"SNIF0012"]
    for _ in range(3):
        assert [r.status for r in httpd.curl("/", "/")] == [200, 200]
    reports = [ln for ln in httpd.new_error_log().splitlines() if "SNIF0012" in ln]
    # once per child process that failed, not once per record (6 requests + 3 handshakes)
    assert 1 <= len(reports) <= 3, reports
    assert "No space left on device" in reports[0]


def test_rotatelogs_receives_records(httpd):
    httpd.start(f'SNIFallbackLog "|/usr/bin/rotatelogs {httpd.root}/logs/rot.%Y.json 86400"\n')
    httpd.curl("/rot")
    import glob
    import time as _time
    deadline = _time.monotonic() + 10
    text = ""
    while _time.monotonic() < deadline and text.count("\n") < 2:
        files = glob.glob(f"{httpd.root}/logs/rot.*.json")
        text = open(files[0]).read() if files else ""
        _time.sleep(0.05)
    assert [json.loads(line)["event"] for line in text.splitlines()] == ["handshake", "request"]
