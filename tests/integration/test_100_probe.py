"""The browser SNI probe: pixel, script and report, and a real headless Chromium running it."""
import json
import urllib.request

import pytest

from snifharness.browser import CHROMIUM, chromium
LOCATION = '<Location "/sni-probe">\n    SetHandler snifallback-probe\n</Location>\n'


def probe_config(httpd, pixel_host="a.test"):
    http = f"http://127.0.0.1:{httpd.http_port}"
    return (LOCATION + "SNIFallbackLog logs/nosni.json\n"
            f"SNIFallbackProbePixel https://{pixel_host}:{httpd.https_port}/sni-probe/pixel.gif\n"
            f"SNIFallbackProbeSuccess {http}/success.html\n"
            f"SNIFallbackProbeFailure {http}/failure.html\n")


def write_pages(httpd):
    docroot = httpd.root / "htdocs" / "default.test"
    (docroot / "landing.html").write_text(
        "<!DOCTYPE html><html><body><p>checking your browser</p>"
        '<script src="/sni-probe/probe.js"></script></body></html>\n')
    (docroot / "success.html").write_text("<!DOCTYPE html><html><body>PROBE-SUCCESS</body></html>\n")
    (docroot / "failure.html").write_text(
        "<!DOCTYPE html><html><body style='font:24px sans-serif'><h1>Your browser is too old"
        "</h1><p>PROBE-FAILURE: it cannot open our secure site. Please update it.</p>"
        "</body></html>\n")


def probe_records(httpd, count):
    text = httpd.wait_for_log("nosni.json", lambda t: t.count('"event":"probe"') >= count)
    return [r for r in map(json.loads, text.splitlines()) if r["event"] == "probe"]


def test_pixel_only_with_sni(httpd):
    httpd.start(probe_config(httpd))
    with_sni = httpd.curl("/sni-probe/pixel.gif", sni="a.test")[0]
    assert with_sni.status == 200 and with_sni.headers["content-type"] == "image/gif"
    assert with_sni.headers["cache-control"] == "no-store"
    # a client without SNI that ignores the certificate error still fails the test
    assert httpd.curl("/sni-probe/pixel.gif")[0].status == 421
    # and plain HTTP never passes
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(f"http://127.0.0.1:{httpd.http_port}/sni-probe/pixel.gif")
    assert refused.value.code == 421


def test_script_holds_the_configured_urls_and_nothing_from_the_request(httpd):
    httpd.start(probe_config(httpd))
    url = f"http://127.0.0.1:{httpd.http_port}/sni-probe/probe.js?evil=%22%3Balert(1)"
    req = urllib.request.Request(url, headers={"Host": "evil.example", "User-Agent": "x\"y"})
    body = urllib.request.urlopen(req).read().decode()
    assert f'var pixel = "https://a.test:{httpd.https_port}/sni-probe/pixel.gif";' in body
    assert f'var success = "http://127.0.0.1:{httpd.http_port}/success.html";' in body
    assert f'var failure = "http://127.0.0.1:{httpd.http_port}/failure.html";' in body
    assert "evil" not in body and "alert(" not in body and 'x"y' not in body


def test_report_creates_exactly_one_probe_record(httpd):
    httpd.start(probe_config(httpd))
    data = b"result=sni-failed&page=http%3A%2F%2F127.0.0.1%2Flanding.html%22%0A"
    req = urllib.request.Request(f"http://127.0.0.1:{httpd.http_port}/sni-probe/report", data=data,
                                 headers={"User-Agent": "Old Browser 1.0"})
    assert urllib.request.urlopen(req).status == 204
    [rec] = probe_records(httpd, 1)
    assert (rec["result"], rec["page"], rec["user_agent"], rec["status"]) == (
        "sni-failed", 'http://127.0.0.1/landing.html"\n', "Old Browser 1.0", 204)


def test_bad_probe_url_fails_the_config_test(httpd):
    done = httpd.config_test(snippet="SNIFallbackProbeFailure /relative.html\n")
    assert done.returncode != 0
    assert ("SNIFallbackProbeFailure: '/relative.html' must be an absolute http:// or https:// "
            "URL") in done.stderr


def browser(pki, *args):
    """Chromium that trusts exactly a.test's key (its certificate)."""
    return chromium(*args, trust=pki.leaf("a.test")[0])


@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed")
def test_browser_ends_on_success_when_the_pixel_certificate_is_accepted(httpd, pki):
    httpd.start(probe_config(httpd, pixel_host="a.test"))
    write_pages(httpd)
    done = browser(pki, "--dump-dom", f"http://127.0.0.1:{httpd.http_port}/landing.html")
    assert "PROBE-SUCCESS" in done.stdout, done.stdout + done.stderr[-2000:]
    assert '"event":"probe"' not in httpd.log("nosni.json")


@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed")
def test_browser_ends_on_failure_and_reports_when_the_certificate_is_rejected(httpd, pki, tmp_path):
    httpd.start(probe_config(httpd, pixel_host="b.test"))  # b.test's certificate is not trusted
    write_pages(httpd)
    done = browser(pki, "--dump-dom", f"http://127.0.0.1:{httpd.http_port}/landing.html")
    assert "PROBE-FAILURE" in done.stdout, done.stdout + done.stderr[-2000:]
    [rec] = probe_records(httpd, 1)
    assert rec["result"] == "sni-failed"
    assert rec["page"] == f"http://127.0.0.1:{httpd.http_port}/landing.html"
    assert "HeadlessChrome" in rec["user_agent"]
    shot = tmp_path / "notice.png"
    browser(pki, f"--screenshot={shot}", "--window-size=800,600",
             f"http://127.0.0.1:{httpd.http_port}/failure.html")
    png = shot.read_bytes()
    assert png.startswith(b"\x89PNG") and len(png) > 2000
