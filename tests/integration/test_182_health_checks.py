"""A load balancer's health checks (a real HAProxy's `check-ssl`: TLS without SNI every few
hundred milliseconds) told apart by SNIFallbackHealthCheckFrom: counted as
connections.health_check on every status output, and nothing else."""
import json
import socket
import ssl

import pytest

from snifharness.apache import MODULES_DIR
from snifharness.clients import parse_response
from snifharness.haproxy import Haproxy
from snifharness.ports import free_port
from snifharness.process import run, wait_until
from snifharness.records import json_records

CHECKER = "127.0.0.9"  # HAProxy's source address for its connections to Apache, checks included
SNIPPET = (f"LoadModule remoteip_module {MODULES_DIR}/mod_remoteip.so\n"
           f"LoadModule status_module {MODULES_DIR}/mod_status.so\n"
           "SNIFallbackLog logs/nosni.json\n"
           "<Location /snif-status>\n    SetHandler snifallback-status\n</Location>\n"
           "<Location /server-status>\n    SetHandler server-status\n</Location>\n")


@pytest.fixture(scope="module")
def balancer(httpd):
    proxy = Haproxy(workdir=httpd.root)
    proxy.port = free_port()
    yield proxy
    proxy.cleanup()


def start_balancer(httpd, balancer, server_options: str, check_options: str = ""):
    balancer.start(f"""
frontend f
    mode tcp
    bind 127.0.0.1:{balancer.port}
    default_backend apache
backend apache
    mode tcp
    {check_options}
    server apache 127.0.0.1:{httpd.https_port} {server_options} source {CHECKER} check check-ssl verify none inter 100ms
""", [("127.0.0.1", balancer.port)])


def plain(httpd, path: str) -> str:
    return run(["curl", "-sS", "--max-time", "20",
                f"http://127.0.0.1:{httpd.http_port}{path}"]).stdout


def status(httpd) -> dict:
    return json.loads(plain(httpd, "/snif-status?json"))


def wait_for_checks(httpd, count: int = 5) -> dict:
    assert wait_until(lambda: status(httpd)["connections"]["health_check"] >= count, timeout=60)
    return status(httpd)


def get_from(source: str, port: int, host: str = "default.test"):
    """One HTTP/1.1 request without SNI from `source` to 127.0.0.1:port."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    with socket.create_connection(("127.0.0.1", port), timeout=10,
                                  source_address=(source, 0)) as raw:
        with ctx.wrap_socket(raw, server_hostname=None) as tls:
            tls.sendall(f"GET / HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode())
            data = b""
            while chunk := tls.recv(65536):
                data += chunk
    return parse_response(data)


def assert_only_the_client(httpd, doc: dict, client: str):
    """The real client is counted, inventoried and logged; the health checks are not."""
    connections = doc["connections"]
    assert (connections["tls"], connections["no_sni"], connections["no_sni_established"]) == (
        1, 1, 1)
    assert [c["client_ip"] for c in doc["clients"]] == [client]
    assert sum(hour["tls"] for hour in doc["history"]) == 1
    assert sum(hour["no_sni"] for hour in doc["history"]) == 1
    text = httpd.wait_for_log("nosni.json", lambda t: len(t.splitlines()) >= 2)
    recs, invalid = json_records(text)
    assert not invalid
    assert {r["client_ip"] for r in recs} == {client}
    assert len(recs) == 2  # its handshake and its request, nothing of the checks


def test_checks_without_sni_are_only_counted_on_every_output(httpd, balancer):
    httpd.start(SNIPPET, vhost_extra={"default.test": f"SNIFallbackHealthCheckFrom {CHECKER}\n"})
    start_balancer(httpd, balancer, "")
    assert get_from("127.0.0.2", httpd.https_port).status == 200
    doc = wait_for_checks(httpd)
    assert_only_the_client(httpd, doc, "127.0.0.2")
    checks = doc["connections"]["health_check"]
    assert doc["vhosts"]["default.test"]["connections"]["health_check"] >= checks
    # every output shows the counter (the checks go on: at least what JSON showed)
    auto = plain(httpd, "/server-status?auto")
    assert int(auto.split("SNIFallbackConnectionsHealthCheck: ")[1].split()[0]) >= checks
    metrics = plain(httpd, "/snif-status?metrics")
    line = [ln for ln in metrics.splitlines()
            if ln.startswith("snifallback_health_check_connections_total ")]
    assert len(line) == 1 and int(line[0].split()[1]) >= checks
    assert "load balancer health checks" in plain(httpd, "/snif-status")


def test_checks_with_sni_are_counted_as_checks_too(httpd, balancer):
    httpd.start(SNIPPET, vhost_extra={"default.test": f"SNIFallbackHealthCheckFrom {CHECKER}/32\n"})
    start_balancer(httpd, balancer, "check-sni a.test")
    doc = wait_for_checks(httpd)
    assert doc["connections"]["tls"] == 0 and doc["connections"]["no_sni"] == 0
    assert doc["clients"] == []


def test_checks_with_the_proxy_protocol_and_clients_through_the_balancer(httpd, balancer):
    httpd.start(SNIPPET, vhost_extra={
        "default.test": "RemoteIPProxyProtocol On\n"
                        "SNIFallbackHealthCheckFrom 127.0.0.8 127.0.0.9 ::1\n"})
    start_balancer(httpd, balancer, "send-proxy-v2 check-send-proxy")
    assert get_from("127.0.0.3", balancer.port).status == 200
    doc = wait_for_checks(httpd)
    assert_only_the_client(httpd, doc, "127.0.0.3")


def test_http_checks_get_no_action(httpd, balancer):
    """A check that sends a request (option httpchk) gets the page, not the notice."""
    httpd.start(SNIPPET, vhost_extra={"default.test": f"SNIFallbackHealthCheckFrom {CHECKER}\n"
                                                      "SNIFallbackAction notice\n"})
    start_balancer(httpd, balancer, "",
                   "option httpchk\n    http-check send meth GET uri / ver HTTP/1.1 "
                   "hdr Host default.test")
    assert get_from("127.0.0.2", httpd.https_port).status == 403  # a real client: the notice
    wait_for_checks(httpd)
    access = httpd.wait_for_log("access.log", lambda t: f"{CHECKER} default.test" in t)
    checks = [ln for ln in access.splitlines() if ln.startswith(f"{CHECKER} ")]
    assert checks and all('"GET / HTTP/1.1" 200 ' in ln and "missing=-" in ln for ln in checks)
    doc = status(httpd)
    assert doc["requests"]["notice"] == 1 and doc["requests"]["no_sni"] == 1


@pytest.mark.parametrize("value", ["10.0.0.300", "checker.example", "10.0.0.0/33", "10.0.0.0/",
                                   "/8"])
def test_bad_addresses_fail_the_config_test(httpd, value):
    done = httpd.config_test(snippet=f"SNIFallbackHealthCheckFrom 127.0.0.1 {value}\n")
    assert done.returncode != 0
    assert (f"SNIFallbackHealthCheckFrom: '{value}' is not an IP address or network"
            in done.stderr)


def test_health_checks_belong_to_the_first_vhost_of_an_address(httpd):
    done = httpd.config_test(vhost_extra={"b.test": "SNIFallbackHealthCheckFrom 10.0.0.0/8\n"})
    assert done.returncode != 0
    # where it was written, as httpd's own configuration errors say, and which vhost is first
    conf = httpd.root / "conf" / "httpd.conf"
    [line] = [n for n, ln in enumerate(conf.read_text().splitlines(), 1)
              if ln.strip() == "SNIFallbackHealthCheckFrom 10.0.0.0/8"]
    assert f"SNIF0090: SNIFallbackHealthCheckFrom at {conf}:{line} in b.test (" in done.stderr, \
        done.stderr
    assert "first vhost, which is default.test (" in done.stderr, done.stderr
