"""Malformed ClientHellos derived from real ones, for the hostile-client runs (snifharness.hostile).

Python's ssl (MemoryBIO) makes hellos with and without SNI, for TLS 1.3 and TLS 1.2 only, with and
without ALPN, and the public vectors (/work/shared/clienthello/public.jsonl, read in place when
present; SNIFALLBACK_PUBLIC_VECTORS names another file) add real clients' hellos. The mutations:

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
"""
from __future__ import annotations

import json
import os
import random
import struct
from dataclasses import dataclass, field
from pathlib import Path

from snifharness.tls_bio import client_hello

PUBLIC_VECTORS = Path(os.environ.get("SNIFALLBACK_PUBLIC_VECTORS",
                                     "/work/shared/clienthello/public.jsonl"))


# ------------------------------------------------------------------------------------------------
# Real hellos
# ------------------------------------------------------------------------------------------------
def base_hellos(sni_name: str, vectors: Path | None = PUBLIC_VECTORS) -> list[tuple[str, bytes]]:
    bases = [
        ("py-nosni-tls13", client_hello(None)),
        ("py-sni-tls13", client_hello(sni_name)),
        ("py-nosni-tls12", client_hello(None, tls12_only=True)),
        ("py-nosni-alpn", client_hello(None, alpn=["h2", "http/1.1"])),
        ("py-sni-alpn-tls12", client_hello(sni_name, tls12_only=True, alpn=["http/1.1"])),
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
    return out + odd_extensions(nosni)


def odd_extensions(nosni: bytes) -> list[Case]:
    """The no-SNI hello with odd extensions appended: 300 unknown ones, empty, duplicate and
    strange SNI, empty ALPN and supported_versions, extension type 0xffff."""
    ext_field = [f for f in layout(nosni).fields if f.name == "extensions"][0]

    def with_ext(payload: bytes, label: str) -> Case:
        r = put(nosni + payload, ext_field.offset, 2,
                int.from_bytes(nosni[ext_field.offset:ext_field.offset + 2], "big") + len(payload))
        return Case("special", label, fix_outer(r))

    def sni_ext(entries: bytes) -> bytes:
        inner = struct.pack(">H", len(entries)) + entries
        return struct.pack(">HH", 0, len(inner)) + inner

    many = b"".join(struct.pack(">HH", 0xfa00 + i, 0) for i in range(300))
    name = b"a.test"
    return [
        with_ext(many, "300-extensions"),
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
