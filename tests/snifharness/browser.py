"""Headless Chromium (Debian's `chromium`) as the tests drive it.

Chromium runs from its command line (`--dump-dom`, `--screenshot`) in a throwaway profile."""
from __future__ import annotations

import base64
import hashlib
import shutil
import subprocess
import tempfile
from pathlib import Path

CHROMIUM = shutil.which("chromium")


def spki_hash(cert: Path) -> str:
    """The base64 SHA-256 of a certificate's public key, as --ignore-certificate-errors-spki-list
    wants it."""
    pub = subprocess.run(["openssl", "x509", "-in", str(cert), "-pubkey", "-noout"],
                         capture_output=True, check=True).stdout
    der = subprocess.run(["openssl", "pkey", "-pubin", "-outform", "der"], input=pub,
                         capture_output=True, check=True).stdout
    return base64.b64encode(hashlib.sha256(der).digest()).decode()


def chromium(*args: str, trust: Path | None = None, timeout: float = 120
             ) -> subprocess.CompletedProcess:
    """Headless Chromium with `args`, in a fresh profile. It maps the test names a.test and b.test
    to loopback; with `trust` (a certificate file) it accepts exactly that certificate's key, and
    rejects every other certificate as a browser would."""
    profile = tempfile.mkdtemp(prefix="snif-chromium-")
    cmd = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
           "--no-first-run", "--disable-background-networking", "--disable-component-update",
           "--disable-sync", f"--user-data-dir={profile}",
           "--host-resolver-rules=MAP a.test 127.0.0.1, MAP b.test 127.0.0.1",
           "--virtual-time-budget=20000"]
    if trust is not None:
        cmd.append(f"--ignore-certificate-errors-spki-list={spki_hash(trust)}")
    try:
        return subprocess.run([*cmd, *args], capture_output=True, text=True, timeout=timeout)
    finally:
        shutil.rmtree(profile, ignore_errors=True)
