"""snifallback-report's table computed a second way, in plain Python, for the tests to compare with
the tool: the same rules (README "The retirement report"), written independently of the C++.

`rows(lines_by_server)` takes {server id: [line, ...]} and returns {(class, ja4): Row}; lines that
are not records are skipped (the tool counts them as bad lines)."""
from __future__ import annotations

import datetime
import json
from dataclasses import dataclass, field


@dataclass
class Row:
    connections: int = 0
    failed: int = 0
    requests: int = 0
    breaks: int = 0
    addresses: set = field(default_factory=set)
    servers: set = field(default_factory=set)
    days: set = field(default_factory=set)

    def summary(self) -> dict:
        return {"connections": self.connections, "failed": self.failed,
                "requests": self.requests, "breaks": self.breaks,
                "addresses": len(self.addresses), "servers": sorted(self.servers),
                "days": len(self.days)}


def record_of(line: str) -> dict | None:
    """The record on a log line (a syslog prefix before it allowed), or None."""
    start = line.find("{")
    if start < 0:
        return None
    try:
        record = json.loads(line[start:])
    except ValueError:
        return None
    if not isinstance(record, dict) or "time" not in record or "event" not in record:
        return None
    return record


def syslog_host(line: str) -> str | None:
    """The host of an RFC 3164 / rsyslog file-format prefix: the word before the tag."""
    start = line.find("{")
    words = line[:start].split()
    if start > 0 and len(words) >= 2 and words[-1].endswith(":"):
        return words[-2]
    return None


def works_today(r: dict) -> bool:
    status = r.get("status")
    if status is not None and status >= 400:
        return False
    if r.get("action") == "exempt":
        return False
    return not (r.get("enforced") is True and r.get("action") in ("notice", "redirect"))


def rows(lines_by_server: dict[str, list[str]], per_server: bool = False) -> dict:
    out: dict = {}
    for server, lines in lines_by_server.items():
        for line in lines:
            r = record_of(line)
            if r is None or r["event"] not in ("handshake", "request"):
                continue
            cls = r.get("sni_class") or "no-sni"
            key = (cls, r.get("ja4") or "") + ((server,) if per_server else ())
            row = out.setdefault(key, Row())
            if r["event"] == "handshake":
                row.connections += 1
                row.failed += r.get("outcome") != "established"
            else:
                row.requests += 1
                row.breaks += works_today(r)
            if r.get("client_ip"):
                row.addresses.add(r["client_ip"])
            row.servers.add(server)
            row.days.add(datetime.datetime.fromisoformat(r["time"].replace("Z", "+00:00"))
                         .date())
    return out


def tool_rows(report: dict, per_server: bool = False) -> dict:
    """The same summary from the tool's --format json output."""
    out = {}
    for c in report["clients"]:
        key = (c["class"], c["ja4"] or "") + ((c["server"],) if per_server else ())
        out[key] = {"connections": c["connections"], "failed": c["failed"],
                    "requests": c["requests"], "breaks": c["breaks"],
                    "addresses": c["addresses"], "servers": c["servers"], "days": c["days"]}
    return out


def summaries(model: dict) -> dict:
    return {k: v.summary() for k, v in model.items()}
