"""The handshake mix of a run, counted in the servers' access logs, and whether it is the one a
row claims.

Every apache2 of the benchmark logs, per request, the client port, the number of the request on
its connection (%k, 0 for the first), the TLS protocol and %{SSL_SESSION_RESUMED}x ("Initial" for
a full handshake, "Resumed" for a resumed one). An HTTP/1.x connection is counted at its first
request (%k 0): a client port may come back within one run, once the server has closed the
connection that had it. HTTP/2 streams are counted by client port (a run holds a few long
connections). Rows claim:

  full       every handshake is a full one: more than 1% resumed is wrong;
  resumed    clients that reconnect resume: the first handshake of each client is a full one,
             more than 1% full ones beyond those is wrong;
  keep-alive few long connections, whatever their handshakes (not judged).
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

LIMIT = 0.01  # the share of handshakes of the other kind that a row tolerates


@dataclass
class Mix:
    claim: str            # "full", "resumed" or "keep-alive"
    initial: int = 0      # connections with a full handshake
    resumed: int = 0      # connections with a resumed handshake
    first: int = 0        # full handshakes expected anyway: one per client and run ("resumed")
    runs: int = 0

    @property
    def handshakes(self) -> int:
        return self.initial + self.resumed

    def add(self, initial: int, resumed: int, clients: int = 0) -> None:
        self.initial += initial
        self.resumed += resumed
        self.first += clients
        self.runs += 1

    def problem(self) -> str | None:
        """Why the counted mix is not the claimed one, or None."""
        n = self.handshakes
        if n == 0:
            return "no handshake in the access log"
        if self.claim == "full" and self.resumed > LIMIT * n:
            return f"claims full handshakes, but {self.resumed:,} of {n:,} were resumed"
        if self.claim == "resumed" and self.initial - self.first > LIMIT * n:
            return (f"claims resumed handshakes, but {self.initial:,} of {n:,} were full "
                    f"({self.first:,} expected: one per client and run)")
        return None

    def describe(self) -> str:
        n = self.handshakes
        if self.claim == "full":
            return f"full {self.initial:,}/{n:,}"
        if self.claim == "resumed":
            return f"resumed {self.resumed:,}/{n:,} (+{self.initial:,} first full)"
        return f"keep-alive: {n:,} connection{'' if n == 1 else 's'}"


class AccessLog:
    """The access log of one apache2, read from where the last run ended."""

    def __init__(self, path: Path):
        self.path = path
        self.offset = 0

    def mark(self) -> None:
        """The next count starts at the end of what is written now."""
        self.offset = self.path.stat().st_size if self.path.exists() else 0

    def _new_lines(self) -> tuple[list[str], int]:
        """The whole lines written since the offset, and their length in bytes (a line still
        being written waits for the next count)."""
        if not self.path.exists():
            return [], 0
        with open(self.path, "rb") as f:
            f.seek(self.offset)
            data = f.read()
        whole = data[:data.rfind(b"\n") + 1]
        return whole.decode(errors="replace").splitlines(), len(whole)

    def count(self, requests: int = 0, timeout: float = 10.0) -> tuple[int, int]:
        """(full, resumed) handshakes of the connections logged since mark(), after waiting
        (up to `timeout`) for `requests` lines: a server logs a request after answering it."""
        deadline = time.monotonic() + timeout
        lines, size = self._new_lines()
        while len(lines) < requests and time.monotonic() < deadline:
            time.sleep(0.05)
            lines, size = self._new_lines()
        handshakes: list[str] = []
        h2: dict[str, str] = {}
        for line in lines:
            fields = line.split()
            if len(fields) < 4:
                continue
            port, keepalives, resumed = fields[-4], fields[-3], fields[-1]
            if ' HTTP/2' in line:
                h2.setdefault(port, resumed)
            elif keepalives == "0":
                handshakes.append(resumed)
        self.offset += size
        handshakes += h2.values()
        return handshakes.count("Initial"), handshakes.count("Resumed")
