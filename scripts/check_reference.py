"""The code, the README and conf/snifallback.conf agree on every directive, status key and log
message id.

    /usr/bin/python3 scripts/check_reference.py [source-dir]

Directives are read from the directive table in mod_snifallback/httpd/directives.cpp. For each one:
  - README.md has a "### <Directive>" section with a Syntax, Default and Context row;
  - conf/snifallback.conf shows it commented out ("#<Directive> ...");
  - SETTINGS below names the settings member it sets; that member exists in server_config.h and
    the merge code in server_config.cpp assigns it (module-wide settings are copied whole).
Status keys (the ?auto line of each counter in mod_snifallback/core/counters.h): each is in the
README's ?auto sample and in the list in conf/snifallback.conf, neither shows one the code does
not have, and no key is also a directive's name.
Message ids ("SNIF0001: ..." in the glue's log calls):
  - each id is written at exactly one place in the code (one id, one message);
  - each is in the README's error-log table, which is sorted and lists each id once, at the level
    the code logs it; no id is documented that the code does not use, and retired ids stay unused.
Exit status 0 when all of that holds; otherwise every problem is printed.
"""
import re
import sys
from pathlib import Path

# Directive -> (part of ServerConfig, member it sets).
SETTINGS = {
    "SNIFallbackFingerprint": ("module", "fingerprint"),
    "SNIFallbackLog": ("module", "log_target"),
    "SNIFallbackLogFormat": ("module", "log_format"),
    "SNIFallbackInventorySize": ("module", "inventory_size"),
    "SNIFallbackServerStatus": ("module", "server_status"),
    "SNIFallbackClientNames": ("module", "client_names"),
    "SNIFallbackClients": ("vhost", "clients"),
    "SNIFallbackCertificate": ("vhost", "fallback_certificate"),
    "SNIFallbackProtocol": ("vhost", "tls_profile"),
    "SNIFallbackCipherSuite": ("vhost", "tls_profile"),
    "SNIFallbackAction": ("vhost", "action"),
    "SNIFallbackNoticeStatus": ("vhost", "notice_status"),
    "SNIFallbackMode": ("vhost", "mode"),
    "SNIFallbackEnforceIf": ("vhost", "enforce_if"),
    "SNIFallbackExempt": ("vhost", "exemptions"),
    "SNIFallbackProbePixel": ("vhost", "probe"),
    "SNIFallbackProbeSuccess": ("vhost", "probe"),
    "SNIFallbackProbeFailure": ("vhost", "probe"),
    "SNIFallbackHealthCheckFrom": ("vhost", "health_check_from"),
    "SNIFallbackTrustedProxy": ("module", "trusted_proxies"),
    "SNIFallbackProxyHeaders": ("module", "proxy_headers"),
}

# Ids that were used by earlier releases for other messages: never to be given out again.
RETIRED_IDS = {"SNIF0044", "SNIF0051"}

LEVELS = {"EMERG": "emerg", "ALERT": "alert", "CRIT": "crit", "ERR": "error", "WARNING": "warn",
          "NOTICE": "notice", "INFO": "info", "DEBUG": "debug"}


def struct_body(text: str, name: str) -> str:
    start = text.index(f"struct {name} {{")
    return text[start:text.index("\n};", start)]


def check_directives(root: Path, readme: str, problems: list) -> int:
    glue = root / "mod_snifallback" / "httpd"
    table = (glue / "directives.cpp").read_text()
    header = (glue / "server_config.h").read_text()
    merge = (glue / "server_config.cpp").read_text()
    conf = (root / "conf" / "snifallback.conf").read_text()
    parts = {"module": struct_body(header, "ModuleSettings"),
             "vhost": struct_body(header, "VhostSettings")}
    directives = re.findall(r'(?:SNIF_TAKE1|AP_INIT_[A-Z_0-9]+)\(\s*"(SNIFallback\w+)"', table)
    if not directives:
        problems.append("no directives found in directives.cpp (has the table moved?)")
    for name in directives:
        section = re.search(rf"^### {name}\n(.*?)(?=^##|\Z)", readme, re.S | re.M)
        if not section:
            problems.append(f"{name}: no '### {name}' section in README.md")
        else:
            for row in ("Syntax", "Default", "Context"):
                if not re.search(rf"^\| {row} \|", section.group(1), re.M):
                    problems.append(f"{name}: README section has no '{row}' row")
        if not re.search(rf"^\s*#{name}\b", conf, re.M):
            problems.append(f"{name}: not shown (commented out) in conf/snifallback.conf")
        if name not in SETTINGS:
            problems.append(f"{name}: not in SETTINGS of scripts/check_reference.py (which "
                            "settings member does it set, and how is it merged?)")
            continue
        part, member = SETTINGS[name]
        if not re.search(rf"\b{member}\b", parts[part]):
            problems.append(f"{name}: {part} settings have no member '{member}'")
        merged = (r"config->module = base\.module;" if part == "module"
                  else rf"\bout\.{member}(?:\.\w+)?\s*=")
        if not re.search(merged, merge):
            problems.append(f"{name}: '{part}.{member}' is not assigned in the merge code")
    for name in SETTINGS:
        if name not in directives:
            problems.append(f"{name}: in SETTINGS but not a directive any more")
    return directives


def check_status_keys(root: Path, readme: str, directives: set, problems: list) -> int:
    """The mod_status ?auto keys (the last field of each counter row in core/counters.h): each is
    in the README's ?auto sample and in conf/snifallback.conf's list, neither shows a key the code
    does not have, and none is a directive's name."""
    counters = (root / "mod_snifallback" / "core" / "counters.h").read_text()
    conf = (root / "conf" / "snifallback.conf").read_text()
    keys = re.findall(r'"(SNIFallback\w+)"', counters)
    if not keys:
        problems.append("no ?auto keys found in core/counters.h (has the table moved?)")
    sample = set(re.findall(r"^(SNIFallback\w+): \d+$", readme, re.M))
    list_lines = [line for line in conf.splitlines() if re.match(r"\s*#\s{2,}SNIFallback", line)]
    listed = set(re.findall(r"\b(SNIFallback\w+)\b", "\n".join(list_lines)))
    for where, shown in (("README's ?auto sample", sample),
                         ("conf/snifallback.conf's list", listed)):
        for key in keys:
            if key not in shown:
                problems.append(f"{key}: ?auto key missing from the {where}")
        for key in sorted(shown - set(keys)):
            problems.append(f"{key}: in the {where} but not a counter's ?auto key")
    for key in keys:
        if key in directives:
            problems.append(f"{key}: an ?auto key with a directive's name")
    return len(keys)


def ids_in_code(root: Path, problems: list) -> dict:
    """id -> level the code logs it at, from every '"SNIFnnnn:' literal of the sources."""
    found = {}
    sources = sorted((root / "mod_snifallback").rglob("*.cpp")) + \
        sorted((root / "mod_snifallback").rglob("*.h"))
    for path in sources:
        text = path.read_text()
        for match in re.finditer(r'"(SNIF\d{4}):', text):
            ident = match.group(1)
            call = text.rfind("ap_log_", 0, match.start())
            levels = re.findall(r"APLOG_([A-Z]+)", text[call:match.start()])
            level = next((LEVELS[lv] for lv in levels if lv in LEVELS), "?")
            where = f"{path.relative_to(root)}:{text.count(chr(10), 0, match.start()) + 1}"
            if ident in found:
                problems.append(f"{ident}: written at two places ({found[ident][1]} and {where}); "
                                "give each message an id of its own")
            else:
                found[ident] = (level, where)
    return {ident: level for ident, (level, _) in found.items()}


def check_message_ids(root: Path, readme: str, problems: list) -> int:
    in_code = ids_in_code(root, problems)
    rows = re.findall(r"^\| (SNIF\d{4}) \| (\w+) \|", readme, re.M)
    documented = [ident for ident, _ in rows]
    if documented != sorted(documented):
        problems.append("README: the error-log table is not sorted by id")
    for ident in sorted({i for i in documented if documented.count(i) > 1}):
        problems.append(f"{ident}: listed more than once in the README's error-log table")
    for ident, level in rows:
        if ident not in in_code:
            problems.append(f"{ident}: documented in README but not used by the code")
        elif in_code[ident] != level:
            problems.append(f"{ident}: README says level '{level}', the code logs at "
                            f"'{in_code[ident]}'")
    for ident in sorted(set(in_code) - set(documented)):
        problems.append(f"{ident}: used by the code but missing from the README's error-log table")
    for ident in sorted(RETIRED_IDS & set(in_code)):
        problems.append(f"{ident}: a retired id is used again; take a new one")
    return len(in_code)


def main() -> int:
    root = Path(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).resolve().parent.parent)
    readme = (root / "README.md").read_text()
    problems = []
    directives = check_directives(root, readme, problems)
    keys = check_status_keys(root, readme, set(directives), problems)
    ids = check_message_ids(root, readme, problems)
    for p in problems:
        print("FAIL:", p)
    print(f"{len(directives)} directives, {keys} status keys and {ids} message ids checked, "
          f"{len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
