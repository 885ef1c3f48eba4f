"""Five weeks of history (issue 31): ?json's history_daily holds the last 35 UTC days, oldest
first, with the hourly fields; a real server counts today's traffic in it, and the days survive a
graceful restart like the hours do. The status page draws them under the hourly chart."""
import datetime
import json
import urllib.request
import xml.etree.ElementTree as ET

from snifharness.clients import https_get

STATUS = '<Location "/snif-status">\n    SetHandler snifallback-status\n</Location>\n'
ACTIONS = {"b.test": "SNIFallbackAction notice"}
GET = b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
FIELDS = ("tls", "no_sni", "ip_literal", "unknown_name", "notice", "redirect", "vhost", "exempt",
          "reported")
SVG = "{http://www.w3.org/2000/svg}"


def utc_today() -> datetime.date:
    return datetime.datetime.now(datetime.timezone.utc).date()


def status(httpd) -> dict:
    """?json, asked with SNI: the status request adds one TLS connection and nothing else."""
    return json.loads(httpd.curl("/snif-status?json", sni="a.test")[0].body)


def send_traffic(httpd) -> dict:
    """A known mix of clients; returns what the history should count for it."""
    for _ in range(3):
        https_get(httpd.https_port, "/", user_agent="daily-test")   # no SNI
    https_get(httpd.https_port, "/", host="b.test")                 # no SNI, notice
    httpd.s_client(GET, servername="127.0.0.1")                     # IP literal in SNI
    httpd.s_client(GET, servername="old.test")                      # unknown name
    for _ in range(2):
        https_get(httpd.https_port, "/", sni="a.test")              # served by name
    return {"tls": 8, "no_sni": 4, "ip_literal": 1, "unknown_name": 1, "notice": 1,
            "redirect": 0, "vhost": 0, "exempt": 0, "reported": 0}


def totals(days: list) -> dict:
    return {f: sum(day[f] for day in days) for f in FIELDS}


def test_daily_buckets_count_today_and_survive_a_graceful_restart(httpd):
    httpd.start(STATUS, vhost_extra=ACTIONS)
    first_day = utc_today()
    sent = send_traffic(httpd)
    doc = status(httpd)
    last_day = utc_today()
    days = doc["history_daily"]
    assert len(days) == 35
    assert all(list(d) == ["day", *FIELDS] for d in days)  # the hourly fields, in their order
    dates = [datetime.date.fromisoformat(d["day"]) for d in days]
    assert dates[-1] in (first_day, last_day)
    assert dates == [dates[-1] - datetime.timedelta(days=34 - i) for i in range(35)]
    status_requests = 1
    expected = {**sent, "tls": sent["tls"] + status_requests}
    # A fresh server: everything it counted is in the window, as in the hours and the totals.
    assert totals(days) == expected
    assert totals(days) == {f: sum(h[f] for h in doc["history"]) for f in FIELDS}
    assert totals(days)["no_sni"] == doc["connections"]["no_sni"]
    if first_day == last_day:  # else the traffic straddled midnight UTC: the sum is checked above
        assert {f: days[-1][f] for f in FIELDS} == expected
        assert all(d[f] == 0 for d in days[:-1] for f in FIELDS)

    httpd.graceful()
    more = send_traffic(httpd)
    doc = status(httpd)
    status_requests += 1
    expected = {f: sent[f] + more[f] for f in FIELDS}
    expected["tls"] += status_requests
    assert totals(doc["history_daily"]) == expected  # kept across the restart, and counting on


def test_the_page_draws_the_days_under_the_hours(httpd):
    httpd.start(STATUS)
    before = utc_today()
    https_get(httpd.https_port, "/")
    # over plain HTTP: reading the page adds no TLS connection
    with urllib.request.urlopen(f"http://127.0.0.1:{httpd.http_port}/snif-status") as page:
        body = page.read()
    after = utc_today()
    assert len(body) < 64 * 1024
    root = ET.fromstring(body.decode())  # well-formed XML
    hourly, daily = root.iter(SVG + "svg")
    assert hourly.find(SVG + "title").text.startswith("Fallback connections per hour")
    assert daily.find(SVG + "title").text == "Fallback connections per day, last 35 days (UTC)"
    assert daily.get("aria-describedby") == "daily-summary"
    lines = list(daily.iter(SVG + "polyline"))
    assert len(lines) == 3 and all(len(line.get("points").split()) == 35 for line in lines)
    summary = "".join(root.find(".//*[@id='daily-summary']").itertext())
    assert summary.startswith("In the last 35 days (UTC, from ")
    if before == after:  # else the request and the page straddled midnight UTC
        assert f"Today, {after.isoformat()} since 00:00 UTC: 1 of 1 (100%)." in summary, summary
    assert not [e.tag for e in root.iter() if e.tag in ("script", "img", "iframe", "object")]
