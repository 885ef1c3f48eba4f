"""SNIFallbackFingerprint: which requests get SNIFALLBACK_JA3/JA4, and that the values are right."""
import json
import os
import re
import subprocess
from pathlib import Path

import pytest

from snifharness.tls_bio import BioClient

FP_CLI = os.environ.get("SNIFALLBACK_FP", "snifallback-fp")
ENV_LOG = ('LogFormat "%{SNI_MISSING}e %{SNIFALLBACK_JA3}e %{SNIFALLBACK_JA4}e %U" fp\n'
           'CustomLog logs/fp.log fp\n')


def fp_lines(httpd, count):
    text = httpd.wait_for_log("fp.log", lambda t: t.count("\n") >= count)
    return [line.split() for line in text.splitlines()]


def cli(hex_hello: str) -> dict:
    done = subprocess.run([FP_CLI], input=hex_hello + "\n", capture_output=True, text=True,
                          check=True)
    return json.loads(done.stdout)


def get(httpd, client: BioClient, path: str) -> bytes:
    client.handshake()
    host = client.tls.server_hostname or "127.0.0.1"
    out = client.request(f"GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
                         .encode())
    client.close()
    return out


def test_no_sni_request_carries_the_fingerprint_the_cli_computes_for_the_same_hello(httpd):
    httpd.start(ENV_LOG)
    client = BioClient(httpd.https_port, alpn=["http/1.1"])
    assert get(httpd, client, "/fp-nosni").startswith(b"HTTP/1.1 404")
    expected = cli(client.client_hello.hex())
    assert expected["sni"] is None
    [[missing, ja3, ja4, path]] = fp_lines(httpd, 1)
    assert (missing, path) == ("1", "/fp-nosni")
    assert ja4 == expected["ja4"] and ja4.startswith("t13i")
    assert ja3 == expected["ja3_hash"]


@pytest.mark.parametrize("mode, nosni_has_fp, sni_has_fp", [
    ("", True, False), ("SNIFallbackFingerprint nosni", True, False),
    ("SNIFallbackFingerprint all", True, True), ("SNIFallbackFingerprint off", False, False)])
def test_fingerprint_modes(httpd, mode, nosni_has_fp, sni_has_fp):
    httpd.start(ENV_LOG + mode + "\n")
    httpd.curl("/nosni")
    httpd.curl("/sni", sni="a.test")
    lines = {line[3]: line for line in fp_lines(httpd, 2)}
    nosni, sni = lines["/nosni"], lines["/sni"]
    assert nosni[0] == "1" and sni[0] == "-"  # SNI_MISSING follows SNI only, whatever the mode
    assert (nosni[2] != "-") == nosni_has_fp and (sni[2] != "-") == sni_has_fp
    if sni_has_fp:
        assert re.fullmatch(r"t13d\d{4}h[12]_[0-9a-f]{12}_[0-9a-f]{12}", sni[2])
        assert re.fullmatch(r"[0-9a-f]{32}", sni[1])


def test_bad_fingerprint_value_fails_config_test(httpd):
    result = httpd.config_test(snippet="SNIFallbackFingerprint sometimes\n")
    assert result.returncode != 0
    assert "SNIFallbackFingerprint: unknown value 'sometimes'" in result.stderr
    assert "'nosni'" in result.stderr and "'all'" in result.stderr and "'off'" in result.stderr


def test_fingerprint_directive_is_refused_in_a_vhost(httpd):
    result = httpd.config_test(vhost_extra={"a.test": "SNIFallbackFingerprint all"})
    assert result.returncode != 0
    assert "SNIFallbackFingerprint cannot occur within <VirtualHost> section" in result.stderr
