"""pytest fixtures: one throwaway PKI per session, one apache2 instance per test module."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from snifharness.httpd import VHOST_NAMES, Httpd
from snifharness.pki import Pki

# A file whose tests were all skipped exits 5: CTest reports it as Skipped, not Passed.
pytest_plugins = ["snifharness.pytest_skips"]


def module_path() -> str:
    path = os.environ.get("SNIFALLBACK_MODULE")
    if not path or not Path(path).exists():
        pytest.exit("SNIFALLBACK_MODULE must name the built mod_snifallback.so (run through ctest)",
                    returncode=2)
    return path


@pytest.fixture(scope="session")
def pki(tmp_path_factory) -> Pki:
    pki = Pki(tmp_path_factory.mktemp("pki"))
    for name in VHOST_NAMES:
        pki.leaf(name)
    return pki


def _make_httpd(request, pki, mpm=None):
    # CTest runs the core test files once per MPM through SNIFALLBACK_MPM (event by default).
    server = Httpd(pki, module_path(), mpm=mpm or os.environ.get("SNIFALLBACK_MPM", "event"))
    yield server
    server.cleanup()


@pytest.fixture(scope="module")
def httpd(request, pki):
    yield from _make_httpd(request, pki)


@pytest.fixture(autouse=True)
def no_unexpected_log_lines(request):
    """Fail any test after which the error log holds a warn/error/emerg line it did not expect."""
    yield
    if "httpd" not in request.fixturenames:
        return
    server = request.getfixturevalue("httpd")
    bad = server.unexpected_log_lines()
    server.expected_log = []
    server.mark_log()
    if bad:
        pytest.fail("unexpected error-log lines:\n" + "\n".join(bad), pytrace=False)
