"""Loopback ports: a free one to listen on, and whether one accepts connections."""
from __future__ import annotations

import random
import socket
from pathlib import Path

# Ports are picked below the kernel's ephemeral range: every client connection of every run on
# the machine takes its local port from that range, and one of them could take a port between the
# moment it is picked here and the moment a server binds it (seen with a second copy of the suite
# beside this one). A random pick keeps two runs side by side from choosing the same port.
_LOW, _HIGH = 20000, 32767

# Ports handed out by this process: none is bound until its server starts, so a second pick
# must not return one of them (a configuration with two Listen lines on one port fails to start).
_handed_out: set[int] = set()


def _ephemeral_range() -> tuple[int, int]:
    try:
        low, high = Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()
        return int(low), int(high)
    except (OSError, ValueError):
        return 32768, 60999


def _bindable(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing uses right now, outside the ephemeral range."""
    low, high = _ephemeral_range()
    candidates = [p for p in range(_LOW, _HIGH + 1) if not low <= p <= high]
    for _ in range(200):
        port = random.choice(candidates) if candidates else 0
        if port and port not in _handed_out and _bindable(port) and not accepts(port):
            _handed_out.add(port)
            return port
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:  # the kernel's choice, then
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    _handed_out.add(port)
    return port


def accepts(port: int, host: str = "127.0.0.1") -> bool:
    """Whether a TCP connection to host:port succeeds (within half a second)."""
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False
