"""Headless Chromium (Debian's `chromium`) as the tests drive it, and the PNG screenshots it takes.

Chromium runs from its command line (`--dump-dom`, `--screenshot`) in a throwaway profile; the
screenshots are read with zlib alone, so no imaging library is needed."""
from __future__ import annotations

import base64
import hashlib
import shutil
import struct
import subprocess
import tempfile
import zlib
from pathlib import Path

CHROMIUM = shutil.which("chromium")


def spki_hash(cert: Path) -> str:
    """The base64 SHA-256 of a certificate's public key, as --ignore-certificate-errors-spki-list
    wants it."""
    pub = subprocess.run(["openssl", "x509", "-in", str(cert), "-pubkey", "-noout"],
                         capture_output=True, check=True).stdout
    der = subprocess.run(["openssl", "pkey", "-pubin", "-outform", "der"], input=pub,
                         capture_output=True, check=True).stdout
    return base64.b64encode(hashlib.sha256(der).digest()).decode()


def chromium(*args: str, trust: Path | None = None, timeout: float = 120
             ) -> subprocess.CompletedProcess:
    """Headless Chromium with `args`, in a fresh profile. It maps the test names a.test and b.test
    to loopback; with `trust` (a certificate file) it accepts exactly that certificate's key, and
    rejects every other certificate as a browser would."""
    profile = tempfile.mkdtemp(prefix="snif-chromium-")
    cmd = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
           "--no-first-run", "--disable-background-networking", "--disable-component-update",
           "--disable-sync", f"--user-data-dir={profile}",
           "--host-resolver-rules=MAP a.test 127.0.0.1, MAP b.test 127.0.0.1",
           "--virtual-time-budget=20000"]
    if trust is not None:
        cmd.append(f"--ignore-certificate-errors-spki-list={spki_hash(trust)}")
    try:
        return subprocess.run([*cmd, *args], capture_output=True, text=True, timeout=timeout)
    finally:
        shutil.rmtree(profile, ignore_errors=True)


def _unfilter(kind: int, line: bytearray, previous: bytes, step: int) -> bytearray:
    """Undoes one of PNG's five row filters (RFC 2083, 6.2-6.6) in place."""
    if kind == 1:
        for i in range(step, len(line)):
            line[i] = (line[i] + line[i - step]) & 0xFF
    elif kind == 2:
        line = bytearray((a + b) & 0xFF for a, b in zip(line, previous))
    elif kind == 3:
        for i in range(len(line)):
            left = line[i - step] if i >= step else 0
            line[i] = (line[i] + (left + previous[i]) // 2) & 0xFF
    elif kind == 4:
        for i in range(len(line)):
            a = line[i - step] if i >= step else 0
            b = previous[i]
            c = previous[i - step] if i >= step else 0
            p = a + b - c
            pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 0xFF
    return line


def png_rows(data: bytes) -> tuple[int, int, list[bytes]]:
    """(width, height, rows of RGB bytes) of an 8-bit RGB or RGBA PNG without interlacing, as
    Chromium writes its screenshots. Raises ValueError for anything else (a broken image)."""
    if not data.startswith(b"\x89PNG\r\n\x1a\n"):
        raise ValueError("not a PNG")
    pos, idat, header = 8, b"", None
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        chunk = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", chunk)
        elif kind == b"IDAT":
            idat += chunk
        elif kind == b"IEND":
            break
        pos += 12 + length
    if header is None:
        raise ValueError("no IHDR")
    width, height, depth, colour, _, _, interlace = header
    if depth != 8 or colour not in (2, 6) or interlace:
        raise ValueError(f"unexpected PNG format: depth {depth}, colour type {colour}")
    step = 4 if colour == 6 else 3
    raw = zlib.decompress(idat)
    stride = width * step
    if len(raw) != height * (stride + 1):
        raise ValueError("PNG data of the wrong size")
    rows, previous = [], bytes(stride)
    for y in range(height):
        start = y * (stride + 1)
        line = _unfilter(raw[start], bytearray(raw[start + 1:start + 1 + stride]), previous, step)
        previous = bytes(line)
        if step == 4:  # drop alpha: keep bytes 0-2 of every 4
            line = bytearray(b for i, b in enumerate(line) if i & 3 != 3)
        rows.append(bytes(line))
    return width, height, rows


def rows_with_colour(png: bytes, rgb: tuple[int, int, int]) -> list[int]:
    """The rows of a screenshot that hold a pixel of exactly colour `rgb`: where a line of that
    colour was drawn (its anti-aliased edges differ, its middle does not)."""
    _, _, rows = png_rows(png)
    wanted = bytes(rgb)
    found = []
    for y, row in enumerate(rows):
        at = row.find(wanted)
        while at != -1 and at % 3:
            at = row.find(wanted, at + 1)
        if at != -1:
            found.append(y)
    return found
