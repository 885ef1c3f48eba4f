"""Every example in conf/examples/ works as its comments say: each is loaded into a real apache2
(names, addresses and paths mapped to the test's), and a client without SNI and one with SNI ask
every vhost; the statuses are what an administrator reading the example expects."""
import re
from pathlib import Path

import pytest

from snifharness import clients
from snifharness.apache import MODULES_DIR
from snifharness.ports import free_port

# The examples' status locations say "Require local".
AUTHZ_HOST = f"LoadModule authz_host_module {MODULES_DIR}/mod_authz_host.so\n"

EXAMPLES = Path(__file__).resolve().parents[2] / "conf" / "examples"


def load_example(httpd, pki, name: str) -> dict:
    """The example as a configuration of this test server; returns its port map."""
    text = (EXAMPLES / name).read_text()
    extra_ports = {int(p): free_port() for p in re.findall(r"^Listen (\d+)", text, re.M)}
    ports = {443: httpd.https_port, 80: httpd.http_port, **extra_ports}
    for real, test in extra_ports.items():
        text = re.sub(rf"^Listen {real}\b", f"Listen 127.0.0.1:{test}", text, flags=re.M)
    for real, test in ports.items():
        text = text.replace(f"*:{real}>", f"127.0.0.1:{test}>")
    names = re.findall(r"^\s*Server(?:Name|Alias)\s+(.+)$", text, re.M)
    all_names = sorted({n for line in names for n in line.split()})
    for site in set(re.findall(r"/var/www/([\w.]+)", text)):
        docroot = httpd.root / "htdocs" / site
        docroot.mkdir(exist_ok=True)
        (docroot / "index.html").write_text(f"site {site}\n")
        (docroot / "old-browser.html").write_text("old browser\n")
    text = text.replace("/var/www/", f"{httpd.root}/htdocs/")
    for site in set(re.findall(r"/etc/ssl/certs/([\w.]+)\.pem", text)):
        # the legacy certificate covers every name of the example, the others their own
        sans = all_names if site.startswith("legacy.") else [site, f"www.{site}"]
        cert, key = pki.leaf(site, sans=sans)
        text = text.replace(f"/etc/ssl/certs/{site}.pem", str(cert))
        text = text.replace(f"/etc/ssl/private/{site}.key", str(key))
    text = text.replace("${APACHE_LOG_DIR}", f"{httpd.root}/logs")
    httpd.start(AUTHZ_HOST + text, standard_vhosts=False)
    return ports


def no_sni(httpd, host: str, path: str = "/", port: int | None = None) -> clients.Response:
    return clients.parse_response(clients.https_get(port or httpd.https_port, path, host=host))


def with_sni(httpd, host: str, path: str = "/", port: int | None = None) -> clients.Response:
    return clients.parse_response(clients.https_get(port or httpd.https_port, path, sni=host,
                                                    cafile=str(httpd.pki.ca_cert)))


def test_many_domains_legacy(httpd, pki):
    load_example(httpd, pki, "many-domains-legacy.conf")
    httpd.expected_log = [r"SNIF0036"]
    # clients without SNI, all shown the legacy certificate
    assert no_sni(httpd, "www.example.org").status == 403                 # notice
    assert no_sni(httpd, "blog.example.org").status == 421                # notice, status 421
    shop = no_sni(httpd, "shop.example.org", "/cart?id=1")
    # the path is kept (REQUEST_URI has no query string)
    assert (shop.status, shop.headers["location"]) == (302, "https://legacy.example.org/cart")
    assert no_sni(httpd, "www.shop.example.org").status == 302            # the alias too
    legacy = no_sni(httpd, "legacy.example.org")                          # was 421 from mod_ssl
    assert (legacy.status, legacy.body) == (200, "site legacy.example.org\n")
    assert no_sni(httpd, "127.0.0.1").status == 200                       # IP literal: exempt
    # clients with SNI: every site as usual
    for site in ("www.example.org", "shop.example.org", "blog.example.org", "legacy.example.org"):
        answer = with_sni(httpd, site)
        assert (answer.status, answer.body) == (200, f"site {site}\n"), site


def test_browser_probe(httpd, pki):
    load_example(httpd, pki, "browser-probe.conf")
    httpd.expected_log = [r"SNIF0036", r"AH02032"]
    script = clients.http_get(httpd.http_port, "/sni-probe/probe.js", host="www.example.org")
    assert script.status == 200 and "secure.example.org/sni-probe/pixel.gif" in script.body
    pixel = with_sni(httpd, "secure.example.org", "/sni-probe/pixel.gif")
    assert (pixel.status, pixel.headers["content-type"]) == (200, "image/gif")
    assert no_sni(httpd, "secure.example.org", "/sni-probe/pixel.gif").status == 421
    assert with_sni(httpd, "secure.example.org").status == 200
    assert no_sni(httpd, "www.example.org").status == 200
    page = clients.http_get(httpd.http_port, "/old-browser.html", host="www.example.org")
    assert page.status == 200


def test_port_per_domain(httpd, pki):
    ports = load_example(httpd, pki, "port-per-domain.conf")
    for site, port in (("www.example.org", 443), ("shop.example.org", 8443),
                       ("blog.example.org", 8444)):
        assert no_sni(httpd, site, port=ports[port]).body == f"site {site}\n"
        assert with_sni(httpd, site, port=ports[port]).body == f"site {site}\n"
    records = httpd.wait_for_log("nosni.log", lambda t: t.count('"event":"request"') >= 3)
    assert len({p for p in re.findall(r'"local_port":(\d+)', records)}) == 3


def test_logging_only(httpd, pki):
    # The example adds logging to a server that already has an HTTPS site (here the harness's).
    text = (EXAMPLES / "logging-only.conf").read_text().replace("${APACHE_LOG_DIR}",
                                                                f"{httpd.root}/logs")
    httpd.start(AUTHZ_HOST + text)
    assert httpd.curl("/", headers={"Host": "default.test"})[0].status == 200  # nothing changes
    assert httpd.curl("/", sni="a.test")[0].status == 200
    # the status URL the example's comment gives: plain HTTP, from the server itself
    status = clients.http_get(httpd.http_port, "/snifallback-status?json", host="localhost")
    assert status.status == 200 and '"no_sni":1' in status.body
    assert '"GET / HTTP/1.1" 200' in httpd.wait_for_log("nosni_access.log", lambda t: t.strip() != "")
