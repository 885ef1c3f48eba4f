"""Hostile TLS clients against a running server: the malformed ClientHellos of hostile_cases over
raw TCP, interleaved with well-formed no-SNI and SNI requests that must all be answered 200.

After every `every` hostile cases, one well-formed no-SNI and one SNI request (Python's ssl,
HTTP/1.1) run; every ten such rounds curl adds an HTTP/1.1 no-SNI request and, with `http2`,
an HTTP/2 no-SNI and SNI request. Used by scripts/hostile_clients.py, the integration test
test_070_hostile_clients.py and scripts/sanitize/drive.py.
"""
from __future__ import annotations

import re
import socket
import subprocess
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from snifharness import clients
from snifharness.hostile_cases import PUBLIC_VECTORS, Case, build_cases
from snifharness.records import crash_lines, json_records
from snifharness.tls_bio import BioClient, FirstFlightWriter

USER_AGENT = "hostile-clients/ok"  # of the well-formed requests, to find their records


@dataclass
class Target:
    host: str
    port: int
    sni_name: str
    cafile: str | None = None
    timeout: float = 10.0


# ------------------------------------------------------------------------------------------------
# Clients
# ------------------------------------------------------------------------------------------------
def send_hostile(t: Target, case: Case) -> str:
    """Sends the bytes, half-closes, reads until the server closes. Returns how it ended."""
    with socket.create_connection((t.host, t.port), timeout=t.timeout) as s:
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            if case.mode == "slow-abandon":
                deadline = time.monotonic() + 2.0
                for i in range(len(case.data)):
                    s.sendall(case.data[i:i + 1])
                    if time.monotonic() > deadline:
                        break
                    time.sleep(2.0 / max(1, len(case.data)))
            else:
                s.sendall(case.data)
            s.shutdown(socket.SHUT_WR)
            got = 0
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    return f"closed after {got} bytes"
                got += len(chunk)
        except socket.timeout:
            return "timeout"
        except OSError as e:  # reset by the server: fine, it refused the bytes
            return type(e).__name__


def tls_request(t: Target, sni: bool, path: str,
                first_flight_writer: FirstFlightWriter | None = None) -> int:
    """One HTTP/1.1 request over Python's ssl through MemoryBIOs, so the first flight can be
    written any way we like (one byte per segment, slowly). Returns the HTTP status."""
    client = BioClient(t.port, server_hostname=t.sni_name if sni else None, cafile=t.cafile,
                       host=t.host, timeout=t.timeout)
    try:
        client.handshake(first_flight_writer)
        host = t.sni_name if sni else t.host
        data = client.request(f"GET {path} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: {USER_AGENT}"
                              f"\r\nConnection: close\r\n\r\n".encode())
    finally:
        client.close()
    m = re.match(rb"HTTP/1\.1 (\d{3}) ", data)
    if not m:
        raise ConnectionError(f"no HTTP response: {data[:80]!r}")
    return int(m[1])


def one_byte_writer(s: socket.socket, data: bytes) -> None:
    for i in range(len(data)):
        s.send(data[i:i + 1])


def slow_writer(seconds: float) -> FirstFlightWriter:
    def write(s: socket.socket, data: bytes) -> None:
        pause = seconds / max(1, len(data))
        for i in range(len(data)):
            s.send(data[i:i + 1])
            time.sleep(pause)
    return write


def curl_request(t: Target, sni: bool, path: str, http2: bool) -> int:
    """One request with curl (HTTP/1.1 or HTTP/2); returns the status."""
    try:
        [r] = clients.curl(t.port, t.cafile, path, sni=t.sni_name if sni else None,
                           http2=http2, extra=["-A", USER_AGENT], host=t.host)
    except subprocess.CalledProcessError as e:
        raise ConnectionError(f"curl failed: {(e.stderr or '').strip()}") from None
    if http2 and r.http_version != "HTTP/2":
        raise ConnectionError(f"curl did not get HTTP/2 ({r.http_version})")
    return r.status


# ------------------------------------------------------------------------------------------------
# The run
# ------------------------------------------------------------------------------------------------
@dataclass
class Figures:
    hostile_sent: int = 0
    by_kind: dict = field(default_factory=dict)
    endings: dict = field(default_factory=dict)
    wellformed_sent: int = 0
    wellformed_ok: int = 0
    nosni_ok: int = 0        # well-formed no-SNI requests answered (one request record each)
    sni_ok: int = 0
    failures: list = field(default_factory=list)
    elapsed: float = 0.0

    def summary(self) -> str:
        kinds = ", ".join(f"{k} {v}" for k, v in sorted(self.by_kind.items()))
        return (f"hostile cases sent: {self.hostile_sent} ({kinds}) in {self.elapsed:.1f} s\n"
                f"well-formed requests: {self.wellformed_sent} sent, {self.wellformed_ok} answered "
                f"200 ({self.sni_ok} with SNI), {len(self.failures)} failures; answered no-SNI "
                f"requests including the one-byte and slow clients: {self.nosni_ok}")


class _Sender:
    """Sends one job of the run and counts its outcome in `figures` (from many threads)."""

    def __init__(self, t: Target):
        self.t = t
        self.figures = Figures()
        self.lock = threading.Lock()

    def hostile(self, case: Case) -> None:
        try:
            if case.mode in ("onebyte", "slow-complete"):
                writer = one_byte_writer if case.mode == "onebyte" else slow_writer(2.0)
                sni = case.mode == "onebyte" and case.name.startswith("py-sni")
                status = tls_request(self.t, sni, "/", writer)
                ending, ok = f"answered {status}", status == 200
            else:
                ending = send_hostile(self.t, case)
                ok = ending != "timeout"  # a timeout: the server held a half-closed connection
        except Exception as e:  # noqa: BLE001 -- a failure is a finding, never a crash of ours
            ending, ok = f"error {type(e).__name__}: {e}", False
        with self.lock:
            f = self.figures
            if ok and case.mode in ("onebyte", "slow-complete") and "nosni" in case.name:
                f.nosni_ok += 1  # answered no-SNI requests: one request record each
            f.hostile_sent += 1
            f.by_kind[case.kind] = f.by_kind.get(case.kind, 0) + 1
            key = ending.split(" after ")[0]
            f.endings[key] = f.endings.get(key, 0) + 1
            if not ok:
                f.failures.append(f"{case.name}: {ending}")

    def wellformed(self, kind: str, i: int) -> None:
        path = f"/?wf={i}"
        nosni = "nosni" in kind
        try:
            if kind in ("nosni", "sni"):
                status = tls_request(self.t, not nosni, path)
            else:
                status = curl_request(self.t, not nosni, path, http2=kind.startswith("h2"))
            ok, ending = status == 200, str(status)
        except Exception as e:  # noqa: BLE001
            ok, ending = False, f"{type(e).__name__}: {e}"
        with self.lock:
            f = self.figures
            f.wellformed_sent += 1
            if not ok:
                f.failures.append(f"well-formed {kind} {path}: {ending}")
                return
            f.wellformed_ok += 1
            if nosni:
                f.nosni_ok += 1
            else:
                f.sni_ok += 1


def plan(t: Target, count: int, seed: int, every: int, vectors: Path | None,
         http2: bool) -> list[tuple[str, tuple]]:
    """The jobs in order: ("hostile", (case,)) and ("wellformed", (kind, i)); `count` hostile
    cases, cycling through the list with fresh seeds when `count` exceeds it."""
    jobs: list[tuple[str, tuple]] = []
    cases = build_cases(seed, t.sni_name, vectors)
    n = rounds = 0
    while n < count:
        for case in cases:
            if n >= count:
                break
            if n % every == 0:
                kinds = ["nosni", "sni"]
                if n % (every * 10) == 0:
                    kinds += ["h1-curl-nosni"] + (["h2-curl-nosni", "h2-curl-sni"] if http2 else [])
                jobs += [("wellformed", (kind, n)) for kind in kinds]
            jobs.append(("hostile", (case,)))
            n += 1
        rounds += 1
        cases = build_cases(seed + rounds, t.sni_name, vectors)  # new flips and garbage
    return jobs + [("wellformed", ("nosni", n)), ("wellformed", ("sni", n))]


def _submit(sender: _Sender, jobs: list, concurrency: int, deadline: float,
            progress: Callable[[str], None] | None, started: float) -> None:
    """Runs the jobs on `concurrency` threads until they are done or the deadline passed."""
    with ThreadPoolExecutor(concurrency) as pool:
        futures: list[Future] = []
        for kind, args in jobs:
            if time.monotonic() > deadline:
                break
            futures.append(pool.submit(getattr(sender, kind), *args))
            # bounded queue: keep the deadline meaningful
            while sum(1 for f in futures[-4 * concurrency:] if not f.done()) >= 2 * concurrency:
                time.sleep(0.001)
            if progress and len(futures) % 500 == 0:
                progress(f"{len(futures)} jobs submitted, {time.monotonic() - started:.0f} s")
        for f in futures:
            f.result()


def run(t: Target, count: int = 600, seconds: float = 60.0, seed: int = 1, every: int = 10,
        concurrency: int = 8, vectors: Path | None = PUBLIC_VECTORS,
        progress: Callable[[str], None] | None = None, http2: bool = True) -> Figures:
    """Sends up to `count` hostile cases within `seconds`, and well-formed requests between them
    (curl's HTTP/2 ones only with `http2`: mod_http2 does not run under prefork)."""
    sender = _Sender(t)
    started = time.monotonic()
    jobs = plan(t, count, seed, every, vectors, http2)
    _submit(sender, jobs, concurrency, started + seconds, progress, started)
    # the final check: the server still answers both kinds of client
    sender.wellformed("nosni", -1)
    sender.wellformed("sni", -1)
    sender.figures.elapsed = time.monotonic() - started
    return sender.figures


# ------------------------------------------------------------------------------------------------
# Checks of the server's logs
# ------------------------------------------------------------------------------------------------
def check_logs(error_log: str, nosni_log: str) -> dict:
    """Crash lines in the error log and the validity of the JSON no-SNI log."""
    records, invalid = json_records(nosni_log)
    events: dict = {}
    outcomes: dict = {}
    request_ok = 0
    for rec in records:
        events[rec.get("event")] = events.get(rec.get("event"), 0) + 1
        if rec.get("event") == "handshake":
            o = str(rec.get("outcome"))
            outcomes[o] = outcomes.get(o, 0) + 1
        if rec.get("event") == "request" and rec.get("user_agent") == USER_AGENT \
                and rec.get("status") == 200:
            request_ok += 1
    return {"crashes": crash_lines(error_log), "lines": len(nosni_log.splitlines()),
            "invalid": invalid, "events": events, "outcomes": outcomes,
            "wellformed_request_records": request_ok}
