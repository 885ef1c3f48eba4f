"""Know before you act: report-only enforcement, brownout windows, and the per-vhost forecast."""
import datetime
import hashlib
import json
import re
import socket
import ssl

import pytest

STATUS = '<Location "/snif-status">\n    SetHandler snifallback-status\n</Location>\n'
ENV_LOG = ('LogFormat "%{Host}i %>s action=%{SNIFALLBACK_ACTION}e enforced=%{SNIFALLBACK_ENFORCED}e"'
           ' envlog\nCustomLog logs/env.log envlog\n')
BASE = "SNIFallbackLog logs/nosni.json\n" + STATUS + ENV_LOG
ACTIONS = {"a.test": "SNIFallbackAction notice",
           "b.test": 'SNIFallbackAction redirect "https://legacy.example%{REQUEST_URI}"',
           "default.test": "SNIFallbackAction vhost legacy.test"}


def get(httpd, host: str, source: str = "127.0.0.1") -> tuple[int, bytes]:
    """One request without SNI from a given loopback source address."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname, ctx.verify_mode = False, ssl.CERT_NONE
    with socket.create_connection(("127.0.0.1", httpd.https_port), timeout=10,
                                  source_address=(source, 0)) as raw:
        with ctx.wrap_socket(raw) as tls:
            tls.sendall(f"GET / HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode())
            data = b""
            while chunk := tls.recv(65536):
                data += chunk
    return int(data.split(b" ", 2)[1]), data


def request_records(httpd, count: int) -> list:
    text = httpd.wait_for_log("nosni.json", lambda t: t.count('"event":"request"') >= count)
    return [r for r in map(json.loads, text.splitlines()) if r["event"] == "request"]


def status(httpd) -> dict:
    return json.loads(httpd.curl("/snif-status?json", sni="a.test")[0].body)


def test_report_changes_no_response_and_records_what_would_have_happened(httpd):
    httpd.start(BASE + "SNIFallbackMode report\n", vhost_extra=ACTIONS)
    httpd.expected_log = [r"AH02032"]  # left alone: mod_ssl's own 421 for a.test and b.test
    assert [get(httpd, h)[0] for h in ("a.test", "b.test", "default.test")] == [421, 421, 200]
    assert b"site default.test" in get(httpd, "default.test")[1]  # not routed to legacy
    records = request_records(httpd, 4)
    assert [(r["action"], r["enforced"], r["target"]) for r in records[:3]] == [
        ("notice", False, None), ("redirect", False, "https://legacy.example/"),
        ("vhost", False, "legacy.test")]
    doc = status(httpd)
    assert (doc["requests"]["reported"], doc["requests"]["notice"],
            doc["requests"]["redirect"], doc["requests"]["vhost"]) == (4, 1, 1, 2)
    assert doc["vhosts"]["a.test"]["requests"]["reported"] == 1
    env = httpd.wait_for_log("env.log", lambda t: t.count("\n") >= 4)
    assert "a.test 421 action=notice enforced=0" in env

    # The same configuration with enforce, applied by a graceful restart.
    httpd.write_config(snippet=BASE + "SNIFallbackMode enforce\n", vhost_extra=ACTIONS)
    httpd.graceful()
    assert [get(httpd, h)[0] for h in ("a.test", "b.test")] == [403, 302]
    assert b"site legacy.test" in get(httpd, "default.test")[1]
    records = request_records(httpd, 7)
    assert [(r["action"], r["enforced"]) for r in records[4:]] == [
        ("notice", True), ("redirect", True), ("vhost", True)]
    assert status(httpd)["requests"]["reported"] == 4  # kept across the graceful restart
    assert "a.test 403 action=notice enforced=1" in httpd.log("env.log")


def window(now: datetime.datetime, inside: bool) -> tuple[int, int]:
    """Minutes [start, end) of the hour that contain now (with a margin) or keep clear of it."""
    start = (now.minute - 2) % 60 if inside else (now.minute + 10) % 60
    return start, start + 5


def recipes(now: datetime.datetime, inside: bool) -> dict:
    """The README's brownout recipes, with their parameters chosen to include now or not."""
    start, end = window(now, inside)
    minute = f"%{{TIME_MIN}} -ge {start} && %{{TIME_MIN}} -lt {end}" if end <= 60 else \
        f"%{{TIME_MIN}} -ge {start} || %{{TIME_MIN}} -lt {end - 60}"
    day = now.date() + datetime.timedelta(days=-1 if inside else 1)
    weekday = (now.isoweekday() % 7) if inside else ((now.isoweekday() + 3) % 7)
    return {
        "minutes of the hour": minute,
        "from a date on": f"%{{TIME}} -ge {day:%Y%m%d}000000",
        "one day a week": f"%{{TIME_WDAY}} == {weekday}",
        "combined": f"({minute}) && %{{TIME}} -ge {day:%Y%m%d}000000",
    }


@pytest.mark.parametrize("recipe", ["minutes of the hour", "from a date on", "one day a week",
                                    "combined"])
def test_brownout_recipes_enforce_exactly_in_their_window(httpd, recipe):
    for inside in (True, False):
        now = datetime.datetime.now()
        if now.second > 50 or now.minute in (57, 58, 59):
            pytest.skip("too close to a minute or hour boundary to place the window safely")
        expression = recipes(now, inside)[recipe]
        httpd.start(BASE + f'SNIFallbackEnforceIf "{expression}"\n', vhost_extra=ACTIONS)
        httpd.expected_log = [r"AH02032"]
        answer = get(httpd, "a.test")[0]
        assert answer == (403 if inside else 421), (recipe, inside, expression)
        [record] = request_records(httpd, 1)
        assert (record["action"], record["enforced"]) == ("notice", inside)


def test_stable_share_of_clients(httpd):
    # Enforce for about half the clients, chosen by a hash of their address: the same client
    # gets the same answer on every request.
    httpd.start(BASE + 'SNIFallbackEnforceIf "md5(%{REMOTE_ADDR}) =~ /^[0-7]/"\n',
                vhost_extra=ACTIONS)
    httpd.expected_log = [r"AH02032"]
    clients = [f"127.0.{i // 200}.{i % 200 + 2}" for i in range(200)]
    expected = {ip: hashlib.md5(ip.encode()).hexdigest()[0] in "01234567" for ip in clients}
    for _ in range(2):
        for ip in clients:
            assert get(httpd, "a.test", source=ip)[0] == (403 if expected[ip] else 421), ip
    assert 60 < sum(expected.values()) < 140
    doc = status(httpd)
    assert doc["requests"]["notice"] == 400
    assert doc["requests"]["reported"] == 2 * (200 - sum(expected.values()))


def forecast_vhosts(httpd, pki) -> str:
    """Vhosts of every shape the forecast must get right, added after the harness's four."""
    default_cert, default_key = httpd.vhost_cert("default.test")
    shapes = {  # name: (certificate of the default vhost?, extra lines)
        "same.test": (True, ""),
        "protocol.test": (True, "SSLProtocol TLSv1.2 +TLSv1.3"),
        "clientcert.test": (True, f'SSLVerifyClient optional\nSSLCACertificateFile "{pki.ca_cert}"'),
        "notice.test": (False, "SNIFallbackAction notice"),
        "strict.test": (False, "SSLStrictSNIVHostCheck on"),
        "route.test": (False, "SNIFallbackAction vhost legacy.test"),
        "reported.test": (False, "SNIFallbackAction notice\nSNIFallbackMode report"),
    }
    blocks = []
    for name, (shares, extra) in shapes.items():
        cert, key = (default_cert, default_key) if shares else pki.leaf(name)
        (httpd.root / "htdocs" / name).mkdir(exist_ok=True)
        (httpd.root / "htdocs" / name / "index.html").write_text(f"site {name}\n")
        blocks.append(f"""<VirtualHost 127.0.0.1:{httpd.https_port}>
    ServerName {name}
    DocumentRoot "{httpd.root}/htdocs/{name}"
    SSLEngine on
    SSLCertificateFile "{cert}"
    SSLCertificateKeyFile "{key}"
    {extra}
</VirtualHost>
""")
    return "".join(blocks)


STATUS_OF = {"served": 200, "misdirected": 421, "forbidden": 403, "notice": 403,
             "redirect": 302, "vhost": 200}


@pytest.mark.parametrize("policy", ["", "secure", "authonly", "insecure", "strict"])
def test_forecast_equals_what_requests_get(httpd, pki, policy):
    line = f"SSLVHostSNIPolicy {policy}\n" if policy else ""
    httpd.start(BASE + line + forecast_vhosts(httpd, pki))
    # AH01909: three shapes share the default vhost's certificate, which does not name them.
    # AH10158 and its library error: the clientcert.test request that mod_ssl lets through.
    httpd.expected_log = [r"AH02032", r"SNIF0036", r"AH01909", r"AH10158",
                          r"SSL Library Error: error:0A000117"]
    doc = status(httpd)
    names = ["default.test", "a.test", "legacy.test", "same.test", "protocol.test",
             "clientcert.test", "notice.test", "strict.test", "route.test", "reported.test"]
    seen = {}
    for name in names:
        forecast = doc["vhosts"][name]["forecast"]
        answer, body = get(httpd, name)
        seen[name] = forecast
        assert answer == STATUS_OF[forecast], (name, forecast, answer)
        if forecast == "vhost":
            assert b"site legacy.test" in body
        elif forecast == "served":
            assert f"site {name}".encode() in body
    assert seen["strict.test"] == "forbidden" and seen["notice.test"] == "notice"
    # every entry has a forecast: the plain-HTTP main server (ServerName localhost) none can reach
    others = {n: v.get("forecast") for n, v in doc["vhosts"].items() if n not in names}
    assert others.pop("localhost") == "no-tls" and None not in others.values(), others
    if policy in ("", "secure"):
        assert [seen[n] for n in ("same.test", "a.test", "protocol.test", "clientcert.test",
                                  "reported.test")] == ["served"] + ["misdirected"] * 4
    if policy == "authonly":
        assert (seen["a.test"], seen["clientcert.test"]) == ("served", "misdirected")
    if policy == "insecure":
        assert (seen["a.test"], seen["clientcert.test"]) == ("served", "forbidden")
    # The start-up summary says the same, once per vhost, and warns for the 421s.
    log = httpd.new_error_log() + httpd.error_log()
    assert re.search(r"SNIF0035: requests without SNI for clientcert\.test \(\S+\) get: "
                     + seen["clientcert.test"], log)
