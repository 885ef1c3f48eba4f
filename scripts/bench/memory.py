"""Memory: the resident set of the apache2 child after many connections, with and without the
module. The servers keep no sessions, so every connection is a full handshake (the module's
certificate callback included); the access logs prove it."""
from __future__ import annotations

from pathlib import Path

from load import h2load_run, url_args
from mix import Mix
from results import Row, log
from servers import Apache, flavours

from snifharness.pki import Pki
from snifharness.process import rss_kib


def grow(args, s: Apache, name: str, mix: Mix) -> list[tuple[int, int]]:
    """(connections so far, VmRSS KiB of the child) after a warm-up and after each fifth of the
    connections, alternating no-SNI (the module's work) and SNI connections."""
    points = []
    done = 0
    # Warm-up: 1,000 handshakes (half without SNI, half with), then the bulk in steps.
    for n in [1000] + [args.mem_connections // 5] * 5:
        half = n // 2
        for sni, count in ((False, half), (True, n - half)):
            code = "4xx" if (args.action == "notice" and not sni and name == "module") else "2xx"
            s.access.mark()
            _, answered = h2load_run(["--h1", "-c16", f"-n{count}", "-H", "Connection: close",
                                      *url_args(s.port, sni)], code)
            mix.add(*s.access.count(requests=answered))
        done += n
        points.append((done, rss_kib(s.child())))
    return points


def memory(args, workdir: Path, pki: Pki, rows: list[Row]) -> None:
    log(f"== memory: resident set of the apache2 child after {args.mem_connections:,} connections")
    result, mixes = {}, {}
    fl = flavours(args.action)
    for name in ("none", "module"):
        s = Apache(workdir / "mem", pki, args.module, fl[name], args.threads, "full")
        s.start()
        mixes[name] = Mix("full")
        try:
            result[name] = grow(args, s, name, mixes[name])
        finally:
            s.stop()
        log(f"  {name}: " + ", ".join(f"{d:,} conns → {kib / 1024:.1f} MiB"
                                      for d, kib in result[name]) + f"; {mixes[name].describe()}")
        if mixes[name].problem():
            args.mix_problems.append(f"memory {name}: {mixes[name].problem()}")
    base = {k: v[0][1] for k, v in result.items()}
    end = {k: v[-1][1] for k, v in result.items()}
    growth = {k: end[k] - base[k] for k in result}
    print("\n### Memory (VmRSS of the single apache2 child)")
    for k in result:
        print(f"- {k}: after warm-up {base[k] / 1024:.1f} MiB, after {result[k][-1][0]:,} "
              f"connections {end[k] / 1024:.1f} MiB (growth {growth[k]:+,} KiB)")
    extra = growth["module"] - growth["none"]
    # "No growth attributable to the module": allow page-level jitter (256 KiB).
    row = Row("7", f"RSS of the child after {args.mem_connections:,} connections (MiB)",
              f"{end['module'] / 1024:.1f} (growth {growth['module']:+,} KiB)",
              f"no module {end['none'] / 1024:.1f} (growth {growth['none']:+,} KiB)",
              end["module"] / end["none"], f"extra growth {extra:+,} KiB",
              "no growth beyond fixed", extra <= 256)
    row.mix = f"{mixes['module'].describe()} · {mixes['none'].describe()}"
    rows.append(row)
