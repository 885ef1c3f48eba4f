"""SNIFallbackProtocol and SNIFallbackCipherSuite: old clients complete their handshake, others
keep exactly their vhost's TLS settings."""
import re
import socket
import ssl

import pytest

PROFILE = 'SNIFallbackProtocol all\nSNIFallbackCipherSuite "DEFAULT:@SECLEVEL=0"\n'
LOG = "SNIFallbackLog logs/nosni.json\n"
OLD_CIPHERS = ["-cipher", "DEFAULT:@SECLEVEL=0"]
POLICIES = ["", "SSLVHostSNIPolicy secure", "SSLVHostSNIPolicy authonly"]
GET_A = b"GET / HTTP/1.1\r\nHost: a.test\r\nConnection: close\r\n\r\n"


def negotiated(done) -> tuple:
    """(protocol, cipher) from s_client's session summary, or None when no session."""
    out = done.stdout.decode(errors="replace")
    protocol = re.search(r"^\s*Protocol\s*:\s*(\S+)", out, re.M)
    cipher = re.search(r"^\s*Cipher\s*:\s*(\S+)", out, re.M)
    if not protocol or not cipher or cipher.group(1) == "0000":
        return None
    return protocol.group(1), cipher.group(1)


@pytest.mark.parametrize("policy", POLICIES)
@pytest.mark.parametrize("version", ["-tls1", "-tls1_1"])
def test_old_client_without_sni_completes_and_gets_the_action(httpd, version, policy):
    httpd.start(LOG + PROFILE + policy + "\n", vhost_extra={"a.test": "SNIFallbackAction notice"})
    httpd.expected_log = [r"SNIF0028"]
    done = httpd.s_client(GET_A, args=[version, *OLD_CIPHERS])
    expected = {"-tls1": "TLSv1", "-tls1_1": "TLSv1.1"}[version]
    assert negotiated(done) and negotiated(done)[0] == expected, done.stdout[-600:]
    assert b"HTTP/1.1 403" in done.stdout  # the notice, not a failed handshake


def test_old_client_is_routed_to_a_legacy_vhost_that_allows_it(httpd):
    httpd.start(LOG + PROFILE, vhost_extra={
        "a.test": "SNIFallbackAction vhost legacy.test",
        "legacy.test": 'SSLProtocol all\nSSLCipherSuite "DEFAULT:@SECLEVEL=0"'})
    httpd.expected_log = [r"SNIF0028"]
    done = httpd.s_client(GET_A, args=["-tls1", *OLD_CIPHERS])
    assert negotiated(done)[0] == "TLSv1"
    assert b"site legacy.test" in done.stdout


def test_start_up_says_when_a_route_target_refuses_what_the_profile_lets_in(httpd):
    httpd.start(LOG + PROFILE, vhost_extra={"a.test": "SNIFallbackAction vhost legacy.test",
                                            "legacy.test": "SSLProtocol TLSv1.2 +TLSv1.3"})
    httpd.expected_log = [r"SNIF0028", r"SNIF0029", r"SNIF0034"]
    log = httpd.new_error_log()
    assert re.search(r"SNIF0028: fallback clients on 127\.0\.0\.1:\d+ may connect with TLSv1 and "
                     r"up to TLSv1\.3, security level 0", log), log
    assert "SNIF0029: SNIFallbackAction vhost legacy.test for a.test" in log
    done = httpd.s_client(GET_A, args=["-tls1", *OLD_CIPHERS])
    assert b"HTTP/1.1 421" in done.stdout


def test_python_ssl_with_tls1_as_its_highest_version(httpd):
    httpd.start(LOG + PROFILE, vhost_extra={"a.test": "SNIFallbackAction notice"})
    httpd.expected_log = [r"SNIF0028"]
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname, ctx.verify_mode = False, ssl.CERT_NONE
    ctx.set_ciphers("DEFAULT:@SECLEVEL=0")
    ctx.minimum_version = ssl.TLSVersion.TLSv1
    ctx.maximum_version = ssl.TLSVersion.TLSv1
    with socket.create_connection(("127.0.0.1", httpd.https_port), timeout=10) as raw:
        with ctx.wrap_socket(raw) as tls:
            assert tls.version() == "TLSv1"
            tls.sendall(GET_A)
            assert tls.recv(100).startswith(b"HTTP/1.1 403")


def test_without_the_profile_old_clients_fail_as_before(httpd):
    httpd.start(LOG, vhost_extra={"a.test": "SNIFallbackAction notice"})
    done = httpd.s_client(GET_A, args=["-tls1", *OLD_CIPHERS])
    assert negotiated(done) is None
    assert b"HTTP/1.1" not in done.stdout
    records = httpd.wait_for_log("nosni.json", lambda t: '"outcome"' in t)
    # OpenSSL 3 at security level 2 cannot sign a TLS 1.0 handshake: it fails with an alert
    assert re.search(r'"outcome":"alert:[a-z_]+"', records), records


@pytest.mark.parametrize("policy", POLICIES)
def test_old_client_naming_a_served_site_is_refused(httpd, policy):
    httpd.start(LOG + PROFILE + policy + "\n")
    httpd.expected_log = [r"SNIF0028"]
    done = httpd.s_client(GET_A, servername="a.test", args=["-tls1", *OLD_CIPHERS])
    assert negotiated(done) is None
    # the default vhost's own name is served too: it keeps its own settings as well
    done = httpd.s_client(GET_A, servername="default.test", args=["-tls1", *OLD_CIPHERS])
    assert negotiated(done) is None


@pytest.mark.parametrize("args, servername", [
    (["-tls1_2"], None), (["-tls1_3"], None), (["-tls1_2"], "a.test"), (["-tls1_3"], "a.test"),
    (["-tls1_2", "-cipher", "ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-SHA"], None),
])
def test_modern_clients_negotiate_what_they_did_before(httpd, args, servername):
    host = (servername or "default.test").encode()
    get = b"GET / HTTP/1.1\r\nHost: " + host + b"\r\nConnection: close\r\n\r\n"
    httpd.start(LOG)
    before = negotiated(httpd.s_client(get, servername=servername, args=args))
    httpd.start(LOG + PROFILE)
    httpd.expected_log = [r"SNIF0028"]
    after = negotiated(httpd.s_client(get, servername=servername, args=args))
    assert before is not None and after == before


@pytest.mark.parametrize("clients, gets_profile", [("", False),
                                                   ("SNIFallbackClients no-sni ip-literal\n", True)])
def test_ip_literal_client_gets_the_profile_only_when_selected(httpd, clients, gets_profile):
    httpd.start(LOG + PROFILE + clients)
    httpd.expected_log = [r"SNIF0028"]
    get = b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    done = httpd.s_client(get, servername="127.0.0.1", args=["-tls1", *OLD_CIPHERS])
    assert (negotiated(done) is not None) == gets_profile
    # the profile opens the handshake; the first vhost's own settings (security level 2) refuse
    # TLS 1.0, so its request gets 421, never the page (test_160)
    assert (b"HTTP/1.1 421" in done.stdout) == gets_profile
    assert b"HTTP/1.1 200" not in done.stdout


@pytest.mark.parametrize("directive, message", [
    ("SNIFallbackProtocol all -TLS1", "SNIFallbackProtocol: unknown protocol '-TLS1'; use "
                                     "SSLProtocol's words"),
    ("SNIFallbackProtocol -all", "SNIFallbackProtocol: no protocol is left enabled"),
    ('SNIFallbackCipherSuite "NOSUCHCIPHER"', "SNIFallbackCipherSuite: OpenSSL finds no cipher "
                                               "in 'NOSUCHCIPHER'"),
])
def test_bad_profile_fails_the_config_test(httpd, directive, message):
    done = httpd.config_test(snippet=directive + "\n")
    assert done.returncode != 0
    assert message in done.stderr, done.stderr


def test_profile_in_a_vhost_that_is_not_the_first_fails_the_config_test(httpd):
    done = httpd.config_test(vhost_extra={"b.test": "SNIFallbackProtocol all"})
    assert done.returncode != 0
    assert "SNIF0027: SNIFallbackProtocol/SNIFallbackCipherSuite at " in done.stderr, done.stderr
    assert " in b.test (" in done.stderr and "which is default.test (" in done.stderr, done.stderr
