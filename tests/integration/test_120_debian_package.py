"""The Debian package as an administrator meets it.

First the package itself: `cmake --build build --target package` makes
libapache2-mod-snifallback_<version>_<arch>.deb; its files, control fields, conffiles and
dependencies are what a Debian module package has, and lintian finds no error or warning.

Then the life cycle, with apt-get on this machine's own apache2 and /etc/apache2: install enables
the module and a no-SNI request is marked; remove disables it and Apache starts without it; purge
leaves no file of the package; an edited snifallback.conf survives a reinstall and an upgrade
(conffile prompt answered "keep"), and so does the administrator's a2dismod.

Those tests change the real system: dpkg's database, /etc/apache2, /var/lib/apache2 (a2enmod's
state) and the system apache2 (ports 80, 443 and one loopback port of the test). So they run only
where that is safe and asked for: in CI (CI=true, a fresh machine) or with
SNIFALLBACK_SYSTEM_TESTS=1; anywhere else they are skipped and say why (the package checks above
still run). CTest runs this file under RESOURCE_LOCK debian_system (tests/integration/CMakeLists.txt),
never beside test_090_packaging, which reads /etc/apache2, and the fixture
puts everything back when it ends, also after a failure: the package purged, the test's own
configuration removed, the enabled/disabled state of every module, conf and site restored, the
system apache2 stopped (or restarted, if it was running before). Other integration tests run in
parallel: they use the module from the build tree, their own ServerRoots and loopback ports.
"""
from __future__ import annotations

import gzip
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from snifharness.ports import free_port
from snifharness.process import run

SOURCE = Path(os.environ.get("SNIFALLBACK_SOURCE_DIR", Path(__file__).resolve().parents[2]))
BUILD = Path(os.environ.get("SNIFALLBACK_BUILD_DIR", SOURCE / "build"))
PACKAGE = "libapache2-mod-snifallback"
DOC = f"usr/share/doc/{PACKAGE}"
CONF = Path("/etc/apache2/mods-available/snifallback.conf")
LOAD = Path("/etc/apache2/mods-available/snifallback.load")
MODULE = Path("/usr/lib/apache2/modules/mod_snifallback.so")
APACHE_PIDFILE = Path("/var/run/apache2/apache2.pid")
TEST_CONF_NAME = "snifallback-pkgtest"
TEST_CONF = Path(f"/etc/apache2/conf-available/{TEST_CONF_NAME}.conf")
# a2enmod/a2enconf keep their state (enabled/disabled, by admin or by a maintainer script) here
STATE_DIR = Path("/var/lib/apache2")
ENABLED_DIRS = [Path(f"/etc/apache2/{d}-enabled") for d in ("mods", "conf", "sites")]

APT = ["apt-get", "-y", "-o", "DPkg::Lock::Timeout=300", "--no-install-recommends"]
APT_ENV = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}


def cmake_cache(name: str) -> str:
    for line in (BUILD / "CMakeCache.txt").read_text().splitlines():
        if line.startswith(name + ":"):
            return line.split("=", 1)[1]
    raise AssertionError(f"{name} not in {BUILD}/CMakeCache.txt")


def architecture() -> str:
    return run(["dpkg", "--print-architecture"]).stdout.strip()


def deb_field(deb: Path, field: str) -> str:
    return run(["dpkg-deb", "-f", str(deb), field]).stdout.strip()


def deb_files(deb: Path) -> dict[str, tuple[str, str]]:
    """path (without ./) -> (mode string, owner/group) for everything in the data archive."""
    out = {}
    for line in run(["dpkg-deb", "-c", str(deb)]).stdout.splitlines():
        mode, owner, _size, _date, _time, path = line.split(None, 5)
        path = path.split(" -> ")[0].removeprefix("./").rstrip("/")
        if path:
            out[path] = (mode, owner)
    return out


def deb_control_file(deb: Path, name: str, tmp: Path) -> Path:
    target = tmp / "control"
    if not target.exists():
        run(["dpkg-deb", "-e", str(deb), str(target)])
    return target / name


def needed_libraries(binary: Path) -> list[str]:
    dynamic = run(["readelf", "-d", str(binary)]).stdout
    return re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]", dynamic)


def packages_shipping(library: str) -> set[str]:
    """The Debian packages that ship a file named `library` (e.g. libssl.so.3)."""
    done = run(["dpkg-query", "-S", f"*/{library}"], check=False)
    assert done.returncode == 0, done.stderr
    return {line.split(":")[0] for line in done.stdout.splitlines()
            if ": /" in line and line.rsplit("/", 1)[-1] == library}


# -- the package ----------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def deb() -> Path:
    if not shutil.which("dpkg-deb"):
        pytest.skip("not a Debian system (no dpkg-deb)")
    done = run(["cmake", "--build", str(BUILD), "--target", "package"], check=False)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    path = BUILD / f"{PACKAGE}_{cmake_cache('CMAKE_PROJECT_VERSION')}_{architecture()}.deb"
    assert path.exists(), f"{path.name} not made; the build directory has " + \
        ", ".join(p.name for p in BUILD.glob("*.deb"))
    return path


def test_control_fields(deb):
    assert deb_field(deb, "Package") == PACKAGE
    assert deb_field(deb, "Version") == cmake_cache("CMAKE_PROJECT_VERSION")
    assert deb_field(deb, "Architecture") == architecture()
    assert deb_field(deb, "Section") == "httpd"
    assert deb_field(deb, "Priority") == "optional"
    assert re.fullmatch(r"[^<>]+ <[^@<>\s]+@[^@<>\s]+>", deb_field(deb, "Maintainer"))
    # as configured, else who git says builds the tree (user.name, user.email)
    git = [run(["git", "-C", str(SOURCE), "config", f"user.{k}"], check=False).stdout.strip()
           for k in ("name", "email")]
    if cmake_cache("SNIFALLBACK_DEB_MAINTAINER"):
        expected = cmake_cache("SNIFALLBACK_DEB_MAINTAINER")
    elif all(git):
        expected = f"{git[0]} <{git[1]}>"
    else:
        expected = "mod_snifallback maintainers <maintainers@users.noreply.r-seed-28b9c0b1.example>"
    assert deb_field(deb, "Maintainer") == expected
    synopsis, *long_description = deb_field(deb, "Description").splitlines()
    assert "SNI" in synopsis and len(synopsis) <= 80
    assert len(long_description) >= 3


def test_depends_on_the_apache_abi_and_every_linked_library(deb, tmp_path):
    depends = [d.strip() for d in deb_field(deb, "Depends").split(",")]
    # as dh_apache2 writes them for Debian's module packages
    assert "apache2-api-20120211" in depends
    assert "apache2-api-20120211-openssl1.1" in depends
    bins = [d for d in depends if d.startswith("apache2-bin")]
    assert bins == ["apache2-bin (>= 2.4.51)"], depends
    # Each shared library the module and snifallback-fp link is a dependency (with a version,
    # as dpkg-shlibdeps writes it), and apt can satisfy the whole line on this system.
    run(["dpkg-deb", "-x", str(deb), str(tmp_path / "root")])
    by_name = {d.split(" ")[0]: d for d in depends}
    root = tmp_path / "root"
    for binary in (root / str(MODULE).lstrip("/"), root / "usr/bin/snifallback-fp",
                   root / "usr/bin/snifallback-report"):
        for library in needed_libraries(binary):
            owners = packages_shipping(library) & by_name.keys()
            assert owners, f"{binary.name} links {library}: no package of it in {depends}"
            assert all(re.search(r"\(>= [^)]+\)", by_name[o]) for o in owners), depends
    simulated = run(["apt-get", "-s", "install", str(deb)], check=False, env=APT_ENV)
    assert simulated.returncode == 0, simulated.stdout + simulated.stderr


def test_files_and_permissions(deb):
    examples = sorted(p.name for p in (SOURCE / "conf" / "examples").glob("*.conf"))
    expected = {
        "etc/apache2/mods-available/snifallback.load": "-rw-r--r--",
        "etc/apache2/mods-available/snifallback.conf": "-rw-r--r--",
        "usr/share/apache2/snifallback/client-names.csv": "-rw-r--r--",
        str(MODULE).lstrip("/"): "-rw-r--r--",
        "usr/bin/snifallback-fp": "-rwxr-xr-x",
        "usr/share/man/man1/snifallback-fp.1.gz": "-rw-r--r--",
        "usr/bin/snifallback-report": "-rwxr-xr-x",
        "usr/share/man/man1/snifallback-report.1.gz": "-rw-r--r--",
        f"{DOC}/README.md.gz": "-rw-r--r--",
        f"{DOC}/changelog.gz": "-rw-r--r--",
        f"{DOC}/copyright": "-rw-r--r--",
        **{f"{DOC}/examples/{name}": "-rw-r--r--" for name in examples},
        f"{DOC}/examples/prometheus/snifallback-rules.yml": "-rw-r--r--",
    }
    files = deb_files(deb)
    regular = {path: mode for path, (mode, _) in files.items() if not mode.startswith("d")}
    assert regular == expected
    for path, (mode, owner) in files.items():
        assert owner == "root/root", (path, owner)
        if mode.startswith("d"):
            assert mode == "drwxr-xr-x", (path, mode)


def test_conffiles_and_maintainer_scripts(deb, tmp_path):
    conffiles = deb_control_file(deb, "conffiles", tmp_path).read_text().split()
    assert sorted(conffiles) == [str(CONF), str(LOAD)]
    for script, call in (("postinst", "apache2_invoke enmod snifallback"),
                         ("prerm", "apache2_invoke dismod snifallback"),
                         ("postrm", "apache2_invoke dismod snifallback")):
        path = deb_control_file(deb, script, tmp_path)
        assert path.stat().st_mode & 0o777 == 0o755, script
        text = path.read_text()
        assert text.startswith("#!/bin/sh\n") and "\nset -e\n" in text
        assert ". /usr/share/apache2/apache2-maintscript-helper" in text and call in text, script
        assert run(["sh", "-n", str(path)], check=False).returncode == 0, script


def test_contents_point_where_they_should(deb, tmp_path):
    root = tmp_path / "root"
    run(["dpkg-deb", "-x", str(deb), str(root)])
    load = (root / str(LOAD).lstrip("/")).read_text()
    assert f"LoadModule snifallback_module {MODULE}" in load and "# Depends: ssl" in load
    assert (root / "usr/bin/snifallback-fp").exists()
    assert (root / "usr/bin/snifallback-report").exists()
    # Debian's copyright format, Apache-2.0, the license text from common-licenses
    copyright_text = (root / DOC / "copyright").read_text()
    assert copyright_text.startswith(
        "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/")
    assert "License: Apache-2.0" in copyright_text
    assert "/usr/share/common-licenses/Apache-2.0" in copyright_text
    assert Path("/usr/share/common-licenses/Apache-2.0").exists()
    # compressed with gzip -9n: no file name, no time stamp in the header
    for gz in ("usr/share/man/man1/snifallback-fp.1.gz",
               "usr/share/man/man1/snifallback-report.1.gz", f"{DOC}/changelog.gz",
               f"{DOC}/README.md.gz"):
        header = (root / gz).read_bytes()[:10]
        assert header[:2] == b"\x1f\x8b" and not header[3] & 0x08 and header[4:8] == b"\0\0\0\0", gz
    # the README links nothing the package does not ship (its source-tree files are named as text)
    readme = gzip.decompress((root / DOC / "README.md.gz").read_bytes()).decode()
    assert readme.count("\n## ") >= 10  # the whole README
    targets = re.findall(r"\]\(([^)\s]+)\)", readme)
    assert targets, "no links at all?"
    for target in targets:
        if target.startswith(("http://", "https://", "#")):
            continue
        assert (root / DOC / target.split("#")[0]).exists(), f"README links {target}, not shipped"
    assert "[tests/README.md](tests/README.md)" not in readme
    changelog = gzip.decompress((root / DOC / "changelog.gz").read_bytes()).decode()
    assert changelog.startswith(f"{PACKAGE} ({deb_field(deb, 'Version')}) ")
    man = run(["man", "--warnings", "-l", str(root / "usr/share/man/man1/snifallback-fp.1.gz")],
              env={**os.environ, "MANWIDTH": "80", "LC_ALL": "C.UTF-8"})
    assert "snifallback-fp - print the JA3 and JA4" in man.stdout and not man.stderr, man.stderr
    man = run(["man", "--warnings", "-l",
               str(root / "usr/share/man/man1/snifallback-report.1.gz")],
              env={**os.environ, "MANWIDTH": "80", "LC_ALL": "C.UTF-8"})
    assert "snifallback-report - the retirement table from" in man.stdout, man.stdout
    assert not man.stderr, man.stderr
    # the binaries are stripped
    for binary in (root / str(MODULE).lstrip("/"), root / "usr/bin/snifallback-fp",
                   root / "usr/bin/snifallback-report"):
        sections = run(["readelf", "-S", str(binary)]).stdout
        assert ".symtab" not in sections and ".debug_info" not in sections, binary


def test_lintian_reports_no_error_and_no_warning(deb, tmp_path):
    if not shutil.which("lintian"):
        pytest.skip("lintian is not installed (scripts/deps.sh installs it)")
    done = run(["lintian", "--fail-on", "error,warning", "--display-info", "--pedantic",
                "--display-experimental", "--tag-display-limit", "0", str(deb)], check=False)
    tags = [ln for ln in done.stdout.splitlines() if re.match(r"[EWIPXO]: ", ln)]
    bad = [ln for ln in tags if ln[0] in "EW"]
    assert done.returncode == 0 and not bad, done.stdout + done.stderr
    # Should the package ever override a tag, each override carries its reason on the line above.
    overrides = tmp_path / "overrides"
    run(["dpkg-deb", "-x", str(deb), str(overrides)])
    file = overrides / "usr/share/lintian/overrides" / PACKAGE
    if file.exists():
        lines = file.read_text().splitlines()
        for i, line in enumerate(lines):
            if line.strip() and not line.startswith("#"):
                assert i > 0 and lines[i - 1].startswith("# "), f"override without a reason: {line}"


# -- the life cycle on this machine ---------------------------------------------------------------
def dpkg_status() -> str:
    done = run(["dpkg-query", "-W", "-f", "${Status}", PACKAGE], check=False)
    return done.stdout.strip() if done.returncode == 0 else "not-installed"


def apt(*args: str, stdin: str | None = None) -> str:
    done = subprocess.run([*APT, *args], input=stdin, capture_output=True, text=True,
                          env=APT_ENV, timeout=600)
    assert done.returncode == 0, f"apt-get {' '.join(args)}:\n{done.stdout}\n{done.stderr}"
    return done.stdout + done.stderr


def accepts(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def apache_pid() -> int | None:
    try:
        pid = int(APACHE_PIDFILE.read_text().strip())
        os.kill(pid, 0)
        return pid
    except (OSError, ValueError):
        return None


def stop_system_apache() -> None:
    """Stops the system apache2 however it was started (no config parse: it may be broken)."""
    pid = apache_pid()
    if pid is not None:
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                os.kill(pid, 0)
            except OSError:
                break
            time.sleep(0.1)
    if Path("/run/systemd/system").exists():  # systemd may have started it (invoke-rc.d)
        run(["systemctl", "stop", "apache2"], check=False)


def start_system_apache(port: int) -> None:
    stop_system_apache()
    done = run(["apache2ctl", "start"], check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    deadline = time.monotonic() + 30
    while not (apache_pid() and accepts(port)):
        assert time.monotonic() < deadline, "the system apache2 did not start listening"
        time.sleep(0.1)


def snapshot_enabled_state() -> dict:
    """What a2enmod & co. change: the *-enabled symlinks and the state tree in /var/lib/apache2."""
    links = {d: {p.name: os.readlink(p) for p in d.iterdir() if p.is_symlink()}
             for d in ENABLED_DIRS}
    tree = {p.relative_to(STATE_DIR): p.is_dir() for p in STATE_DIR.rglob("*")}
    return {"links": links, "tree": tree}


def restore_enabled_state(before: dict) -> None:
    for d, links in before["links"].items():
        for p in d.iterdir():
            if p.is_symlink() and links.get(p.name) != os.readlink(p):
                p.unlink()
        for name, target in links.items():
            if not (d / name).is_symlink():
                (d / name).symlink_to(target)
    now = sorted(STATE_DIR.rglob("*"), key=lambda p: len(p.parts), reverse=True)
    for p in now:
        rel = p.relative_to(STATE_DIR)
        if rel not in before["tree"]:
            p.rmdir() if p.is_dir() and not p.is_symlink() else p.unlink()
    for rel, is_dir in sorted(before["tree"].items(), key=lambda kv: len(kv[0].parts)):
        p = STATE_DIR / rel
        if is_dir:
            p.mkdir(exist_ok=True)
        elif not p.exists():
            p.touch()


def remove_test_site() -> None:
    if (Path("/etc/apache2/conf-enabled") / TEST_CONF.name).is_symlink():
        run(["a2disconf", "-q", TEST_CONF_NAME], check=False)
    TEST_CONF.unlink(missing_ok=True)


class System:
    """The machine's apache2 with a TLS vhost of the test on a loopback port."""

    def __init__(self, deb: Path):
        self.dir = Path(tempfile.mkdtemp(prefix="snifallback-pkgtest-", dir="/run"))
        os.chmod(self.dir, 0o755)  # _apt reads the .deb; /run is outside systemd's PrivateTmp
        self.deb = self.dir / deb.name
        shutil.copy(deb, self.deb)
        self.port = free_port()
        self.marked = self.dir / "marked.log"
        # where the README's first step logs: ${APACHE_LOG_DIR}
        self.nosni_name = f"nosni-pkgtest-{os.getpid()}.log"
        self.nosni = Path("/var/log/apache2") / self.nosni_name
        run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
             "-subj", "/CN=pkgtest.invalid", "-keyout", str(self.dir / "key.pem"),
             "-out", str(self.dir / "cert.pem")])

    def enable_test_site(self) -> None:
        TEST_CONF.write_text(f"""# tests/integration/test_120_debian_package.py; removed after it
Listen 127.0.0.1:{self.port} https
<IfModule ssl_module>
    <VirtualHost 127.0.0.1:{self.port}>
        ServerName pkgtest.invalid
        SSLEngine on
        SSLCertificateFile {self.dir}/cert.pem
        SSLCertificateKeyFile {self.dir}/key.pem
        CustomLog {self.marked} "%r sni_missing=%{{SNI_MISSING}}e" env=SNI_MISSING
    </VirtualHost>
</IfModule>
<IfModule snifallback_module>
    SNIFallbackLog ${{APACHE_LOG_DIR}}/{self.nosni_name}
</IfModule>
""")
        done = run(["a2enconf", "-q", TEST_CONF_NAME], check=False)
        assert done.returncode == 0, done.stdout + done.stderr

    def start(self) -> None:
        start_system_apache(self.port)

    def request(self, path: str, sni: bool = False) -> int:
        url = f"https://{'pkgtest.invalid' if sni else '127.0.0.1'}:{self.port}{path}"
        cmd = ["curl", "-sk", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "20", url]
        if sni:
            cmd += ["--resolve", f"pkgtest.invalid:{self.port}:127.0.0.1"]
        return int(run(cmd).stdout)

    def marked_lines(self, expect: str | None = None) -> list[str]:
        """Lines of the SNI_MISSING access log (waiting for one holding `expect`, if given)."""
        deadline = time.monotonic() + 10
        while True:
            text = self.marked.read_text() if self.marked.exists() else ""
            if expect is None or expect in text or time.monotonic() > deadline:
                return text.splitlines()
            time.sleep(0.05)

    def cleanup(self) -> None:
        shutil.rmtree(self.dir, ignore_errors=True)
        self.nosni.unlink(missing_ok=True)


@pytest.fixture(scope="module")
def system(deb):
    if os.environ.get("CI") != "true" and os.environ.get("SNIFALLBACK_SYSTEM_TESTS") != "1":
        pytest.skip("installs and purges the package, edits /etc/apache2 and stops and starts the "
                    "system apache2: runs only in CI (CI=true) or with SNIFALLBACK_SYSTEM_TESTS=1")
    if os.geteuid() != 0:
        pytest.skip("installing the package needs root (CI runs as root)")
    for tool in ("apt-get", "apache2ctl", "a2query", "a2enconf"):
        if not shutil.which(tool):
            pytest.skip(f"{tool} is missing: not Debian's apache2")
    if dpkg_status() != "not-installed":
        pytest.skip(f"{PACKAGE} is already on this machine ({dpkg_status()}): the test would "
                    f"replace it; purge it first (apt-get purge {PACKAGE})")
    if TEST_CONF.exists():
        pytest.skip(f"{TEST_CONF} exists: left over from an interrupted run? remove it")
    was_running = apache_pid() is not None
    if not was_running and (accepts(80) or accepts(443)):
        pytest.skip("something other than the system apache2 listens on port 80 or 443")
    before = snapshot_enabled_state()
    sys_ = None
    try:
        # A package that is not installed has no a2enmod state: start from there (restored after).
        for marker in STATE_DIR.glob("module/*/snifallback"):
            marker.unlink()
        sys_ = System(deb)
        yield sys_
    finally:
        stop_system_apache()
        remove_test_site()
        if dpkg_status() != "not-installed":
            run([*APT, "purge", PACKAGE], check=False, env=APT_ENV)
        restore_enabled_state(before)
        if sys_:
            sys_.cleanup()
        if was_running:
            run(["apache2ctl", "start"], check=False)


# The life cycle runs in this order, each test starting where the one before left the machine:
# install -> remove -> install again, edit, reinstall, upgrade twice -> purge.
def expect_status(status: str) -> None:
    if dpkg_status() != status:
        pytest.fail(f"{PACKAGE} is {dpkg_status()!r}, not {status!r}: an earlier step of the "
                    "life cycle failed", pytrace=False)


def test_install_enables_the_module_and_marks_no_sni_requests(system):
    expect_status("not-installed")
    apt("install", str(system.deb))
    assert dpkg_status() == "install ok installed"
    assert MODULE.exists() and CONF.exists() and LOAD.exists()
    assert run(["a2query", "-m", "snifallback"], check=False).returncode == 0  # enabled
    assert run(["a2query", "-m", "ssl"], check=False).returncode == 0  # "# Depends: ssl"
    modules = run(["apache2ctl", "-M"]).stdout
    assert " snifallback_module (shared)" in modules and " ssl_module (shared)" in modules
    assert run(["man", "-w", "snifallback-fp"]).stdout.strip() == \
        "/usr/share/man/man1/snifallback-fp.1.gz"
    vector = json.loads((SOURCE / "tests/data/client_hellos.jsonl").read_text().splitlines()[0])
    printed = json.loads(run(["/usr/bin/snifallback-fp"], input=vector["record_hex"] + "\n").stdout)
    assert printed["ja4"] == vector["expected"]["ja4"]

    system.enable_test_site()
    system.start()
    assert system.request("/?pkg-nosni") == 200
    assert system.request("/?pkg-sni", sni=True) == 200
    lines = system.marked_lines(expect="pkg-nosni")
    assert lines == ["GET /?pkg-nosni HTTP/1.1 sni_missing=1"], lines
    deadline = time.monotonic() + 10
    while "/?pkg-nosni" not in system.nosni.read_text() and time.monotonic() < deadline:
        time.sleep(0.05)
    records = [json.loads(r) for r in system.nosni.read_text().splitlines()]
    assert [r["uri"] for r in records if r["event"] == "request"] == ["/?pkg-nosni"], records


def test_remove_disables_the_module_and_apache_starts_without_it(system):
    expect_status("install ok installed")
    out = apt("remove", PACKAGE)
    assert "Disable module snifallback" in out, out
    assert dpkg_status() == "deinstall ok config-files"
    assert not MODULE.exists() and not Path("/usr/bin/snifallback-fp").exists()
    assert CONF.exists() and LOAD.exists()  # conffiles stay until purge
    assert not Path("/etc/apache2/mods-enabled/snifallback.load").exists()
    assert run(["a2query", "-m", "snifallback"], check=False).returncode == 33  # off by maint
    assert run(["apache2ctl", "-t"], check=False).returncode == 0
    assert "snifallback_module" not in run(["apache2ctl", "-M"]).stdout

    system.start()  # the running one still had the module loaded
    assert system.request("/?after-remove") == 200
    time.sleep(1)  # a marked line would be there by now
    assert not any("after-remove" in ln for ln in system.marked_lines())


def next_version(deb: Path, work: Path, suffix: str) -> Path:
    """The same package as version <version>+<suffix>, with one line added to snifallback.conf:
    the upgrade that makes dpkg ask about a conffile the administrator edited."""
    root = work / f"next-{suffix}"
    run(["dpkg-deb", "-R", str(deb), str(root)])
    with open(root / str(CONF).lstrip("/"), "a") as f:
        f.write(f"# shipped with version +{suffix}\n")
    control = root / "DEBIAN" / "control"
    version = deb_field(deb, "Version")
    control.write_text(control.read_text().replace(f"Version: {version}\n",
                                                   f"Version: {version}+{suffix}\n"))
    sums = []
    for p in sorted(root.rglob("*")):
        if p.is_file() and "DEBIAN" not in p.relative_to(root).parts:
            md5 = run(["md5sum", str(p)]).stdout.split()[0]
            sums.append(f"{md5}  {p.relative_to(root)}\n")
    (root / "DEBIAN" / "md5sums").write_text("".join(sums))
    out = work / f"{PACKAGE}_{version}+{suffix}_{architecture()}.deb"
    run(["dpkg-deb", "--root-owner-group", "-b", str(root), str(out)])
    return out


EDIT = "# edited by the administrator\nSNIFallbackInventorySize 32\n"


def test_reinstall_and_upgrades_keep_the_administrators_edit_and_choice(system):
    expect_status("deinstall ok config-files")
    # Installed again after a remove: the package enables the module again (it disabled it).
    apt("install", str(system.deb))
    assert run(["a2query", "-m", "snifallback"], check=False).returncode == 0

    CONF.write_text(CONF.read_text() + EDIT)
    assert run(["apache2ctl", "-t"], check=False).returncode == 0
    # A reinstall of the same version: the conffile did not change in the package, no question.
    out = apt("install", "--reinstall", str(system.deb))
    assert "Configuration file" not in out
    assert CONF.read_text().endswith(EDIT)

    # An upgrade whose snifallback.conf changed: dpkg asks, the answer is N (keep yours).
    upgrade = next_version(system.deb, system.dir, "pkgtest1")
    out = apt("install", str(upgrade), stdin="N\n")
    assert f"Configuration file '{CONF}'" in out and "Modified (by you" in out, out
    assert run(["dpkg-query", "-W", "-f", "${Version}", PACKAGE]).stdout == \
        deb_field(upgrade, "Version")
    assert CONF.read_text().endswith(EDIT)
    dist = Path(f"{CONF}.dpkg-dist")  # the maintainer's version, next to it
    assert dist.exists() and "shipped with version +pkgtest1" in dist.read_text()
    assert run(["a2query", "-m", "snifallback"], check=False).returncode == 0  # still enabled
    assert "snifallback_module" in run(["apache2ctl", "-M"]).stdout
    system.start()
    assert system.request("/?after-upgrade") == 200
    assert "GET /?after-upgrade HTTP/1.1 sni_missing=1" in system.marked_lines("after-upgrade")

    # The administrator disables the module; the next upgrade leaves it disabled.
    run(["a2dismod", "-q", "snifallback"])
    upgrade2 = next_version(system.deb, system.dir, "pkgtest2")
    apt("install", "-o", "Dpkg::Options::=--force-confold", str(upgrade2))
    assert run(["a2query", "-m", "snifallback"], check=False).returncode == 32  # off by admin
    assert not Path("/etc/apache2/mods-enabled/snifallback.load").exists()
    assert CONF.read_text().endswith(EDIT)


def test_purge_leaves_no_file_of_the_package(system):
    expect_status("install ok installed")
    stop_system_apache()
    remove_test_site()
    files = deb_files(system.deb)
    apt("purge", PACKAGE)
    assert dpkg_status() == "not-installed"
    left = [p for p, (mode, _) in files.items()
            if not mode.startswith("d") and Path("/", p).exists()]
    assert not left
    assert not list(Path("/etc/apache2").rglob("snifallback*"))  # edited conf, .dpkg-dist too
    assert not Path("/", DOC).exists()
    assert not list(STATE_DIR.rglob("snifallback"))  # a2enmod's state for the module
    assert run(["apache2ctl", "-t"], check=False).returncode == 0
