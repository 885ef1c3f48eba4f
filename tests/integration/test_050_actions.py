"""SNIFallbackAction: notice, redirect, vhost and exemptions, under mod_ssl's own SNI checks."""
import json

import pytest

from snifharness.clients import https_get, status_of

LOG = "SNIFallbackLog logs/nosni.json\n"
POLICIES = ["", "SSLStrictSNIVHostCheck on", "SSLVHostSNIPolicy secure",
            "SSLVHostSNIPolicy authonly", "SSLVHostSNIPolicy insecure"]


def request_records(httpd, count):
    text = httpd.wait_for_log("nosni.json", lambda t: t.count('"event":"request"') >= count)
    return [r for r in map(json.loads, text.splitlines()) if r["event"] == "request"]


def raw_get(httpd, host: bytes, path: bytes = b"/", sni=None) -> bytes:
    """One request with Python's ssl, any Host and path (no certificate check)."""
    return https_get(httpd.https_port, path.decode(), sni=sni, host=host.decode())


def header_of(data: bytes, name: bytes):
    for line in data.split(b"\r\n\r\n", 1)[0].split(b"\r\n")[1:]:
        key, _, value = line.partition(b":")
        if key.strip().lower() == name.lower():
            return value.strip()
    return None


@pytest.mark.parametrize("policy", POLICIES)
@pytest.mark.parametrize("http2", [False, True])
def test_notice_answers_no_sni_and_leaves_sni_clients_alone(httpd, policy, http2):
    httpd.start(LOG + policy + "\n", vhost_extra={"a.test": "SNIFallbackAction notice"})
    r = httpd.curl("/", http2=http2, headers={"Host": "a.test"})[0]
    assert r.status == 403
    assert r.headers["cache-control"] == "no-store"
    assert r.body.startswith("<!DOCTYPE html>") and "too old" in r.body
    assert r.headers["content-type"] == "text/html"
    assert httpd.curl("/", http2=http2, sni="a.test")[0].body == "site a.test\n"
    [rec] = request_records(httpd, 1)
    assert (rec["action"], rec["status"], rec["host"]) == ("notice", 403, "a.test")


def test_notice_from_a_file_with_its_status(httpd):
    page = httpd.root / "notice.html"
    page.write_text("<html><body>Please upgrade — ünïcode kept</body></html>\n")
    httpd.start(LOG, vhost_extra={"a.test": f'SNIFallbackAction notice "{page}"\n'
                                            "SNIFallbackNoticeStatus 421"})
    r = httpd.curl("/x", headers={"Host": "a.test"})[0]
    assert r.status == 421
    assert r.body == page.read_text()


@pytest.mark.parametrize("policy", POLICIES)
@pytest.mark.parametrize("http2", [False, True])
def test_redirect(httpd, policy, http2):
    httpd.start(LOG + policy + "\n", vhost_extra={
        "a.test": 'SNIFallbackAction redirect "https://legacy.example.org%{REQUEST_URI}" 301'})
    r = httpd.curl("/some/page?q=1", http2=http2, headers={"Host": "a.test"})[0]
    assert r.status == 301
    assert r.headers["location"] == "https://legacy.example.org/some/page"
    assert r.headers["cache-control"] == "no-store"
    assert httpd.curl("/", http2=http2, sni="a.test")[0].status == 200
    [rec] = request_records(httpd, 1)
    assert (rec["action"], rec["status"], rec["target"]) == (
        "redirect", 301, "https://legacy.example.org/some/page")


@pytest.mark.parametrize("host, path", [
    (b"evil.example", b"/p"), (b"a.test@evil.example", b"/p"), (b"a.test", b"//evil.example/x"),
    (b"a.test", b"/%0d%0aLocation:%20https://evil.example/"), (b"a.test", b"/" + b"x" * 6000),
    (b"a.test", b"/@evil.example"), (b"a.test", b"/\\evil.example"),
])
def test_hostile_requests_never_move_the_redirect_target(httpd, host, path):
    httpd.start(LOG + 'SNIFallbackAction redirect "https://legacy.example.org%{REQUEST_URI}"\n'
                "HttpProtocolOptions Unsafe\n")
    data = raw_get(httpd, host, path)
    status = status_of(data)
    if status in (301, 302):
        location = header_of(data, b"Location")
        assert location.startswith(b"https://legacy.example.org/")
        assert b"\r" not in location and b"\n" not in location and b" " not in location
    else:
        assert status in (400, 414)  # httpd itself refused the request line
    assert header_of(data, b"Set-Cookie") is None


@pytest.mark.parametrize("policy", POLICIES)
@pytest.mark.parametrize("http2", [False, True])
def test_vhost_routing(httpd, policy, http2):
    httpd.start(LOG + policy + "\n", vhost_extra={"a.test": "SNIFallbackAction vhost legacy.test"})
    r = httpd.curl("/", http2=http2, headers={"Host": "a.test"})[0]
    if policy == "SSLStrictSNIVHostCheck on":
        # mod_ssl refuses every request without SNI before a route can apply (README)
        assert r.status == 403
        return
    assert (r.status, r.body) == (200, "site legacy.test\n")
    assert httpd.curl("/", http2=http2, sni="a.test")[0].body == "site a.test\n"
    [rec] = request_records(httpd, 1)
    assert (rec["action"], rec["target"], rec["status"]) == ("vhost", "legacy.test", 200)


def test_vhost_routing_uses_the_targets_locations_and_logs(httpd):
    httpd.start(LOG, vhost_extra={
        "a.test": "SNIFallbackAction vhost legacy.test",
        "legacy.test": '<Location "/secret">\n Require all denied\n</Location>\n'
                       'CustomLog logs/legacy-access.log "%v %U %>s"'})
    httpd.expected_log = [r"AH01630"]  # the legacy vhost's own Require denied /secret
    assert httpd.curl("/secret", headers={"Host": "a.test"})[0].status == 403
    assert httpd.curl("/", headers={"Host": "a.test"})[0].status == 200
    log = httpd.wait_for_log("legacy-access.log", lambda t: t.count("\n") >= 2)
    assert log.splitlines() == ["legacy.test /secret 403", "legacy.test /index.html 200"]


def test_exemptions_by_expression_and_ip_literal(httpd):
    httpd.start(LOG + "SNIFallbackAction notice\n",
                vhost_extra={"a.test": 'SNIFallbackAction notice\n'
                                       'SNIFallbackExempt "%{REQUEST_URI} =~ m#^/api/#"'})
    # exempt: left to mod_ssl, whose default SSLVHostSNIPolicy secure answers 421 here
    httpd.expected_log = [r"AH02032"]
    assert httpd.curl("/api/x", headers={"Host": "a.test"})[0].status == 421
    assert httpd.curl("/web", headers={"Host": "a.test"})[0].status == 403
    # an IP-literal Host is exempt by default (the default vhost has the global notice action)
    assert httpd.curl("/")[0].status == 200
    recs = request_records(httpd, 3)
    assert [(r["uri"], r["action"], r["reason"]) for r in recs] == [
        ("/api/x", "exempt", "expression"), ("/web", "notice", None), ("/", "exempt", "ip-literal")]


def test_action_none_keeps_mod_ssl_behaviour(httpd):
    httpd.start(LOG + "SSLVHostSNIPolicy secure\n",
                vhost_extra={"a.test": "SNIFallbackAction none"})
    httpd.expected_log = [r"AH02032"]
    assert httpd.curl("/", headers={"Host": "a.test"})[0].status == 421


def test_legacy_vhost_with_client_certificates_is_refused(httpd, pki):
    with pytest.raises(RuntimeError, match="SNIF0033"):
        httpd.start(LOG, vhost_extra={
            "a.test": "SNIFallbackAction vhost legacy.test",
            "legacy.test": f'SSLVerifyClient require\nSSLCACertificateFile "{pki.ca_cert}"'})


def test_routing_respects_the_targets_protocol_floor(httpd):
    httpd.start(LOG, vhost_extra={"a.test": "SNIFallbackAction vhost legacy.test",
                                  "legacy.test": "SSLProtocol TLSv1.3"})
    httpd.expected_log = [r"SNIF0034"]
    done = httpd.s_client(b"GET / HTTP/1.1\r\nHost: a.test\r\nConnection: close\r\n\r\n",
                          args=["-tls1_2"])
    assert b"HTTP/1.1 421" in done.stdout
    done = httpd.s_client(b"GET / HTTP/1.1\r\nHost: a.test\r\nConnection: close\r\n\r\n",
                          args=["-tls1_3"])
    assert b"site legacy.test" in done.stdout


@pytest.mark.parametrize("directive, message", [
    ("SNIFallbackAction sometimes", "SNIFallbackAction: unknown action 'sometimes'"),
    ("SNIFallbackAction redirect %{HTTP_HOST}/x",
     "must start with a literal scheme and host"),
    ("SNIFallbackAction redirect https://legacy.example.org/ 200", "status '200' is not a redirect"),
    ("SNIFallbackAction notice /nonexistent/notice.html", "cannot read the page"),
    ("SNIFallbackAction vhost nosuch.test", "SNIF0032"),
    ("SNIFallbackNoticeStatus 200", "'200' is not an error status"),
    ('SNIFallbackExempt "%{REQUEST_URI} =~"', "SNIFallbackExempt: cannot parse the expression"),
    ("<Location /x>\nSNIFallbackAction notice\n</Location>",
     "cannot occur within <Directory>, <Location> or <Files>"),
    ("<Directory /tmp>\nSNIFallbackExempt \"true\"\n</Directory>",
     "Put it in the server config or a <VirtualHost> and name the path in its expression, e.g. "
     "SNIFallbackExempt \"%{REQUEST_URI} =~ m#^/api/#\""),
])
def test_bad_action_configuration_fails_the_config_test(httpd, directive, message):
    done = httpd.config_test(snippet=directive + "\n")
    assert done.returncode != 0
    assert message in done.stderr, done.stderr
