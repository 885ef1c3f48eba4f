"""TLS that ends in front of Apache: a real HAProxy in `mode http` ends TLS and passes on what the
client's ClientHello said (`ssl_fc_sni`, `ssl_fc_has_sni`) in request headers. Requests from the
trusted proxy are classified from them (SNIFallbackTrustedProxy, SNIFallbackProxyHeaders),
recorded with source "proxy-header", counted and given the action; the same headers from anyone
else are removed before the request goes further, so a client cannot choose its class."""
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

PROXY = "127.0.0.9"  # HAProxy's source address towards Apache
HEADERS = "SNIFallbackProxyHeaders sni=X-TLS-SNI has-sni=X-TLS-Has-SNI ja4=X-TLS-JA4\n"


def snippet(httpd, trusted: str = PROXY) -> str:
    """Apache behind the proxy: plain-HTTP vhosts default.test and a.test on the HTTP port."""
    docroot = httpd.root / "htdocs"
    vhosts = "".join(f"""
<VirtualHost 127.0.0.1:{httpd.http_port}>
    ServerName {name}
    DocumentRoot "{docroot / name}"
    SNIFallbackAction notice
</VirtualHost>
""" for name in ("default.test", "a.test"))
    return (f"LoadModule remoteip_module {MODULES_DIR}/mod_remoteip.so\n"
            f"LoadModule setenvif_module {MODULES_DIR}/mod_setenvif.so\n"
            "SetEnvIf X-TLS-Has-SNI ^0$ SAW_NO_SNI=yes\n"
            "SNIFallbackLog logs/nosni.json\n"
            "SNIFallbackClients no-sni ip-literal unknown-name\n"
            f"SNIFallbackTrustedProxy {trusted}\n" + HEADERS +
            f"RemoteIPHeader X-Forwarded-For\nRemoteIPInternalProxy {PROXY}\n"
            'CustomLog logs/headers.log "%a sni=[%{X-TLS-SNI}i] has=[%{X-TLS-Has-SNI}i] '
            'ja4=[%{X-TLS-JA4}i] env=[%{SAW_NO_SNI}e] %>s"\n'
            "<Location /snif-status>\n    SetHandler snifallback-status\n</Location>\n" + vhosts)


@pytest.fixture(scope="module")
def balancer(httpd):
    cert, key = httpd.pki.leaf("default.test")
    pem = httpd.root / "haproxy.pem"
    pem.write_text(cert.read_text() + key.read_text())
    pem.chmod(0o644)
    proxy = Haproxy(workdir=httpd.root)
    proxy.port = free_port()
    proxy.start(f"""
frontend tls
    mode http
    bind 127.0.0.1:{proxy.port} ssl crt {pem}
    option forwardfor
    http-request set-header X-TLS-SNI %[ssl_fc_sni]
    http-request set-header X-TLS-Has-SNI %[ssl_fc_has_sni]
    http-request set-header X-TLS-JA4 t13d1516h2_8daaf6152771_02713d6af862
    default_backend apache
backend apache
    mode http
    server apache 127.0.0.1:{httpd.http_port} source {PROXY}
""", [("127.0.0.1", proxy.port)])
    yield proxy
    proxy.cleanup()


def request(source: str, port: int, sni: str | None, tls: bool = True,
            extra_headers: str = "") -> int:
    """One HTTP/1.1 request for default.test from `source` (TLS: with `sni`, or none)."""
    with socket.create_connection(("127.0.0.1", port), timeout=10,
                                  source_address=(source, 0)) as raw:
        sock = raw
        if tls:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
            sock = ctx.wrap_socket(raw, server_hostname=sni)
        sock.sendall(f"GET / HTTP/1.1\r\nHost: default.test\r\n{extra_headers}"
                     "Connection: close\r\n\r\n".encode())
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    return parse_response(data).status


def ip_literal_request(port: int) -> int:
    """Python's ssl never sends an IP address in SNI; openssl s_client does when told to."""
    done = run(["openssl", "s_client", "-connect", f"127.0.0.1:{port}", "-servername",
                "127.0.0.1", "-quiet"], check=False,
               input="GET / HTTP/1.1\r\nHost: default.test\r\nConnection: close\r\n\r\n",
               timeout=20)
    return int(done.stdout.split(" ", 2)[1])


def status(httpd) -> dict:
    return json.loads(run(["curl", "-sS", "--max-time", "20", "-H", "Host: localhost",
                           f"http://127.0.0.1:{httpd.http_port}/snif-status?json"]).stdout)


def records(httpd, count: int) -> list:
    text = httpd.wait_for_log("nosni.json", lambda t: len(t.splitlines()) >= count)
    recs, invalid = json_records(text)
    assert not invalid
    return recs


def test_clients_behind_a_tls_ending_proxy_are_classified_counted_and_handled(httpd, balancer):
    httpd.start(snippet(httpd))
    port = balancer.port
    assert request("127.0.0.2", port, sni=None) == 403                 # no SNI: the notice
    assert ip_literal_request(port) == 403                             # IP literal
    assert request("127.0.0.4", port, sni="unknown.test") == 403       # unknown name
    assert request("127.0.0.5", port, sni="a.test") == 200             # served by name
    recs = records(httpd, 3)
    assert len(recs) == 3
    assert [(r["event"], r["sni_class"], r["sni"], r["action"], r["status"], r["source"])
            for r in recs] == [
        ("request", "no-sni", None, "notice", 403, "proxy-header"),
        ("request", "ip-literal", "127.0.0.1", "notice", 403, "proxy-header"),
        ("request", "unknown-name", "unknown.test", "notice", 403, "proxy-header")]
    # the client's address (X-Forwarded-For through mod_remoteip), the proxy as peer
    assert [(r["client_ip"], r["peer_ip"]) for r in recs] == [
        ("127.0.0.2", PROXY), ("127.0.0.1", PROXY), ("127.0.0.4", PROXY)]
    assert all(r["ja4"] == "t13d1516h2_8daaf6152771_02713d6af862" for r in recs)
    assert all(r["tls_version"] is None and r["outcome"] is None for r in recs)
    doc = status(httpd)
    assert doc["requests"]["no_sni"] == 1 and doc["requests"]["ip_literal"] == 1
    assert doc["requests"]["unknown_name"] == 1 and doc["requests"]["notice"] == 3
    assert doc["connections"]["tls"] == 0  # Apache itself saw no TLS at all
    # what the proxy said is there for the trusted proxy's requests (mod_setenvif sees it too)
    lines = httpd.wait_for_log("headers.log", lambda t: "127.0.0.5 " in t).splitlines()
    assert ("127.0.0.2 sni=[] has=[0] ja4=[t13d1516h2_8daaf6152771_02713d6af862] env=[yes] 403"
            in lines)
    assert sorted(c["client_ip"] for c in doc["clients"]) == ["127.0.0.1", "127.0.0.2",
                                                              "127.0.0.4"]


def test_a_client_cannot_forge_its_class(httpd, balancer):
    httpd.start(snippet(httpd))
    forged = "X-TLS-SNI: \r\nX-TLS-Has-SNI: 0\r\nX-TLS-JA4: t13d_forged\r\n"
    # straight to Apache: not the trusted proxy, so the headers are removed and ignored
    assert request("127.0.0.3", httpd.http_port, sni=None, tls=False, extra_headers=forged) == 200
    # through the proxy: HAProxy's set-header replaces what the client sent
    assert request("127.0.0.4", balancer.port, sni="a.test",
                   extra_headers="X-TLS-Has-SNI: 0\r\nX-TLS-SNI: unknown.test\r\n") == 200
    doc = status(httpd)
    assert doc["requests"]["no_sni"] == doc["requests"]["notice"] == 0
    assert doc["clients"] == []
    lines = httpd.wait_for_log("headers.log", lambda t: "127.0.0.4 " in t).splitlines()
    # neither mod_setenvif nor the application ever saw them
    assert "127.0.0.3 sni=[-] has=[-] ja4=[-] env=[-] 200" in lines
    assert ("127.0.0.4 sni=[a.test] has=[1] ja4=[t13d1516h2_8daaf6152771_02713d6af862] env=[-] "
            "200") in lines
    assert httpd.log("nosni.json") == ""


def test_without_a_trusted_proxy_the_headers_are_removed_from_everyone(httpd, balancer):
    httpd.start(snippet(httpd, trusted="192.0.2.1"))
    assert request("127.0.0.2", balancer.port, sni=None) == 200
    line = httpd.wait_for_log("headers.log", lambda t: "127.0.0.2 " in t).splitlines()[-1]
    assert line == "127.0.0.2 sni=[-] has=[-] ja4=[-] env=[-] 200"
    assert status(httpd)["requests"]["no_sni"] == 0


def test_hostile_header_values_stay_escaped_and_bounded(httpd, balancer):
    httpd.start(snippet(httpd, trusted="127.0.0.0/8"))  # this client is a "trusted proxy" here
    hostile = '"},{"x":"\\u0000<script>' + "x" * 600
    status_code = request("127.0.0.3", httpd.http_port, sni=None, tls=False,
                          extra_headers=f"X-TLS-SNI: {hostile}\r\nX-TLS-JA4: a\"b\r\n")
    assert status_code == 403  # an unknown name, with the notice
    [rec] = records(httpd, 1)
    assert rec["sni_class"] == "unknown-name" and rec["source"] == "proxy-header"
    assert rec["sni"].startswith('"},{"x":"\\u0000<script>') and len(rec["sni"]) <= 255
    assert rec["ja4"] is None  # not of a JA4's form: not taken


def test_hostile_header_values_stay_escaped_in_logfmt(httpd, balancer):
    httpd.start(snippet(httpd, trusted="127.0.0.0/8") + "SNIFallbackLogFormat logfmt\n")
    hostile = 'a" b=c \\ d'
    request("127.0.0.3", httpd.http_port, sni=None, tls=False,
            extra_headers=f"X-TLS-SNI: {hostile}\r\n")
    [line] = httpd.wait_for_log("nosni.json", lambda t: t.endswith("\n")).splitlines()
    assert ' sni="a\\" b=c \\\\ d" ' in line
    assert " sni_class=unknown-name " in line and " source=proxy-header " in line


@pytest.mark.parametrize("directives, message", [
    (HEADERS, "SNIF0091: SNIFallbackProxyHeaders without SNIFallbackTrustedProxy: no proxy is "
              "believed"),
    ("SNIFallbackTrustedProxy 10.0.0.1\n", "SNIF0092: SNIFallbackTrustedProxy without "
                                           "SNIFallbackProxyHeaders has no effect"),
])
def test_one_of_the_two_directives_alone_is_warned_about(httpd, directives, message):
    httpd.expected_log = [message]
    httpd.start(directives)
    assert message in httpd.error_log()


@pytest.mark.parametrize("directive, message", [
    ("SNIFallbackProxyHeaders has-sni=X-A", "SNIFallbackProxyHeaders: name the header that "
                                            "carries the client's SNI (sni=Header)"),
    ("SNIFallbackProxyHeaders sni=X-A sni=X-B", "SNIFallbackProxyHeaders: sni= given twice"),
    ("SNIFallbackProxyHeaders sni=X-A ja5=X-B", "SNIFallbackProxyHeaders: 'ja5=X-B' is not one of"),
    ("SNIFallbackProxyHeaders sni=", "SNIFallbackProxyHeaders: '' names no valid HTTP header"),
    ("SNIFallbackProxyHeaders sni=X:A", "SNIFallbackProxyHeaders: 'X:A' names no valid HTTP header"),
    ("SNIFallbackTrustedProxy proxy.example", "SNIFallbackTrustedProxy: 'proxy.example' is not an "
                                              "IP address or network"),
    ("<VirtualHost 127.0.0.1:1>\nSNIFallbackTrustedProxy 10.0.0.1\n</VirtualHost>",
     "SNIFallbackTrustedProxy cannot occur within <VirtualHost> section"),
])
def test_bad_directives_fail_the_config_test(httpd, directive, message):
    done = httpd.config_test(snippet=directive + "\n")
    assert done.returncode != 0
    assert message in done.stderr
