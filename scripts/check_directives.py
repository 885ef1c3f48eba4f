"""Every directive the module defines is documented, shown in conf/, has a default and a merge rule.

    /usr/bin/python3 scripts/check_directives.py [source-dir]

Directives are read from the command table in mod_snifallback/httpd/config.cpp. For each one:
  - README.md has a "### <Directive>" section with a Syntax, Default and Context row;
  - conf/snifallback.conf shows it commented out ("#<Directive> ...");
  - it is listed in FIELDS below, the ServerConfig fields it sets exist in glue.h, and each is
    assigned in the merge code (config.cpp merge_server_config or actions.cpp merge_actions).
A new directive fails this check until all of that is true. Exit status 0 when all hold.
"""
import re
import sys
from pathlib import Path

# Directive -> the ServerConfig fields it sets (merged per vhost).
FIELDS = {
    "SNIFallbackFingerprint": ["fingerprint"],
    "SNIFallbackLog": ["log_target"],
    "SNIFallbackLogFormat": ["log_format"],
    "SNIFallbackInventorySize": ["inventory_size"],
    "SNIFallbackCertificate": ["fallback_name", "fallback_port", "fallback_set_in"],
    "SNIFallbackAction": ["action_set", "action", "notice_file", "notice_body", "redirect_url",
                          "redirect_origin", "redirect_status", "route_name"],
    "SNIFallbackNoticeStatus": ["notice_status"],
    "SNIFallbackExempt": ["exemptions"],
    "SNIFallbackProbePixel": ["probe_pixel"],
    "SNIFallbackProbeSuccess": ["probe_success"],
    "SNIFallbackProbeFailure": ["probe_failure"],
}


def main() -> int:
    root = Path(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).resolve().parent.parent)
    glue = root / "mod_snifallback" / "httpd"
    config_cpp = (glue / "config.cpp").read_text()
    merge_code = config_cpp[config_cpp.index("merge_server_config("):]
    actions_cpp = (glue / "actions.cpp").read_text()
    merge_code += actions_cpp[actions_cpp.index("void merge_actions("):]
    glue_h = (glue / "glue.h").read_text()
    server_config = glue_h[glue_h.index("struct ServerConfig {"):]
    server_config = server_config[:server_config.index("\n};")]
    readme = (root / "README.md").read_text()
    conf = (root / "conf" / "snifallback.conf").read_text()

    directives = re.findall(r'(?:SNIF_TAKE1|AP_INIT_[A-Z_0-9]+)\(\s*"(SNIFallback\w+)"', config_cpp)
    problems = []
    if not directives:
        problems.append("no directives found in config.cpp (has the command table moved?)")
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
        fields = FIELDS.get(name)
        if fields is None:
            problems.append(f"{name}: not in FIELDS of scripts/check_directives.py "
                            "(which ServerConfig fields does it set, and how do they merge?)")
            continue
        for field in fields:
            if not re.search(rf"\b{field}\b", server_config):
                problems.append(f"{name}: ServerConfig has no field '{field}'")
            if not re.search(rf"config(?:->|\.){field}\s*=", merge_code):
                problems.append(f"{name}: '{field}' is not assigned in the merge code")
    for name in FIELDS:
        if name not in directives:
            problems.append(f"{name}: in FIELDS but not a directive any more")

    for p in problems:
        print("FAIL:", p)
    print(f"{len(directives)} directives checked, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
