"""What the servers wrote: the module's no-SNI log (one JSON object a line) and the lines of the
error log that mean a crash or a warning."""
from __future__ import annotations

import json
import re

# Error-log lines that mean a child process died of a signal (httpd: AH00052 "child pid N exit
# signal Segmentation fault (11)"), left a core, or a sanitizer spoke.
CRASH = re.compile(r"exit signal|child pid \d+ exit signal|Segmentation fault|AH00052|"
                   r"dumped core|AddressSanitizer|runtime error:")


def json_records(text: str) -> tuple[list[dict], list[str]]:
    """(records, invalid lines): every line of `text` that is one JSON object, and the others."""
    records, invalid = [], []
    for line in text.splitlines():
        try:
            rec = json.loads(line)
            if not isinstance(rec, dict):
                raise ValueError("not an object")
        except ValueError:
            invalid.append(line)
            continue
        records.append(rec)
    return records, invalid


def crash_lines(error_log: str) -> list[str]:
    return [ln for ln in error_log.splitlines() if CRASH.search(ln)]


def level_lines(error_log: str, levels: tuple[str, ...] = ("warn", "error", "crit", "alert",
                                                           "emerg")) -> list[str]:
    """Error-log lines at one of `levels` (module-qualified levels such as `ssl:warn` too)."""
    pattern = re.compile(r"\[(?:[a-z_0-9]+:)?(" + "|".join(levels) + r")\]")
    return [ln for ln in error_log.splitlines() if pattern.search(ln)]
