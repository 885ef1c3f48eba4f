"""scripts/demo.sh, the README's first command: it builds only the module, shows what it does
while it does it, and leaves nothing behind in /tmp (its ServerRoot, its throwaway CA and keys),
whether it ends by itself (--once) or is stopped with SIGTERM while serving.

The demo's temporary files go to a directory of this test's own (TMPDIR), so other runs on the
machine cannot confuse the count."""
from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path

import pytest

from snifharness.process import wait_until

SOURCE = Path(__file__).resolve().parents[2]
BUILD = Path(os.environ.get("SNIFALLBACK_BUILD_DIR", SOURCE / "build"))


@pytest.fixture
def demo_env(tmp_path):
    if not (BUILD / "CMakeCache.txt").exists():
        pytest.skip(f"no build directory at {BUILD}")
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    return tmp, {**os.environ, "TMPDIR": str(tmp), "BUILD_DIR": str(BUILD)}


def test_demo_once_builds_the_module_only_shows_progress_and_cleans_up(demo_env):
    tmp, env = demo_env
    done = subprocess.run(["bash", str(SOURCE / "scripts" / "demo.sh"), "--once"], env=env,
                          capture_output=True, text=True, timeout=900)
    out = done.stdout + done.stderr
    assert done.returncode == 0, out
    assert "demo: configuring and building the module" in out
    assert "Built target mod_snifallback" in out  # the build's own progress is shown
    # only the module and the core library it links: no tests, fuzzers or benchmarks
    built = set(line.split("Built target ", 1)[1].strip()
                for line in out.splitlines() if "Built target " in line)
    assert built <= {"mod_snifallback", "snifallback_core"}, built
    assert "requests without SNI recorded: 2" in out
    assert list(tmp.iterdir()) == [], "left behind: " + repr(list(tmp.iterdir()))


def test_demo_stopped_with_sigterm_removes_its_pki_and_server_root(demo_env):
    tmp, env = demo_env
    env["PYTHONPATH"] = str(SOURCE / "tests")
    proc = subprocess.Popen(["/usr/bin/python3", str(SOURCE / "scripts" / "demo.py"),
                             "--module", os.environ["SNIFALLBACK_MODULE"]],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines = []
    try:
        for line in proc.stdout:
            lines.append(line)
            if "Serving until Ctrl-C" in line:
                break
        assert any(p.name.startswith("snif-demo-pki-") for p in tmp.iterdir()), lines
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=120) == 0, "".join(lines) + proc.stdout.read()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stdout.close()
    assert wait_until(lambda: list(tmp.iterdir()) == [], timeout=30), list(tmp.iterdir())
