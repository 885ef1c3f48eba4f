"""Packaging: the conf/examples pass `apache2 -t`, and the Debian way (a2enmod) works."""
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from snifharness.apache import APACHE, MODULES_DIR
from snifharness.process import run

SOURCE = Path(os.environ.get("SNIFALLBACK_SOURCE_DIR", Path(__file__).resolve().parents[2]))
BUILD = Path(os.environ.get("SNIFALLBACK_BUILD_DIR", SOURCE / "build"))
EXAMPLES = sorted((SOURCE / "conf" / "examples").glob("*.conf"))


def localise(text: str, root: Path, pki) -> str:
    """Point an example's /etc/ssl and /var/www paths into `root`, with real certificates there."""
    for cert in re.findall(r"SSLCertificateFile\s+(\S+)", text):
        name = Path(cert).name.removesuffix(".pem")
        key = next(k for k in re.findall(r"SSLCertificateKeyFile\s+(\S+)", text)
                   if Path(k).name == f"{name}.key")
        made_cert, made_key = pki.leaf(name)
        for src, dst in ((made_cert, cert), (made_key, key)):
            target = root / dst.lstrip("/")
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(src, target)
    for docroot in re.findall(r"DocumentRoot\s+(\S+)", text):
        (root / docroot.lstrip("/")).mkdir(parents=True, exist_ok=True)
    return re.sub(r"(?<=\s)/(etc/ssl|var/www)/", lambda m: f"{root}/{m.group(1)}/", text)


@pytest.mark.parametrize("example", EXAMPLES, ids=[e.name for e in EXAMPLES])
def test_example_passes_the_config_test(pki, example, tmp_path):
    module = os.environ["SNIFALLBACK_MODULE"]
    (tmp_path / "logs").mkdir()
    (tmp_path / "example.conf").write_text(localise(example.read_text(), tmp_path, pki))
    (tmp_path / "httpd.conf").write_text(f"""
ServerRoot "{tmp_path}"
ServerName localhost
Define APACHE_LOG_DIR {tmp_path}/logs
PidFile "{tmp_path}/httpd.pid"
ErrorLog "{tmp_path}/logs/error.log"
LoadModule mpm_event_module {MODULES_DIR}/mod_mpm_event.so
LoadModule authz_core_module {MODULES_DIR}/mod_authz_core.so
LoadModule authz_host_module {MODULES_DIR}/mod_authz_host.so
LoadModule socache_shmcb_module {MODULES_DIR}/mod_socache_shmcb.so
LoadModule ssl_module {MODULES_DIR}/mod_ssl.so
LoadModule snifallback_module {module}
Listen 443
Listen 80
Include "{tmp_path}/example.conf"
""")
    done = run([APACHE, "-t", "-f", str(tmp_path / "httpd.conf")], check=False)
    assert done.returncode == 0, done.stderr
    assert "Syntax OK" in done.stderr


@pytest.mark.skipif(not Path("/etc/apache2/apache2.conf").exists() or not shutil.which("a2enmod"),
                    reason="Debian's apache2 configuration (/etc/apache2, a2enmod) is not installed")
def test_a2enmod_on_a_scratch_copy_of_etc_apache2(tmp_path):
    # Install the way the README says, into a staging root instead of the live system.
    stage = tmp_path / "stage"
    run(["cmake", "--install", str(BUILD)], env={**os.environ, "DESTDIR": str(stage)})
    installed = stage / str(MODULES_DIR).lstrip("/") / "mod_snifallback.so"
    assert installed.exists()
    confdir = tmp_path / "apache2"
    shutil.copytree("/etc/apache2", confdir, symlinks=True)
    load = (SOURCE / "conf" / "snifallback.load").read_text()
    assert f"{MODULES_DIR}/mod_snifallback.so" in load
    (confdir / "mods-available" / "snifallback.load").write_text(
        load.replace(f"{MODULES_DIR}/mod_snifallback.so", str(installed)))
    shutil.copy(SOURCE / "conf" / "snifallback.conf", confdir / "mods-available")
    # a2enmod keeps its enabled/disabled markers in /var/lib/apache2 unless told otherwise: the
    # scratch copy gets a state directory of its own, so the real one is left alone.
    env = {**os.environ, "APACHE_CONFDIR": str(confdir),
           "APACHE_STATE_DIRECTORY": str(tmp_path / "state")}
    done = run(["a2enmod", "snifallback"], env=env, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert (confdir / "mods-enabled" / "snifallback.load").exists()
    assert (confdir / "mods-enabled" / "ssl.load").exists()  # "# Depends: ssl"
    assert (tmp_path / "state" / "module" / "enabled_by_admin" / "snifallback").exists()
    done = run(["apache2ctl", "-t"], env=env, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Syntax OK" in done.stderr
