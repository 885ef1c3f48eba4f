"""SNIFallbackCertificate: the certificate handshakes without SNI get, and what it covers."""
import re
import subprocess
from pathlib import Path

import pytest

from snifharness import clients
from snifharness.ports import free_port

GET = b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"


def served_subject(done: subprocess.CompletedProcess) -> str:
    out = done.stdout.decode(errors="replace")
    match = re.search(r"^subject=.*?CN\s*=\s*([^\s,/]+)", out, re.M)
    assert match, out + done.stderr.decode(errors="replace")
    return match.group(1)


def chain_length(done) -> int:
    return done.stdout.decode(errors="replace").count("-----BEGIN CERTIFICATE-----")


def test_without_the_directive_no_sni_gets_the_first_vhosts_certificate(httpd):
    httpd.start("")
    assert served_subject(httpd.s_client(GET)) == "default.test"


@pytest.mark.parametrize("where", ["global", "default-vhost"])
@pytest.mark.parametrize("tls", ["-tls1_2", "-tls1_3"])
def test_no_sni_gets_the_legacy_certificate_and_sni_clients_their_own(httpd, where, tls):
    if where == "global":
        httpd.start("", before_vhosts="SNIFallbackCertificate legacy.test\n")
    else:
        httpd.start("", vhost_extra={"default.test": "SNIFallbackCertificate legacy.test"})
    httpd.expected_log = [r"SNIF0022"]  # legacy.test's certificate covers only itself
    assert served_subject(httpd.s_client(GET, args=[tls])) == "legacy.test"
    for name in ("default.test", "a.test", "b.test", "legacy.test"):
        done = httpd.s_client(GET.replace(b"127.0.0.1", name.encode()), servername=name,
                              args=[tls, "-verify_return_error"])
        assert served_subject(done) == name
        assert b"Verify return code: 0 (ok)" in done.stdout
    # an unknown name keeps today's behaviour: the default vhost's certificate
    unknown = httpd.s_client(GET.replace(b"127.0.0.1", b"unknown.test"), servername="unknown.test",
                             args=[tls])
    assert served_subject(unknown) == "default.test"


def test_chain_from_certificate_file_and_from_chain_file(httpd, pki):
    cert, key = pki.leaf("legacy.test")
    with_chain = httpd.root / "legacy-with-chain.pem"
    with_chain.write_text(cert.read_text() + pki.ca_cert.read_text())
    httpd.start("", before_vhosts="SNIFallbackCertificate legacy.test\n",
                certs={"legacy.test": (with_chain, key)})
    httpd.expected_log = [r"SNIF0022"]
    done = httpd.s_client(GET, args=["-showcerts"])
    assert served_subject(done) == "legacy.test" and chain_length(done) == 2
    httpd.start("", before_vhosts="SNIFallbackCertificate legacy.test\n",
                vhost_extra={"legacy.test": f'SSLCertificateChainFile "{pki.ca_cert}"'})
    httpd.expected_log = [r"SNIF0022", r"AH02559"]  # mod_ssl: SSLCertificateChainFile is deprecated
    done = httpd.s_client(GET, args=["-showcerts"])
    assert served_subject(done) == "legacy.test" and chain_length(done) == 2


@pytest.mark.parametrize("tls", ["-tls1_2", "-tls1_3"])
def test_rsa_and_ecdsa_legacy_certificates(httpd, pki, tls):
    ec_cert, ec_key = pki.leaf("legacy.test", key="ec")
    httpd.start("", before_vhosts="SNIFallbackCertificate legacy.test\n",
                vhost_extra={"legacy.test": f'SSLCertificateFile "{ec_cert}"\n'
                                            f'SSLCertificateKeyFile "{ec_key}"'})
    httpd.expected_log = [r"SNIF0022"]
    ecdsa = httpd.s_client(GET, args=[tls, "-sigalgs", "ECDSA+SHA256"])
    rsa = httpd.s_client(GET, args=[tls, "-sigalgs", "RSA-PSS+SHA256:RSA+SHA256"])
    assert served_subject(ecdsa) == served_subject(rsa) == "legacy.test"
    assert b"Server public key is 256 bit" in ecdsa.stdout
    assert b"Server public key is 2048 bit" in rsa.stdout


def request_for(sni):
    return GET.replace(b"127.0.0.1", sni.encode()) if sni else GET


def sessions(httpd, tmp_path, tls, first_sni, second_sni):
    sess = tmp_path / "session.pem"
    first = httpd.s_client(request_for(first_sni), servername=first_sni,
                           args=[tls, "-sess_out", str(sess)])
    assert b"HTTP/1.1 200" in first.stdout
    second = httpd.s_client(request_for(second_sni), servername=second_sni,
                            args=[tls, "-sess_in", str(sess)])
    assert b"HTTP/1.1 200" in second.stdout
    return b"Reused," in second.stdout, served_subject(second)


@pytest.mark.parametrize("tls", ["-tls1_2", "-tls1_3"])
def test_sessions_do_not_cross_between_no_sni_and_sni(httpd, tmp_path, tls):
    httpd.start("", before_vhosts="SNIFallbackCertificate legacy.test\n")
    httpd.expected_log = [r"SNIF0022"]
    # same kind resumes
    assert sessions(httpd, tmp_path, tls, None, None) == (True, "legacy.test")
    assert sessions(httpd, tmp_path, tls, "default.test", "default.test")[0] is True
    # across kinds: a full handshake with the right certificate
    assert sessions(httpd, tmp_path, tls, None, "default.test") == (False, "default.test")
    assert sessions(httpd, tmp_path, tls, "default.test", None) == (False, "legacy.test")


def test_default_vhost_client_certificate_check_still_applies(httpd, pki):
    client_cert, client_key = pki.leaf("client.test")
    httpd.start('LogFormat "%{SSL_CLIENT_VERIFY}x %{SSL_CLIENT_S_DN_CN}x" verify\n'
                'CustomLog logs/verify.log verify\n',
                before_vhosts="SNIFallbackCertificate legacy.test\n",
                vhost_extra={"default.test": f'SSLVerifyClient optional\n'
                                             f'SSLCACertificateFile "{pki.ca_cert}"'})
    httpd.expected_log = [r"SNIF0022"]
    done = httpd.s_client(GET, args=["-cert", str(client_cert), "-key", str(client_key)])
    assert served_subject(done) == "legacy.test"
    assert b"HTTP/1.1 200" in done.stdout
    log = httpd.wait_for_log("verify.log", lambda t: t.strip() != "")
    assert log.split() == ["SUCCESS", "client.test"]


def test_coverage_warning_lists_exactly_the_uncovered_names(httpd, pki):
    partial = pki.leaf("legacy.test", sans=["legacy.test", "a.test", "*.wild.test"])
    httpd.start("", before_vhosts="SNIFallbackCertificate legacy.test\n",
                certs={"legacy.test": partial},
                vhost_extra={"b.test": "ServerAlias www.b.test x.wild.test"})
    httpd.expected_log = [r"SNIF0022"]
    warnings = [ln for ln in httpd.new_error_log().splitlines() if "SNIF0022" in ln]
    assert warnings, httpd.new_error_log()
    # one warning per address (post_config runs once at a foreground start)
    assert len(set(w.split("] ", 3)[-1] for w in warnings)) == 1
    count, listed = re.search(r"does not cover (\d+) name\(s\) served there: (.*?) \(fallback",
                              warnings[-1]).groups()
    assert int(count) == 3
    assert sorted(listed.split(", ")) == ["b.test", "default.test", "www.b.test"]


def test_coverage_warning_stays_one_short_line_with_many_names(httpd, pki):
    aliases = " ".join(f"alias{i}.b.test" for i in range(45))
    httpd.start("", before_vhosts="SNIFallbackCertificate legacy.test\n",
                vhost_extra={"b.test": f"ServerAlias {aliases}"})
    httpd.expected_log = [r"SNIF0022"]
    [warning] = {ln.split("] ", 3)[-1] for ln in httpd.new_error_log().splitlines()
                 if "SNIF0022" in ln}
    count, listed, more = re.search(r"does not cover (\d+) name\(s\) served there: (.*?)"
                                    r" and (\d+) more \(fallback", warning).groups()
    # a.test, b.test, default.test and the 45 aliases
    assert (int(count), len(listed.split(", ")), int(more)) == (48, 20, 28)
    assert len(warning) < 1500


def test_full_coverage_is_reported_at_info(httpd, pki):
    full = pki.leaf("legacy.test", sans=["legacy.test", "a.test", "b.test", "default.test"])
    httpd.start("", before_vhosts="SNIFallbackCertificate legacy.test\n",
                certs={"legacy.test": full})
    log = httpd.new_error_log()
    assert "SNIF0021" in log and "SNIF0022" not in log


def line_of(conf: Path, text: str) -> int:
    [line] = [n for n, ln in enumerate(conf.read_text().splitlines(), 1) if ln.strip() == text]
    return line


def test_unknown_vhost_fails_the_config_test(httpd):
    done = httpd.config_test(before_vhosts="SNIFallbackCertificate nosuch.test\n")
    assert done.returncode != 0
    assert "SNIFallbackCertificate nosuch.test" in done.stderr
    assert "no <VirtualHost> has that ServerName or ServerAlias" in done.stderr
    # file and line, as SNIF0027, SNIF0032 and SNIF0052 give them
    conf = httpd.root / "conf" / "httpd.conf"
    line = line_of(conf, "SNIFallbackCertificate nosuch.test")
    assert f"SNIFallbackCertificate nosuch.test at {conf}:{line} (in server config)" \
        in done.stderr, done.stderr


def test_directive_in_a_non_default_vhost_fails_and_names_the_default(httpd):
    done = httpd.config_test(vhost_extra={"b.test": "SNIFallbackCertificate legacy.test"})
    assert done.returncode != 0
    assert "SNIF0024" in done.stderr
    assert "which is default.test" in done.stderr
    conf = httpd.root / "conf" / "httpd.conf"
    line = line_of(conf, "SNIFallbackCertificate legacy.test")
    assert f"SNIF0024: SNIFallbackCertificate at {conf}:{line} in " in done.stderr, done.stderr


def test_non_ssl_vhost_is_refused_at_start(httpd):
    plain = (f'<VirtualHost 127.0.0.1:{httpd.http_port}>\n    ServerName plain.test\n'
             '</VirtualHost>\n')
    with pytest.raises(RuntimeError, match="SNIF0025"):
        httpd.start(plain, before_vhosts="SNIFallbackCertificate plain.test\n")


def test_bad_argument_is_refused(httpd):
    done = httpd.config_test(before_vhosts="SNIFallbackCertificate legacy.test:notaport\n")
    assert done.returncode != 0
    assert "SNIFallbackCertificate: 'legacy.test:notaport' is not a ServerName[:port]" in done.stderr


def second_address(httpd, port: int, names: list[str], extra: dict | None = None) -> str:
    """A second HTTPS address with its own vhosts, `names` in configuration order; the last
    vhost, both.test, listens on both addresses."""
    blocks = [f"Listen 127.0.0.1:{port} https\n"]
    for name in names:
        cert, key = httpd.vhost_cert(name)
        addresses = f"127.0.0.1:{port}"
        if name == "both.test":
            addresses = f"127.0.0.1:{httpd.https_port} 127.0.0.1:{port}"
        blocks.append(f"""<VirtualHost {addresses}>
    ServerName {name}
    SSLEngine on
    SSLCertificateFile "{cert}"
    SSLCertificateKeyFile "{key}"
    {(extra or {}).get(name, "")}
</VirtualHost>
""")
    return "".join(blocks)


def test_each_address_has_its_own_default_vhost_and_names(httpd, pki):
    # The module groups vhosts by address once per start (a configuration with thousands of
    # vhosts must not start in quadratic time); each address keeps its own default vhost, fallback
    # certificate and list of names served there.
    port = free_port()
    snippet = second_address(httpd, port, ["second.test", "third.test", "both.test"],
                             {"second.test": "SNIFallbackCertificate legacy.test"})
    httpd.start(snippet)
    httpd.expected_log = [r"SNIF0022"]
    assert served_subject(httpd.s_client(GET)) == "default.test"
    other = clients.s_client(port, str(pki.ca_cert), GET)
    assert served_subject(other) == "legacy.test"
    [warning] = {ln.split("] ", 3)[-1] for ln in httpd.new_error_log().splitlines()
                 if "SNIF0022" in ln}
    assert f"127.0.0.1:{port}" in warning
    listed = re.search(r"served there: (.*?) \(fallback", warning).group(1)
    assert sorted(listed.split(", ")) == ["both.test", "second.test", "third.test"]

    # Only an address's first vhost chooses: third.test is not, second.test is named.
    done = httpd.config_test(snippet=second_address(
        httpd, port, ["second.test", "third.test", "both.test"],
        {"third.test": "SNIFallbackCertificate legacy.test"}))
    assert done.returncode != 0
    assert "SNIF0024" in done.stderr and "which is second.test" in done.stderr
