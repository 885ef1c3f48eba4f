"""SNIFallbackLog with the daemons a Debian server has around it: logrotate and rsyslog.

Rotation: Debian's logrotate rule for Apache (/etc/logrotate.d/apache2) renames
/var/log/apache2/*.log and then reloads Apache, a graceful restart that reopens the logs. The test
runs that same rule, pointed at its server's logs directory and with a postrotate that does for
this server what Debian's reload does (`apache2 -k graceful`), while no-SNI clients keep
connecting. Every record must be whole, and in exactly one of the two files; after the reload the
module writes to the new file.

syslog: `SNIFallbackLog syslog:local0` sends each record as one datagram to /dev/log, as syslog(3)
would. The test starts an rsyslogd of its own (own config, pid file, work directory and imuxsock
socket) and runs apache2 in a mount namespace of its own whose /dev is a private copy of the
machine's (a tmpfs with the same devices, directories bind-mounted), with that socket as /dev/log:
the machine's logging and /dev are left alone, and two runs side by side share nothing. (It once
created an empty /dev/log on the machine as a mount point and removed it afterwards: a run beside it
that removed it detached the other run's mount, and that server's records went nowhere, without a
word from syslog(3).)

A burst of 1,000 no-SNI connections must arrive as 2,000 messages, each one whole record. "Late" is
told from "lost" without a clock: after apache2 has stopped gracefully (every record handed over), a
marker is sent to the same socket; rsyslogd writes in the order it reads, so once the marker is in
the file, anything missing was lost. With no daemon listening, every record is counted in
log.records_dropped and SNIF0053 says so.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from snifharness.apache import APACHE
from snifharness.httpd import ALWAYS_EXPECTED
from snifharness.process import private_dev_log_prefix, run, wait_until
from snifharness.records import level_lines

DEBIAN_RULE = Path("/etc/logrotate.d/apache2")


def records(path: Path) -> list[dict]:
    """Every line of a log as JSON: fails on a line that is not one whole record."""
    text = path.read_text() if path.exists() else ""
    assert not text or text.endswith("\n"), f"{path.name} ends in a partial line"
    return [json.loads(line) for line in text.splitlines()]


def request_uris(recs: list[dict]) -> list[str]:
    return [r["uri"] for r in recs if r["event"] == "request"]


class Clients:
    """Threads sending no-SNI requests (one connection each, numbered paths) until stopped."""

    def __init__(self, httpd, prefix: str, threads: int = 3):
        self.httpd = httpd
        self.prefix = prefix
        self.lock = threading.Lock()
        self.next = 0
        self.answered: list[str] = []
        self.failed: list[str] = []
        self.stopping = threading.Event()
        self.threads = [threading.Thread(target=self._run, daemon=True) for _ in range(threads)]

    def _run(self) -> None:
        while not self.stopping.is_set():
            with self.lock:
                path = f"/?{self.prefix}-{self.next}"
                self.next += 1
            try:
                status = self.httpd.python_get(path).status
                with self.lock:
                    (self.answered if status == 200 else self.failed).append(path)
            except OSError as e:
                with self.lock:
                    self.failed.append(f"{path}: {e}")

    def count(self) -> int:
        with self.lock:
            return len(self.answered)

    def __enter__(self) -> "Clients":
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stopping.set()
        for t in self.threads:
            t.join()


def logrotate_config(httpd) -> str:
    """Debian's rule for /var/log/apache2, for this server's logs and this server's reload."""
    if not DEBIAN_RULE.exists():
        pytest.skip(f"{DEBIAN_RULE} (Debian's apache2 package) is not installed")
    rule = DEBIAN_RULE.read_text()
    assert "/var/log/apache2/*.log {" in rule and re.search(r"postrotate\n.*?endscript", rule, re.S)
    rule = rule.replace("/var/log/apache2/*.log", f"{httpd.root}/logs/*.log")
    # Debian's postrotate: invoke-rc.d apache2 reload -> apache2ctl graceful -> apache2 -k graceful
    graceful = f"\t\t{APACHE} -f {httpd.root}/conf/httpd.conf -k graceful\n"
    return re.sub(r"(postrotate\n).*?(\s*endscript)", lambda m: m.group(1) + graceful.rstrip("\n")
                  + m.group(2), rule, count=1, flags=re.S)


def test_logrotate_and_reload_lose_and_split_no_record(httpd):
    if os.geteuid() != 0:
        pytest.skip("Debian's rule creates the new logs as root:adm (create 640 root adm)")
    logrotate = shutil.which("logrotate") or "/usr/sbin/logrotate"
    if not Path(logrotate).exists():
        pytest.skip("logrotate is not installed (scripts/deps.sh installs it)")
    httpd.start("SNIFallbackLog logs/nosni.log\n")
    config = httpd.root / "logrotate.conf"
    config.write_text(logrotate_config(httpd))
    logs = httpd.root / "logs"
    old, new = logs / "nosni.log.1", logs / "nosni.log"
    error_offset = httpd.log_offset

    with Clients(httpd, "rot") as clients:
        assert wait_until(lambda: clients.count() >= 30, timeout=60), clients.failed
        done = run([logrotate, "-v", "-f", "-s", str(httpd.root / "logrotate.state"), str(config)],
                   check=False)
        assert done.returncode == 0, done.stdout + done.stderr
        assert old.exists(), "logrotate renamed nothing:\n" + done.stderr
        # the reload: the new generation reports in the new error log
        assert wait_until(lambda: "resuming normal operations" in httpd.log("error.log"), timeout=60), \
            httpd.log("error.log")
        rotated_at = clients.count()
        assert wait_until(lambda: clients.count() >= rotated_at + 30, timeout=60), clients.failed
    assert not clients.failed, clients.failed[:5]
    sent = clients.answered

    # Records of connections still open at the rotation go to the renamed file; wait for all.
    def settled() -> bool:
        try:
            return len(request_uris(records(old)) + request_uris(records(new))) >= len(sent)
        except (AssertionError, ValueError):
            return False  # a record being appended right now

    assert wait_until(settled, timeout=30)
    before, after = records(old), records(new)
    uris = request_uris(before) + request_uris(after)
    assert sorted(uris) == sorted(sent), "lost or doubled: " + repr(
        sorted(set(uris).symmetric_difference(sent)) or [u for u in uris if uris.count(u) > 1])
    assert request_uris(before) and request_uris(after), "the rotation did not split the stream"
    handshakes = [r for r in before + after if r["event"] == "handshake"]
    assert len(handshakes) == len(sent)  # one connection per request

    # Long after the reload, a new client's records go to the new file only.
    assert httpd.python_get("/?after-rotation").status == 200
    assert wait_until(lambda: "/?after-rotation" in new.read_text(), timeout=60)
    assert "/?after-rotation" not in old.read_text()
    assert oct(new.stat().st_mode & 0o777) == "0o640"  # the file logrotate created is in use

    # The error log was rotated too: look at both halves, then let the fixture carry on.
    halves = httpd.log("error.log.1")[error_offset:] + httpd.log("error.log")
    httpd.mark_log()
    bad = [ln for ln in level_lines(halves)
           if not any(re.search(p, ln) for p in httpd.expected_log + ALWAYS_EXPECTED)]
    assert not bad, bad
    httpd.mark_log()


# -- syslog through a real rsyslogd ---------------------------------------------------------------
RSYSLOG_CONF = """# rsyslogd of tests/integration/test_110: its own socket, nothing of the system's
global(workDirectory="{dir}/work")
module(load="imuxsock" SysSock.Use="off")
input(type="imuxsock" Socket="{dir}/log.sock" RateLimit.Interval="0")
template(name="record" type="string"
         string="%syslogfacility-text%|%syslogseverity-text%|%programname%|%msg%\\n")
local0.* action(type="omfile" file="{dir}/local0.log" template="record")
"""


@pytest.fixture
def rsyslog(httpd):
    rsyslogd = shutil.which("rsyslogd") or "/usr/sbin/rsyslogd"
    if not Path(rsyslogd).exists():
        pytest.skip("rsyslog is not installed (scripts/deps.sh installs it)")
    directory = Path(tempfile.mkdtemp(prefix="rsyslog-", dir=httpd.root))  # one per test
    (directory / "work").mkdir()
    os.chmod(directory, 0o755)
    conf = directory / "rsyslog.conf"
    conf.write_text(RSYSLOG_CONF.format(dir=directory))
    pidfile = directory / "rsyslogd.pid"
    proc = subprocess.Popen([rsyslogd, "-n", "-f", str(conf), "-i", str(pidfile)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    socket_path = directory / "log.sock"
    try:
        if not wait_until(lambda: socket_path.exists() or proc.poll() is not None, timeout=30) \
                or proc.poll() is not None:
            pytest.fail("rsyslogd did not start:\n"
                        + (proc.stdout.read() if proc.poll() is not None else "(no socket)"))
        yield directory
    finally:
        httpd.stop()  # before rsyslogd goes away, so that no record is sent into the void
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        proc.stdout.close()


@pytest.fixture
def dev_log_namespace(httpd, rsyslog):
    """apache2 started in a private mount namespace with a private /dev whose log is rsyslog's."""
    if os.geteuid() != 0 or not shutil.which("unshare"):
        pytest.skip("a private mount namespace needs root and unshare (util-linux)")
    probe = run(["unshare", "--mount", "--propagation", "private", "true"], check=False)
    if probe.returncode != 0:
        pytest.skip(f"cannot create a mount namespace here: {probe.stderr.strip()}")
    httpd.command_prefix = private_dev_log_prefix(rsyslog / "log.sock", httpd.root / "dev.ns")
    try:
        yield rsyslog
    finally:
        httpd.stop()
        httpd.command_prefix = []


STATUS = '<Location "/snif-status">\n    SetHandler snifallback-status\n</Location>\n'


def log_counters(httpd) -> dict:
    url = f"http://127.0.0.1:{httpd.http_port}/snif-status?json"
    with urllib.request.urlopen(url, timeout=30) as response:
        return json.load(response)["log"]


def graceful_stop(httpd, timeout: float = 120) -> None:
    """apache2 -k graceful-stop: every connection ends as usual, so every record is handed over."""
    httpd.proc.send_signal(signal.SIGWINCH)
    httpd.proc.wait(timeout=timeout)
    httpd.stop()


def read_through_marker(directory: Path, timeout: float = 120) -> list[str]:
    """Sends a marker to rsyslogd's socket and waits (as long as the machine needs) until it is in
    the file; returns the lines before it: all rsyslogd got before the marker."""
    out, marker = directory / "local0.log", f"snif-marker-{uuid.uuid4()}"
    run(["logger", "--socket", str(directory / "log.sock"), "-p", "local0.info", "-t", "marker",
         marker])

    def text() -> str:
        return out.read_text() if out.exists() else ""

    assert wait_until(lambda: marker in text(), timeout=timeout, step=0.2), \
        f"rsyslogd did not write the marker within {timeout} s"
    lines = text().splitlines()
    index = next(i for i, line in enumerate(lines) if marker in line)
    assert index == len(lines) - 1, "lines after the marker: " + repr(lines[index + 1:][:3])
    return lines[:index]


def test_syslog_local0_through_rsyslog_one_whole_record_per_message(httpd, dev_log_namespace):
    httpd.start("SNIFallbackLog syslog:local0\n" + STATUS)
    paths = [f"/?burst-{i}" for i in range(1000)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(lambda p: httpd.python_get(p).status, paths))
    assert statuses == [200] * len(paths)
    graceful_stop(httpd)
    # Anything still missing now is lost, not late.
    messages = read_through_marker(dev_log_namespace)
    assert "SNIF0053" not in httpd.new_error_log()  # the module dropped nothing
    assert len(messages) == 2 * len(paths)  # nothing lost, nothing more either
    recs = []
    for message in messages:
        facility, severity, program, msg = message.split("|", 3)
        assert (facility, severity, program) == ("local0", "info", "apache2"), message
        recs.append(json.loads(msg))  # the message is exactly one whole record
    assert sorted(request_uris(recs)) == sorted(paths)
    handshakes = [r for r in recs if r["event"] == "handshake"]
    assert len(handshakes) == len(paths)
    assert all(r["sni"] is None and r["client_ip"] == "127.0.0.1" for r in recs)


def test_syslog_without_a_daemon_counts_every_record_and_says_so(httpd, dev_log_namespace):
    httpd.start("SNIFallbackLog syslog:local0\n" + STATUS)
    assert httpd.python_get("/?before").status == 200
    # rsyslogd goes away: /dev/log is a socket nobody reads any more.
    os.kill(int((dev_log_namespace / "rsyslogd.pid").read_text()), signal.SIGTERM)

    def refused() -> bool:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as probe:
            try:
                probe.connect(str(dev_log_namespace / "log.sock"))
            except OSError:  # refused, or the name removed
                return True
            return False

    assert wait_until(refused, timeout=60)
    httpd.expected_log = [r"SNIF0053: SNIFallbackLog syslog:local0: the syslog daemon at /dev/log "
                          r"did not take a record"]
    started = time.monotonic()
    for i in range(10):
        assert httpd.python_get(f"/?gone-{i}").status == 200
    # a refused socket costs no wait
    assert time.monotonic() - started < 60
    # 2 records a connection (request and handshake), each counted
    assert wait_until(lambda: log_counters(httpd)["records_dropped"] == 20, timeout=60), \
        log_counters(httpd)
    assert "SNIF0053" in httpd.new_error_log()


def test_syslog_daemon_that_stalls_costs_a_bounded_wait_and_every_record_is_accounted_for(
        httpd, dev_log_namespace):
    """rsyslogd stopped (SIGSTOP) for a while: its socket fills, the module waits a bounded time
    per process, then drops and counts; once it runs again, records flow again. Every record ends
    up either in the file or in log.records_dropped: waiting until the two add up tells records
    that are late from records that are lost."""
    out = dev_log_namespace / "local0.log"
    httpd.start("SNIFallbackLog syslog:local0\n" + STATUS)
    httpd.expected_log = [r"SNIF0053: SNIFallbackLog syslog:local0: the syslog daemon at /dev/log "
                          r"did not take a record"]
    pid = int((dev_log_namespace / "rsyslogd.pid").read_text())
    requests = 30
    os.kill(pid, signal.SIGSTOP)
    try:
        started = time.monotonic()
        for i in range(requests):
            assert httpd.python_get(f"/?stalled-{i}").status == 200
        # each child process waits once (5 s), then drops at once while the daemon stalls
        assert time.monotonic() - started < 5 * 16 + 60
        assert wait_until(lambda: log_counters(httpd)["records_dropped"] > 0, timeout=60)
    finally:
        os.kill(pid, signal.SIGCONT)

    def delivered() -> int:
        text = out.read_text() if out.exists() else ""
        return sum(1 for line in text.splitlines() if line.startswith("local0|info|apache2|"))

    # recovery: a new connection's records reach the file again (a process still marked as
    # stalled tries once more without waiting; a few connections make sure one gets through)
    def recovered() -> bool:
        assert httpd.python_get("/?after-stall").status == 200
        return "/?after-stall" in (out.read_text() if out.exists() else "")

    assert wait_until(recovered, timeout=120, step=1)
    # every record: delivered or dropped; 2 records per connection (request and handshake)

    def balanced() -> bool:
        after = httpd.log("access.log").count("/?after-stall")
        return delivered() + log_counters(httpd)["records_dropped"] == 2 * (requests + after)

    assert wait_until(balanced, timeout=120, step=0.5), (
        delivered(), log_counters(httpd), httpd.log("access.log").count("/?after-stall"))
    assert "SNIF0053" in httpd.new_error_log()
