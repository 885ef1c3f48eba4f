"""Every client that cannot be served by name has a class: no-sni, ip-literal or unknown-name.

The clients here put exactly the bytes a test asks for into SNI (pyOpenSSL, openssl s_client) or
do it by themselves (socat puts the IP address it connects to into SNI).
"""
import json
import re
import subprocess

import pytest

from snifharness import exact_sni

STATUS = '<Location "/snif-status">\n    SetHandler snifallback-status\n</Location>\n'
ACCESS = ('LogFormat "%{Host}i class=%{SNIFALLBACK_CLASS}e missing=%{SNI_MISSING}e '
          'ja4=%{SNIFALLBACK_JA4}e" classes\nCustomLog logs/classes.log classes\n')
BASE = "SNIFallbackLog logs/nosni.json\n" + STATUS + ACCESS
ALL_CLASSES = "SNIFallbackClients no-sni ip-literal unknown-name\n"


def request(httpd, sni: str | None, host: str, http2: bool = False) -> exact_sni.Answer:
    return exact_sni.request(httpd.https_port, sni, host, http2)


def records(httpd, count: int, event: str = "request") -> list:
    text = httpd.wait_for_log("nosni.json", lambda t: t.count(f'"event":"{event}"') >= count)
    return [r for r in map(json.loads, text.splitlines()) if r["event"] == event]


def status(httpd) -> dict:
    return json.loads(httpd.curl("/snif-status?json", sni="a.test")[0].body)


CLIENTS = [  # (what the client sends in SNI, its Host, its class)
    (None, "default.test", "no-sni"),
    ("127.0.0.1", "127.0.0.1", "ip-literal"),
    ("::1", "default.test", "ip-literal"),
    ("nosuch.test", "nosuch.test", "unknown-name"),
    ("a.test.", "a.test", "unknown-name"),  # mod_ssl does not drop a trailing dot
]


@pytest.mark.parametrize("http2", [False, True])
def test_each_class_in_records_env_counters_and_inventory(httpd, http2):
    if http2 and httpd.mpm == "prefork":
        pytest.skip("mod_http2 does not run under the prefork MPM")
    httpd.start(BASE + ALL_CLASSES, vhost_extra={"a.test": "ServerAlias *.a.test"})
    httpd.expected_log = [r"AH02032"]  # "a.test." then Host a.test: mod_ssl's own 421
    for sni, host, _ in CLIENTS:
        answer = request(httpd, sni, host, http2)
        assert answer.certificate_cn == "default.test"  # mod_ssl's default, as without the module
    handshakes = records(httpd, len(CLIENTS), "handshake")
    assert [(r["sni_class"], r["sni"]) for r in handshakes] == [(c, s) for s, _, c in CLIENTS]
    assert all(r["outcome"] == "established" and r["ja4"] for r in handshakes)
    requests = records(httpd, len(CLIENTS))
    assert [(r["sni_class"], r["sni"], r["host"]) for r in requests] == \
        [(c, s, h) for s, h, c in CLIENTS]
    log = httpd.wait_for_log("classes.log", lambda t: t.count("\n") >= len(CLIENTS))
    env = [re.search(r"class=(\S+) missing=(\S+)", line).groups() for line in log.splitlines()]
    assert env[:len(CLIENTS)] == [(c, "1" if c == "no-sni" else "-") for _, _, c in CLIENTS]
    doc = status(httpd)
    assert {k: doc["connections"][k] for k in ("no_sni", "ip_literal", "unknown_name")} == \
        {"no_sni": 1, "ip_literal": 2, "unknown_name": 2}
    assert doc["connections"]["ip_literal_established"] == 2
    assert {k: doc["requests"][k] for k in ("no_sni", "ip_literal", "unknown_name")} == \
        {"no_sni": 1, "ip_literal": 2, "unknown_name": 2}
    # The inventory is keyed by address, class and JA4 (issue 31): the client without SNI has a
    # JA4 of its own ("i"); the four with SNI share one ("d") but are two rows, one per class,
    # each keeping its latest name.
    assert sorted((c["class"], c["sni"], c["count"]) for c in doc["clients"]) == \
        [("ip-literal", "::1", 2), ("no-sni", None, 1), ("unknown-name", "a.test.", 2)]


@pytest.mark.parametrize("sni", ["default.test", "A.TEST", "x.a.test", "Deep.X.A.Test",
                                 "127.0.0.1"])
def test_a_served_name_is_never_a_fallback_client(httpd, sni):
    ip_vhost = f"""
<VirtualHost 127.0.0.1:{httpd.https_port}>
    ServerName 127.0.0.1
    SSLEngine on
    SSLCertificateFile "{httpd.vhost_cert('default.test')[0]}"
    SSLCertificateKeyFile "{httpd.vhost_cert('default.test')[1]}"
</VirtualHost>
"""
    httpd.start(BASE + ALL_CLASSES + "SNIFallbackFingerprint nosni\n" + ip_vhost,
                vhost_extra={"a.test": "ServerAlias *.a.test"})
    httpd.expected_log = [r"AH01909"]  # mod_ssl: the 127.0.0.1 vhost's certificate names no IP
    answer = request(httpd, sni, sni.lower())
    assert answer.status == 200
    doc = status(httpd)
    assert doc["connections"]["tls"] == 2
    assert sum(doc["connections"][k] for k in ("no_sni", "ip_literal", "unknown_name")) == 0
    assert doc["clients"] == []
    assert "nosni.json" not in [p.name for p in (httpd.root / "logs").iterdir()] or \
        httpd.log("nosni.json") == ""
    line = httpd.wait_for_log("classes.log", lambda t: t.strip() != "").splitlines()[0]
    assert "class=- missing=- ja4=-" in line


def test_socat_sends_its_ip_address_and_is_an_ip_literal_client(httpd):
    httpd.start(BASE + ALL_CLASSES)
    done = subprocess.run(["socat", "-t", "5", "-",
                           f"OPENSSL:127.0.0.1:{httpd.https_port},verify=0"],
                          input=b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n",
                          capture_output=True, timeout=30)
    assert b"HTTP/1.1 200" in done.stdout, done.stderr
    [handshake] = records(httpd, 1, "handshake")
    assert (handshake["sni_class"], handshake["sni"]) == ("ip-literal", "127.0.0.1")


@pytest.mark.parametrize("clients, classed", [
    ("", {"no-sni"}),  # the default
    ("SNIFallbackClients no-sni ip-literal\n", {"no-sni", "ip-literal"}),
    ("SNIFallbackClients unknown-name\n", {"unknown-name"}),
])
def test_selected_classes_get_the_fallback_certificate_and_the_action(httpd, clients, classed):
    httpd.start(BASE + clients + "SNIFallbackCertificate legacy.test\n"
                "SNIFallbackAction notice\n")
    httpd.expected_log = [r"SNIF0022"]
    for sni, host, cls in [(None, "default.test", "no-sni"), ("127.0.0.1", "default.test", "ip-literal"),
                           ("nosuch.test", "default.test", "unknown-name")]:
        answer = request(httpd, sni, host)
        if cls in classed:
            assert (answer.certificate_cn, answer.status) == ("legacy.test", 403), cls
        else:  # nothing changes for it: mod_ssl's default certificate, the site
            assert (answer.certificate_cn, answer.status) == ("default.test", 200), cls
    assert sorted(r["sni_class"] for r in records(httpd, len(classed), "handshake")) == \
        sorted(classed)
    doc = status(httpd)
    # counted whatever SNIFallbackClients says
    assert (doc["connections"]["no_sni"], doc["connections"]["ip_literal"],
            doc["connections"]["unknown_name"]) == (1, 1, 1)
    assert doc["requests"]["notice"] == len(classed)


def test_request_time_follows_the_requests_vhost(httpd):
    # The address selects only no-sni (default); b.test also treats unknown names as its own.
    httpd.start(BASE + "SNIFallbackAction notice\n",
                vhost_extra={"b.test": "SNIFallbackClients no-sni unknown-name"})
    httpd.expected_log = [r"AH02032"]
    assert request(httpd, "nosuch.test", "b.test").status == 403
    assert request(httpd, "nosuch.test", "default.test").status == 200
    [rec] = records(httpd, 1)
    assert (rec["host"], rec["action"], rec["sni_class"]) == ("b.test", "notice", "unknown-name")
    assert records(httpd, 0, "handshake") == []  # handshake-time parts follow the address


def test_openssl_s_client_names(httpd):
    httpd.start(BASE + ALL_CLASSES)
    for servername, cls in [("127.0.0.1", "ip-literal"), ("nosuch.test", "unknown-name")]:
        done = httpd.s_client(b"GET / HTTP/1.1\r\nHost: default.test\r\nConnection: close\r\n\r\n",
                              servername=servername)
        assert b"HTTP/1.1 200" in done.stdout
    assert [r["sni_class"] for r in records(httpd, 2, "handshake")] == ["ip-literal",
                                                                       "unknown-name"]


def test_wrong_class_name_fails_the_config_test(httpd):
    done = httpd.config_test(snippet="SNIFallbackClients no-sni ipliteral\n")
    assert done.returncode != 0
    assert ("SNIFallbackClients: unknown class 'ipliteral'; the classes are no-sni (default), "
            "ip-literal and unknown-name") in done.stderr
