"""CTest tells a test file that tested nothing from one that passed: pytest runs with the
snifharness.pytest_skips plugin (conftest.py) and exits 5 when every test was skipped, and every
integration entry has SKIP_RETURN_CODE 5. A run with one passing test still exits 0, one with a
failure 1."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parents[1]
CASES = {
    "all_skipped": "import pytest\n\ndef test_a():\n    pytest.skip('no')\n\n"
                   "@pytest.mark.skip(reason='no')\ndef test_b():\n    pass\n",
    "one_passed": "import pytest\n\ndef test_a():\n    pytest.skip('no')\n\ndef test_b():\n"
                  "    pass\n",
    "one_failed": "import pytest\n\ndef test_a():\n    pytest.skip('no')\n\ndef test_b():\n"
                  "    assert False\n",
}
EXPECTED = {"all_skipped": 5, "one_passed": 0, "one_failed": 1}


@pytest.mark.parametrize("case", sorted(EXPECTED))
def test_pytest_exit_status(tmp_path, case):
    (tmp_path / f"test_{case}.py").write_text(CASES[case])
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                           "-p", "snifharness.pytest_skips", str(tmp_path)],
                          env={**os.environ, "PYTHONPATH": str(TESTS)}, capture_output=True,
                          text=True, cwd=tmp_path, timeout=300)
    assert done.returncode == EXPECTED[case], done.stdout + done.stderr


def test_every_integration_entry_maps_5_to_skipped():
    cmake = (TESTS / "integration" / "CMakeLists.txt").read_text()
    assert "SKIP_RETURN_CODE 5" in cmake
    assert 'pytest_plugins = ["snifharness.pytest_skips"]' in \
        (TESTS / "integration" / "conftest.py").read_text()
