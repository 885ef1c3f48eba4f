"""The walking skeleton: the module loads, and marks exactly the requests of no-SNI connections."""
import re

import pytest

NOSNI_LOG = 'CustomLog logs/nosni_access.log "%h %k %H %r" env=SNI_MISSING\n'


def nosni_lines(httpd, count):
    text = httpd.wait_for_log("nosni_access.log", lambda t: t.count("\n") >= count)
    return text.splitlines()


def test_config_with_module_passes_config_test(httpd):
    result = httpd.config_test()
    assert result.returncode == 0, result.stderr
    assert "Syntax OK" in result.stderr


def test_keepalive_no_sni_requests_are_marked_and_sni_requests_are_not(httpd):
    httpd.start(NOSNI_LOG)
    no_sni = httpd.curl("/one", "/two", "/three")
    with_sni = httpd.curl("/four", "/five", sni="a.test")
    assert [r.status for r in no_sni + with_sni] == [404] * 5
    lines = nosni_lines(httpd, 3)
    # exactly the three no-SNI requests, on one keep-alive connection (%k = 0, 1, 2)
    assert [line.split()[1:3] + [line.split()[4]] for line in lines] == [
        ["0", "HTTP/1.1", "/one"], ["1", "HTTP/1.1", "/two"], ["2", "HTTP/1.1", "/three"]]
    access = httpd.log("access.log")
    assert re.search(r'"GET /four HTTP/1.1" 404 sni=a.test missing=- ', access)
    assert re.search(r'"GET /one HTTP/1.1" 404 sni=- missing=1 ', access)


def test_http2_no_sni_requests_are_marked_on_every_stream(httpd):
    httpd.start(NOSNI_LOG)
    no_sni = httpd.curl("/", "/h2-a", "/h2-b", http2=True)
    with_sni = httpd.curl("/", "/h2-c", http2=True, sni="b.test")
    assert [r.http_version for r in no_sni + with_sni] == ["HTTP/2"] * 5
    assert [r.status for r in no_sni] == [200, 404, 404]
    assert with_sni[0].body == "site b.test\n"
    lines = nosni_lines(httpd, 3)
    assert [line.split()[2:] for line in lines] == [
        ["HTTP/2.0", "GET", "/", "HTTP/2.0"], ["HTTP/2.0", "GET", "/h2-a", "HTTP/2.0"],
        ["HTTP/2.0", "GET", "/h2-b", "HTTP/2.0"]]


def test_python_and_openssl_clients(httpd):
    httpd.start(NOSNI_LOG)
    assert httpd.python_get("/py-nosni").status == 404
    assert httpd.python_get("/py-sni", server_hostname="a.test").status == 404
    done = httpd.s_client(b"GET /s-client-nosni HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
    assert b"HTTP/1.1 404" in done.stdout, done.stderr
    done = httpd.s_client(b"GET /s-client-sni HTTP/1.1\r\nHost: b.test\r\nConnection: close\r\n\r\n",
                          servername="b.test")
    assert b"HTTP/1.1 404" in done.stdout, done.stderr
    lines = nosni_lines(httpd, 2)
    assert [line.split()[4] for line in lines] == ["/py-nosni", "/s-client-nosni"]


@pytest.mark.parametrize("tls", ["-tls1_2", "-tls1_3"])
def test_both_tls_versions(httpd, tls):
    httpd.start(NOSNI_LOG)
    done = httpd.s_client(b"GET /v HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n",
                          args=[tls])
    assert b"HTTP/1.1 404" in done.stdout
    assert len(nosni_lines(httpd, 1)) == 1


def test_without_the_module_nothing_is_marked(httpd):
    httpd.start(NOSNI_LOG, module_loaded=False)
    httpd.curl("/plain")
    httpd.wait_for_log("access.log", lambda t: "/plain" in t)
    assert "missing=- " in httpd.log("access.log")
    assert httpd.log("nosni_access.log") == ""


def test_plain_http_is_not_observed(httpd):
    httpd.start(NOSNI_LOG)
    import urllib.request
    with urllib.request.urlopen(f"http://127.0.0.1:{httpd.http_port}/") as r:
        assert r.status == 200
    httpd.wait_for_log("access.log", lambda t: "GET / HTTP/1.1" in t)
    assert httpd.log("nosni_access.log") == ""
