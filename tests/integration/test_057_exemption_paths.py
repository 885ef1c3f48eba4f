"""Exemptions and other expressions see the path httpd will serve, not the bytes the client sent.

With the README's own ACME exemption and a notice, a client without SNI must not reach the site
through dot segments, encoded dots, doubled slashes or an encoded slash.
"""
import json

import pytest

EXEMPT = 'SNIFallbackExempt "%{REQUEST_URI} =~ m#^/\\.well-known/acme-challenge/#"\n'
LOG = "SNIFallbackLog logs/nosni.json\n"
NOTICE = {"default.test": "SNIFallbackAction notice\n" + EXEMPT}


def start(httpd, extra: str = "", vhost_extra: str = ""):
    challenge = httpd.root / "htdocs" / "default.test" / ".well-known" / "acme-challenge"
    challenge.mkdir(parents=True, exist_ok=True)
    (challenge / "token").write_text("token\n")
    httpd.start(LOG + extra, vhost_extra={"default.test": NOTICE["default.test"] + vhost_extra})


def get(httpd, path: str, http2: bool):
    return httpd.curl(path, http2=http2, headers={"Host": "default.test"},
                      extra=["--path-as-is"])[0]


@pytest.mark.parametrize("http2", [False, True])
@pytest.mark.parametrize("path, exempt", [
    ("/.well-known/acme-challenge/token", True),
    ("/./.well-known/acme-challenge/token", True),              # the same path once normalised
    ("//.well-known/acme-challenge/token", True),               # slashes merged (MergeSlashes on)
    ("/.well-known/acme-challenge/../../index.html", False),    # the README's bypass
    ("/.well-known/acme-challenge/%2e%2e/%2e%2e/index.html", False),
    ("/.well-known/acme-challenge/%2E%2e/../index.html", False),
    ("/.well-known/acme-challenge/./../../index.html", False),
    ("/.well-known%2facme-challenge/token", False),             # %2F: httpd would answer 404
])
def test_exemptions_match_the_served_path(httpd, path, exempt, http2):
    start(httpd)
    answer = get(httpd, path, http2)
    if exempt:
        assert (answer.status, answer.body) == (200, "token\n")
    else:
        assert answer.status == 403 and "too old" in answer.body, (path, answer.status)
    [record] = [r for r in map(json.loads, httpd.wait_for_log(
        "nosni.json", lambda t: '"event":"request"' in t).splitlines())
        if r["event"] == "request"]
    assert record["action"] == ("exempt" if exempt else "notice")
    assert record["uri"] == path  # the record keeps what the client sent


@pytest.mark.parametrize("server, vhost, exempt", [
    ("", "AllowEncodedSlashes On", True),          # decoded: the path is under the exemption
    ("", "AllowEncodedSlashes NoDecode", False),   # kept as %2F: it is not
    ("AllowEncodedSlashes On", "", False),         # httpd does not inherit it into a vhost: 404
])
def test_encoded_slash_follows_allow_encoded_slashes(httpd, server, vhost, exempt):
    start(httpd, server + "\n", vhost)
    answer = get(httpd, "/.well-known%2facme-challenge/token", http2=False)
    assert answer.status == (200 if exempt else 403), answer.status


def test_redirect_and_enforce_if_see_the_served_path(httpd):
    httpd.start(LOG + 'SNIFallbackEnforceIf "%{REQUEST_URI} =~ m#^/shop/#"\n', vhost_extra={
        "default.test": 'SNIFallbackAction redirect "https://legacy.example%{REQUEST_URI}"'})
    # enforced: the path is /shop/ once normalised, and the redirect carries that path
    answer = get(httpd, "/x/../shop/item", http2=False)
    assert answer.status == 302
    assert answer.headers["location"] == "https://legacy.example/shop/item"
    # reported: not under /shop/ once normalised
    assert get(httpd, "/shop/../index.html", http2=False).status == 200


def test_absolute_form_request_is_decided_and_logged_by_the_host_httpd_used(httpd):
    httpd.start(LOG, vhost_extra={"a.test": "SNIFallbackAction notice"})
    request = (b"GET https://a.test/ HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
    done = httpd.s_client(request)
    assert b"HTTP/1.1 403" in done.stdout  # a.test's notice, not the IP-literal exemption
    [record] = [r for r in map(json.loads, httpd.wait_for_log(
        "nosni.json", lambda t: '"event":"request"' in t).splitlines())
        if r["event"] == "request"]
    assert (record["host"], record["action"]) == ("a.test", "notice")
