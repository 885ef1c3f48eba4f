"""pytest plugin: a run whose tests were all skipped exits with 5 (pytest's "no tests ran"), which
CTest's SKIP_RETURN_CODE turns into "Skipped" instead of "Passed" (tests/integration/CMakeLists.txt).
pytest itself exits 0 then, and a file that tested nothing (HTTP/2 under prefork, a system test
outside CI) would look like one that passed. A run with a failure keeps its own exit status."""
from __future__ import annotations

import pytest

_outcomes = {"passed": 0, "skipped": 0}


def pytest_runtest_logreport(report) -> None:
    if report.when == "call" and report.passed:
        _outcomes["passed"] += 1
    elif report.skipped:
        _outcomes["skipped"] += 1


def pytest_sessionfinish(session, exitstatus) -> None:
    if exitstatus == pytest.ExitCode.OK and _outcomes["passed"] == 0 and _outcomes["skipped"]:
        session.exitstatus = pytest.ExitCode.NO_TESTS_COLLECTED
