"""An SSLv2-format (SSL 2.0-compatible) ClientHello as Java 6 sends its first hello by default
(JSSE with the SSLv2Hello pseudo-protocol enabled): a 2-byte SSLv2 record header, then the
message (type 1, version 3.1, cipher-spec length, session-id length, challenge length, cipher
specs of 3 bytes each, challenge). No extensions: the format has none, so no SNI.

The cipher specs are JDK 6u45's default suites in its order, each as 0x00 + its TLS code, with the
SSLv2 equivalents JSSE adds after the suites that have one (RC4-128-MD5, 3DES, DES, RC4-40
export), and the renegotiation SCSV last."""
from __future__ import annotations

import os
import struct

# (TLS code, SSLv2 equivalent or None), JDK 6u45 default order
JAVA6_SUITES = [
    (0x0004, 0x010080),  # SSL_RSA_WITH_RC4_128_MD5, SSL_CK_RC4_128_WITH_MD5
    (0x0005, None),      # SSL_RSA_WITH_RC4_128_SHA
    (0x002F, None),      # TLS_RSA_WITH_AES_128_CBC_SHA
    (0x0033, None),      # TLS_DHE_RSA_WITH_AES_128_CBC_SHA
    (0x0032, None),      # TLS_DHE_DSS_WITH_AES_128_CBC_SHA
    (0x000A, 0x0700C0),  # SSL_RSA_WITH_3DES_EDE_CBC_SHA, SSL_CK_DES_192_EDE3_CBC_WITH_MD5
    (0x0016, None),      # SSL_DHE_RSA_WITH_3DES_EDE_CBC_SHA
    (0x0013, None),      # SSL_DHE_DSS_WITH_3DES_EDE_CBC_SHA
    (0x0009, 0x060040),  # SSL_RSA_WITH_DES_CBC_SHA, SSL_CK_DES_64_CBC_WITH_MD5
    (0x0015, None),      # SSL_DHE_RSA_WITH_DES_CBC_SHA
    (0x0012, None),      # SSL_DHE_DSS_WITH_DES_CBC_SHA
    (0x0003, 0x020080),  # SSL_RSA_EXPORT_WITH_RC4_40_MD5, SSL_CK_RC4_128_EXPORT40_WITH_MD5
    (0x0008, None),      # SSL_RSA_EXPORT_WITH_DES40_CBC_SHA
    (0x0014, None),      # SSL_DHE_RSA_EXPORT_WITH_DES40_CBC_SHA
    (0x0011, None),      # SSL_DHE_DSS_EXPORT_WITH_DES40_CBC_SHA
    (0x00FF, None),      # TLS_EMPTY_RENEGOTIATION_INFO_SCSV
]


def cipher_specs(suites=JAVA6_SUITES) -> bytes:
    out = b""
    for code, v2 in suites:
        out += b"\x00" + struct.pack(">H", code)
        if v2 is not None:
            out += struct.pack(">I", v2)[1:]
    return out


def java6_client_hello(version: int = 0x0301, challenge: bytes | None = None,
                       specs: bytes | None = None) -> bytes:
    """The record, header included, ready to send on a fresh TCP connection."""
    specs = cipher_specs() if specs is None else specs
    challenge = os.urandom(32) if challenge is None else challenge
    message = struct.pack(">BHHHH", 1, version, len(specs), 0, len(challenge)) + specs + challenge
    return struct.pack(">H", 0x8000 | len(message)) + message


def message_of(record: bytes) -> bytes:
    """The message OpenSSL hands its message callback: the record without its 2-byte header."""
    return record[2:]


def expected_ja3_ciphers() -> str:
    """The TLS codes in the hello, in order, as JA3 writes them (decimal, '-')."""
    return "-".join(str(code) for code, _ in JAVA6_SUITES)
