"""Debian's apache2: the binary (SNIFALLBACK_APACHE may name a wrapper, e.g. one under a
sanitizer or valgrind), the directory of its modules, and its configuration test."""
from __future__ import annotations

import os
import subprocess
from pathlib import Path

from snifharness.process import run

APACHE = os.environ.get("SNIFALLBACK_APACHE", "/usr/sbin/apache2")


def _modules_dir() -> Path:
    try:
        found = run(["apxs", "-q", "LIBEXECDIR"]).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        found = ""
    return Path(found or "/usr/lib/apache2/modules")


MODULES_DIR = _modules_dir()


def config_test(conf: Path, apache: str = APACHE) -> subprocess.CompletedProcess:
    """`apache2 -t -f conf`; returns the finished process (the verdict is on stderr)."""
    return run([apache, "-t", "-f", str(conf)], check=False)
