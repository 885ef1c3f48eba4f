"""The hourly history of the status page: what a real server counts in the current hour, across a
graceful restart; and the HTML page that draws it, as headless Chromium renders it."""
import html
import json
import time
import urllib.request
import xml.etree.ElementTree as ET
from html.parser import HTMLParser

import pytest

from snifharness.browser import CHROMIUM, chromium, png_rows, rows_with_colour
from snifharness.clients import https_get

STATUS = '<Location "/snif-status">\n    SetHandler snifallback-status\n</Location>\n'
# b.test answers fallback requests with the notice; a.test decides a redirect but only reports it.
ACTIONS = {"b.test": "SNIFallbackAction notice",
           "a.test": "SNIFallbackAction redirect https://new.example/\nSNIFallbackMode report"}
# openssl s_client sends exactly the SNI it is given (IP addresses too), then this request.
GET = b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
FIELDS = ("tls", "no_sni", "ip_literal", "unknown_name", "notice", "redirect", "vhost", "exempt",
          "reported")


def utc_hour() -> str:
    return time.strftime("%Y-%m-%dT%H:00Z", time.gmtime())


def status(httpd) -> dict:
    """?json, asked with SNI: the status request adds one TLS connection and nothing else."""
    return json.loads(httpd.curl("/snif-status?json", sni="a.test")[0].body)


def send_traffic(httpd) -> dict:
    """A known mix of clients; returns what the history should count for it."""
    for _ in range(3):
        https_get(httpd.https_port, "/", user_agent="history-test")           # no SNI, none
    for _ in range(2):
        https_get(httpd.https_port, "/", host="b.test")                       # no SNI, notice
    https_get(httpd.https_port, "/", host="a.test")                           # redirect, reported
    httpd.s_client(GET, servername="127.0.0.1")                               # IP literal in SNI
    for _ in range(2):
        httpd.s_client(GET, servername="old.test")                            # unknown name
    for _ in range(4):
        https_get(httpd.https_port, "/", sni="a.test")                        # served by name
    return {"tls": 13, "no_sni": 6, "ip_literal": 1, "unknown_name": 2, "notice": 2,
            "redirect": 1, "vhost": 0, "exempt": 0, "reported": 1}


def totals(doc: dict) -> dict:
    return {f: sum(hour[f] for hour in doc["history"]) for f in FIELDS}


@pytest.mark.parametrize("mpm", ["event", "prefork"])
def test_the_current_hour_counts_what_was_sent_and_survives_a_graceful_restart(httpd, mpm):
    httpd.start(STATUS, vhost_extra=ACTIONS, mpm=mpm)
    # the reported redirect leaves the response to mod_ssl, which refuses it and says so
    httpd.expected_log.append(r"AH02032: .* a\.test provided via HTTP")
    first_hour = utc_hour()
    sent = send_traffic(httpd)
    doc = status(httpd)
    last_hour = utc_hour()
    status_requests = 1
    history = doc["history"]
    assert len(history) == 48
    assert [h["hour"] for h in history][-1] in (first_hour, last_hour)
    assert all(list(h) == ["hour", *FIELDS] for h in history)
    expected = {**sent, "tls": sent["tls"] + status_requests}
    # A fresh server: everything it counted is in the window, and matches the counters.
    assert totals(doc) == expected
    assert totals(doc)["no_sni"] == doc["connections"]["no_sni"]
    assert totals(doc)["reported"] == doc["requests"]["reported"]
    if first_hour == last_hour:  # else the traffic straddled an hour: its sum is checked above
        assert {f: history[-1][f] for f in FIELDS} == expected
        assert all(h[f] == 0 for h in history[:-1] for f in FIELDS)

    httpd.graceful()
    more = send_traffic(httpd)
    doc = status(httpd)
    status_requests += 1
    expected = {f: sent[f] + more[f] for f in FIELDS}
    expected["tls"] += status_requests
    assert totals(doc) == expected  # the history survived the restart, and went on counting


# A User-Agent that would add elements, and run a script, if the page did not escape it.
HOSTILE = "<img src=x onerror=alert(1)></svg><script>document.title='owned'</script>"
SVG = "{http://www.w3.org/2000/svg}"
NO_SNI_COLOUR = (0xD5, 0x5E, 0x00)  # the no-SNI line and its legend (core/history_chart.cpp)


def page_url(httpd) -> str:
    """The page over plain HTTP: reading it adds no TLS connection and no fallback client."""
    return f"http://127.0.0.1:{httpd.http_port}/snif-status"


def test_the_page_is_well_formed_and_served_under_a_strict_policy(httpd):
    httpd.start(STATUS)
    https_get(httpd.https_port, "/", user_agent=HOSTILE)
    with urllib.request.urlopen(page_url(httpd)) as page:
        policy = page.headers["Content-Security-Policy"]
        body = page.read().decode()
    assert policy.startswith("default-src 'none';") and "script-src" not in policy
    root = ET.fromstring(body)  # well-formed XML: every element closed, every entity known
    chart, daily = root.iter(SVG + "svg")  # the hourly chart, then the daily one (test_202)
    assert (chart.get("role"), chart.get("aria-describedby")) == ("img", "summary")
    assert chart.find(SVG + "title").text.startswith("Fallback connections per hour")
    assert len(list(chart.iter(SVG + "polyline"))) == 3
    assert root.find(".//*[@id='summary']") is not None
    assert not [e.tag for e in root.iter() if e.tag in ("script", "img", "iframe", "object")]
    assert HOSTILE in "".join(root.itertext())  # as text


class Tags(HTMLParser):
    """The elements of a document, in order, as an HTML parser sees them."""

    def __init__(self, text: str):
        super().__init__()
        self.tags = []
        self.feed(text)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)


@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed")
def test_chromium_draws_the_chart_and_shows_client_text_as_text(httpd, tmp_path):
    httpd.start(STATUS)

    def screenshot(name: str) -> bytes:
        shot = tmp_path / name
        done = chromium(f"--screenshot={shot}", "--window-size=800,900", "--hide-scrollbars",
                        page_url(httpd))
        assert shot.exists(), done.stderr[-2000:]
        return shot.read_bytes()

    def dom() -> str:
        done = chromium("--dump-dom", page_url(httpd))
        assert "</html>" in done.stdout, done.stderr[-2000:]
        return done.stdout

    quiet = screenshot("quiet.png")
    for _ in range(4):
        https_get(httpd.https_port, "/", user_agent="legacy-client/1.0")
    benign = dom()
    # The same client (address and JA4) once more: its last User-Agent becomes the hostile one.
    https_get(httpd.https_port, "/", user_agent=HOSTILE)
    hostile = dom()
    busy = screenshot("busy.png")

    [top] = status(httpd)["clients"]
    assert (top["user_agent"], top["count"]) == (HOSTILE, 5)
    # The page's text names the top fingerprint, with its last User-Agent as text.
    assert top["ja4"] in hostile and html.escape(HOSTILE, quote=False) in hostile
    # The hostile User-Agent added no element: the document has the same elements, in the same
    # order, as with a harmless one, and no script ran (it would have renamed the page).
    assert Tags(hostile).tags == Tags(benign).tags
    assert "script" not in Tags(hostile).tags and "img" not in Tags(hostile).tags
    assert "<title>mod_snifallback status</title>" in hostile

    # The screenshots are images of the page, and the chart is drawn: the no-SNI line's colour is
    # in the legend and on the zero line of the quiet page, and rises with the traffic.
    assert png_rows(busy)[:2] == (800, 900)
    quiet_rows = rows_with_colour(quiet, NO_SNI_COLOUR)
    busy_rows = rows_with_colour(busy, NO_SNI_COLOUR)
    assert 0 < len(quiet_rows) < 15, quiet_rows
    assert len(busy_rows) > len(quiet_rows) + 40, busy_rows
