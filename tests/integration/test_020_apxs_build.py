"""The apxs build (scripts/apxs-build.sh) produces a module that loads and detects no-SNI clients."""
import os
import subprocess
import tempfile
from pathlib import Path

import pytest

from snifharness.httpd import Httpd

SOURCE = Path(os.environ.get("SNIFALLBACK_SOURCE_DIR", Path(__file__).resolve().parents[2]))


@pytest.fixture(scope="module")
def apxs_module():
    out = Path(tempfile.mkdtemp(prefix="snif-apxs-"))
    done = subprocess.run([str(SOURCE / "scripts" / "apxs-build.sh")], env={**os.environ,
                          "OUT": str(out)}, capture_output=True, text=True, timeout=1500)
    assert done.returncode == 0, done.stdout + done.stderr
    # quiet on success: one line, no libtool chatter, no link command
    assert done.stdout == f"built {out}/.libs/mod_snifallback.so\n" and done.stderr == "", \
        done.stdout + done.stderr
    module = out / ".libs" / "mod_snifallback.so"
    assert module.exists()
    yield module


def test_apxs_built_module_is_not_empty(apxs_module):
    symbols = subprocess.run(["nm", "-D", "--defined-only", str(apxs_module)], capture_output=True,
                             text=True, check=True).stdout
    assert " D snifallback_module" in symbols
    undefined = subprocess.run(["nm", "-D", "--undefined-only", str(apxs_module)],
                               capture_output=True, text=True, check=True).stdout
    assert "SSL_set_msg_callback" in undefined  # the glue really is in there


def test_apxs_built_module_detects_no_sni(pki, apxs_module):
    server = Httpd(pki, str(apxs_module))
    try:
        server.start('CustomLog logs/nosni_access.log "%r" env=SNI_MISSING\n')
        server.curl("/apxs-nosni", "/apxs-nosni-2")
        server.curl("/apxs-sni", sni="a.test")
        text = server.wait_for_log("nosni_access.log", lambda t: t.count("\n") >= 2)
        assert text.splitlines() == ["GET /apxs-nosni HTTP/1.1", "GET /apxs-nosni-2 HTTP/1.1"]
        assert server.unexpected_log_lines() == []
    finally:
        server.cleanup()
