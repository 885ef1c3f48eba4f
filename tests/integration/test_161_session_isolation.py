"""Sessions of fallback handshakes never resume as clients served by name, and the reverse, whatever
the certificate, the version and whether the module's parser understood the hello; a resumed
connection is classified as mod_ssl treats it (issue 28)."""
import re

import pytest

PROFILE = 'SNIFallbackProtocol all\nSNIFallbackCipherSuite "DEFAULT:@SECLEVEL=0"\n'
LOG = "SNIFallbackLog logs/nosni.json\n"
CERT = "SNIFallbackCertificate legacy.test\n"
EXPECTED = [r"SNIF0028", r"SNIF0022", r"SNIF0034"]
# 300 ALPN protocols: more than the module's parser takes (it refuses the hello), well within
# what OpenSSL accepts
MANY_ALPN = ["-alpn", ",".join(f"p{i}" for i in range(300)) + ",http/1.1"]
VERSIONS = {
    "1.2": ["-tls1_2", "-cipher", "AES128-SHA:@SECLEVEL=0"],
    "1.3": ["-tls1_3"],
}


def get(host: str) -> bytes:
    return f"GET / HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode()


def handshake(httpd, servername, args, sess_out=None, sess_in=None):
    extra = list(args)
    if sess_out:
        extra += ["-sess_out", str(sess_out)]
    if sess_in:
        extra += ["-sess_in", str(sess_in)]
    host = servername or "default.test"
    done = httpd.s_client(get(host), servername=servername, args=extra)
    out = done.stdout.decode(errors="replace")
    assert re.search(r"^(New|Reused),", out, re.M), out[-800:]
    return out


def reused(out: str) -> bool:
    return re.search(r"^Reused,", out, re.M) is not None


def status(out: str) -> int | None:
    m = re.search(r"^HTTP/1\.1 (\d{3})", out, re.M)
    return int(m.group(1)) if m else None


@pytest.mark.parametrize("cert", ["", CERT], ids=["own-cert", "fallback-cert"])
@pytest.mark.parametrize("version", ["1.2", "1.3"])
@pytest.mark.parametrize("alpn", [[], MANY_ALPN], ids=["parsed", "refused-hello"])
def test_sessions_do_not_cross_between_fallback_and_named_clients(httpd, tmp_path, cert, version,
                                                                 alpn):
    httpd.start(LOG + PROFILE + cert)
    httpd.expected_log = EXPECTED
    args = VERSIONS[version] + alpn
    fallback, named = tmp_path / "fallback.pem", tmp_path / "named.pem"
    handshake(httpd, None, args, sess_out=fallback)
    handshake(httpd, "default.test", args, sess_out=named)
    # each resumes in its own kind: resumption itself still works
    assert reused(handshake(httpd, None, args, sess_in=fallback))
    assert reused(handshake(httpd, "default.test", args, sess_in=named))
    # and never across, in either direction
    across = handshake(httpd, "default.test", args, sess_in=fallback)
    assert not reused(across), across[-600:]
    back = handshake(httpd, None, args, sess_in=named)
    assert not reused(back), back[-600:]


def test_a_profile_session_never_carries_its_cipher_to_a_named_client(httpd, tmp_path):
    """The issue's case: a TLS 1.2 AES128-SHA session made through the profile, offered by a
    client that names default.test, whose own cipher list refuses AES128-SHA."""
    httpd.start(LOG + PROFILE)
    httpd.expected_log = EXPECTED
    session = tmp_path / "s.pem"
    handshake(httpd, None, VERSIONS["1.2"], sess_out=session)
    done = httpd.s_client(get("default.test"), servername="default.test",
                          args=["-tls1_2", "-sess_in", str(session)])
    out = done.stdout.decode(errors="replace")
    assert "AES128-SHA" not in re.findall(r"Cipher is (\S+)", out), out[-600:]
    assert not reused(out)


@pytest.mark.parametrize("version", ["1.2", "1.3"])
def test_resumption_is_classified_as_mod_ssl_treats_it(httpd, tmp_path, version):
    """Under SSLStrictSNIVHostCheck on, mod_ssl answers 403 to a connection it sees without SNI.
    A client that names default.test is served, whichever session it offers, and one without
    SNI is a no-SNI client, whichever session it offers."""
    httpd.start(LOG + "SSLStrictSNIVHostCheck on\n")
    args = ["-tls1_3"] if version == "1.3" else ["-tls1_2"]
    nosni, named = tmp_path / "nosni.pem", tmp_path / "named.pem"
    handshake(httpd, None, args, sess_out=nosni)
    handshake(httpd, "default.test", args, sess_out=named)
    httpd.mark_log()
    out = handshake(httpd, "default.test", args, sess_in=nosni)
    assert status(out) == 200, out[-600:]
    out = handshake(httpd, None, args, sess_in=named)
    assert status(out) == 403, out[-600:]
    access = httpd.wait_for_log("access.log", lambda t: t.count("\n") >= 4)
    lines = access.splitlines()[-2:]
    assert "sni=default.test missing=-" in lines[0], lines
    assert "sni=- missing=1" in lines[1], lines
    records = httpd.log("nosni.json")
    # the named client wrote no record; the no-SNI one did, once for its handshake
    assert records.count('"event":"handshake"') == 2, records


def test_unknown_names_resume_only_under_the_same_name(httpd, tmp_path):
    httpd.start(LOG + "SNIFallbackClients no-sni unknown-name\n")
    args = ["-tls1_2"]
    session = tmp_path / "x.pem"
    handshake(httpd, "x.example", args, sess_out=session)
    assert reused(handshake(httpd, "x.example", args, sess_in=session))
    assert not reused(handshake(httpd, "y.example", args, sess_in=session))
    assert not reused(handshake(httpd, None, args, sess_in=session))


@pytest.mark.parametrize("version", ["-tls1", "-tls1_1"])
def test_a_named_client_cannot_resume_a_profile_session_at_tls1(httpd, tmp_path, version):
    """A session the profile let in at TLS 1.0/1.1, offered by a client that names a served site:
    no resumption, and the full handshake meets that vhost's own settings, which refuse it."""
    httpd.start(LOG + PROFILE)
    httpd.expected_log = EXPECTED
    args = [version, "-cipher", "AES128-SHA:@SECLEVEL=0"]
    session = tmp_path / "old.pem"
    out = handshake(httpd, None, args, sess_out=session)
    assert "Cipher is AES128-SHA" in out, out[-600:]
    for name in ("default.test", "a.test"):
        done = httpd.s_client(get(name), servername=name, args=args + ["-sess_in", str(session)])
        text = done.stdout.decode(errors="replace")
        # s_client prints the session it offered even when the handshake fails: the verdict is
        # the server's alert and the absence of any response
        assert not reused(text), text[-600:]
        assert b"alert" in done.stderr, done.stderr[-400:]
        assert status(text) is None
