"""What the module says at start-up when a configuration cannot work as written, and what each
kind of restart does to its counters."""
import json
import os
import signal
import subprocess

import pytest

from snifharness import apache, process
from snifharness.apache import MODULES_DIR

STATUS = '<Location "/snif-status">\n    SetHandler snifallback-status\n</Location>\n'


def minimal_config(httpd, with_ssl: bool) -> str:
    """A server with the module and no HTTPS site: mod_ssl loaded or not."""
    ssl = f"LoadModule ssl_module {MODULES_DIR}/mod_ssl.so\n" if with_ssl else ""
    user = "User www-data\nGroup www-data\n" if os.geteuid() == 0 else ""
    return f"""ServerRoot "{httpd.root}"
{user}
ServerName localhost
PidFile "{httpd.root}/run/httpd.pid"
DefaultRuntimeDir "{httpd.root}/run"
ErrorLog "{httpd.root}/logs/error.log"
LogLevel info
LoadModule mpm_event_module {MODULES_DIR}/mod_mpm_event.so
LoadModule authz_core_module {MODULES_DIR}/mod_authz_core.so
{ssl}LoadModule snifallback_module {httpd.module}
Listen 127.0.0.1:{httpd.http_port}
"""


@pytest.mark.parametrize("with_ssl, message", [
    (False, "SNIF0006: mod_ssl is not loaded, so mod_snifallback sees no TLS handshake"),
    (True, "SNIF0007: no virtual host has SSLEngine on, so mod_snifallback sees no TLS"),
])
def test_a_module_that_sees_nothing_says_so_once(httpd, with_ssl, message):
    httpd.expected_log = [message.split(":")[0], r"AH01873"]  # mod_ssl: no session cache
    config = httpd.root / "conf" / "minimal.conf"
    config.write_text(minimal_config(httpd, with_ssl))
    (httpd.root / "logs" / "error.log").unlink(missing_ok=True)
    httpd.mark_log()
    proc = process.launch([apache.APACHE, "-f", str(config), "-D", "FOREGROUND"],
                          lambda p: httpd.log("error.log").count("resuming normal operations") > 0,
                          30, "apache2", diagnose=httpd.error_log)
    try:
        log = httpd.log("error.log")
        assert log.count(message) == 1, log
    finally:
        process.stop(proc)


def test_probe_handler_without_its_urls_fails_the_config_test(httpd):
    snippet = '<Location "/probe">\n    SetHandler snifallback-probe\n</Location>\n'
    done = httpd.config_test(vhost_extra={"a.test": snippet})
    assert done.returncode != 0
    assert "SNIF0052: SetHandler snifallback-probe at " in done.stderr
    assert "a.test has no SNIFallbackProbePixel, SNIFallbackProbeSuccess and " \
           "SNIFallbackProbeFailure all set" in done.stderr
    urls = ("SNIFallbackProbePixel https://a.test/probe/pixel.gif\n"
            "SNIFallbackProbeSuccess https://a.test/\nSNIFallbackProbeFailure https://legacy.test/\n")
    assert httpd.config_test(vhost_extra={"a.test": snippet + urls}).returncode == 0


def test_a_misspelt_route_is_reported_once_where_it_was_written(httpd):
    done = httpd.config_test(snippet="SNIFallbackAction vhost legacy.tset\n")
    assert done.returncode != 0
    lines = [ln for ln in done.stderr.splitlines() if "SNIF0032" in ln]
    assert len(lines) == 1, done.stderr  # not once per vhost that inherits it
    config = httpd.root / "conf" / "httpd.conf"
    line = next(i for i, text in enumerate(config.read_text().splitlines(), 1)
                if "SNIFallbackAction vhost legacy.tset" in text)
    assert f"SNIFallbackAction vhost legacy.tset at {config}:{line}: no <VirtualHost> has that " \
           "ServerName or ServerAlias (did you mean legacy.test?)" in lines[0]


def test_a_misspelt_certificate_vhost_gets_a_suggestion(httpd):
    done = httpd.config_test(snippet="SNIFallbackCertificate legacy.tets\n")
    assert done.returncode != 0
    assert "(did you mean legacy.test?)" in done.stderr


def no_sni_connections(httpd) -> int:
    return json.loads(httpd.curl("/snif-status?json", sni="a.test")[0].body)["connections"]["no_sni"]


def restart(httpd, sig) -> None:
    before = httpd.error_log().count("resuming normal operations")
    httpd.proc.send_signal(sig)
    assert process.wait_until(
        lambda: httpd.error_log().count("resuming normal operations") > before, 30)


@pytest.mark.parametrize("how, kept", [("graceful", True), ("restart", True),
                                       ("stop and start", False)])
def test_what_each_restart_does_to_the_counters(httpd, how, kept):
    httpd.start(STATUS)
    for _ in range(3):
        httpd.curl("/")
    assert no_sni_connections(httpd) == 3
    if how == "graceful":      # apachectl graceful: SIGUSR1
        restart(httpd, signal.SIGUSR1)
    elif how == "restart":     # apachectl restart: SIGHUP, the parent process stays
        restart(httpd, signal.SIGHUP)
    else:                      # systemctl restart, apachectl stop && start: a new parent
        httpd.start(STATUS)
    httpd.curl("/")
    assert no_sni_connections(httpd) == (4 if kept else 1)
