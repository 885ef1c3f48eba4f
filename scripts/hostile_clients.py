"""Hostile TLS clients: thousands of malformed ClientHellos over raw TCP, interleaved with
well-formed no-SNI and SNI requests that must all be answered.

    /usr/bin/python3 scripts/hostile_clients.py --module build/mod_snifallback.so \
        [--count 3000] [--seconds 600] [--mpm event] [--seed 1] [--concurrency 8]

    /usr/bin/python3 scripts/hostile_clients.py --port 8443 --cafile ca.pem --sni a.test ...
        (against a server that is already running; the log checks are then left to the caller)

Every malformed hello is derived from a real one: Python's ssl (MemoryBIO) makes hellos with and
without SNI, for TLS 1.3 and TLS 1.2 only, with and without ALPN, and the public vectors
(/work/shared/clienthello/public.jsonl, read in place when present) add real clients' hellos. The
mutations:

  truncate-raw     the record cut at every length (OpenSSL waits for the rest, then sees EOF)
  truncate-fixed   the handshake body cut at every length with the record and handshake lengths
                   fixed to match, so the cut message reaches the module's message callback
  len0 / lenffff   each length field (record, handshake, session id, cipher suites, compression,
                   extensions, every extension and the inner lists of SNI, ALPN, versions, groups,
                   key share, signature algorithms) set to 0 and to 0xffff
  overrun          each extension's length (and inner list length) set to one byte and 200 bytes
                   past its end, outer lengths kept consistent
  flip             seeded random byte flips in the hello body (headers intact) or anywhere
  special          16 KiB of garbage, garbage behind a valid record header, an SSLv2-style hello,
                   plain HTTP, a hello split over two records (valid), two hellos in one record,
                   a zero-length record, 300 extensions, duplicate and odd SNI extensions
  onebyte          a real hello written one byte per TCP segment, then the handshake and a request
                   that must be answered
  slow             a real hello trickled over ~2 s (bounded), then a request that must be answered;
                   and a half hello trickled then abandoned

After every `--every` hostile cases, one well-formed no-SNI and one SNI request (Python ssl,
HTTP/1.1) run; every few rounds curl adds an HTTP/2 no-SNI and SNI request. All must be answered
200. With --module the script starts its own apache2 (tests/integration/harness.py), configures
`SNIFallbackLog logs/nosni.json`, and afterwards checks: no `exit signal` in the error log, the
parent alive, every line of the no-SNI log valid JSON, and one request record per answered no-SNI
request. It prints the figures and exits non-zero on any failure.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import re
import socket
import ssl
import struct
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
PUBLIC_VECTORS = Path(os.environ.get("SNIFALLBACK_PUBLIC_VECTORS",
                                     "/work/shared/clienthello/public.jsonl"))

# Error-log lines that mean a child process died of a signal (httpd: AH00052 "child pid N exit
# signal Segmentation fault (11)") or left a core.
CRASH = re.compile(r"exit signal|child pid \d+ exit signal|Segmentation fault|AH00052|"
                   r"dumped core|AddressSanitizer|runtime error:")


# ------------------------------------------------------------------------------------------------
# Real hellos
# ------------------------------------------------------------------------------------------------
def real_hello(server_hostname: str | None, tls12_only: bool = False,
               alpn: list | None = None) -> bytes:
    """The first flight (one ClientHello record) that Python's ssl would send."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    if tls12_only:
        ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    if alpn:
        ctx.set_alpn_protocols(alpn)
    obj = ctx.wrap_bio(ssl.MemoryBIO(), (out := ssl.MemoryBIO()), server_hostname=server_hostname)
    try:
        obj.do_handshake()
    except ssl.SSLWantReadError:
        pass
    return out.read()


def base_hellos(sni_name: str, vectors: Path | None = PUBLIC_VECTORS) -> list[tuple[str, bytes]]:
    bases = [
        ("py-nosni-tls13", real_hello(None)),
        ("py-sni-tls13", real_hello(sni_name)),
        ("py-nosni-tls12", real_hello(None, tls12_only=True)),
        ("py-nosni-alpn", real_hello(None, alpn=["h2", "http/1.1"])),
        ("py-sni-alpn-tls12", real_hello(sni_name, tls12_only=True, alpn=["http/1.1"])),
    ]
    if vectors and vectors.exists():
        for line in vectors.read_text().splitlines():
            try:
                item = json.loads(line)
                record = bytes.fromhex(item.get("record_hex") or "")
            except (ValueError, TypeError):
                continue
            # single, whole ClientHello records only
            if (len(record) > 9 and record[0] == 22 and record[5] == 1
                    and struct.unpack(">H", record[3:5])[0] == len(record) - 5):
                bases.append(("vec-" + str(item.get("id", "?")), record))
    return bases


# ------------------------------------------------------------------------------------------------
# Where the length fields are
# ------------------------------------------------------------------------------------------------
@dataclass
class Field:
    name: str
    offset: int      # into the record
    size: int        # bytes of the length field
    end: int         # where the data this length covers ends (offset of the next field)


@dataclass
class Layout:
    fields: list = field(default_factory=list)
    extensions: list = field(default_factory=list)  # (type, offset of type, data start, data len)


def layout(record: bytes) -> Layout:
    """Offsets of every length field of a ClientHello record (best effort on odd input)."""
    out = Layout()
    out.fields.append(Field("record", 3, 2, len(record)))
    out.fields.append(Field("handshake", 6, 3, len(record)))
    p = 9 + 2 + 32
    try:
        sid = record[p]
        out.fields.append(Field("session_id", p, 1, p + 1 + sid))
        p += 1 + sid
        cs = struct.unpack(">H", record[p:p + 2])[0]
        out.fields.append(Field("cipher_suites", p, 2, p + 2 + cs))
        p += 2 + cs
        comp = record[p]
        out.fields.append(Field("compression", p, 1, p + 1 + comp))
        p += 1 + comp
        if p + 2 > len(record):
            return out
        ext_total = struct.unpack(">H", record[p:p + 2])[0]
        out.fields.append(Field("extensions", p, 2, p + 2 + ext_total))
        p += 2
        end = min(len(record), p + ext_total)
        while p + 4 <= end:
            etype, elen = struct.unpack(">HH", record[p:p + 4])
            out.fields.append(Field(f"ext{etype}", p + 2, 2, p + 4 + elen))
            out.extensions.append((etype, p, p + 4, elen))
            d = p + 4
            inner = {0: 2, 16: 2, 43: 1, 10: 2, 51: 2, 13: 2, 11: 1, 45: 1}.get(etype)
            if inner and elen >= inner:
                n = int.from_bytes(record[d:d + inner], "big")
                out.fields.append(Field(f"ext{etype}.list", d, inner, d + inner + n))
                if etype == 0 and elen >= 5:  # server_name: type(1) + name length(2)
                    nlen = struct.unpack(">H", record[d + 3:d + 5])[0]
                    out.fields.append(Field("sni.name", d + 3, 2, d + 5 + nlen))
                if etype == 16 and elen >= 3:  # ALPN: first protocol's length
                    out.fields.append(Field("alpn.proto", d + 2, 1, d + 3 + record[d + 2]))
                if etype == 51 and elen >= 6:  # key_share: first entry's key length
                    klen = struct.unpack(">H", record[d + 4:d + 6])[0]
                    out.fields.append(Field("key_share.key", d + 4, 2, d + 6 + klen))
            p += 4 + elen
    except (IndexError, struct.error):
        pass
    return out


def put(record: bytes, offset: int, size: int, value: int) -> bytes:
    value &= (1 << (8 * size)) - 1
    return record[:offset] + value.to_bytes(size, "big") + record[offset + size:]


def fix_outer(record: bytes) -> bytes:
    """Record and handshake lengths made to match the bytes present."""
    body = len(record) - 9
    return put(put(record, 3, 2, len(record) - 5), 6, 3, body)


# ------------------------------------------------------------------------------------------------
# Cases
# ------------------------------------------------------------------------------------------------
@dataclass
class Case:
    kind: str         # category, for the figures
    name: str
    data: bytes = b""
    mode: str = "close"   # close | onebyte | slow-complete | slow-abandon


def structural(name: str, rec: bytes) -> list[Case]:
    cases = []
    lay = layout(rec)
    for f in lay.fields:
        for label, value in (("len0", 0), ("lenffff", 0xffff)):
            cases.append(Case(label, f"{name}:{f.name}={value:#x}", put(rec, f.offset, f.size, value)))
        if f.size == 3:
            cases.append(Case("lenffff", f"{name}:{f.name}=0xffffff", put(rec, f.offset, 3, 0xffffff)))
        if f.name.startswith("ext") or f.name in ("sni.name", "alpn.proto", "key_share.key"):
            current = int.from_bytes(rec[f.offset:f.offset + f.size], "big")
            for extra in (1, 200):
                cases.append(Case("overrun", f"{name}:{f.name}+{extra}",
                                  put(rec, f.offset, f.size, current + extra)))
    # An extension whose length overruns the whole message, as the last extension: cut the
    # record right after its header, lengths fixed, so only the extension's length lies.
    for etype, at, data, elen in lay.extensions:
        cut = rec[:data]
        cut = put(cut, [f for f in lay.fields if f.name == "extensions"][0].offset, 2,
                  data - ([f for f in lay.fields if f.name == "extensions"][0].offset + 2))
        cases.append(Case("overrun", f"{name}:ext{etype}@end", fix_outer(cut)))
    return cases


def truncations(name: str, rec: bytes) -> list[Case]:
    out = []
    for n in range(1, len(rec)):
        out.append(Case("truncate-raw", f"{name}:raw[:{n}]", rec[:n]))
    for n in range(9, len(rec)):
        out.append(Case("truncate-fixed", f"{name}:fixed[:{n}]", fix_outer(rec[:n])))
    return out


def flips(name: str, rec: bytes, rng: random.Random, n: int) -> list[Case]:
    out = []
    for i in range(n):
        b = bytearray(rec)
        headers_intact = i % 4 != 3
        lo = 9 if headers_intact else 0
        for _ in range(rng.choice((1, 1, 2, 3, 8))):
            pos = rng.randrange(lo, len(b))
            b[pos] ^= rng.randrange(1, 256)
        out.append(Case("flip", f"{name}:flip#{i}", bytes(b)))
    return out


def specials(rng: random.Random, nosni: bytes, sni: bytes) -> list[Case]:
    garbage = bytes(rng.randrange(256) for _ in range(16384))
    lay = layout(nosni)
    ext_field = [f for f in lay.fields if f.name == "extensions"][0]
    out = [
        Case("special", "garbage-16KiB", garbage),
        Case("special", "record-header+garbage", b"\x16\x03\x01\x40\x00\x01\x00\x3f\xfc" + garbage[:16375]),
        Case("special", "zero-length-record", b"\x16\x03\x01\x00\x00"),
        Case("special", "zero-length-hello", b"\x16\x03\x01\x00\x04\x01\x00\x00\x00"),
        Case("special", "max-record-len", b"\x16\x03\x01\xff\xff" + garbage[:2000]),
        Case("special", "plain-http", b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"),
        Case("special", "sslv2-hello", b"\x80\x2e\x01\x00\x02\x00\x15" + b"\x00\x00\x10"
             + b"\x01\x00\x80\x03\x00\x80\x07\x00\xc0\x00\x00\x05\x00\x00\x04" + b"\x00" * 16),
        Case("special", "alert-first", b"\x15\x03\x03\x00\x02\x02\x28"),
        Case("special", "app-data-first", b"\x17\x03\x03\x00\x10" + garbage[:16]),
        Case("special", "ccs-first", b"\x14\x03\x03\x00\x01\x01"),
        Case("special", "two-hellos-one-record",
             b"\x16\x03\x01" + struct.pack(">H", 2 * (len(nosni) - 5)) + nosni[5:] + nosni[5:]),
        Case("special", "hello-split-two-records",
             nosni[:3] + struct.pack(">H", 40) + nosni[5:45]
             + nosni[:3] + struct.pack(">H", len(nosni) - 45) + nosni[45:]),
        Case("special", "hello-then-garbage", nosni + garbage[:4096]),
        Case("special", "sni-then-nosni", sni + nosni),
        Case("special", "handshake-type-finished", put(nosni, 5, 1, 20)),
        Case("special", "handshake-type-server-hello", put(nosni, 5, 1, 2)),
        Case("special", "record-version-0000", put(nosni, 1, 2, 0)),
        Case("special", "legacy-version-ffff", put(nosni, 9, 2, 0xffff)),
    ]
    # 300 empty unknown extensions appended (the extension block grows past 1 KiB)
    many = b"".join(struct.pack(">HH", 0xfa00 + i, 0) for i in range(300))
    rec = put(nosni + many, ext_field.offset, 2,
              int.from_bytes(nosni[ext_field.offset:ext_field.offset + 2], "big") + len(many))
    out.append(Case("special", "300-extensions", fix_outer(rec)))

    def with_ext(payload: bytes, label: str) -> Case:
        r = put(nosni + payload, ext_field.offset, 2,
                int.from_bytes(nosni[ext_field.offset:ext_field.offset + 2], "big") + len(payload))
        return Case("special", label, fix_outer(r))

    def sni_ext(entries: bytes) -> bytes:
        inner = struct.pack(">H", len(entries)) + entries
        return struct.pack(">HH", 0, len(inner)) + inner

    name = b"a.test"
    out += [
        with_ext(sni_ext(b""), "sni-empty-list"),
        with_ext(struct.pack(">HH", 0, 0), "sni-ext-empty"),
        with_ext(sni_ext(b"\x00\x00\x00"), "sni-empty-name"),
        with_ext(sni_ext(b"\x01" + struct.pack(">H", len(name)) + name), "sni-not-host-name"),
        with_ext(sni_ext(b"\x00" + struct.pack(">H", 9) + b"127.0.0.1"), "sni-ip-literal"),
        with_ext(sni_ext(b"\x00" + struct.pack(">H", 6) + b"a\x00b\xff\n\""), "sni-control-bytes"),
        with_ext(sni_ext(b"\x00" + struct.pack(">H", 300) + b"x" * 300), "sni-300-bytes"),
        with_ext(sni_ext(b"\x00" + struct.pack(">H", len(name)) + name) * 2, "sni-twice"),
        with_ext(struct.pack(">HH", 16, 3) + b"\x00\x01\x00", "alpn-empty-protocol"),
        with_ext(struct.pack(">HH", 16, 2) + b"\x00\x00", "alpn-empty-list"),
        with_ext(struct.pack(">HH", 43, 1) + b"\x00", "supported-versions-empty"),
        with_ext(struct.pack(">HH", 43, 3) + b"\x02\xfa\xfa", "supported-versions-grease-only"),
        with_ext(struct.pack(">HH", 0xffff, 0), "ext-type-ffff"),
    ]
    return out


def build_cases(seed: int, sni_name: str, vectors: Path | None = PUBLIC_VECTORS) -> list[Case]:
    """All cases, interleaved by category so that a run cut short still covers every category."""
    rng = random.Random(seed)
    bases = base_hellos(sni_name, vectors)
    nosni, sni = bases[0][1], bases[1][1]
    groups: dict[str, list[Case]] = {}

    def add(cases):
        for c in cases:
            groups.setdefault(c.kind, []).append(c)

    add(specials(rng, nosni, sni))
    add([Case("onebyte", "py-nosni:onebyte", nosni, "onebyte"),
         Case("onebyte", "py-sni:onebyte", sni, "onebyte"),
         Case("slow", "py-nosni:slow-complete", nosni, "slow-complete"),
         Case("slow", "py-nosni:slow-abandon", nosni[:len(nosni) // 2], "slow-abandon")])
    for name, rec in bases[:2]:
        add(truncations(name, rec))
    for name, rec in bases[2:5]:
        add([c for c in truncations(name, rec) if c.kind == "truncate-fixed"])
    for name, rec in bases:
        add(structural(name, rec))
    for name, rec in bases:
        add(flips(name, rec, rng, 40 if name.startswith("py-") else 10))
    for cases in groups.values():
        rng.shuffle(cases)
    # round robin over categories; the one-byte and slow cases early
    order = ["onebyte", "slow", "special", "truncate-fixed", "len0", "lenffff", "overrun", "flip",
             "truncate-raw"]
    out = []
    queues = [groups[k] for k in order if k in groups]
    while any(queues):
        for q in queues:
            if q:
                out.append(q.pop(0))
    return out


# ------------------------------------------------------------------------------------------------
# Clients
# ------------------------------------------------------------------------------------------------
@dataclass
class Target:
    host: str
    port: int
    sni_name: str
    cafile: str | None = None
    timeout: float = 10.0


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


def tls_request(t: Target, sni: bool, path: str, first_flight_writer=None) -> int:
    """One HTTP/1.1 request over Python's ssl through MemoryBIOs, so the first flight can be
    written any way we like (one byte per segment, slowly). Returns the HTTP status."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    if sni and t.cafile:
        ctx.load_verify_locations(t.cafile)
    else:
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    tls = ctx.wrap_bio(incoming, outgoing, server_hostname=t.sni_name if sni else None)
    with socket.create_connection((t.host, t.port), timeout=t.timeout) as s:
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        first = True
        while True:
            try:
                tls.do_handshake()
                break
            except ssl.SSLWantReadError:
                data = outgoing.read()
                if first and first_flight_writer:
                    first_flight_writer(s, data)
                else:
                    s.sendall(data)
                first = False
                chunk = s.recv(65536)
                if not chunk:
                    raise ConnectionError("server closed during the handshake")
                incoming.write(chunk)
        host = t.sni_name if sni else t.host
        tls.write(f"GET {path} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: hostile-clients/ok\r\n"
                  f"Connection: close\r\n\r\n".encode())
        s.sendall(outgoing.read())
        data = b""
        while True:
            try:
                chunk = tls.read(65536)
                if not chunk:
                    break
                data += chunk
            except ssl.SSLWantReadError:
                raw = s.recv(65536)
                if not raw:
                    break
                incoming.write(raw)
            except (ssl.SSLZeroReturnError, ssl.SSLEOFError):
                break
    m = re.match(rb"HTTP/1\.1 (\d{3}) ", data)
    if not m:
        raise ConnectionError(f"no HTTP response: {data[:80]!r}")
    return int(m[1])


def one_byte_writer(s: socket.socket, data: bytes) -> None:
    for i in range(len(data)):
        s.send(data[i:i + 1])


def slow_writer(seconds: float):
    def write(s: socket.socket, data: bytes) -> None:
        pause = seconds / max(1, len(data))
        for i in range(len(data)):
            s.send(data[i:i + 1])
            time.sleep(pause)
    return write


def curl_request(t: Target, sni: bool, path: str, http2: bool) -> int:
    cmd = ["curl", "-sS", "-o", "/dev/null", "-w", "%{http_code} %{http_version}",
           "--max-time", "20", "--http2" if http2 else "--http1.1", "-A", "hostile-clients/ok"]
    if sni:
        cmd += ["--resolve", f"{t.sni_name}:{t.port}:{t.host}", "--cacert", t.cafile or "",
                f"https://{t.sni_name}:{t.port}{path}"]
    else:
        cmd += ["-k", f"https://{t.host}:{t.port}{path}"]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
    if done.returncode != 0:
        raise ConnectionError(f"curl failed: {done.stderr.strip()}")
    code, version = done.stdout.split()
    if http2 and version != "2":
        raise ConnectionError(f"curl did not get HTTP/2 ({version})")
    return int(code)


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


def run(t: Target, count: int = 600, seconds: float = 60.0, seed: int = 1, every: int = 10,
        concurrency: int = 8, vectors: Path | None = PUBLIC_VECTORS, progress=None,
        http2: bool = True) -> Figures:
    """Sends up to `count` hostile cases (cycling through the list with fresh seeds when `count`
    exceeds it) within `seconds`, and well-formed requests between them (curl's HTTP/2 ones only
    with `http2`: mod_http2 does not run under prefork)."""
    figures = Figures()
    lock = threading.Lock()
    cases = build_cases(seed, t.sni_name, vectors)
    started = time.monotonic()
    deadline = started + seconds

    def hostile(case: Case) -> None:
        try:
            if case.mode == "onebyte":
                status = tls_request(t, case.name.startswith("py-sni"), "/", one_byte_writer)
                ending = f"answered {status}"
                ok = status == 200
            elif case.mode == "slow-complete":
                status = tls_request(t, False, "/", slow_writer(2.0))
                ending = f"answered {status}"
                ok = status == 200
            else:
                ending, ok = send_hostile(t, case), True
                if ending == "timeout":
                    ok = False  # the server held a connection whose client had half-closed
        except Exception as e:  # noqa: BLE001 -- a failure is a finding, never a crash of ours
            ending, ok = f"error {type(e).__name__}: {e}", False
        with lock:
            if ok and case.mode in ("onebyte", "slow-complete") and "nosni" in case.name:
                figures.nosni_ok += 1  # answered no-SNI requests: one request record each
            figures.hostile_sent += 1
            figures.by_kind[case.kind] = figures.by_kind.get(case.kind, 0) + 1
            key = ending.split(" after ")[0]
            figures.endings[key] = figures.endings.get(key, 0) + 1
            if not ok:
                figures.failures.append(f"{case.name}: {ending}")

    def wellformed(kind: str, i: int) -> None:
        path = f"/?wf={i}"
        try:
            if kind == "nosni":
                status = tls_request(t, False, path)
            elif kind == "sni":
                status = tls_request(t, True, path)
            else:
                status = curl_request(t, kind.endswith("sni") and not kind.endswith("nosni"), path,
                                      http2=kind.startswith("h2"))
            ok = status == 200
            ending = str(status)
        except Exception as e:  # noqa: BLE001
            ok, ending = False, f"{type(e).__name__}: {e}"
        with lock:
            figures.wellformed_sent += 1
            if ok:
                figures.wellformed_ok += 1
                if "nosni" in kind:
                    figures.nosni_ok += 1
                else:
                    figures.sni_ok += 1
            else:
                figures.failures.append(f"well-formed {kind} {path}: {ending}")

    jobs = []
    n = 0
    rounds = 0
    while n < count:
        for case in cases:
            if n >= count:
                break
            if n % every == 0:
                jobs.append(("wf", ("nosni", n)))
                jobs.append(("wf", ("sni", n)))
                if n % (every * 10) == 0:
                    jobs.append(("wf", ("h1-curl-nosni", n)))
                    if http2:
                        jobs.append(("wf", ("h2-curl-nosni", n)))
                        jobs.append(("wf", ("h2-curl-sni", n)))
            jobs.append(("hostile", case))
            n += 1
        rounds += 1
        cases = build_cases(seed + rounds, t.sni_name, vectors)  # new flips and garbage
    jobs.append(("wf", ("nosni", n)))
    jobs.append(("wf", ("sni", n)))

    with ThreadPoolExecutor(concurrency) as pool:
        futures = []
        for kind, arg in jobs:
            if time.monotonic() > deadline:
                break
            if kind == "hostile":
                futures.append(pool.submit(hostile, arg))
            else:
                futures.append(pool.submit(wellformed, *arg))
            # bounded queue: keep the deadline meaningful
            while sum(1 for f in futures[-4 * concurrency:] if not f.done()) >= 2 * concurrency:
                time.sleep(0.001)
            if progress and len(futures) % 500 == 0:
                progress(f"{len(futures)} jobs submitted, {time.monotonic() - started:.0f} s")
        for f in futures:
            f.result()
    # the final check: the server still answers both kinds of client
    wellformed("nosni", -1)
    wellformed("sni", -1)
    figures.elapsed = time.monotonic() - started
    return figures


# ------------------------------------------------------------------------------------------------
# Checks of the server's logs
# ------------------------------------------------------------------------------------------------
def check_logs(error_log: str, nosni_log: str) -> dict:
    """Crash lines in the error log and the validity of the JSON no-SNI log."""
    crashes = [ln for ln in error_log.splitlines() if CRASH.search(ln)]
    lines = nosni_log.splitlines()
    invalid, events, request_ok = [], {}, 0
    outcomes = {}
    for ln in lines:
        try:
            rec = json.loads(ln)
            if not isinstance(rec, dict):
                raise ValueError("not an object")
        except ValueError:
            invalid.append(ln)
            continue
        events[rec.get("event")] = events.get(rec.get("event"), 0) + 1
        if rec.get("event") == "handshake":
            o = str(rec.get("outcome"))
            outcomes[o] = outcomes.get(o, 0) + 1
        if rec.get("event") == "request" and rec.get("user_agent") == "hostile-clients/ok" \
                and rec.get("status") == 200:
            request_ok += 1
    return {"crashes": crashes, "lines": len(lines), "invalid": invalid, "events": events,
            "outcomes": outcomes, "wellformed_request_records": request_ok}


def server_pids(parent: int) -> list[int]:
    out = subprocess.run(["pgrep", "-P", str(parent)], capture_output=True, text=True).stdout
    return [int(p) for p in out.split()]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--module", help="mod_snifallback.so: start a throwaway apache2 with it")
    ap.add_argument("--mpm", default="event", choices=["event", "worker", "prefork"])
    ap.add_argument("--port", type=int, help="an already running server's https port instead")
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--sni", default="a.test", help="name sent by the SNI clients")
    ap.add_argument("--cafile", help="CA for the SNI clients (with --port)")
    ap.add_argument("--count", type=int, default=3000, help="hostile cases to send")
    ap.add_argument("--seconds", type=float, default=600, help="stop sending after this long")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--every", type=int, default=10,
                    help="a well-formed no-SNI and SNI request after this many hostile cases")
    ap.add_argument("--concurrency", type=int, default=8)
    ap.add_argument("--no-vectors", action="store_true", help="ignore the public vectors")
    args = ap.parse_args()
    vectors = None if args.no_vectors else PUBLIC_VECTORS

    if args.port:
        t = Target(args.host, args.port, args.sni, args.cafile)
        fig = run(t, args.count, args.seconds, args.seed, args.every, args.concurrency, vectors,
                  progress=print)
        print(fig.summary())
        for f in fig.failures[:20]:
            print("  FAIL", f)
        return 1 if fig.failures else 0

    if not args.module:
        ap.error("give --module (start a server) or --port (use a running one)")
    sys.path.insert(0, str(HERE.parent / "tests" / "integration"))
    import tempfile
    from harness import Httpd, Pki  # noqa: E402

    pki = Pki(Path(tempfile.mkdtemp(prefix="snif-hostile-pki-")))
    for name in ("default.test", "a.test", "b.test", "legacy.test"):
        pki.leaf(name)
    httpd = Httpd(pki, str(Path(args.module).resolve()), mpm=args.mpm)
    try:
        # The module's debug level shows how often its parser refused a hello (SNIF0002).
        httpd.start("SNIFallbackLog logs/nosni.json\nLogLevel snifallback:debug\n")
        pids_before = server_pids(httpd.proc.pid)
        t = Target("127.0.0.1", httpd.https_port, args.sni, str(pki.ca_cert))
        fig = run(t, args.count, args.seconds, args.seed, args.every, args.concurrency, vectors,
                  progress=print, http2=args.mpm != "prefork")
        time.sleep(1.0)  # the last records
        parent_alive = httpd.proc.poll() is None
        pids_after = server_pids(httpd.proc.pid) if parent_alive else []
        logs = check_logs(httpd.error_log(), httpd.log("nosni.json"))
        bad_levels = [ln for ln in httpd.error_log().splitlines()
                      if re.search(r"\[(?:[a-z_0-9]+:)?(warn|error|crit|alert|emerg)\]", ln)]
        print(fig.summary())
        print("how hostile connections ended: "
              + ", ".join(f"{k} {v}" for k, v in sorted(fig.endings.items())))
        print(f"MPM {args.mpm}; children before {pids_before}, after {pids_after}; parent "
              f"{'alive' if parent_alive else 'DEAD'}")
        print(f"error log: {len(logs['crashes'])} crash lines, {len(bad_levels)} warn/error lines, "
              f"{httpd.error_log().count('SNIF0002')} hellos the module's parser refused (SNIF0002)")
        print(f"no-SNI log: {logs['lines']} lines, {len(logs['invalid'])} invalid JSON, events "
              f"{logs['events']}, handshake outcomes {logs['outcomes']}")
        print(f"request records of well-formed no-SNI requests: "
              f"{logs['wellformed_request_records']} (answered: {fig.nosni_ok})")
        for ln in logs["crashes"][:10] + bad_levels[:10] + logs["invalid"][:5]:
            print("  LOG", ln[:300])
        for f in fig.failures[:20]:
            print("  FAIL", f)
        ok = (not fig.failures and not logs["crashes"] and not logs["invalid"] and parent_alive
              and logs["wellformed_request_records"] == fig.nosni_ok)
        print("RESULT: " + ("ok" if ok else "FAILED"))
        return 0 if ok else 1
    finally:
        httpd.cleanup()


if __name__ == "__main__":
    sys.exit(main())
