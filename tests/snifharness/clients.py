"""HTTP clients of a TLS server on loopback: curl, Python's ssl and openssl s_client.

Without a name to send (`sni` None) each client connects to the address and sends no SNI; with
one, it sends it (curl resolves the name to the address) and checks the certificate against
`cafile`."""
from __future__ import annotations

import shutil
import socket
import ssl
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from snifharness.process import run


@dataclass
class Response:
    status: int
    body: str
    headers: dict = field(default_factory=dict)
    http_version: str = ""


def parse_head(head: str) -> tuple[str, int, dict]:
    """(HTTP version, status, lower-cased headers) of the last response head in `head`."""
    lines = head.splitlines()
    starts = [i for i, ln in enumerate(lines) if ln.startswith("HTTP/")]
    first = starts[-1] if starts else 0
    version, status = lines[first].split()[0], int(lines[first].split()[1])
    headers = {}
    for ln in lines[first + 1:]:
        if ":" in ln:
            k, v = ln.split(":", 1)
            headers[k.strip().lower()] = v.strip()
    return version, status, headers


def parse_response(data: bytes) -> Response:
    """A raw HTTP/1.1 response (head and body as read until the server closed)."""
    head, _, body = data.partition(b"\r\n\r\n")
    version, status, headers = parse_head(head.decode(errors="replace").replace("\r\n", "\n"))
    return Response(status, body.decode(errors="replace"), headers, version)


def _curl_options(port: int, cafile: str | None, sni: str | None, http2: bool, headers: dict,
                  host: str) -> list[str]:
    """The options curl repeats for every URL of one invocation."""
    opts = ["--cacert", cafile] if cafile else []
    opts.append("--http2" if http2 else "--http1.1")
    opts += ["--resolve", f"{sni}:{port}:{host}"] if sni else ["-k"]
    for k, v in headers.items():
        opts += ["-H", f"{k}: {v}"]
    return opts


def curl(port: int, cafile: str | None, *paths: str, sni: str | None = None, http2: bool = False,
         headers: dict | None = None, extra: list | None = None, host: str = "127.0.0.1",
         workdir: Path | None = None) -> list[Response]:
    """curl over one connection for all `paths` (keep-alive / one h2 connection).

    Without `sni` the URL is the IP address, so curl sends no SNI (and -k, since the default
    vhost's certificate names no address); with `sni` curl resolves that name to `host` and sends
    it. Raises CalledProcessError when curl fails."""
    headers = headers or {}
    out_dir = Path(tempfile.mkdtemp(prefix="curl-", dir=workdir))
    cmd = ["curl", "-sS", "--max-time", "20", *(extra or [])]
    for i, p in enumerate(paths):
        if i:
            cmd.append("--next")
        cmd += _curl_options(port, cafile, sni, http2, headers, host)
        cmd += ["-o", str(out_dir / f"{i}.body"), "-D", str(out_dir / f"{i}.head"),
                f"https://{sni or host}:{port}{p}"]
    try:
        run(cmd)
        responses = []
        for i in range(len(paths)):
            version, status, hdrs = parse_head((out_dir / f"{i}.head").read_text())
            body = (out_dir / f"{i}.body").read_text(errors="replace")
            responses.append(Response(status, body, hdrs, version))
        return responses
    finally:
        shutil.rmtree(out_dir, ignore_errors=True)


def https_get(port: int, path: str = "/", sni: str | None = None, host: str | None = None,
              user_agent: str | None = None, cafile: str | None = None,
              default_context: bool = False, timeout: float = 10) -> bytes:
    """One HTTP/1.1 request (Connection: close) with Python's ssl; returns the raw response.

    The Host header is `host`, else `sni`, else the address. The certificate is checked only
    when both `sni` and `cafile` are given. `default_context` starts from
    ssl.create_default_context() instead of a bare PROTOCOL_TLS_CLIENT context."""
    if default_context:
        ctx = ssl.create_default_context(cafile=cafile)
    else:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        if cafile:
            ctx.load_verify_locations(cafile)
    if sni is None or cafile is None:
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    head = f"GET {path} HTTP/1.1\r\nHost: {host or sni or '127.0.0.1'}\r\n"
    if user_agent is not None:
        head += f"User-Agent: {user_agent}\r\n"
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as raw:
        with ctx.wrap_socket(raw, server_hostname=sni) as tls:
            tls.sendall((head + "Connection: close\r\n\r\n").encode())
            data = b""
            while chunk := tls.recv(65536):
                data += chunk
    return data


def http_get(port: int, path: str = "/", host: str = "localhost", timeout: float = 10) -> Response:
    """One plain-HTTP/1.1 request (Connection: close)."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(f"GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode())
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    return parse_response(data)


def status_of(data: bytes) -> int:
    """The status code of a raw HTTP response."""
    return int(data.split(b" ", 2)[1])


def s_client(port: int, cafile: str, request: bytes | None = None, servername: str | None = None,
             args: list | None = None, timeout: float = 20) -> subprocess.CompletedProcess:
    """openssl s_client (bytes in and out); without servername it runs with -noservername."""
    cmd = ["openssl", "s_client", "-connect", f"127.0.0.1:{port}", "-CAfile", cafile, "-ign_eof"]
    cmd += ["-servername", servername] if servername else ["-noservername"]
    cmd += args or []
    return subprocess.run(cmd, input=request or b"", capture_output=True, timeout=timeout)
