"""When the module's own work fails (here: every C++ allocation throws), httpd goes on as without it.

failing_new.so is preloaded into apache2; while a flag file exists, every operator new throws
std::bad_alloc. httpd, APR and OpenSSL are C, so only the module's allocations fail. The policy
(hook_guard.h): a (re)start fails with a message, a connection is served unobserved, a request is
served as without the module; no child process dies.
"""
import os
import socket
import ssl

import pytest

FALLBACK = "SNIFallbackCertificate legacy.test\n"


class FailingNew:
    """Starts apache2 with the shim preloaded; `flag` switches the failures on and off."""

    def __init__(self, httpd, monkeypatch):
        self.shim = os.environ.get("SNIFALLBACK_FAILING_NEW", "")
        if not os.path.exists(self.shim):
            pytest.fail("SNIFALLBACK_FAILING_NEW must name the built failing_new library")
        self.httpd, self.monkeypatch = httpd, monkeypatch
        self.flag = httpd.root / "fail-new"

    def start(self, snippet, **kw):
        # Only apache2 gets the shim: the clients (curl, openssl) must allocate as usual.
        self.monkeypatch.setenv("SNIFALLBACK_FAIL_NEW_FILE", str(self.flag))
        self.monkeypatch.setenv("LD_PRELOAD", self.shim)
        try:
            self.httpd.start(snippet, **kw)
        finally:
            self.monkeypatch.delenv("LD_PRELOAD")


@pytest.fixture
def failing_new(httpd, monkeypatch):
    shim = FailingNew(httpd, monkeypatch)
    yield shim
    shim.flag.unlink(missing_ok=True)


def no_sni_connection(httpd):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname, ctx.verify_mode = False, ssl.CERT_NONE
    raw = socket.create_connection(("127.0.0.1", httpd.https_port), timeout=10)
    return ctx.wrap_socket(raw)  # handshake done here, without SNI


def get(tls, host: str) -> bytes:
    tls.sendall(f"GET / HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode())
    data = b""
    while chunk := tls.recv(65536):
        data += chunk
    return data


def test_start_fails_cleanly_when_setup_cannot_allocate(httpd, failing_new):
    failing_new.flag.touch()
    with pytest.raises(RuntimeError) as failed:
        failing_new.start(FALLBACK)
    message = str(failed.value)
    assert "exited at start (1)" in message, message  # an orderly exit, not a signal
    assert "SNIF0004: mod_snifallback could not set itself up: out of memory" in message


def test_request_is_served_as_without_the_module(httpd, failing_new):
    failing_new.start("SNIFallbackLog logs/nosni.json\n", vhost_extra={
        "default.test": 'SNIFallbackAction redirect "https://x.example%{REQUEST_URI}"'})
    httpd.expected_log = [r"SNIF0003: unexpected failure \(out of memory\)"]
    with no_sni_connection(httpd) as tls:
        failing_new.flag.touch()  # the handshake was observed; the request hooks now fail
        data = get(tls, "default.test")
    failing_new.flag.unlink()
    # Without the module this request gets the site: the redirect could not be built, so it is not
    # answered with an error of the module's making.
    assert data.startswith(b"HTTP/1.1 200 "), data[:200]
    assert data.endswith(b"site default.test\n")
    assert "SNIF0003: unexpected failure (out of memory)" in httpd.new_error_log()
    # Memory back: the next client is handled again.
    with no_sni_connection(httpd) as tls:
        assert get(tls, "default.test").startswith(b"HTTP/1.1 302 ")


def test_handshakes_and_children_survive(httpd, failing_new):
    failing_new.start("SNIFallbackLog logs/nosni.json\n",
                      vhost_extra={"a.test": "SNIFallbackAction notice"})
    # The class of a client is settled without allocating, so the notice is still decided; the
    # fingerprints and the records, which need memory, are lost.
    httpd.expected_log = [r"SNIF0003: unexpected failure \(out of memory\)"]
    failing_new.flag.touch()
    for _ in range(20):
        assert httpd.curl("/", headers={"Host": "a.test"})[0].status == 403
        assert httpd.curl("/", sni="a.test")[0].status == 200
    failing_new.flag.unlink()
    assert httpd.curl("/", headers={"Host": "a.test"})[0].status == 403
    log = httpd.new_error_log()
    assert "exit signal" not in log and "SNIF0004" not in log
    assert httpd.proc.poll() is None
    records = httpd.wait_for_log("nosni.json", lambda t: t.count('"event":"request"') >= 1)
    assert records.count('"event":"request"') == 1  # only the one after memory came back
