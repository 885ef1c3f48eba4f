"""Hostile TLS clients: malformed ClientHellos over raw TCP never crash a child, and the well-formed
requests between them are all answered and logged as valid JSON.

The short version of scripts/hostile_clients.sh (the cases and the clients are in
snifharness.hostile_cases and snifharness.hostile); run the script for the long version
(`--count 15000` covers every case once).
"""
import json
import os
import random
import time

import pytest

from snifharness import hostile as hc
from snifharness.hostile_cases import Case, specials
from snifharness.process import child_pids
from snifharness.tls_bio import client_hello

LOG = "SNIFallbackLog logs/nosni.json\nLogLevel snifallback:debug\n"
# Short enough for CTest (each MPM ~3-10 s on 2 cores), long enough to touch every category.
COUNT = int(os.environ.get("SNIFALLBACK_HOSTILE_COUNT", "3000"))
SECONDS = float(os.environ.get("SNIFALLBACK_HOSTILE_SECONDS", "25"))


def children(httpd):
    return set(child_pids(httpd.proc.pid))


@pytest.mark.parametrize("mpm", ["event", "prefork"])
def test_malformed_hellos_crash_nothing_and_good_requests_are_answered(httpd, mpm):
    # mod_ssl reports failed handshakes at info/debug (AH02006, AH02008, AH01996) which this
    # config's `ssl:warn` hides; no warn/error line is expected, so none is listed here.
    httpd.start(LOG, mpm=mpm)
    before = children(httpd)
    target = hc.Target("127.0.0.1", httpd.https_port, "a.test", str(httpd.pki.ca_cert))
    figures = hc.run(target, count=COUNT, seconds=SECONDS, seed=11, every=10, concurrency=8,
                     http2=mpm != "prefork")
    print(figures.summary())

    assert not figures.failures, figures.failures[:20]
    assert figures.hostile_sent >= min(COUNT, 300), figures.summary()
    # every category was sent, the one-byte and slow clients included
    assert {"truncate-raw", "truncate-fixed", "len0", "lenffff", "overrun", "flip", "special",
            "onebyte", "slow"} <= set(figures.by_kind), figures.by_kind
    assert figures.wellformed_ok == figures.wellformed_sent > 0

    assert httpd.proc.poll() is None, "the parent process died"
    after = children(httpd)
    # Children are alive, or were replaced by the MPM (never killed by a signal: checked below).
    # The event MPM may add a child under load, but none of its first children went away.
    assert after, "no child processes left"
    if mpm == "event":
        assert before <= after, (before, after)

    text = httpd.wait_for_log("nosni.json", lambda t: t.count('"user_agent":"hostile-clients/ok"')
                              >= figures.nosni_ok, timeout=15)
    logs = hc.check_logs(httpd.error_log(), text)
    assert not logs["crashes"], logs["crashes"][:10]
    assert not logs["invalid"], logs["invalid"][:5]
    # exactly one request record per answered well-formed no-SNI request
    assert logs["wellformed_request_records"] == figures.nosni_ok, (logs, figures.summary())
    # the malformed hellos that were still understood as no-SNI left handshake records with a
    # failure outcome, not "established"
    failed = sum(v for k, v in logs["outcomes"].items() if k != "established")
    assert failed > 0, logs["outcomes"]
    # and the module's parser refused some hellos (debug SNIF0002), i.e. mutated bytes reached it
    assert "SNIF0002" in httpd.error_log()


def test_one_byte_segments_and_a_slow_sender_are_answered(httpd):
    httpd.start(LOG)
    t = hc.Target("127.0.0.1", httpd.https_port, "a.test", str(httpd.pki.ca_cert))
    assert hc.tls_request(t, False, "/?one", hc.one_byte_writer) == 200
    assert hc.tls_request(t, True, "/?one-sni", hc.one_byte_writer) == 200
    started = time.monotonic()
    assert hc.tls_request(t, False, "/?slow", hc.slow_writer(2.0)) == 200
    assert time.monotonic() - started < 15
    text = httpd.wait_for_log("nosni.json", lambda t: t.count("\n") >= 4)
    recs = [json.loads(line) for line in text.splitlines()]
    assert sorted(r["uri"] for r in recs if r["event"] == "request") == ["/?one", "/?slow"]
    assert [r["outcome"] for r in recs if r["event"] == "handshake"] == ["established"] * 2


def test_16k_of_garbage_and_special_cases_leave_the_server_answering(httpd):
    httpd.start(LOG)
    t = hc.Target("127.0.0.1", httpd.https_port, "a.test", str(httpd.pki.ca_cert))
    rng = random.Random(3)
    nosni, sni = client_hello(None), client_hello("a.test")
    for case in specials(rng, nosni, sni):
        assert hc.send_hostile(t, case) != "timeout", case.name
        assert hc.tls_request(t, False, "/") == 200, case.name
    assert hc.tls_request(t, True, "/") == 200
    assert not hc.check_logs(httpd.error_log(), "")["crashes"]


def test_plain_http_on_the_https_port_is_not_a_no_sni_client(httpd):
    httpd.start(LOG)
    t = hc.Target("127.0.0.1", httpd.https_port, "a.test")
    case = Case("special", "plain-http", b"GET /plain HTTP/1.1\r\nHost: x\r\n\r\n")
    assert hc.send_hostile(t, case).startswith("closed")
    assert hc.tls_request(t, False, "/?marker") == 200
    text = httpd.wait_for_log("nosni.json", lambda t: "/?marker" in t)
    time.sleep(0.5)  # the plain connection's records, if any, are written at its end
    recs = [json.loads(line) for line in httpd.log("nosni.json").splitlines()]
    # only the TLS client's two records: mod_ssl answers plain HTTP with a 400 page for "GET /"
    assert [(r["event"], r.get("uri")) for r in recs] == [("handshake", None),
                                                           ("request", "/?marker")], text
