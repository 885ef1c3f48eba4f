"""The client inventory is keyed by address, class and JA4 (issue 31): clients of one address and
one TLS library that fall back for different reasons (an IP address in SNI, a name no vhost
serves) are separate rows, in ?json and in the status page's Top fingerprints, named alike."""
import json
import urllib.request
import xml.etree.ElementTree as ET

from snifharness.records import json_records

SNIPPET = ('SNIFallbackClients no-sni ip-literal unknown-name\n'
           'SNIFallbackLog logs/nosni.log\n'
           '<Location "/snif-status">\n    SetHandler snifallback-status\n</Location>\n')
FOXIO_HEADER = "Application,Library,Device,OS,ja4,ja4s,ja4h,ja4x,ja4t,ja4tscan,Notes"


def request(user_agent: str) -> bytes:
    return (f"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: {user_agent}\r\n"
            "Connection: close\r\n\r\n").encode()


def status(httpd) -> dict:
    # with SNI: the status request adds no fallback client
    return json.loads(httpd.curl("/snif-status?json", sni="a.test")[0].body)


def send_the_issues_clients(httpd) -> None:
    """As the issue tried it: from one address, with one TLS library (openssl s_client), four
    clients that put an IP address in SNI and two that send a name no vhost serves."""
    for _ in range(4):
        httpd.s_client(request("lynx"), servername="127.0.0.1")
    for _ in range(2):
        httpd.s_client(request("curl/7.1"), servername="old.example.org")


def fingerprint_rows(httpd) -> list[list[str]]:
    """The rows of the page's Top fingerprints table, each as its cells' text."""
    with urllib.request.urlopen(f"http://127.0.0.1:{httpd.http_port}/snif-status") as page:
        root = ET.fromstring(page.read().decode())
    body = root.find("body")
    children = list(body)
    [heading] = [i for i, e in enumerate(children) if e.tag == "h2" and e.text == "Top fingerprints"]
    table = next(e for e in children[heading:] if e.tag == "div").find("table")
    return [["".join(cell.itertext()) for cell in row] for row in table.findall("tr")[1:]]


def test_ip_literal_and_unknown_name_clients_of_one_address_are_two_rows(httpd):
    httpd.start(SNIPPET)
    send_the_issues_clients(httpd)
    text = httpd.wait_for_log("nosni.log", lambda t: t.count('"event":"request"') >= 6)
    found, invalid = json_records(text)
    assert not invalid
    ja4s = {r["ja4"] for r in found}
    assert len(ja4s) == 1, ja4s  # one TLS library: one fingerprint for both classes

    clients = status(httpd)["clients"]
    rows = sorted((c["client_ip"], c["class"], c["ja4"], c["sni"], c["user_agent"], c["count"])
                  for c in clients)
    [ja4] = ja4s
    assert rows == [("127.0.0.1", "ip-literal", ja4, "127.0.0.1", "lynx", 4),
                    ("127.0.0.1", "unknown-name", ja4, "old.example.org", "curl/7.1", 2)]

    # Top fingerprints: one row per JA4 and class, with the class shown
    page = fingerprint_rows(httpd)
    assert len(page) == 2, page
    assert [(r[1], r[2], r[3]) for r in page] == [("ip-literal", "4", "1"),
                                                 ("unknown-name", "2", "1")]
    assert all(r[0].startswith(ja4) for r in page)

    # Named by their JA4 after a graceful restart: both rows survive it, both carry the name.
    names = httpd.root / "conf" / "names.csv"
    names.write_text(f"{FOXIO_HEADER}\nRetro Browser,OpenSSL,,,{ja4},,,,,,\n")
    httpd.write_config(snippet=SNIPPET + f"SNIFallbackClientNames {names}\n")
    httpd.graceful()
    clients = status(httpd)["clients"]
    assert sorted((c["class"], c["count"], c["client_name"]) for c in clients) == [
        ("ip-literal", 4, "Retro Browser / OpenSSL"),
        ("unknown-name", 2, "Retro Browser / OpenSSL")]
    page = fingerprint_rows(httpd)
    assert [r[1] for r in page] == ["ip-literal", "unknown-name"]
    assert all("Retro Browser / OpenSSL" in r[0] for r in page), page
