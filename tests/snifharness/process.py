"""Processes: running commands, starting a server and waiting until it is ready, stopping it with
its process group, and reading /proc for children, resident memory and CPU time."""
from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path
from typing import Callable, IO


def run(cmd, check=True, **kw) -> subprocess.CompletedProcess:
    """subprocess.run with the output captured as text (unless the caller says otherwise)."""
    kw.setdefault("capture_output", True)
    kw.setdefault("text", True)
    return subprocess.run(cmd, check=check, **kw)


def wait_until(predicate: Callable[[], bool], timeout: float = 60.0, step: float = 0.05) -> bool:
    """Polls `predicate` until it holds (True) or `timeout` seconds have passed (False).

    The default is generous: on a machine busy with other work (or a second copy of the suite) a
    server can take many seconds to write what it wrote at once on an idle one. A wait that holds
    costs no more than the event it waits for."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            return False
        time.sleep(step)
    return True


def launch(cmd: list[str], ready: Callable[[subprocess.Popen], bool], timeout: float, what: str,
           stdout: IO | int = subprocess.PIPE, diagnose: Callable[[], str] = lambda: "",
           step: float = 0.05) -> subprocess.Popen:
    """Starts a server in the foreground as our child, in a session of its own (prefork signals
    its whole process group when it stops, which must not be ours), and waits until
    `ready(proc)`.

    Raises RuntimeError, with `diagnose()` appended, when it exits or is not ready in time."""
    text = stdout is subprocess.PIPE
    proc = subprocess.Popen(cmd, stdout=stdout, stderr=subprocess.STDOUT, text=text,
                            start_new_session=True)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            out = proc.stdout.read() if text and proc.stdout else ""
            raise RuntimeError(f"{what} exited at start ({proc.returncode}):\n{out}\n{diagnose()}")
        if ready(proc):
            return proc
        time.sleep(step)
    stop(proc, grace=5)
    raise RuntimeError(f"{what} was not ready in {timeout:g} s:\n{diagnose()}")


def stop(proc: subprocess.Popen | None, grace: float = 20) -> bool:
    """SIGTERM to the process (apache2's parent stops its children itself), SIGKILL to its whole
    process group when it has not exited after `grace` seconds. True when it had to be killed."""
    if proc is None:
        return False
    killed = False
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            killed = True
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.wait(timeout=10)
    if proc.stdout:
        proc.stdout.close()
    return killed


def child_pids(pid: int) -> list[int]:
    """The direct children of `pid` (forked by any of its threads)."""
    out: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            out += [int(x) for x in (task / "children").read_text().split()]
        except (OSError, ValueError):
            continue
    return sorted(set(out))


def rss_kib(*pids: int) -> int:
    """The resident set (VmRSS) of these processes, added up, in KiB; 0 for those gone."""
    total = 0
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total


def cpu_seconds(*pids: int) -> float:
    """CPU time of these processes, their children and all their threads, in seconds with
    nanosecond resolution (first field of /proc/PID/task/TID/schedstat)."""
    total = 0
    for pid in pids:
        for p in [pid, *child_pids(pid)]:
            for task in Path(f"/proc/{p}/task").glob("*"):
                try:
                    total += int((task / "schedstat").read_text().split()[0])
                except (OSError, ValueError, IndexError):
                    continue
    return total / 1e9


# Run in a new mount namespace before a server: /dev becomes a tmpfs holding what the machine's
# /dev holds (device nodes and files bind-mounted, directories such as /dev/shm and /dev/pts
# bind-mounted with what is mounted below them, symbolic links copied), plus `log`, a bind mount
# of the given syslog socket. Nothing on the machine changes: no /dev/log is created there (a
# mount point created and removed on the machine's /dev by one run detached the mounts of a run
# beside it, whose records then went nowhere).
_PRIVATE_DEV = r"""set -e
new="$SNIF_NEW_DEV"
mkdir -p "$new"
mount -t tmpfs -o mode=755 snif-dev "$new"
for entry in /dev/* /dev/.[!.]*; do
    [ -e "$entry" ] || [ -L "$entry" ] || continue
    name=${entry#/dev/}
    [ "$name" = log ] && continue
    if [ -L "$entry" ]; then cp -P "$entry" "$new/$name"
    elif [ -d "$entry" ]; then mkdir "$new/$name"; mount --rbind "$entry" "$new/$name"
    else touch "$new/$name"; mount --bind "$entry" "$new/$name"
    fi
done
touch "$new/log"
mount --bind "$SNIF_LOG_SOCKET" "$new/log"
mount --move "$new" /dev
exec "$0" "$@"
"""


def private_dev_log_prefix(log_socket: Path, scratch: Path) -> list[str]:
    """Words to run a command with (Httpd.command_prefix) in a mount namespace of its own whose
    /dev/log is `log_socket`; `scratch` is an unused path for the new /dev before it is moved.
    Needs root and unshare (util-linux)."""
    import shlex
    script = (f"SNIF_NEW_DEV={shlex.quote(str(scratch))} "
              f"SNIF_LOG_SOCKET={shlex.quote(str(log_socket))}\n" + _PRIVATE_DEV)
    return ["unshare", "--mount", "--propagation", "private", "sh", "-c", script]
