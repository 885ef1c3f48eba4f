"""The per-request floor: a connection the fallback TLS profile let in never reaches a vhost whose
own SSLProtocol, SSLCipherSuite or security level refuse what it negotiated (issue 28)."""
import json
import re

import pytest

from snifharness.records import json_records

PROFILE = 'SNIFallbackProtocol all\nSNIFallbackCipherSuite "DEFAULT:@SECLEVEL=0"\n'
LOG = "SNIFallbackLog logs/nosni.json\n"
TLS1 = ["-tls1", "-cipher", "AES128-SHA:@SECLEVEL=0"]
TLS1_1 = ["-tls1_1", "-cipher", "AES128-SHA:@SECLEVEL=0"]
TLS12_CBC = ["-tls1_2", "-cipher", "AES128-SHA:@SECLEVEL=0"]
STRICT = "SSLProtocol -all +TLSv1.2 +TLSv1.3\nSSLCipherSuite ECDHE+AESGCM"
OPEN = 'SSLProtocol all\nSSLCipherSuite "DEFAULT:@SECLEVEL=0"'
EXPECTED = [r"SNIF0028", r"SNIF0034"]


def get(host: str) -> bytes:
    return f"GET / HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode()


def status(done) -> int | None:
    m = re.search(rb"^HTTP/1\.1 (\d{3})", done.stdout, re.M)
    return int(m.group(1)) if m else None


def request_records(httpd, count: int = 1) -> list[dict]:
    text = httpd.wait_for_log(
        "nosni.json", lambda t: t.count('"event":"request"') >= count)
    return [r for r in json_records(text)[0] if r["event"] == "request"]


@pytest.mark.parametrize("version", [TLS1, TLS1_1])
def test_the_first_vhost_refuses_what_its_own_settings_refuse(httpd, version):
    """default.test has no SSLProtocol of its own: OpenSSL 3's security level 2 refuses TLS 1.0
    and 1.1 on a full handshake, so a request for it over the profile's TLS 1.0 gets 421."""
    httpd.start(LOG + PROFILE)
    httpd.expected_log = EXPECTED
    done = httpd.s_client(get("default.test"), args=version)
    assert status(done) == 421, done.stdout[-400:]
    assert b"site default.test" not in done.stdout
    rec = request_records(httpd)[0]
    assert rec["reason"] == "tls-below-vhost" and rec["status"] == 421 and rec["enforced"]
    assert rec["tls_version"] in ("TLSv1", "TLSv1.1")


@pytest.mark.parametrize("policy", ["SSLVHostSNIPolicy authonly", "SSLVHostSNIPolicy insecure"])
def test_a_stricter_vhost_is_not_reached_under_a_lenient_policy(httpd, policy):
    httpd.start(LOG + PROFILE + policy + "\n", vhost_extra={"a.test": STRICT})
    httpd.expected_log = EXPECTED
    done = httpd.s_client(get("a.test"), args=TLS1)
    assert status(done) == 421, done.stdout[-400:]
    assert b"site a.test" not in done.stdout


def test_a_vhost_that_allows_old_clients_itself_is_served(httpd):
    """The README's example: the administrator says so in the vhost's own SSLProtocol."""
    httpd.start(LOG + PROFILE + "SSLVHostSNIPolicy authonly\n", vhost_extra={"a.test": OPEN})
    httpd.expected_log = EXPECTED
    done = httpd.s_client(get("a.test"), args=TLS1)
    assert status(done) == 200 and b"site a.test" in done.stdout, done.stdout[-400:]


@pytest.mark.parametrize("action, expected", [
    ("SNIFallbackAction notice", 403),
    ('SNIFallbackAction redirect "https://www.example.test/old"', 302),
    ("", 421),
])
def test_report_mode_still_never_serves_below_the_floor(httpd, action, expected):
    httpd.start(LOG + PROFILE + "SSLVHostSNIPolicy authonly\nSNIFallbackMode report\n",
                vhost_extra={"a.test": STRICT + "\n" + action})
    httpd.expected_log = EXPECTED
    done = httpd.s_client(get("a.test"), args=TLS1)
    assert status(done) == expected, done.stdout[-400:]
    rec = request_records(httpd)[0]
    assert rec["reason"] == "tls-below-vhost" and rec["enforced"] is True
    assert rec["status"] == expected


def test_an_exempt_request_is_not_served_below_the_floor(httpd):
    httpd.start(LOG + PROFILE + "SSLVHostSNIPolicy authonly\n", vhost_extra={
        "a.test": STRICT + "\nSNIFallbackAction notice\nSNIFallbackExempt \"-n %{HTTP_HOST}\""})
    httpd.expected_log = EXPECTED
    done = httpd.s_client(get("a.test"), args=TLS1)
    assert status(done) == 421, done.stdout[-400:]


def test_a_route_and_the_host_use_one_check(httpd):
    """Routed to a target that allows TLS 1.2 but not the cipher: refused like the Host path."""
    httpd.start(LOG + PROFILE + "SSLVHostSNIPolicy authonly\n", vhost_extra={
        "a.test": "SNIFallbackAction vhost legacy.test",
        "b.test": "SSLProtocol all\nSSLCipherSuite ECDHE+AESGCM",
        "legacy.test": "SSLProtocol all\nSSLCipherSuite ECDHE+AESGCM"})
    httpd.expected_log = EXPECTED
    routed = httpd.s_client(get("a.test"), args=TLS12_CBC)
    assert status(routed) == 421, routed.stdout[-400:]
    assert b"site legacy.test" not in routed.stdout
    direct = httpd.s_client(get("b.test"), args=TLS12_CBC)
    assert status(direct) == 421, direct.stdout[-400:]
    recs = request_records(httpd, 2)
    assert [r["reason"] for r in recs] == ["tls-below-vhost", "tls-below-vhost"]
    assert "SNIF0034: not routing to legacy.test" in httpd.new_error_log()


def test_modern_fallback_clients_are_served_as_before(httpd):
    httpd.start(LOG + PROFILE + "SSLVHostSNIPolicy authonly\n", vhost_extra={"a.test": STRICT})
    httpd.expected_log = EXPECTED
    done = httpd.s_client(get("a.test"), args=["-tls1_2", "-cipher", "ECDHE-RSA-AES128-GCM-SHA256"])
    assert status(done) == 200 and b"site a.test" in done.stdout, done.stdout[-400:]
    done = httpd.s_client(get("default.test"), args=["-tls1_3"])
    assert status(done) == 200


def test_http2_streams_meet_the_floor(httpd):
    httpd.start(LOG + PROFILE + "SSLVHostSNIPolicy authonly\n",
                vhost_extra={"a.test": "SSLCipherSuite ECDHE-RSA-AES128-GCM-SHA256"})
    httpd.expected_log = EXPECTED
    cipher = ["--tls-max", "1.2", "--ciphers", "ECDHE-RSA-AES256-GCM-SHA384"]
    responses = httpd.curl("/", http2=True, headers={"Host": "a.test"}, extra=cipher)
    assert responses[0].status == 421 and responses[0].http_version == "HTTP/2"
    responses = httpd.curl("/", http2=True, headers={"Host": "default.test"}, extra=cipher)
    assert responses[0].status == 200


def test_the_forecast_tells_floor_vhosts_apart(httpd):
    status = '<Location "/snif-status">\n    SetHandler snifallback-status\n</Location>\n'
    httpd.start(LOG + PROFILE + "SSLVHostSNIPolicy authonly\n" + status,
                vhost_extra={"a.test": OPEN})
    httpd.expected_log = EXPECTED
    doc = json.loads(httpd.curl("/snif-status?json", sni="b.test")[0].body)
    assert doc["vhosts"]["default.test"]["forecast"] == "tls-floor"
    assert doc["vhosts"]["a.test"]["forecast"] == "served"
    log = httpd.new_error_log()
    assert re.search(r"SNIF0035: requests without SNI for default\.test \([^)]*\) get: tls-floor",
                     log), log
    assert re.search(r"SNIF0035: requests without SNI for a\.test \([^)]*\) get: served", log), log


def test_without_the_profile_nothing_changes(httpd):
    httpd.start(LOG + "SSLVHostSNIPolicy authonly\n")
    done = httpd.s_client(get("a.test"), args=["-tls1_2"])
    assert status(done) == 200
    assert "SNIF0060" not in httpd.new_error_log()
