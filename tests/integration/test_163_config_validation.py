"""Configuration the module refuses, each failing `apachectl -t` (or the start) with a message
naming the directive; and counter rows that keep whole ServerNames (issue 28)."""
import json
import os
import re
import subprocess

import pytest

from snifharness import apache

FIFO_TIMEOUT = 60  # generous: a configuration test that waits for a FIFO's writer never ends


def config_test(httpd, snippet="", **kw) -> subprocess.CompletedProcess:
    path = httpd.write_config(snippet=snippet, **kw)
    return subprocess.run([apache.APACHE, "-t", "-f", str(path)], capture_output=True, text=True,
                          timeout=FIFO_TIMEOUT)


@pytest.mark.parametrize("url", ['"javascript://x.test/%0aalert(1)"', "data://x.test/",
                                 "ftp://legacy.example.test/", '"file://localhost/etc/passwd"'])
def test_a_redirect_must_be_http_or_https(httpd, url):
    done = config_test(httpd, f"SNIFallbackAction redirect {url}\n")
    assert done.returncode != 0
    assert "SNIFallbackAction redirect: the URL" in done.stderr, done.stderr
    assert "must be http:// or https://" in done.stderr, done.stderr


@pytest.mark.parametrize("url", ['"https://legacy.example.test%{REQUEST_URI}"',
                                 "HTTP://legacy.example.test/", "http://[::1]:8080/x"])
def test_http_and_https_redirects_pass(httpd, url):
    done = config_test(httpd, f"SNIFallbackAction redirect {url}\n")
    assert done.returncode == 0, done.stderr


def test_a_fifo_notice_fails_quickly_instead_of_hanging(httpd):
    fifo = httpd.root / "notice.fifo"
    os.mkfifo(fifo)
    done = config_test(httpd, f'SNIFallbackAction notice "{fifo}"\n')
    assert done.returncode != 0
    assert "SNIFallbackAction notice: the page" in done.stderr and "is a FIFO" in done.stderr, \
        done.stderr


@pytest.mark.parametrize("path, kind", [("/dev/zero", "a character device"),
                                        ("/etc", "a directory")])
def test_a_notice_that_is_no_regular_file_fails(httpd, path, kind):
    done = config_test(httpd, f'SNIFallbackAction notice "{path}"\n')
    assert done.returncode != 0
    assert f"is {kind}; give a regular file" in done.stderr, done.stderr


def test_a_nul_in_the_notice_fails(httpd):
    page = httpd.root / "nul.html"
    page.write_bytes(b"<p>Old browser</p>\x00<script>hidden</script>\n")
    done = config_test(httpd, f'SNIFallbackAction notice "{page}"\n')
    assert done.returncode != 0
    assert "SNIFallbackAction notice: the page" in done.stderr
    assert "holds a NUL byte (at byte 18)" in done.stderr, done.stderr


def test_a_good_notice_passes(httpd):
    page = httpd.root / "ok.html"
    page.write_text("<p>Please update your browser.</p>\n")
    done = config_test(httpd, f'SNIFallbackAction notice "{page}"\n')
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize("spec, unsafe", [
    ('"eNULL:@SECLEVEL=0"', "which encrypts nothing"),
    ('"aNULL:@SECLEVEL=0"', "which does not authenticate the server"),
    ('"ALL:eNULL:@SECLEVEL=0"', "which"),
])
def test_null_or_anonymous_fallback_ciphers_fail_unless_allowed(httpd, spec, unsafe):
    done = config_test(httpd, f"SNIFallbackCipherSuite {spec}\n")
    assert done.returncode != 0
    assert "SNIFallbackCipherSuite: " in done.stderr and unsafe in done.stderr, done.stderr
    assert "allow-null-anonymous" in done.stderr
    done = config_test(httpd, f"SNIFallbackCipherSuite {spec} allow-null-anonymous\n")
    assert done.returncode == 0, done.stderr


def test_an_unknown_cipher_suite_option_fails(httpd):
    done = config_test(httpd, 'SNIFallbackCipherSuite "DEFAULT:@SECLEVEL=0" yes\n')
    assert done.returncode != 0
    assert "SNIFallbackCipherSuite: unknown option 'yes'" in done.stderr, done.stderr


def test_safe_fallback_ciphers_pass(httpd):
    done = config_test(httpd, 'SNIFallbackCipherSuite "DEFAULT:@SECLEVEL=0"\n')
    assert done.returncode == 0, done.stderr


def long_name(tail: str) -> str:
    """A valid 200-byte host name (labels of at most 63 bytes) ending in `tail`."""
    labels = ["l" * 60, "m" * 60, "n" * 60]
    name = ".".join(labels) + "." + tail
    return name + "x" * (200 - len(name)) if len(name) < 200 else name


def extra_vhost(httpd, name: str) -> str:
    cert, key = httpd.vhost_cert("legacy.test")
    return f"""
<VirtualHost 127.0.0.1:{httpd.https_port}>
    ServerName {name}
    SSLEngine on
    SSLCertificateFile "{cert}"
    SSLCertificateKeyFile "{key}"
</VirtualHost>
"""


def test_two_long_server_names_keep_their_own_rows_and_labels(httpd):
    first, second = long_name("one.test"), long_name("two.test")
    assert len(first) == len(second) == 200 and first[:127] == second[:127]
    status = '<Location "/snif-status">\n    SetHandler snifallback-status\n</Location>\n'
    # mod_ssl warns that the borrowed certificate does not name them (AH01909): harmless here
    httpd.expected_log = [r"SNIF0036", r"AH01909"]
    httpd.start(status + "SSLVHostSNIPolicy insecure\n" + extra_vhost(httpd, first)
                + extra_vhost(httpd, second))
    for name, count in ((first, 1), (second, 2)):
        for _ in range(count):
            httpd.curl("/", headers={"Host": name})
    doc = json.loads(httpd.curl("/snif-status?json", sni="a.test")[0].body)
    assert doc["vhosts"][first]["requests"]["no_sni"] == 1, doc["vhosts"].keys()
    assert doc["vhosts"][second]["requests"]["no_sni"] == 2
    metrics = httpd.curl("/snif-status?metrics", sni="a.test")[0].body
    assert f'vhost="{first}"' in metrics and f'vhost="{second}"' in metrics


def test_a_server_name_longer_than_255_bytes_fails_the_start(httpd):
    name = ".".join(["a" * 63] * 4) + ".test"  # 260 bytes
    httpd.expected_log = [r"AH01909", r"SNIF0061", r"AH00016"]
    with pytest.raises(RuntimeError):
        httpd.start(extra_vhost(httpd, name))
    assert re.search(r"SNIF0061: ServerName of 260 bytes", httpd.error_log()), httpd.error_log()
