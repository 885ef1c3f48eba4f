"""SNIFallbackClientNames: a client whose fingerprint a names file knows is named in its records,
the environment, ?json and the status page; one the file does not know has client_name null; a
file that cannot be read or holds a bad row fails `apachectl -t` with the file and line."""
import html
import json
import os
import socket
import ssl
import urllib.request
from pathlib import Path

import pytest

from snifharness.browser import CHROMIUM, chromium
from snifharness.clients import https_get
from snifharness.records import json_records


def http_get(port: int, path: str, headers: dict) -> None:
    """One plain-HTTP/1.1 request from 127.0.0.1, as a proxy that ended TLS sends it."""
    head = f"GET {path} HTTP/1.1\r\nHost: default.test\r\nConnection: close\r\n"
    head += "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall((head + "\r\n").encode())
        while sock.recv(65536):
            pass

# FoxIO's ja4plus-mapping.csv header; the rows below are written for the test.
FOXIO_HEADER = "Application,Library,Device,OS,ja4,ja4s,ja4h,ja4x,ja4t,ja4tscan,Notes"
SNIPPET = ('SNIFallbackLog logs/nosni.log\n'
           'LogFormat "%{SNIFALLBACK_CLIENT}e|%{SNIFALLBACK_JA4}e|%U" names\n'
           'CustomLog logs/names.log names\n'
           '<Location "/snif-status">\n    SetHandler snifallback-status\n</Location>\n')
SOURCE = Path(os.environ.get("SNIFALLBACK_SOURCE_DIR", Path(__file__).resolve().parents[2]))
NAME = "Test Python / OpenSSL"


def python_request(httpd, path: str) -> None:
    """Python's ssl, no SNI: the client the files name."""
    https_get(httpd.https_port, path, user_agent="names-test")


def python_rejecting_the_certificate(httpd) -> None:
    """Python's ssl, no SNI, checking the certificate against no CA: the handshake fails (the
    client sends an alert), so its records have no request and no User-Agent, only a name."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    with socket.create_connection(("127.0.0.1", httpd.https_port), timeout=10) as raw:
        with pytest.raises(ssl.SSLError):
            ctx.wrap_socket(raw, server_hostname=None)


def records(httpd, count: int) -> list[dict]:
    text = httpd.wait_for_log("nosni.log", lambda t: t.count("\n") >= count)
    found, invalid = json_records(text)
    assert not invalid and len(found) >= count, text
    return found


def status(httpd) -> dict:
    # asked with SNI: the status request is no fallback client
    return json.loads(httpd.curl("/snif-status?json", sni="a.test")[0].body)


def names_file(httpd, name: str, text: str) -> str:
    """A file under the server's ServerRoot; returns its path relative to ServerRoot."""
    (httpd.root / "conf" / name).write_text(text)
    return f"conf/{name}"


@pytest.fixture(scope="module")
def python_ja4s(httpd) -> set:
    """The JA4s of the Python clients on this machine, as the module records them."""
    httpd.start(SNIPPET)
    python_request(httpd, "/learn")
    python_rejecting_the_certificate(httpd)
    found = records(httpd, 3)
    assert all(r["client_name"] is None for r in found)  # no names configured
    ja4s = {r["ja4"] for r in found}
    assert all(j.startswith("t13i") for j in ja4s)
    return ja4s


def foxio_file(ja4s, name=("Test Python", "OpenSSL")) -> str:
    rows = [f'{name[0]},{name[1]},,,{ja4},,,,,,"written for the test, with a comma"'
            for ja4 in sorted(ja4s)]
    # FoxIO's file has rows that name no TLS client (JA4T only): read and skipped.
    rows.append(",,,Ubuntu 22.04,,,,,65535_2-4-8-1-3_1460_8,,")
    return FOXIO_HEADER + "\r\n" + "\r\n".join(rows) + "\r\n"


def test_a_client_in_the_file_is_named_one_not_in_it_is_null(httpd, python_ja4s):
    path = names_file(httpd, "names.csv", foxio_file(python_ja4s))
    httpd.start(SNIPPET + f"SNIFallbackClientNames {path}\n")
    assert (f"SNIF0112: SNIFallbackClientNames: {len(python_ja4s)} fingerprints named, from "
            f"{httpd.root}/{path}") in httpd.error_log()
    python_request(httpd, "/named")
    httpd.curl("/unnamed")
    python_rejecting_the_certificate(httpd)
    found = records(httpd, 5)  # two handshakes and two requests, one failed handshake

    requests = {r["uri"]: r for r in found if r["event"] == "request"}
    assert requests["/named"]["client_name"] == NAME
    assert requests["/unnamed"]["ja4"] not in python_ja4s  # curl's hello is not Python's
    assert "client_name" in requests["/unnamed"] and requests["/unnamed"]["client_name"] is None
    handshakes = [r for r in found if r["event"] == "handshake"]
    assert sorted((r["client_name"] or "", r["outcome"].split(":")[0]) for r in handshakes) == [
        ("", "established"), (NAME, "alert"), (NAME, "established")]

    env = {line.split("|")[2]: line.split("|") for line in
           httpd.wait_for_log("names.log", lambda t: "/unnamed" in t and "/named" in t)
           .splitlines()}
    assert env["/named"][:2] == [NAME, requests["/named"]["ja4"]]
    assert env["/unnamed"][:2] == ["-", requests["/unnamed"]["ja4"]]  # unset, not empty

    clients = {c["ja4"]: c for c in status(httpd)["clients"]}
    assert {clients[j]["client_name"] for j in python_ja4s} == {NAME}
    assert clients[requests["/unnamed"]["ja4"]]["client_name"] is None


@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed")
def test_the_status_page_shows_the_name_in_headless_chromium(httpd, python_ja4s):
    path = names_file(httpd, "names.csv", foxio_file(python_ja4s, ("Retro <Client>", "Lib")))
    httpd.start(SNIPPET + f"SNIFallbackClientNames {path}\n")
    python_request(httpd, "/named")
    httpd.curl("/unnamed")
    records(httpd, 4)
    done = chromium("--dump-dom", f"http://127.0.0.1:{httpd.http_port}/snif-status")
    assert "</html>" in done.stdout, done.stderr[-2000:]
    dom = done.stdout
    name = html.escape("Retro <Client> / Lib", quote=False)
    # in the client table (a cell of its own) and under Top fingerprints
    assert f"<td class=\"t\">{name}</td>" in dom
    assert f"<i>{name}</i>" in dom
    assert "<Client>" not in dom  # text, not markup


def test_later_files_win_and_the_projects_file_loads(httpd, python_ja4s):
    own = SOURCE / "conf" / "client-names.csv"
    later = names_file(httpd, "later.csv", foxio_file(python_ja4s, ("Later", "")))
    earlier = names_file(httpd, "earlier.csv", foxio_file(python_ja4s, ("Earlier", "")))
    httpd.start(SNIPPET + f"SNIFallbackClientNames {own} {earlier}\n"
                f"SNIFallbackClientNames {later}\n")
    python_request(httpd, "/named")
    [request] = [r for r in records(httpd, 2) if r["event"] == "request"]
    assert request["client_name"] == "Later"


@pytest.mark.parametrize("content, line, message", [
    (None, None, "SNIF0110: SNIFallbackClientNames: cannot read"),
    (FOXIO_HEADER + "\nA,,,,t13i000000_000000000000_000000000000,,,,,,\n"
     'B,,,,t13i000000_000000000000_111111111111,,,,,,"not closed\n', 3,
     "a quoted field is not closed"),
    ("Application,Library,Device,OS,Notes\nA,,,,\n", 1, "the header names no ja4 or ja3 column"),
])
def test_a_bad_file_fails_the_config_test_with_file_and_line(httpd, content, line, message):
    name = f"bad-{line}.csv"
    if content is None:
        path = "conf/missing.csv"
    else:
        path = names_file(httpd, name, content)
    result = httpd.config_test(snippet=SNIPPET + f"SNIFallbackClientNames {path}\n")
    assert result.returncode != 0
    assert message in result.stderr
    where = f"{httpd.root}/{path}" + (f":{line}:" if line else "")
    assert where in result.stderr
    if line:
        assert "SNIF0111" in result.stderr


def test_duplicate_keys_in_a_file_are_reported_with_file_and_line(httpd, python_ja4s):
    ja4 = sorted(python_ja4s)[0]
    path = names_file(httpd, "dup.csv", FOXIO_HEADER + "\n"
                      f"First,,,,{ja4},,,,,,\n"
                      f"Second,,,,{ja4.upper()},,,,,,\n")
    snippet = SNIPPET + f"SNIFallbackClientNames {path}\n"
    result = httpd.config_test(snippet=snippet)
    assert result.returncode == 0, result.stderr  # a warning, not an error
    warning = (f"SNIF0114: SNIFallbackClientNames: {httpd.root}/{path}:3: ja4 {ja4} is also on "
               "line 2")
    assert warning in result.stderr
    httpd.expected_log = [r"SNIF0114: "]
    httpd.start(snippet)
    assert httpd.error_log().count(warning) == 1  # once per start, not on the pre-flight pass
    python_request(httpd, "/named")
    [request] = [r for r in records(httpd, 2) if r["event"] == "request"]
    assert request["client_name"] == "Second"


def test_a_client_classified_from_a_proxys_headers_is_named_by_their_ja4(httpd, python_ja4s):
    """TLS ended at a trusted proxy, which passes the client's JA4 on in a header."""
    ja4 = sorted(python_ja4s)[0]
    path = names_file(httpd, "names.csv", foxio_file(python_ja4s))
    httpd.start(SNIPPET + f"SNIFallbackClientNames {path}\n"
                "SNIFallbackTrustedProxy 127.0.0.1\n"
                "SNIFallbackProxyHeaders sni=X-TLS-SNI has-sni=X-TLS-Has-SNI ja4=X-TLS-JA4\n")
    unknown = "t12i000000_000000000000_000000000000"
    for uri, header_ja4 in (("/proxied-named", ja4), ("/proxied-unnamed", unknown)):
        http_get(httpd.http_port, uri, headers={"X-TLS-Has-SNI": "0", "X-TLS-JA4": header_ja4})
    found = {r["uri"]: r for r in records(httpd, 2) if r["event"] == "request"}
    assert found["/proxied-named"]["source"] == "proxy-header"
    assert found["/proxied-named"]["client_name"] == NAME
    assert found["/proxied-unnamed"]["client_name"] is None
    env = httpd.wait_for_log("names.log", lambda t: "/proxied-unnamed" in t)
    assert f"{NAME}|{ja4}|/proxied-named" in env
