"""?metrics, the Prometheus text exposition, checked by the real thing: promtool, and a Prometheus
server (Debian's, started here on a free loopback port) that scrapes one or two apache2 instances
and answers PromQL through its HTTP API.

Prometheus scrapes over HTTPS as an SNI client of default.test with the test CA: it connects to
127.0.0.1:port and sends that address as Host, so the name in SNI must be one of the address's
default vhost (another vhost's name gets 421 from mod_ssl, since Host and SNI would select vhosts
with different certificates). Its scrapes are then TLS connections served by name: fallback
counters are compared exactly, the TLS connection total only as "at least".
"""
import json
import re
import time
from dataclasses import astuple, dataclass
from pathlib import Path

import pytest

from snifharness import clients, exact_sni, process
from snifharness.httpd import Httpd
from snifharness.ports import free_port
from snifharness.prometheus import Prometheus, check_config, check_metrics, snifallback_job

STATUS_PATH = "/snif-status"
STATUS = f'<Location "{STATUS_PATH}">\n    SetHandler snifallback-status\n</Location>\n'
ALL_CLASSES = "SNIFallbackClients no-sni ip-literal unknown-name\n"
BASE = STATUS + ALL_CLASSES
SCRAPE_AS = "default.test"
README = Path(__file__).resolve().parents[2] / "README.md"


# -- clients ------------------------------------------------------------------------------
def no_sni(port: int) -> None:
    """A request without SNI (Python's ssl), for the default vhost."""
    assert clients.status_of(clients.https_get(port, "/", host="default.test")) == 200


def rejecting_no_sni(server: Httpd) -> None:
    """A handshake without SNI that the client aborts: the certificate is not for a.test."""
    done = clients.s_client(server.https_port, str(server.pki.ca_cert),
                            args=["-verify_hostname", "a.test", "-verify_return_error"])
    assert done.returncode != 0


def named(port: int, sni: str) -> None:
    """A request from a client that puts `sni` in SNI as it is, IP addresses included
    (pyOpenSSL), for the default vhost."""
    assert exact_sni.request(port, sni, "default.test").status == 200


def served_by_name(server: Httpd) -> None:
    """A request with SNI a.test, the certificate checked: no fallback client."""
    assert server.python_get("/", server_hostname="a.test").status == 200


@dataclass
class Mix:
    """How many clients of each kind a test made on one server."""
    no_sni: int = 0        # no SNI, request answered
    rejecting: int = 0     # no SNI, the client aborts the handshake
    ip_literal: int = 0    # 127.0.0.1 in SNI, request answered
    unknown_name: int = 0  # nosuch.test in SNI, request answered
    sni: int = 0           # a.test in SNI: served by name

    def __add__(self, other: "Mix") -> "Mix":
        return Mix(*(a + b for a, b in zip(astuple(self), astuple(other))))

    def make(self, server: Httpd) -> "Mix":
        for _ in range(self.no_sni):
            no_sni(server.https_port)
        for _ in range(self.rejecting):
            rejecting_no_sni(server)
        for _ in range(self.ip_literal):
            named(server.https_port, "127.0.0.1")
        for _ in range(self.unknown_name):
            named(server.https_port, "nosuch.test")
        for _ in range(self.sni):
            served_by_name(server)
        return self

    def connections(self) -> int:
        return sum(astuple(self))

    # What Prometheus must answer, as Prometheus.values() returns it.
    def hellos(self) -> dict:
        return {("no-sni",): self.no_sni + self.rejecting, ("ip-literal",): self.ip_literal,
                ("unknown-name",): self.unknown_name}

    def ended(self) -> dict:
        return {("no-sni", "established"): self.no_sni, ("no-sni", "failed"): self.rejecting,
                ("ip-literal", "established"): self.ip_literal, ("ip-literal", "failed"): 0,
                ("unknown-name", "established"): self.unknown_name,
                ("unknown-name", "failed"): 0}

    def requests(self) -> dict:
        """Every request is for default.test, decided `none`, which is never enforced; cells
        that are zero have no series."""
        counts = {"no-sni": self.no_sni, "ip-literal": self.ip_literal,
                  "unknown-name": self.unknown_name}
        return {("default.test", c, "none", "false"): n for c, n in counts.items() if n}

    # What the module's ?json says once every connection has ended and every request is logged.
    def settled_in(self, doc: dict) -> bool:
        c, r = doc["connections"], doc["requests"]
        return ((c["no_sni"], c["no_sni_established"], c["no_sni_failed"]) ==
                (self.no_sni + self.rejecting, self.no_sni, self.rejecting)
                and (c["ip_literal"], c["ip_literal_established"]) == (self.ip_literal,) * 2
                and (c["unknown_name"], c["unknown_name_established"]) == (self.unknown_name,) * 2
                and (r["no_sni"], r["ip_literal"], r["unknown_name"]) ==
                (self.no_sni, self.ip_literal, self.unknown_name))


def status_json(server: Httpd) -> dict:
    return json.loads(server.curl(f"{STATUS_PATH}?json", sni="a.test")[0].body)


def settle(server: Httpd, made: Mix) -> dict:
    """Waits until the server has counted every connection's end and every request (counted when
    logged, after the client has its answer); returns that ?json document."""
    doc: dict = {}

    def counted() -> bool:
        nonlocal doc
        doc = status_json(server)
        return made.settled_in(doc)

    assert process.wait_until(counted, timeout=30, step=0.2), (made, doc)
    return doc


def counts(prometheus: Prometheus, made: Mix, instance: str | None = None) -> None:
    """The fallback counters Prometheus has for `instance` (else summed over all) are exactly
    those of `made`; the TLS connections are at least those made."""
    where = f'{{instance="{instance}"}}' if instance else ""

    def q(metric: str, *by: str) -> dict:
        return prometheus.values(f"sum by ({', '.join(by)}) ({metric}{where})", *by)

    assert q("snifallback_fallback_hellos_total", "class") == made.hellos()
    assert q("snifallback_fallback_connections_total", "class", "outcome") == made.ended()
    assert q("snifallback_fallback_requests_total", "vhost", "class", "action", "enforced") == \
        made.requests()
    tls = prometheus.values(f"sum(snifallback_tls_connections_total{where})")[()]
    assert tls >= made.connections()


def scrape_jobs(*servers: Httpd) -> list[dict]:
    return [snifallback_job("snifallback", [s.https_port for s in servers], servers[0].pki.ca_cert,
                            SCRAPE_AS, STATUS_PATH)]


def instance(server: Httpd) -> str:
    return f"127.0.0.1:{server.https_port}"


def scraped_after_settling(prometheus: Prometheus, *servers: Httpd) -> None:
    prometheus.wait_for_scrapes(time.time(), {instance(s) for s in servers})


@pytest.fixture
def prometheus():
    server = Prometheus()
    yield server
    server.cleanup()


# -- promtool -----------------------------------------------------------------------------
# ServerNames httpd takes (it refuses only wildcards, * ? [...], and a bad :port) that a label
# value must escape or carry as they are: a quote, backslashes (`\n` here is a backslash and an
# n: a config line cannot hold a newline), braces, comma and equals; an attempt to close the
# label and add a value; tab, space and UTF-8; bytes that are not UTF-8 (two names that are one
# label value).
# As written in the configuration (only \" is unescaped there), and as the label value decoded.
HOSTILE = [
    (rb'evil\"quote\back\nslash}{,=x', 'evil"quote\\back\\nslash}{,=x'),
    (rb'x\"} 99 # y', 'x"} 99 # y'),
    ("tab\tand space b\u00fccher".encode(), "tab\tand space b\u00fccher"),
    (b"inv\xffalid", "inv\ufffdalid"),
    (b"inv\xfealid", "inv\ufffdalid"),
]


def exposition_label(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def hostile_vhosts(server: Httpd) -> list[int]:
    """One vhost per hostile name, each the default vhost of a port of its own (so that a request
    without SNI lands there whatever its Host), in an included file written as bytes."""
    cert, key = server.vhost_cert("default.test")
    ports, conf = [], b""
    for written, _ in HOSTILE:
        port = free_port()
        ports.append(port)
        conf += (f"Listen 127.0.0.1:{port} https\n<VirtualHost 127.0.0.1:{port}>\n"
                 f'    ServerName "').encode() + written + (
                     f'"\n    SSLEngine on\n    SSLCertificateFile "{cert}"\n'
                     f'    SSLCertificateKeyFile "{key}"\n</VirtualHost>\n').encode()
    (server.root / "conf" / "hostile.conf").write_bytes(conf)
    return ports


def start_with_hostile_names(httpd: Httpd) -> list[int]:
    ports = hostile_vhosts(httpd)
    httpd.start(BASE + f'Include "{httpd.root}/conf/hostile.conf"\n')
    # mod_ssl: the default.test certificate names none of them
    httpd.expected_log = [r"AH01909: .* server certificate does NOT include an ID which matches"]
    for i, port in enumerate(ports):
        for _ in range(i + 1):  # a count of its own for every name: 1, 2, 3, ...
            no_sni(port)
    settle(httpd, Mix(no_sni=len(ports) * (len(ports) + 1) // 2))
    return ports


def hostile_expected() -> dict:
    """The request count per label value: the two names that are one value add up."""
    expected: dict = {}
    for i, (_, value) in enumerate(HOSTILE):
        expected[value] = expected.get(value, 0) + i + 1
    return expected


def test_promtool_accepts_the_exposition_with_hostile_server_names(httpd):
    start_with_hostile_names(httpd)
    asked = httpd.curl(f"{STATUS_PATH}?metrics", f"{STATUS_PATH}?metrics=", sni="a.test")
    for answer in asked:
        assert answer.status == 200
        assert answer.headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8"
    text = asked[1].body
    checked = check_metrics(text)
    assert (checked.returncode, checked.stdout, checked.stderr) == (0, "", ""), text
    lines = [line for line in text.splitlines()
             if line.startswith("snifallback_fallback_requests_total{")]
    assert sorted(lines) == sorted(
        f'snifallback_fallback_requests_total{{vhost="{exposition_label(value)}",'
        f'class="no-sni",action="none",enforced="false"}} {count}'
        for value, count in hostile_expected().items())
    # every family: HELP and TYPE; counters end in _total
    types = dict(re.findall(r"^# TYPE (\S+) (\S+)$", text, re.M))
    assert set(re.findall(r"^# HELP (\S+) ", text, re.M)) == set(types)
    assert types == {
        "snifallback_build_info": "gauge", "snifallback_tls_connections_total": "counter",
        "snifallback_fallback_hellos_total": "counter",
        "snifallback_fallback_connections_total": "counter",
        "snifallback_health_check_connections_total": "counter",
        "snifallback_fallback_requests_total": "counter",
        "snifallback_inventory_clients": "gauge", "snifallback_inventory_capacity": "gauge",
        "snifallback_log_records_dropped_total": "counter"}


def test_prometheus_reads_hostile_server_names_back(httpd, prometheus):
    start_with_hostile_names(httpd)
    prometheus.start(scrape_jobs(httpd))
    scraped_after_settling(prometheus, httpd)
    got = prometheus.values("snifallback_fallback_requests_total", "vhost", "class", "action")
    assert got == {(value, "no-sni", "none"): count
                   for value, count in hostile_expected().items()}
    # nothing lost: the series add up to the module's own total
    assert prometheus.values("sum(snifallback_fallback_requests_total)") == \
        {(): status_json(httpd)["requests"]["no_sni"]}


# -- one server ---------------------------------------------------------------------------
def readme_queries() -> list[str]:
    """The PromQL of the README's "Prometheus" subsection: one query a line, # comments."""
    text = README.read_text()
    start = text.index("\n### Prometheus\n")
    section = text[start:text.index("\n## ", start)]  # "Many servers" has fleet-wide queries
    blocks = re.findall(r"```promql\n(.*?)```", section, re.S)
    return [line for block in blocks for line in block.splitlines()
            if line.strip() and not line.lstrip().startswith("#")]


def test_prometheus_counts_the_mix_exactly_and_through_a_graceful_restart(httpd, prometheus):
    httpd.start(BASE)
    prometheus.start(scrape_jobs(httpd))
    me = instance(httpd)
    prometheus.wait_for_scrapes(time.time(), {me})  # a scrape before any client: all zero
    assert prometheus.values("snifallback_fallback_hellos_total", "class") == Mix().hellos()

    made = Mix(no_sni=4, rejecting=2, ip_literal=3, sni=5).make(httpd)
    doc = settle(httpd, made)
    scraped_after_settling(prometheus, httpd)
    counts(prometheus, made, me)
    assert prometheus.values("snifallback_build_info", "version") == {(doc["version"],): 1}
    assert prometheus.values("snifallback_inventory_clients") == {(): len(doc["clients"])}
    assert prometheus.values("snifallback_inventory_capacity") == {(): 64}
    assert prometheus.values("snifallback_log_records_dropped_total") == {(): 0}

    httpd.graceful()
    made += Mix(no_sni=1, rejecting=1, ip_literal=1, sni=1).make(httpd)
    settle(httpd, made)
    scraped_after_settling(prometheus, httpd)
    counts(prometheus, made, me)
    # Prometheus saw every counter only grow, across the restart
    for family, series in [("tls_connections", 1), ("fallback_hellos", 3),
                           ("fallback_connections", 6), ("fallback_requests", 2),
                           ("log_records_dropped", 1)]:
        resets = prometheus.query(f"resets(snifallback_{family}_total[1h])")
        assert [float(r["value"][1]) for r in resets] == [0] * series, family

    # The README's queries, as an operator pastes them: each answers, with the values this
    # mix makes (no-SNI hellos, failed handshakes and requests all grew in the last minutes).
    share, failing, per_action = readme_queries()
    assert 0 < prometheus.values(share)[()] <= 1
    assert prometheus.values(failing)[()] > 0
    assert set(prometheus.values(per_action, "vhost", "action")) == {("default.test", "none")}


def test_readme_scrape_configuration_is_valid(tmp_path):
    [config] = re.findall(r"```yaml\n(scrape_configs:.*?)```", README.read_text(), re.S)
    (tmp_path / "prometheus.yml").write_text(config)
    checked = check_config(tmp_path / "prometheus.yml")
    assert checked.returncode == 0, checked.stdout + checked.stderr


# -- two servers --------------------------------------------------------------------------
def test_one_prometheus_adds_up_two_servers(httpd, prometheus):
    second = Httpd(httpd.pki, httpd.module, mpm=httpd.mpm)
    try:
        httpd.start(BASE)
        second.start(BASE)
        prometheus.start(scrape_jobs(httpd, second))
        first_made = Mix(no_sni=3, rejecting=1, ip_literal=2, unknown_name=1, sni=2).make(httpd)
        second_made = Mix(no_sni=2, ip_literal=1, unknown_name=2, sni=3).make(second)
        settle(httpd, first_made)
        settle(second, second_made)
        scraped_after_settling(prometheus, httpd, second)
        counts(prometheus, first_made, instance(httpd))
        counts(prometheus, second_made, instance(second))
        counts(prometheus, first_made + second_made)
        assert prometheus.values("sum by (class) (snifallback_fallback_hellos_total)", "class") \
            == {("no-sni",): 6, ("ip-literal",): 3, ("unknown-name",): 3}
        assert prometheus.values("count(snifallback_build_info)") == {(): 2}
        assert second.unexpected_log_lines() == []
    finally:
        second.cleanup()
