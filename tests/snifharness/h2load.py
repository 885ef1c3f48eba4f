"""h2load (nghttp2-client): run it and read the figures of its summary."""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from snifharness.process import run

_DONE = re.compile(r"requests: (\d+) total, (\d+) started, (\d+) done, (\d+) succeeded, "
                   r"(\d+) failed, (\d+) errored")
_RATE = re.compile(r"finished in ([\d.]+)(m?s), ([\d.]+) req/s")
_STATUS = re.compile(r"status codes: (\d+) 2xx, (\d+) 3xx, (\d+) 4xx, (\d+) 5xx")


@dataclass
class H2loadResult:
    total: int
    started: int
    done: int
    succeeded: int
    failed: int
    errored: int
    rate: float                                # requests per second
    codes: dict = field(default_factory=dict)  # "2xx" ... "5xx" -> count
    output: str = ""


def h2load(args: list[str], prefix: list[str] | None = None, timeout: float | None = None,
           check_exit: bool = True) -> H2loadResult:
    """Runs `h2load ARGS` (after `prefix`, e.g. taskset) and parses its summary; raises
    RuntimeError when the summary is not understood, or (with `check_exit`) h2load exited
    non-zero. Failed requests are in the result, for the caller to judge."""
    cmd = [*(prefix or []), "h2load", *args]
    r = run(cmd, check=False, timeout=timeout)
    done, rate, status = _DONE.search(r.stdout), _RATE.search(r.stdout), _STATUS.search(r.stdout)
    if (check_exit and r.returncode != 0) or not done or not rate or not status:
        raise RuntimeError(f"h2load failed ({' '.join(cmd)}):\n{r.stdout}{r.stderr}")
    counts = [int(done.group(i)) for i in range(1, 7)]
    codes = dict(zip(("2xx", "3xx", "4xx", "5xx"), (int(status.group(i)) for i in range(1, 5))))
    return H2loadResult(*counts, rate=float(rate.group(3)), codes=codes, output=r.stdout)
