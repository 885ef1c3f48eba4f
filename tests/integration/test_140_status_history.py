"""The hourly history of the status page: what a real server counts in the current hour, across a
graceful restart."""
import json
import time

import pytest

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
