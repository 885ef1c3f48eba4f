"""A TLS client that puts exactly the bytes it is given into SNI (pyOpenSSL), IP addresses and
trailing dots included, which curl and Python's ssl module refuse to do; HTTP/1.1 or HTTP/2
(python3-h2) over it."""
from __future__ import annotations

import socket
import struct
from dataclasses import dataclass

import h2.config
import h2.connection
import h2.events
from OpenSSL import SSL


@dataclass
class Answer:
    status: int
    body: bytes
    certificate_cn: str  # the CN of the certificate the server presented


def connect(port: int, sni: bytes | None, alpn: bytes = b"http/1.1") -> SSL.Connection:
    """A finished handshake with `sni` (None: no SNI) and the ALPN protocol; no verification."""
    ctx = SSL.Context(SSL.TLS_METHOD)
    ctx.set_verify(SSL.VERIFY_NONE, lambda *args: True)
    ctx.set_alpn_protos([alpn])
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    # pyOpenSSL wants a blocking socket; the kernel's receive timeout keeps a test from hanging.
    sock.settimeout(None)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, struct.pack("ll", 20, 0))
    conn = SSL.Connection(ctx, sock)
    if sni is not None:
        conn.set_tlsext_host_name(sni)
    conn.set_connect_state()
    conn.do_handshake()
    return conn


def read_all(conn: SSL.Connection) -> bytes:
    data = b""
    while True:
        try:
            chunk = conn.recv(65536)
        except (SSL.ZeroReturnError, SSL.SysCallError):
            break
        if not chunk:
            break
        data += chunk
    return data


def http1(conn: SSL.Connection, host: str, user_agent: str = "exact-sni") -> tuple[int, bytes]:
    conn.sendall(f"GET / HTTP/1.1\r\nHost: {host}\r\nUser-Agent: {user_agent}\r\n"
                 "Connection: close\r\n\r\n".encode())
    head, _, body = read_all(conn).partition(b"\r\n\r\n")
    return int(head.split(b" ", 2)[1]), body


def http2(conn: SSL.Connection, host: str, user_agent: str = "exact-sni") -> tuple[int, bytes]:
    h2c = h2.connection.H2Connection(config=h2.config.H2Configuration(client_side=True))
    h2c.initiate_connection()
    h2c.send_headers(1, [(":method", "GET"), (":path", "/"), (":scheme", "https"),
                         (":authority", host), ("user-agent", user_agent)], end_stream=True)
    conn.sendall(h2c.data_to_send())
    status, body = 0, b""
    while data := conn.recv(65536):
        for event in h2c.receive_data(data):
            if isinstance(event, h2.events.ResponseReceived):
                status = int(dict(event.headers)[b":status"])
            elif isinstance(event, h2.events.DataReceived):
                body += event.data
                h2c.acknowledge_received_data(event.flow_controlled_length, 1)
            elif isinstance(event, h2.events.StreamEnded):
                conn.sendall(h2c.data_to_send())
                return status, body
        conn.sendall(h2c.data_to_send())
    return status, body


def request(port: int, sni: str | None, host: str, use_http2: bool = False) -> Answer:
    """One GET for `host` on a connection whose ClientHello carries exactly `sni`."""
    conn = connect(port, sni.encode() if sni is not None else None,
                   b"h2" if use_http2 else b"http/1.1")
    cn = conn.get_peer_certificate().get_subject().CN
    status, body = (http2 if use_http2 else http1)(conn, host)
    conn.close()
    return Answer(status, body, cn)
