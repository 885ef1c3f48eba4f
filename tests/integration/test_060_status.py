"""Counters and the client inventory, shared by all child processes, on the status handler."""
import json
from concurrent.futures import ThreadPoolExecutor

import pytest

from snifharness.apache import MODULES_DIR
from snifharness.clients import https_get

NO_OTHER_CLASS = {f"{c}{s}": 0 for c in ("ip_literal", "unknown_name")
                  for s in ("", "_established", "_failed")} | {"health_check": 0}
STATUS = ('<Location "/snif-status">\n    SetHandler snifallback-status\n</Location>\n')


def one_request(httpd, sni=None, agent="status-test-client"):
    """One request with Python's ssl (no certificate check)."""
    https_get(httpd.https_port, "/", sni=sni, user_agent=agent)


def status(httpd) -> dict:
    # asked with SNI, so the status request adds one TLS connection and nothing else
    return json.loads(httpd.curl("/snif-status?json", sni="a.test")[0].body)


@pytest.mark.parametrize("mpm", ["event", "prefork"])
def test_counts_are_exact_across_child_processes(httpd, mpm):
    httpd.start(STATUS, mpm=mpm)
    jobs = [None] * 30 + ["a.test"] * 20
    with ThreadPoolExecutor(10) as pool:
        list(pool.map(lambda sni: one_request(httpd, sni), jobs))
    doc = status(httpd)
    assert doc["connections"] == {"tls": 51, "no_sni": 30, "no_sni_established": 30,
                                  "no_sni_failed": 0, **NO_OTHER_CLASS}
    assert doc["requests"] == {"no_sni": 30, "ip_literal": 0, "unknown_name": 0, "none": 30,
                               "notice": 0, "redirect": 0, "vhost": 0, "exempt": 0,
                               "reported": 0}
    assert doc["vhosts"]["default.test"]["connections"]["no_sni"] == 30
    [client] = doc["clients"]
    assert (client["client_ip"], client["count"], client["user_agent"]) == (
        "127.0.0.1", 30, "status-test-client")
    assert client["ja4"].startswith("t13i")


def test_failed_handshakes_and_actions_are_counted_per_vhost(httpd):
    httpd.start(STATUS, vhost_extra={"b.test": "SNIFallbackAction notice"})
    httpd.s_client(args=["-verify_hostname", "a.test", "-verify_return_error"])
    httpd.curl("/", headers={"Host": "b.test"})
    httpd.curl("/")  # IP literal: no action configured on default.test anyway
    doc = status(httpd)
    assert doc["connections"]["no_sni"] == 3
    assert doc["connections"]["no_sni_failed"] == 1
    assert doc["connections"]["no_sni_established"] == 2
    assert doc["vhosts"]["b.test"]["requests"]["notice"] == 1
    assert doc["requests"]["notice"] == 1 and doc["requests"]["none"] == 1
    # the handshake-only client is in the inventory too, without a User-Agent
    assert sum(c["count"] for c in doc["clients"]) == 3


def test_counters_survive_a_graceful_restart(httpd):
    httpd.start(STATUS)
    for _ in range(5):
        one_request(httpd)
    httpd.graceful()
    one_request(httpd)
    doc = status(httpd)
    assert doc["connections"]["no_sni"] == 6
    assert doc["clients"][0]["count"] == 6


def test_html_page_and_mod_status(httpd):
    httpd.start(STATUS + f"LoadModule status_module {MODULES_DIR}/mod_status.so\n"
                "ExtendedStatus On\n<Location /server-status>\n SetHandler server-status\n"
                "</Location>\n")
    one_request(httpd, agent="<script>alert(1)</script>")
    page = httpd.curl("/snif-status", sni="a.test")[0]
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    assert "<script>alert(1)" not in page.body and "&lt;script&gt;alert(1)" in page.body
    auto = httpd.curl("/server-status?auto", sni="a.test")[0].body
    assert "SNIFallbackConnectionsNoSNI: 1\n" in auto
    assert "SNIFallbackRequestsNoSNI: 1\n" in auto
    full = httpd.curl("/server-status", sni="a.test")[0].body
    assert "mod_snifallback" in full


def test_inventory_stays_bounded(httpd):
    httpd.start(STATUS + "SNIFallbackInventorySize 2\n")
    for agent in ("a", "b", "c"):
        one_request(httpd, agent=agent)
    doc = status(httpd)
    assert len(doc["clients"]) == 1  # one client address and JA4, whatever its User-Agent
    assert doc["clients"][0]["count"] == 3 and doc["clients"][0]["user_agent"] == "c"


def test_bad_inventory_size_fails_the_config_test(httpd):
    done = httpd.config_test(snippet="SNIFallbackInventorySize 0\n")
    assert done.returncode != 0
    assert "SNIFallbackInventorySize: '0' is not a number of clients from 1 to 4096" in done.stderr
