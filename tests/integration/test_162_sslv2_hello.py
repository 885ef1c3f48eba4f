"""SSLv2-format (SSL 2.0-compatible) ClientHellos, as Java 6 sends its first hello by default: seen,
counted, classified no-sni, recorded with the offered version and ciphers, given the fallback
profile, fingerprinted (issue 28). OpenSSL 3 accepts such a hello when the profile allows TLS 1.0
at security level 0. Java 6's hello is built byte for byte and sent over a plain socket; Debian
12's OpenJDK 17 still sends one when a program enables SSLv2Hello with TLSv1 (OpenSSL, GnuTLS and
NSS clients no longer can), and completes the handshake and a request."""
import json
import shutil
import socket
import subprocess

import pytest

from snifharness.records import json_records
from snifharness.sslv2 import expected_ja3_ciphers, java6_client_hello

PROFILE = 'SNIFallbackProtocol all\nSNIFallbackCipherSuite "DEFAULT:@SECLEVEL=0"\n'
LOG = "SNIFallbackLog logs/nosni.json\n"
STATUS = '<Location "/snif-status">\n    SetHandler snifallback-status\n</Location>\n'
EXPECTED = [r"SNIF0028"]


def send_hello(port: int, hello: bytes) -> bytes:
    """Sends the hello and reads the server's first flight (or its alert) until it stops."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(hello)
        answer = b""
        while True:
            try:
                chunk = sock.recv(65536)
            except socket.timeout:
                break
            if not chunk:
                break
            answer += chunk
            # ServerHello ... ServerHelloDone (type 14) ends the first flight; an alert ends all
            if b"\x0e\x00\x00\x00" in answer or answer[:1] == b"\x15":
                break
    return answer


def status(httpd) -> dict:
    return json.loads(httpd.curl("/snif-status?json", sni="a.test")[0].body)


def handshake_record(httpd) -> dict:
    text = httpd.wait_for_log("nosni.json", lambda t: '"event":"handshake"' in t)
    [rec] = [r for r in json_records(text)[0] if r["event"] == "handshake"]
    return rec


def test_java6_sslv2_hello_gets_the_profile_and_a_server_hello(httpd):
    httpd.start(LOG + PROFILE + STATUS)
    httpd.expected_log = EXPECTED
    answer = send_hello(httpd.https_port, java6_client_hello())
    # a TLS 1.0 handshake record whose first message is a ServerHello (type 2) for version 3.1
    assert answer[:3] == b"\x16\x03\x01", answer[:16].hex()
    assert answer[5] == 2 and answer[9:11] == b"\x03\x01", answer[:16].hex()
    rec = handshake_record(httpd)
    assert rec["sni_class"] == "no-sni" and rec["sni"] is None
    assert rec["tls_offered_max"] == "TLSv1"
    assert rec["ja3"] == "769," + expected_ja3_ciphers() + ",,,"
    assert rec["ja4"].startswith("t10i160000_") and rec["ja4"].endswith("_000000000000")
    assert rec["alpn"] == []
    doc = status(httpd)
    assert doc["connections"]["tls"] == 2  # the hello, and the status request
    assert doc["connections"]["no_sni"] == 1


def test_without_the_profile_the_hello_is_refused_but_seen(httpd):
    httpd.start(LOG + STATUS)
    answer = send_hello(httpd.https_port, java6_client_hello())
    assert answer[:1] == b"\x15", answer[:16].hex()  # an alert: the first vhost refuses TLS 1.0
    rec = handshake_record(httpd)
    assert rec["sni_class"] == "no-sni" and rec["tls_offered_max"] == "TLSv1"
    assert rec["outcome"].startswith("alert:"), rec
    doc = status(httpd)
    assert doc["connections"]["no_sni"] == 1 and doc["connections"]["no_sni_failed"] == 1


@pytest.mark.parametrize("version", [0x0300, 0x0302])
def test_the_offered_version_is_recorded(httpd, version):
    httpd.start(LOG + PROFILE)
    httpd.expected_log = EXPECTED
    send_hello(httpd.https_port, java6_client_hello(version=version))
    rec = handshake_record(httpd)
    assert rec["tls_offered_max"] == {0x0300: "SSLv3", 0x0302: "TLSv1.1"}[version]
    assert rec["ja3"].startswith(str(version) + ",")


JAVA_CLIENT = r"""
import javax.net.ssl.*;
import java.io.*;
import java.security.Security;
import java.security.cert.X509Certificate;

// A client as old Java programs are: first hello in the SSLv2 format, TLS 1.0, no SNI (an address).
public class SslV2HelloClient {
    public static void main(String[] args) throws Exception {
        Security.setProperty("jdk.tls.disabledAlgorithms", "");
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(null, new TrustManager[] {new X509TrustManager() {
            public void checkClientTrusted(X509Certificate[] c, String s) {}
            public void checkServerTrusted(X509Certificate[] c, String s) {}
            public X509Certificate[] getAcceptedIssuers() { return new X509Certificate[0]; }
        }}, null);
        try (SSLSocket s = (SSLSocket) ctx.getSocketFactory().createSocket("127.0.0.1",
                Integer.parseInt(args[0]))) {
            s.setEnabledProtocols(new String[] {"SSLv2Hello", "TLSv1"});
            s.startHandshake();
            System.out.println(s.getSession().getProtocol() + " " + s.getSession().getCipherSuite());
            OutputStream out = s.getOutputStream();
            out.write(("GET / HTTP/1.1\r\nHost: " + args[1] + "\r\nConnection: close\r\n\r\n")
                    .getBytes("US-ASCII"));
            out.flush();
            System.out.println(new BufferedReader(new InputStreamReader(s.getInputStream()))
                    .readLine());
        }
    }
}
"""


@pytest.mark.parametrize("host, status", [("legacy.test", "200"), ("default.test", "421")])
def test_openjdk_sends_an_sslv2_hello_and_gets_the_profile(httpd, host, status):
    java = shutil.which("java")
    if java is None:
        pytest.skip("no java (scripts/deps.sh installs openjdk-17-jdk-headless)")
    source = httpd.root / "SslV2HelloClient.java"
    source.write_text(JAVA_CLIENT)
    httpd.start(LOG + PROFILE + "SSLVHostSNIPolicy authonly\n", vhost_extra={
        "legacy.test": 'SSLProtocol all\nSSLCipherSuite "DEFAULT:@SECLEVEL=0"'})
    httpd.expected_log = EXPECTED
    done = subprocess.run([java, str(source), str(httpd.https_port), host], capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-800:]
    negotiated, line = done.stdout.splitlines()[:2]
    assert negotiated.startswith("TLSv1 TLS_"), done.stdout
    assert line == f"HTTP/1.1 {status} " + {"200": "OK", "421": "Misdirected Request"}[status]
    rec = handshake_record(httpd)
    assert rec["sni_class"] == "no-sni" and rec["tls_version"] == "TLSv1"
    assert rec["outcome"] == "established"
    assert rec["ja3"].startswith("769,") and rec["ja3"].endswith(",,,")
