"""The status path at 10,000 vhosts: how long one scrape of each status output takes on a server
of 10,000 name-based SSL vhosts on one address (rows 7a-7e).

The module's handler (`SetHandler snifallback-status`) in its three formats (HTML, `?json`,
`?metrics`) lists every vhost, so it is linear in the vhosts at best; mod_status's
`/server-status?auto` and its HTML page show only the module's totals, so they must not grow with
the vhosts at all. Before each timed scrape every format is fetched once (a warm-up), then each is
fetched REPS times, one at a time, interleaved, over a fresh TLS connection (SNI a.test); the
median is compared with its limit, and the run fails when one is over (`LIMITS` says why each
is what it is). Every scrape's status is checked (200) and its body is checked for what it must
show: the last vhost in the handler's outputs, the module's totals in mod_status's.
"""
from __future__ import annotations

import dataclasses
import statistics
import time
from pathlib import Path

from results import Row, log
from servers import SNI_VHOST, Apache, Site, flavours

from snifharness import apache
from snifharness.clients import https_get, parse_response
from snifharness.pki import Pki

VHOSTS = 10_000  # on the address, the two of every server included
REPS = 5
# apache2 with 10,000 SSL vhosts (one SSL_CTX each, built twice at start-up) takes a minute or
# two to answer natively on a 2-vCPU guest; a loaded machine is slower.
STARTUP_TIMEOUT = 900

STATUS_CONF = """LoadModule status_module @modules@/mod_status.so
<Location /snif-status>
    SetHandler snifallback-status
</Location>
<Location /server-status>
    SetHandler server-status
</Location>
"""

# (row, path, what it is, limit in ms, what the body must contain)
# The handler's outputs print every vhost: about 600 bytes of JSON per vhost, 6 MB at 10,000;
# a renderer linear in that takes tens of milliseconds, and 500 ms leaves room for a loaded
# machine while a walk that is quadratic in the vhosts (1,338 ms for ?json before this row
# existed) fails. mod_status's section prints the totals only: a few hundred bytes, whatever the
# vhosts, so 50 ms is already generous (a TLS handshake and mod_status's own scoreboard walk
# included).
LAST_SITE = f"site{VHOSTS}.example"
SCRAPES = (
    ("7a", "/snif-status?json", "snifallback-status ?json", 500, LAST_SITE),
    ("7b", "/snif-status", "snifallback-status HTML", 500, LAST_SITE),
    ("7c", "/snif-status?metrics", "snifallback-status ?metrics", 500,
     "snifallback_tls_connections_total "),
    ("7d", "/server-status?auto", "mod_status /server-status?auto", 50,
     "SNIFallbackConnectionsTLS: "),
    ("7e", "/server-status", "mod_status /server-status (HTML)", 50, "mod_snifallback"),
)


def sites(cert: Path, key: Path) -> tuple[Site, ...]:
    """site3.example ... site10000.example, after default.test and a.test."""
    return tuple(Site(f"site{i}.example", (f"www.site{i}.example",), cert, key)
                 for i in range(3, VHOSTS + 1))


def scrape(port: int, path: str, must: str) -> tuple[float, int]:
    """One scrape on a fresh connection: seconds, bytes of the body."""
    started = time.monotonic()
    raw = https_get(port, path, sni=SNI_VHOST, timeout=120)
    took = time.monotonic() - started
    r = parse_response(raw)
    if r.status != 200 or must not in r.body:
        raise RuntimeError(f"status: {path} answered {r.status} without {must!r}")
    return took, len(r.body)


def status(args, workdir: Path, pki: Pki, rows: list[Row]) -> None:
    log(f"== status: one scrape of each status output at {VHOSTS:,} SSL vhosts ({REPS} each)")
    cert, key = pki.leaf("sites.example", sans=["*.example"])
    fl = flavours(args.action)["module"]
    fl = dataclasses.replace(fl, name="module_status")
    s = Apache(workdir / "status", pki, args.module, fl, args.threads, "resumable",
               extra_conf=STATUS_CONF.replace("@modules@", str(apache.MODULES_DIR)),
               sites=sites(cert, key))
    started = time.monotonic()
    s.start(timeout=STARTUP_TIMEOUT)
    https_get(s.port, sni=SNI_VHOST, timeout=STARTUP_TIMEOUT)
    log(f"  {VHOSTS:,} vhosts: answered {time.monotonic() - started:.0f} s after launch")
    times: dict[str, list[float]] = {path: [] for _, path, *_ in SCRAPES}
    sizes: dict[str, int] = {}
    try:
        for _, path, _, _, must in SCRAPES:
            scrape(s.port, path, must)  # warm-up
        for _ in range(REPS):
            for _, path, _, _, must in SCRAPES:
                took, sizes[path] = scrape(s.port, path, must)
                times[path].append(took)
    finally:
        s.stop()
    for item, path, what, limit, _ in SCRAPES:
        ms = [1000 * t for t in times[path]]
        median = statistics.median(ms)
        log(f"  {item} {what}: median {median:,.1f} ms ({min(ms):,.1f}-{max(ms):,.1f}), "
            f"{sizes[path]:,} bytes")
        row = Row(item, f"one scrape of {what} at {VHOSTS:,} vhosts, ms ({sizes[path]:,} bytes)",
                  f"{median:,.1f} ({min(ms):,.1f}–{max(ms):,.1f})", "–", 1.0, "–",
                  f"≤ {limit} ms", median <= limit)
        rows.append(row)
        if median > limit:
            args.limit_failures.append(f"status: {what} took {median:,.1f} ms at {VHOSTS:,} "
                                       f"vhosts (median of {REPS}; limit {limit} ms)")
