"""A fleet with real parts: two apache2 with the module, each sending its records with
`SNIFallbackLog syslog:local0` to its own rsyslogd, which keeps a file of its server's records and
forwards them over TCP (omfwd) to a central rsyslogd (imtcp on a free loopback port) that writes
them all to one file. snifallback-report over that one file must equal the union of both
servers' own views: per client (class, JA4) and server, the counts the report makes of each
server's local file; per server, the counters and client inventory of its ?json status page.

Each apache2 runs in a mount namespace of its own in which its rsyslogd's socket is bind-mounted
onto /dev/log (where the module sends syslog records) in a private /dev, as test_110 does for one
server; the machine's logging and /dev are left alone. The local rsyslogds name their host web1 and web2 (global localHostname),
which is what the central file's lines carry and the report takes as the server.

Run twice: both servers logging JSON, and web2 logging logfmt (`SNIFallbackLogFormat logfmt`), so
that web2's own file is logfmt and the central file mixes the two formats line by line, as a fleet
that is switching formats has it; the report must read all of it the same.
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import ssl
import subprocess
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from snifharness import report_model
from snifharness.httpd import Httpd
from snifharness.ports import free_port
from snifharness.process import private_dev_log_prefix, run, wait_until

RSYSLOGD = shutil.which("rsyslogd") or "/usr/sbin/rsyslogd"
REPORT = Path(os.environ.get("SNIFALLBACK_BUILD_DIR", "")) / "mod_snifallback/cli/snifallback-report"

CENTRAL_CONF = """# the central rsyslogd of tests/integration/test_190: TCP in, one file out
global(workDirectory="{dir}/work")
module(load="imtcp")
input(type="imtcp" address="127.0.0.1" port="{port}")
local0.* action(type="omfile" file="{dir}/central.log" template="RSYSLOG_TraditionalFileFormat")
"""

LOCAL_CONF = """# a server's own rsyslogd (tests/integration/test_190): its socket, a file, a forward
global(workDirectory="{dir}/work" localHostname="{host}")
module(load="imuxsock" SysSock.Use="off")
input(type="imuxsock" Socket="{dir}/log.sock" RateLimit.Interval="0")
template(name="bare" type="string" string="%msg%\\n")
local0.* action(type="omfile" file="{dir}/local.log" template="bare")
local0.* action(type="omfwd" target="127.0.0.1" port="{port}" protocol="tcp"
                queue.type="LinkedList" action.resumeRetryCount="-1")
"""

STATUS = '<Location "/snif-status">\n    SetHandler snifallback-status\n</Location>\n'
CONFIG = "SNIFallbackLog syslog:local0\nSNIFallbackClients no-sni ip-literal\n" + STATUS


class Rsyslogd:
    def __init__(self, directory: Path, conf: str, ready: Path | None = None):
        self.dir = directory
        (directory / "work").mkdir(parents=True)
        os.chmod(directory, 0o755)
        (directory / "rsyslog.conf").write_text(conf)
        self.proc = subprocess.Popen(
            [RSYSLOGD, "-n", "-f", str(directory / "rsyslog.conf"), "-i",
             str(directory / "rsyslogd.pid")],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.ready = ready

    def wait_ready(self, check) -> None:
        if not wait_until(lambda: check() or self.proc.poll() is not None, timeout=30) \
                or self.proc.poll() is not None:
            output = self.proc.stdout.read() if self.proc.poll() is not None else "(not ready)"
            pytest.fail(f"rsyslogd in {self.dir} did not start:\n{output}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc.stdout.close()


def tcp_accepts(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


# The log format of each server: every server JSON, or web2 logfmt.
FORMATS = {"json": {"web1": "json", "web2": "json"},
           "web2-logfmt": {"web1": "json", "web2": "logfmt"}}


@pytest.fixture(params=sorted(FORMATS))
def fleet(pki, tmp_path, request):
    if os.geteuid() != 0 or not shutil.which("unshare"):
        pytest.skip("private mount namespaces for /dev/log need root and unshare (util-linux)")
    if not Path(RSYSLOGD).exists():
        pytest.skip("rsyslog is not installed (scripts/deps.sh installs it)")
    if not REPORT.exists():
        pytest.fail(f"{REPORT} is not built")
    probe = run(["unshare", "--mount", "--propagation", "private", "true"], check=False)
    if probe.returncode != 0:
        pytest.skip(f"cannot create a mount namespace here: {probe.stderr.strip()}")
    module = os.environ["SNIFALLBACK_MODULE"]
    mpm = os.environ.get("SNIFALLBACK_MPM", "event")
    daemons, servers = [], []
    try:
        port = free_port()
        central = Rsyslogd(tmp_path / "central", CENTRAL_CONF.format(dir=tmp_path / "central",
                                                                      port=port))
        daemons.append(central)
        central.wait_ready(lambda: tcp_accepts(port))
        locals_ = {}
        for host in ("web1", "web2"):
            d = tmp_path / host
            local = Rsyslogd(d, LOCAL_CONF.format(dir=d, host=host, port=port))
            daemons.append(local)
            local.wait_ready(lambda d=d: (d / "log.sock").exists())
            httpd = Httpd(pki, module, mpm=mpm)
            # a private /dev whose log is this rsyslogd's: the machine's /dev is left alone
            httpd.command_prefix = private_dev_log_prefix(d / "log.sock", d / "dev.ns")
            servers.append(httpd)
            log_format = FORMATS[request.param][host]
            httpd.start(CONFIG + f"SNIFallbackLogFormat {log_format}\n")
            locals_[host] = (httpd, d / "local.log", log_format)
        yield central, locals_
    finally:
        for httpd in servers:
            httpd.cleanup()  # before the rsyslogds go, so that no record is sent into the void
        for daemon in reversed(daemons):
            daemon.stop()


def rejecting_client(port: int) -> None:
    """A client without SNI that checks the certificate against the system's CAs: it rejects the
    test CA's certificate and ends the handshake with an alert (a failed handshake)."""
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
        with pytest.raises(ssl.SSLError):
            ctx.wrap_socket(raw, server_hostname=None)


def traffic(httpd: Httpd, python: int, curl: int, ip_literal: int, rejected: int) -> None:
    """No-SNI clients of three TLS stacks, IP-literal SNI, and failing handshakes."""
    jobs = ([lambda i=i: httpd.python_get(f"/?py-{i}") for i in range(python)]
            + [lambda i=i: httpd.curl(f"/?curl-{i}", f"/?curl-{i}b") for i in range(curl)]
            + [lambda i=i: httpd.s_client(b"GET /?ip-%d HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                          b"Connection: close\r\n\r\n" % i,
                                          servername="127.0.0.1") for i in range(ip_literal)]
            + [lambda: rejecting_client(httpd.https_port) for _ in range(rejected)])
    with ThreadPoolExecutor(4) as pool:
        for future in [pool.submit(job) for job in jobs]:
            future.result()


def status(httpd: Httpd) -> dict:
    # plain HTTP: the status request is no TLS connection and changes nothing it shows
    url = f"http://127.0.0.1:{httpd.http_port}/snif-status?json"
    with urllib.request.urlopen(url, timeout=10) as answer:
        return json.load(answer)


def lines(path: Path) -> list[str]:
    return path.read_text().splitlines() if path.exists() else []


def report(*args) -> dict:
    done = subprocess.run([str(REPORT), "--format", "json", *map(str, args)], capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_report_of_the_central_file_is_the_union_of_both_servers(fleet):
    central, servers = fleet
    traffic(servers["web1"][0], python=40, curl=15, ip_literal=10, rejected=8)
    traffic(servers["web2"][0], python=25, curl=5, ip_literal=0, rejected=12)
    formats = {host: log_format for host, (_, _, log_format) in servers.items()}

    # Each server's own view: its counters; its rsyslogd's file fills up to them.
    views = {}
    for host, (httpd, local, log_format) in servers.items():
        # the module wrote the format it was told to
        assert all(line.lstrip().startswith("{" if log_format == "json" else "time=")
                   for line in lines(local)), (host, lines(local)[:2])

        def ended(doc):
            c = doc["connections"]
            return (c["no_sni_established"] + c["no_sni_failed"] == c["no_sni"]
                    and c["ip_literal_established"] + c["ip_literal_failed"] == c["ip_literal"])
        assert wait_until(lambda: ended(status(httpd)), timeout=60), status(httpd)
        doc = status(httpd)
        c, r = doc["connections"], doc["requests"]
        expected_records = c["no_sni"] + c["ip_literal"] + r["no_sni"] + r["ip_literal"]
        assert wait_until(lambda: len(lines(local)) >= expected_records, timeout=120), \
            (host, len(lines(local)), expected_records)
        assert len(lines(local)) == expected_records, host
        views[host] = doc
    total = sum(len(lines(local)) for _, local, _ in servers.values())
    central_log = central.dir / "central.log"
    assert wait_until(lambda: len(lines(central_log)) >= total, timeout=120), \
        (len(lines(central_log)), total)
    assert len(lines(central_log)) == total
    # the central file holds each server's format (mixed when web2 writes logfmt)
    central_formats = {"json" if line.split(": ", 1)[1].startswith("{") else "logfmt"
                       for line in lines(central_log)}
    assert central_formats == set(formats.values()), central_formats
    assert 200 <= total <= 600  # a few hundred records: small enough not to test load

    fleet_report = report(central_log)
    assert fleet_report["input"]["bad_lines"] == 0, fleet_report["input"]["problems"]
    assert fleet_report["input"]["records"] == total
    by_server = {s["server"]: s for s in fleet_report["servers"]}
    assert set(by_server) == {"web1", "web2"}

    per_server = report_model.tool_rows(report(central_log, "--per-server"), per_server=True)
    union = {}
    for host, (_, local, log_format) in servers.items():
        # the server's own file, through the same tool ...
        own_report = report(local)
        assert own_report["input"]["bad_lines"] == 0, own_report["input"]["problems"]
        own = report_model.tool_rows(own_report)
        for (cls, ja4), row in own.items():
            union[(cls, ja4, host)] = {**row, "servers": [host]}
        # ... and through the Python model (which reads JSON; a logfmt file is held to the
        # status page below, and to the central file's rows)
        if log_format == "json":
            assert own == {k: {**v, "servers": own[k]["servers"]} for k, v in
                           report_model.summaries(report_model.rows({"x": lines(local)})).items()}
        # ... and its status page: counters per class, inventory count per client
        doc = views[host]
        mine = {k: v for k, v in per_server.items() if k[2] == host}
        conns = lambda cls: sum(v["connections"] for k, v in mine.items() if k[0] == cls)
        failed = lambda cls: sum(v["failed"] for k, v in mine.items() if k[0] == cls)
        reqs = lambda cls: sum(v["requests"] for k, v in mine.items() if k[0] == cls)
        c, r = doc["connections"], doc["requests"]
        assert (conns("no-sni"), failed("no-sni"), reqs("no-sni")) == \
            (c["no_sni"], c["no_sni_failed"], r["no_sni"]), host
        assert (conns("ip-literal"), failed("ip-literal"), reqs("ip-literal")) == \
            (c["ip_literal"], c["ip_literal_failed"], r["ip_literal"]), host
        assert by_server[host]["connections"] == c["no_sni"] + c["ip_literal"]
        assert by_server[host]["requests"] == r["no_sni"] + r["ip_literal"]
        inventory = {}
        for client in doc["clients"]:
            key = (client["class"], client["ja4"] or "", host)
            inventory[key] = inventory.get(key, 0) + client["count"]
        assert inventory == {k: v["connections"] for k, v in mine.items()}, host
    assert per_server == union

    # what the traffic was: two no-SNI stacks (Python, curl) and IP-literal clients (openssl) on
    # web1, failures on both
    web1 = {k: v for k, v in per_server.items() if k[2] == "web1"}
    assert sum(v["failed"] for v in per_server.values()) == 20
    assert {k[0] for k in web1} == {"no-sni", "ip-literal"}
    assert len({k[1] for k in web1 if k[0] == "no-sni"}) >= 2
    # and neither server complained
    for host, (httpd, _, _) in servers.items():
        assert not httpd.unexpected_log_lines(), (host, httpd.unexpected_log_lines())
