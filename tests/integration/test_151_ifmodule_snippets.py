"""The configuration the README and conf/examples/ give administrators for their own files survives
switching the module off (`a2dismod snifallback`, `apt remove`): every directive of the module in
it is inside `<IfModule snifallback_module>`, so `apachectl -t` still passes without the
LoadModule line. Without that, Apache refuses to start with `Invalid command 'SNIFallbackLog'`.

The README's snippets are read from README.md itself (every ```apache block that uses a directive
or handler of the module, and the file the "First step" writes), so they stay in step."""
from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest

from snifharness.apache import MODULES_DIR
from snifharness.ports import free_port

SOURCE = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((SOURCE / "conf" / "examples").glob("*.conf"))
AUTHZ_HOST = f"LoadModule authz_host_module {MODULES_DIR}/mod_authz_host.so\n"
USES_MODULE = re.compile(r"^\s*(SNIFallback[A-Z]\w*\s|SetHandler\s+snifallback-)", re.M)


def readme_snippets() -> list[tuple[str, str]]:
    """(where, text) of each README snippet meant for the administrator's files."""
    readme = (SOURCE / "README.md").read_text()
    found = []
    for m in re.finditer(r"^( *)```apache\n(.*?)^\1```", readme, re.S | re.M):
        text = textwrap.dedent(m.group(2))
        if USES_MODULE.search(text):
            found.append((f"README.md line {readme[:m.start()].count(chr(10)) + 1}", text))
    # "First step" writes a configuration file with a here-document
    for m in re.finditer(r"cat > (/etc/apache2/\S+) <<'CONF'\n(.*?)^CONF$", readme, re.S | re.M):
        found.append((f"README.md: {m.group(1)}", m.group(2)))
    return found


def as_test_config(httpd, pki, text: str) -> str:
    """Names, ports and paths of a snippet mapped to this test's."""
    for real in re.findall(r"^Listen (\d+)", text, re.M):
        text = re.sub(rf"^Listen {real}\b", f"Listen 127.0.0.1:{free_port()}", text, flags=re.M)
    text = re.sub(r"<VirtualHost \*:\d+>", f"<VirtualHost 127.0.0.1:{httpd.https_port}>", text)
    for site in set(re.findall(r"/var/www/([\w.]+)", text)):
        (httpd.root / "htdocs" / site).mkdir(exist_ok=True)
    text = text.replace("/var/www/", f"{httpd.root}/htdocs/")
    for site in set(re.findall(r"/etc/ssl/certs/([\w.]+)\.pem", text)):
        cert, key = pki.leaf(site)
        text = text.replace(f"/etc/ssl/certs/{site}.pem", str(cert))
        text = text.replace(f"/etc/ssl/private/{site}.key", str(key))
    if "RemoteIP" in text and "remoteip_module" not in text:  # a2enmod remoteip, as it says
        text = f"LoadModule remoteip_module {MODULES_DIR}/mod_remoteip.so\n" + text
    return f'Define APACHE_LOG_DIR "{httpd.root}/logs"\n' + AUTHZ_HOST + text


SNIPPETS = [(p.name, p.read_text()) for p in EXAMPLES]
SNIPPETS += readme_snippets()


def test_the_readme_and_the_examples_have_snippets_to_check():
    assert len(EXAMPLES) >= 4
    readme = [w for w, _ in SNIPPETS if w.startswith("README")]
    assert len(readme) >= 10 and any("conf-available" in w for w in readme), readme


@pytest.mark.parametrize("where,text", SNIPPETS, ids=[w for w, _ in SNIPPETS])
def test_config_test_passes_with_the_module_switched_off(httpd, pki, where, text):
    assert USES_MODULE.search(text), f"{where} uses no directive of the module"
    config = as_test_config(httpd, pki, text)
    done = httpd.config_test(snippet=config, module_loaded=False, standard_vhosts=False)
    assert done.returncode == 0 and "Syntax OK" in done.stderr, \
        f"{where} without the module:\n{done.stderr}\n--- configuration:\n{config}"


def test_inventory_size_usage_names_fallback_clients(httpd):
    """httpd appends a directive's usage text to its argument-count error: the inventory holds
    fallback clients of every class SNIFallbackClients selects, not only no-SNI ones."""
    done = httpd.config_test(snippet="SNIFallbackInventorySize\n")
    assert done.returncode != 0
    assert "how many of the most frequent fallback clients" in done.stderr, done.stderr
    assert "without SNI" not in done.stderr
