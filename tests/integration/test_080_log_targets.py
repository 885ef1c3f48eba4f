"""SNIFallbackLog targets that fail while the server runs: a full disk (a tiny tmpfs), a directory
that goes away or becomes unwritable, and a piped logger whose reader dies.

In every case requests keep being served. A write that fails is reported once per process and
failure streak (SNIF0012), and records resume when the target takes them again.

What "becomes unwritable" means for this log: like CustomLog's, the file is opened once, by the
parent, before the children start; they inherit the descriptor. Permission checks happen only at
open(), so chmod 000 on the directory or removing the directory changes nothing for the running
generation (records keep going into the open file, or into the unlinked inode); only the next
(graceful) restart, which re-opens the path, sees it. A full filesystem, by contrast, fails every
write(): that is the case SNIF0012 is for.
"""
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from snifharness.process import wait_until


def one_child(httpd) -> str:
    """One child process, so that "once per process and failure streak" means exactly once."""
    if httpd.mpm == "prefork":  # one process serves one connection at a time
        # ... and the parent says so (error level) whenever its once-a-second check finds that
        # one busy: on a busy machine a request lasts long enough for that.
        httpd.expected_log.append(r"AH00161: server reached MaxRequestWorkers setting")
        return ("StartServers 1\nServerLimit 1\nMaxRequestWorkers 1\nMinSpareServers 1\n"
                "MaxSpareServers 1\n")
    return ("StartServers 1\nServerLimit 1\nThreadsPerChild 8\nMaxRequestWorkers 8\n"
            "MinSpareThreads 1\nMaxSpareThreads 16\n")


def request(httpd, path):
    return httpd.curl(path, extra=["-A", "log-target-test"])[0].status


def sniff12(httpd):
    return [ln for ln in httpd.new_error_log().splitlines() if "SNIF0012" in ln]


def json_lines(text):
    return [json.loads(line) for line in text.splitlines()]  # every line one valid JSON object


def uris(text):
    return [r["uri"] for r in json_lines(text) if r["event"] == "request"]


# -- a full filesystem ----------------------------------------------------------------------------
@pytest.fixture
def tiny_fs(httpd):
    """A 64 KiB tmpfs under the server root (root only), unmounted afterwards."""
    if os.geteuid() != 0:
        pytest.skip("mounting a tiny tmpfs to fill needs root (mount -t tmpfs -o size=64k)")
    mountpoint = httpd.root / "tiny"
    mountpoint.mkdir(exist_ok=True)
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k,mode=0755", "tmpfs",
                           str(mountpoint)], capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here (a container without CAP_SYS_ADMIN?): "
                    f"{done.stderr.strip()}")
    yield mountpoint
    httpd.stop()  # the server holds the log open: stop it before unmounting
    subprocess.run(["umount", "-l", str(mountpoint)], check=False)


def fill(directory: Path) -> Path:
    """Writes a filler file until the filesystem is full (ENOSPC)."""
    filler = directory / "filler"
    with open(filler, "wb", buffering=0) as f:
        try:
            while True:
                f.write(b"\0" * 1024)
        except OSError:
            pass
    return filler


def test_disk_full_is_reported_once_and_records_resume_when_space_returns(httpd, tiny_fs):
    log = tiny_fs / "nosni.json"
    httpd.start(f"SNIFallbackLog {log}\n" + one_child(httpd))
    httpd.expected_log += [r"SNIF0012"]  # the one report per failure streak this test provokes
    assert request(httpd, "/?before") == 200
    assert wait_until(lambda: "/?before" in log.read_text())

    filler = fill(tiny_fs)
    # The log's last page may still hold a record or two; then every write fails.
    served = 0
    for i in range(40):
        assert request(httpd, f"/?full{i}") == 200
        served += 1
        if sniff12(httpd):
            break
    assert sniff12(httpd), "no SNIF0012 after 40 requests on a full filesystem"
    for i in range(10):  # a longer streak of failures: still one report
        assert request(httpd, f"/?still-full{i}") == 200
    reports = sniff12(httpd)
    assert len(reports) == 1, reports
    assert "No space left on device" in reports[0]
    assert "SNIFallbackLog" in reports[0] and str(log) in reports[0]

    filler.unlink()
    assert request(httpd, "/?after") == 200
    assert wait_until(lambda: "/?after" in log.read_text()), log.read_text()[-500:]
    assert len(sniff12(httpd)) == 1  # a success ends the streak silently

    # A second streak is reported once more.
    filler = fill(tiny_fs)
    for i in range(40):
        assert request(httpd, f"/?full-again{i}") == 200
        if len(sniff12(httpd)) == 2:
            break
    for i in range(5):
        assert request(httpd, f"/?full-again-more{i}") == 200
    assert len(sniff12(httpd)) == 2, sniff12(httpd)
    filler.unlink()
    assert request(httpd, "/?after-again") == 200
    assert wait_until(lambda: "/?after-again" in log.read_text())

    text = log.read_text()
    whole = [json.loads(line) for line in text.splitlines() if not broken(line)]
    got = [r["uri"] for r in whole if r.get("event") == "request"]
    assert got[0] == "/?before" and "/?after" in got and got[-1] == "/?after-again"
    # at most one broken line per failure streak (see the next test)
    assert sum(broken(line) for line in text.splitlines()) <= 2


def broken(line):
    try:
        json.loads(line)
        return False
    except ValueError:
        return True


def test_a_record_cut_short_by_a_full_disk_leaves_no_broken_line(httpd, tiny_fs):
    log = tiny_fs / "nosni.json"
    httpd.start(f"SNIFallbackLog {log}\n" + one_child(httpd))
    httpd.expected_log += [r"SNIF0012"]
    # Leave exactly 100 bytes of room in the log's last page (tmpfs allocates whole pages), so the
    # next record is certainly cut short: pad the file with a JSON line of the right size.
    assert request(httpd, "/?before") == 200
    assert wait_until(lambda: "/?before" in log.read_text())
    size = log.stat().st_size
    room = 4096 - size % 4096
    pad_len = (room - 100) if room > 120 else (room + 4096 - 100)
    with open(log, "ab") as f:
        f.write(b'{"pad":"' + b"x" * (pad_len - 11) + b'"}\n')
    assert log.stat().st_size % 4096 == 4096 - 100
    filler = fill(tiny_fs)
    for i in range(40):
        assert request(httpd, f"/?full{i}") == 200
        if sniff12(httpd):
            break
    filler.unlink()
    assert request(httpd, "/?after") == 200
    assert wait_until(lambda: "/?after" in log.read_text())
    bad = [line for line in log.read_text().splitlines() if broken(line)]
    assert not bad, f"{len(bad)} broken lines, e.g. {bad[0][:300]!r}"


# -- the directory goes away or becomes unwritable -----------------------------------------------
def test_removed_directory_keeps_serving_and_a_graceful_restart_reopens(httpd):
    logdir = httpd.root / "nosni-dir"
    logdir.mkdir()
    httpd.start("SNIFallbackLog nosni-dir/nosni.json\n" + one_child(httpd))
    assert request(httpd, "/?one") == 200
    assert wait_until(lambda: (logdir / "nosni.json").exists()
                      and "/?one" in (logdir / "nosni.json").read_text())

    shutil.rmtree(logdir)
    for i in range(5):
        assert request(httpd, f"/?gone{i}") == 200
    # The open descriptor still works (the unlinked inode): nothing to report, nothing reported.
    assert not sniff12(httpd)

    logdir.mkdir()  # the target comes back: the next generation re-opens the path
    httpd.graceful()
    assert request(httpd, "/?back") == 200
    assert wait_until(lambda: (logdir / "nosni.json").exists()
                      and "/?back" in (logdir / "nosni.json").read_text())
    assert uris((logdir / "nosni.json").read_text()) == ["/?back"]


def test_directory_made_unwritable_after_start_changes_nothing_for_the_open_file(httpd):
    logdir = httpd.root / "nosni-ro"
    logdir.mkdir()
    httpd.start("SNIFallbackLog nosni-ro/nosni.json\n" + one_child(httpd))
    log = logdir / "nosni.json"
    os.chmod(log, 0o000)
    os.chmod(logdir, 0o000)
    try:
        for i in range(3):
            assert request(httpd, f"/?ro{i}") == 200
        os.chmod(logdir, 0o755)
        os.chmod(log, 0o644)
        assert wait_until(lambda: log.read_text().count('"event":"request"') == 3)
        assert uris(log.read_text()) == ["/?ro0", "/?ro1", "/?ro2"]
        assert not sniff12(httpd)
    finally:
        os.chmod(logdir, 0o755)
        if log.exists():
            os.chmod(log, 0o644)


# -- a piped logger whose reader dies -------------------------------------------------------------
LOGGER = r'''
import os, sys
# Reads exactly N lines (one byte at a time: nothing read ahead is lost), appends them, exits.
n, out = int(sys.argv[1]), sys.argv[2]
with open(out, "ab", buffering=0) as f:
    f.write(b"# logger %d started\n" % os.getpid())
    for _ in range(n):
        line = b""
        while not line.endswith(b"\n"):
            c = os.read(0, 1)
            if not c:
                sys.exit(0)
            line += c
        f.write(line)
sys.exit(3)
'''


def test_piped_logger_that_dies_is_restarted_and_no_record_is_lost(httpd):
    script = httpd.root / "dying_logger.py"
    script.write_text(LOGGER)
    out = httpd.root / "logs" / "piped.json"
    # Each logger takes 5 records and dies; httpd's reliable piped logs (the parent keeps both ends
    # of the pipe and watches the program as an "other child") start a new one on the same pipe.
    httpd.start(f'SNIFallbackLog "|{sys.executable} {script} 5 {out}"\n' + one_child(httpd))
    # httpd's own report of the death, at warn level, once per death
    httpd.expected_log += [r"AH00106: piped log program .* failed unexpectedly"]
    for i in range(12):  # 12 handshake + 12 request records: at least 4 loggers
        assert request(httpd, f"/?p{i}") == 200
        time.sleep(0.1)

    def records():
        return [ln for ln in httpd.log("piped.json").splitlines() if not ln.startswith("#")]

    assert wait_until(lambda: len(records()) >= 24, timeout=20), httpd.log("piped.json")
    recs = [json.loads(ln) for ln in records()]
    assert [r["uri"] for r in recs if r["event"] == "request"] == [f"/?p{i}" for i in range(12)]
    assert len(recs) == 24
    starts = httpd.log("piped.json").count("# logger")
    assert starts >= 5, httpd.log("piped.json")
    restarts = [ln for ln in httpd.new_error_log().splitlines() if "AH00106" in ln]
    assert len(restarts) >= 4, restarts
    # The pipe itself never failed: the records waited in it while no reader was there.
    assert not sniff12(httpd)
