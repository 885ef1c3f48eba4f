"""Behind a TCP load balancer: a real HAProxy (`mode tcp`, TLS passed through) writes the PROXY
protocol header (v1 and v2) and Apache reads it with `RemoteIPProxyProtocol On`. Records, the
inventory and exemptions name each real client, and records name the balancer as `peer_ip`."""
import json
import socket
import ssl

import pytest

from snifharness.apache import MODULES_DIR
from snifharness.clients import parse_response
from snifharness.haproxy import Haproxy
from snifharness.ports import free_port
from snifharness.process import run
from snifharness.records import json_records

CLIENTS = ["127.0.0.2", "127.0.0.3", "127.0.0.4", "127.0.0.5"]
# mod_reqtimeout as Debian enables it: its filter sits next to the module's, below mod_remoteip's.
SNIPPET = (f"LoadModule remoteip_module {MODULES_DIR}/mod_remoteip.so\n"
           f"LoadModule reqtimeout_module {MODULES_DIR}/mod_reqtimeout.so\n"
           "SNIFallbackLog logs/nosni.json\n"
           "<Location /snif-status>\n    SetHandler snifallback-status\n</Location>\n")
# The PROXY protocol on the TLS address only (its first vhost): the plain-HTTP port stays direct,
# for the status page.
PROXIED = "RemoteIPProxyProtocol On\n"


@pytest.fixture(scope="module")
def balancer(httpd):
    """HAProxy in tcp mode: one frontend per PROXY version, and an IPv6 one (v2)."""
    ports = {"v1": free_port(), "v2": free_port(), "v6": free_port()}
    proxy = Haproxy(workdir=httpd.root)
    proxy.start(f"""
frontend v1
    mode tcp
    bind 127.0.0.1:{ports["v1"]}
    default_backend apache_v1
frontend v2
    mode tcp
    bind 127.0.0.1:{ports["v2"]}
    default_backend apache_v2
frontend v6
    mode tcp
    bind [::1]:{ports["v6"]}
    default_backend apache_v2
backend apache_v1
    mode tcp
    server apache 127.0.0.1:{httpd.https_port} send-proxy
backend apache_v2
    mode tcp
    server apache 127.0.0.1:{httpd.https_port} send-proxy-v2
""", [("127.0.0.1", ports["v1"]), ("127.0.0.1", ports["v2"]), ("::1", ports["v6"])])
    proxy.ports = ports
    yield proxy
    proxy.cleanup()


def get_from(source: str, port: int, host: str = "default.test", path: str = "/",
             target: str = "127.0.0.1"):
    """One HTTP/1.1 request without SNI, from `source`, through the balancer at target:port."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    with socket.create_connection((target, port), timeout=10, source_address=(source, 0)) as raw:
        local_port = raw.getsockname()[1]
        with ctx.wrap_socket(raw, server_hostname=None) as tls:
            tls.sendall(f"GET {path} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: from-{source}\r\n"
                        "Connection: close\r\n\r\n".encode())
            data = b""
            while chunk := tls.recv(65536):
                data += chunk
    return parse_response(data), local_port


def records(httpd, count):
    text = httpd.wait_for_log("nosni.json", lambda t: len(t.splitlines()) >= count)
    recs, invalid = json_records(text)
    assert not invalid
    return recs


def status(httpd) -> dict:
    """The status handler's JSON, asked on the plain-HTTP port (no TLS connection counted)."""
    return json.loads(run(["curl", "-sS", "--max-time", "20",
                           f"http://127.0.0.1:{httpd.http_port}/snif-status?json"]).stdout)


@pytest.mark.parametrize("version", ["v1", "v2"])
def test_four_clients_behind_the_balancer_are_four_clients(httpd, balancer, version):
    httpd.start(SNIPPET, vhost_extra={"default.test": PROXIED})
    ports = {}
    for source in CLIENTS:
        response, ports[source] = get_from(source, balancer.ports[version])
        assert response.status == 200
    recs = records(httpd, 2 * len(CLIENTS))
    assert len(recs) == 2 * len(CLIENTS)
    for rec in recs:
        source = rec["client_ip"]
        assert source in CLIENTS
        assert rec["client_port"] == ports[source]  # the client's own port, from the header
        assert rec["peer_ip"] == "127.0.0.1"        # the balancer
        assert rec["source"] == "handshake"
        if rec["event"] == "request":
            assert rec["user_agent"] == f"from-{source}"
    assert sorted(r["client_ip"] for r in recs if r["event"] == "handshake") == CLIENTS
    clients = status(httpd)["clients"]
    assert sorted(c["client_ip"] for c in clients) == CLIENTS
    assert all(c["count"] == 1 for c in clients)


def test_exemptions_see_the_client_behind_the_balancer(httpd, balancer):
    httpd.start(SNIPPET, vhost_extra={
        "default.test": PROXIED + "SNIFallbackAction notice\n"
                        "SNIFallbackExempt \"-R '127.0.0.3'\"\n"})
    statuses = {source: get_from(source, balancer.ports["v2"])[0].status for source in CLIENTS}
    assert statuses == {"127.0.0.2": 403, "127.0.0.3": 200, "127.0.0.4": 403, "127.0.0.5": 403}
    recs = [r for r in records(httpd, 8) if r["event"] == "request"]
    actions = {r["client_ip"]: r["action"] for r in recs}
    assert actions == {"127.0.0.2": "notice", "127.0.0.3": "exempt", "127.0.0.4": "notice",
                       "127.0.0.5": "notice"}


def test_an_ipv6_client_is_reported_as_such(httpd, balancer):
    httpd.start(SNIPPET, vhost_extra={"default.test": PROXIED})
    response, port = get_from("::1", balancer.ports["v6"], target="::1")
    assert response.status == 200
    recs = records(httpd, 2)
    assert [(r["event"], r["client_ip"], r["client_port"], r["peer_ip"]) for r in recs] == [
        ("handshake", "::1", port, "127.0.0.1"), ("request", "::1", port, "127.0.0.1")]
    [client] = status(httpd)["clients"]
    assert client["client_ip"] == "::1"


def test_http2_streams_carry_the_client_behind_the_balancer(httpd, balancer):
    if httpd.running_mpm == "prefork":
        pytest.skip("mod_http2 does not run under the prefork MPM")
    httpd.start(SNIPPET, vhost_extra={"default.test": PROXIED})
    url = f"https://127.0.0.1:{balancer.ports['v2']}"
    # two requests as two streams of one HTTP/2 connection from 127.0.0.4
    done = run(["curl", "-sS", "--max-time", "20", "-k", "--http2", "--interface", "127.0.0.4",
                "-H", "Host: default.test", "-o", "/dev/null", "-o", "/dev/null",
                "-w", "%{http_version} %{response_code}\n", f"{url}/", f"{url}/index.html"])
    assert done.stdout.split("\n")[:2] == ["2 200", "2 200"]
    recs = records(httpd, 3)
    assert [(r["event"], r["client_ip"], r["peer_ip"]) for r in recs] == [
        ("handshake", "127.0.0.4", "127.0.0.1"), ("request", "127.0.0.4", "127.0.0.1"),
        ("request", "127.0.0.4", "127.0.0.1")]
    assert {r["protocol"] for r in recs if r["event"] == "request"} == {"HTTP/2.0"}
    [client] = status(httpd)["clients"]
    assert (client["client_ip"], client["count"]) == ("127.0.0.4", 1)


def test_direct_clients_have_no_peer_ip(httpd):
    httpd.start(SNIPPET)
    httpd.curl("/", headers={"Host": "default.test"})
    recs = records(httpd, 2)
    assert [(r["client_ip"], r["peer_ip"], r["source"]) for r in recs] == [
        ("127.0.0.1", None, "handshake")] * 2
