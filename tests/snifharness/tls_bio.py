"""A TLS client over Python's MemoryBIO, so that a caller holds the exact ClientHello bytes it sent
and can write its first flight any way it likes (one byte per segment, slowly)."""
from __future__ import annotations

import socket
import ssl
from typing import Callable

FirstFlightWriter = Callable[[socket.socket, bytes], None]


def _context(verify_with: str | None, tls12_only: bool = False,
             alpn: list | None = None) -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    if verify_with:
        ctx.load_verify_locations(verify_with)
    else:
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    if tls12_only:
        ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    if alpn:
        ctx.set_alpn_protocols(alpn)
    return ctx


def client_hello(server_hostname: str | None, tls12_only: bool = False,
                 alpn: list | None = None) -> bytes:
    """The first flight (one ClientHello record) that Python's ssl would send."""
    out = ssl.MemoryBIO()
    obj = _context(None, tls12_only, alpn).wrap_bio(ssl.MemoryBIO(), out,
                                                    server_hostname=server_hostname)
    try:
        obj.do_handshake()
    except ssl.SSLWantReadError:
        pass
    return out.read()


def abandon_handshake(port: int, host: str = "127.0.0.1", timeout: float = 10) -> None:
    """Sends a real no-SNI ClientHello, waits for the first byte of the server's answer (it has
    read the hello), and closes the connection in the middle of the handshake."""
    with socket.create_connection((host, port), timeout=timeout) as s:
        s.sendall(client_hello(None))
        s.recv(1)


class BioClient:
    """One TLS connection; the certificate is checked only with both `cafile` and a name."""

    def __init__(self, port: int, server_hostname: str | None = None, alpn: list | None = None,
                 cafile: str | None = None, host: str = "127.0.0.1", timeout: float = 10):
        self.ctx = _context(cafile if server_hostname else None, alpn=alpn)
        self.incoming, self.outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
        self.tls = self.ctx.wrap_bio(self.incoming, self.outgoing, server_hostname=server_hostname)
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.client_hello = b""

    def handshake(self, first_flight_writer: FirstFlightWriter | None = None) -> None:
        while True:
            try:
                self.tls.do_handshake()
                self._flush()
                return
            except ssl.SSLWantReadError:
                data = self.outgoing.read()
                if not self.client_hello:
                    self.client_hello = data  # the first flight: the ClientHello record(s)
                    (first_flight_writer or socket.socket.sendall)(self.sock, data)
                else:
                    self.sock.sendall(data)
                chunk = self.sock.recv(65536)
                if not chunk:
                    raise ConnectionError("server closed during the handshake")
                self.incoming.write(chunk)

    def _flush(self) -> None:
        data = self.outgoing.read()
        if data:
            self.sock.sendall(data)

    def request(self, raw: bytes) -> bytes:
        """Sends `raw` and reads until the server closes (the caller asks Connection: close)."""
        self.tls.write(raw)
        self._flush()
        out = b""
        while True:
            try:
                chunk = self.tls.read(65536)
                if not chunk:
                    break
                out += chunk
            except ssl.SSLWantReadError:
                data = self.sock.recv(65536)
                if not data:
                    break
                self.incoming.write(data)
            except (ssl.SSLZeroReturnError, ssl.SSLEOFError):
                break
        return out

    def close(self) -> None:
        self.sock.close()
