"""Reads AddressSanitizer / UndefinedBehaviorSanitizer log files or valgrind logs and says which
reports are attributable to the module: a stack frame in mod_snifallback.so, a source path under
mod_snifallback/, or a snifallback:: function (valgrind names frames by function and file:line).

    /usr/bin/python3 report.py asan|valgrind FILE...

Prints every report (attributable ones first) and a summary line; exits 1 when any report is
attributable to the module, 0 otherwise.
"""
import re
import sys
from pathlib import Path

MODULE = re.compile(r"mod_snifallback\.so|/mod_snifallback/(core|httpd)/|snifallback::")


def asan_reports(text: str) -> list:
    """ASan errors (==PID==ERROR ... up to the next blank line after SUMMARY) and UBSan
    `runtime error:` lines with their stacks."""
    reports, current = [], None
    for line in text.splitlines():
        if re.match(r"==\d+==ERROR: ", line) or "runtime error:" in line:
            if current:
                reports.append(current)
            current = [line]
        elif current is not None:
            if line.strip() == "" and any(ln.startswith("SUMMARY:") for ln in current):
                reports.append(current)
                current = None
            elif line.startswith("    #") or line.startswith("SUMMARY:") or line.strip():
                current.append(line)
    if current:
        reports.append(current)
    return reports


def valgrind_reports(text: str) -> list:
    """Error and definite-leak blocks of a memcheck log (the lines between `==PID== ` blanks)."""
    reports, current = [], []
    for line in text.splitlines():
        body = re.sub(r"^==\d+== ?", "", line)
        if body.strip() == "":
            if current and any(re.match(r"\s+(at|by) 0x", ln) for ln in current):
                reports.append(current)
            current = []
        else:
            current.append(body)
    if current and any(re.match(r"\s+(at|by) 0x", ln) for ln in current):
        reports.append(current)
    # only errors and leaks, not the header (which also lists frames only rarely)
    return [r for r in reports if not r[0].startswith(("Memcheck,", "Copyright", "Command:",
                                                       "HEAP SUMMARY", "LEAK SUMMARY"))]


def main() -> int:
    kind, files = sys.argv[1], sys.argv[2:]
    reports = []
    for f in files:
        text = Path(f).read_text(errors="replace")
        reports += (asan_reports if kind == "asan" else valgrind_reports)(text)
    mine = [r for r in reports if any(MODULE.search(ln) for ln in r)]
    others = [r for r in reports if r not in mine]
    for title, group in (("ATTRIBUTABLE TO THE MODULE", mine), ("elsewhere (httpd, APR, "
                                                                   "OpenSSL, libc)", others)):
        if group:
            print(f"--- {len(group)} report(s) {title}:")
            for r in group[:20]:
                print("\n".join(r[:25]))
                print()
    print(f"{kind}: {len(reports)} report(s) in {len(files)} file(s), "
          f"{len(mine)} attributable to mod_snifallback")
    return 1 if mine else 0


if __name__ == "__main__":
    sys.exit(main())
