"""A TLS client over Python's MemoryBIO, so a test holds the exact ClientHello bytes it sent."""
from __future__ import annotations

import socket
import ssl


class BioClient:
    def __init__(self, port: int, server_hostname: str | None = None, alpn: list | None = None,
                 cafile: str | None = None):
        self.ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        if cafile and server_hostname:
            self.ctx.load_verify_locations(cafile)
        else:
            self.ctx.check_hostname = False
            self.ctx.verify_mode = ssl.CERT_NONE
        if alpn:
            self.ctx.set_alpn_protocols(alpn)
        self.incoming, self.outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
        self.tls = self.ctx.wrap_bio(self.incoming, self.outgoing, server_hostname=server_hostname)
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.client_hello = b""

    def handshake(self) -> None:
        while True:
            try:
                self.tls.do_handshake()
                self._flush()
                return
            except ssl.SSLWantReadError:
                data = self.outgoing.read()
                if not self.client_hello:
                    self.client_hello = data  # the first flight: the ClientHello record(s)
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
