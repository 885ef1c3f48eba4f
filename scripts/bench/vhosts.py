"""Instructions per full SNI handshake as the vhosts of the address grow from 5 to 5,000: the
module looks every SNI name up in an index of the names the address's vhosts serve, whose cost
must not grow with their number (core/name_index.h).

Two configurations of the same server: 5 and 5,000 name-based SSL vhosts on the one TLS address,
the two of every server (default.test, a.test) and generated sites after them (site<i>.example,
ServerAlias www.site<i>.example, every other one and the last also *.w<i>.example), which share
one certificate: mod_ssl builds an SSL_CTX per vhost all the same, so its own lookup walks 5,000
of them. The 5,000 are sites 3 to 5000, the 5 the last three of them: the clients of both send
the same names to the same last vhost, by its exact ServerAlias and by a name its wildcard alias
matches, and get the same certificate. Each is counted with the module and without it (the
baseline shows what httpd and mod_ssl pay for the vhosts themselves), per full handshake like
row 6a, and its mix proven.

The module runs as in row 6a, and also treats unknown names as fallback clients: had the index
missed a name, the client would be logged and answered 403 (the notice), and its count fails.
"""
from __future__ import annotations

import dataclasses
import time
from pathlib import Path

from callgrind import (Count, Counted, controller, count_row, counted, dump_file, measure,
                       short_name, start_under_callgrind)
from load import url_for
from results import Row, log
from servers import SNI_VHOST, Apache, Flavour, Site, flavours

from snifharness.clients import https_get
from snifharness.pki import Pki

SIZES = (5, 5000)       # vhosts on the address, the two of every server included
FIRST_SITE = 3          # vhosts 1 and 2 are default.test and a.test
LAST_SITE = max(SIZES)  # the last vhost of every size, which the clients name
# What the clients send (SNI and Host): the last vhost's ServerAlias, and a name that only its
# wildcard ServerAlias matches. The wildcard suffixes of the sites have as many lengths as their
# numbers have digits (".w3.example" to ".w5000.example"), as a real configuration's suffixes
# differ in length: the index probes its suffix table once per distinct length.
CLIENT_NAMES = {"exact": f"www.site{LAST_SITE}.example", "wildcard": f"x.w{LAST_SITE}.example"}
NAMES = tuple(CLIENT_NAMES)
# apache2 -X under callgrind with 5,000 SSL vhosts answers its first request after about 3
# minutes on a 2-vCPU guest (natively 30-50 s), with or without the module: mostly OpenSSL, as
# mod_ssl configures an SSL_CTX per vhost in both start-up passes. A loaded machine is slower.
STARTUP_TIMEOUT = 1200


def sites(n: int, cert: Path, key: Path) -> tuple[Site, ...]:
    """The generated vhosts of the configuration of `n`: the last n - 2 sites up to LAST_SITE."""
    out = []
    for i in range(LAST_SITE - n + FIRST_SITE, LAST_SITE + 1):
        aliases = (f"www.site{i}.example",)
        if i % 2 or i == LAST_SITE:
            aliases += (f"*.w{i}.example",)
        out.append(Site(f"site{i}.example", aliases, cert, key))
    return tuple(out)


def flavour(args, name: str) -> Flavour:
    """The flavour `name` of the other counts; the module's also with unknown names fallback
    clients, so that a name the index missed shows (403 and a record)."""
    fl = flavours(args.action)[name]
    if not fl.load_module:
        return fl
    return dataclasses.replace(fl, global_extra=fl.global_extra
                               + "SNIFallbackClients no-sni ip-literal unknown-name\n")


def start(s: Apache, cg: Path) -> tuple[list[str], float]:
    """Starts `s` under callgrind and waits for its first answer: it accepts connections long
    before it serves them (its listener is open during start-up). Returns start_under_callgrind's
    prefix, and the seconds from launch (apache2 -t included) to the first answer."""
    started = time.monotonic()
    as_user = start_under_callgrind(s, cg, timeout=STARTUP_TIMEOUT)
    https_get(s.port, sni=SNI_VHOST, timeout=STARTUP_TIMEOUT)
    return as_user, time.monotonic() - started


def count_size(args, workdir: Path, pki: Pki, n: int, name: str, startup: dict[str, float]
               ) -> dict[str, Counted]:
    """Both clients' counts on one server of `n` vhosts (started once: dumps 1 and 2)."""
    # One certificate for every site: the same handshake, whatever the size.
    cert, key = pki.leaf("sites.example", sans=["*.example", *CLIENT_NAMES.values()])
    s = Apache(workdir / f"vhosts-{n}-{name}", pki, args.module, flavour(args, name),
               args.threads, "full", sites=sites(n, cert, key))
    cg = s.root / "callgrind.out"
    as_user, startup[f"{name}:{n}"] = start(s, cg)
    log(f"  {n:,} vhosts, {name}: apache2 -X under callgrind answered its first request "
        f"{startup[f'{name}:{n}']:.1f} s after launch")
    c = Count(name, "sni", "full")
    mixes = {}
    try:
        for what in NAMES:
            mixes[what] = measure(s, c, args.cg_handshakes, "2xx", controller(as_user, s.proc.pid),
                                  url_for(s.port, CLIENT_NAMES[what]))
        fallback_records = s.log_lines("nosni.log")
    finally:
        s.stop()
    if fallback_records:
        raise RuntimeError(f"{n:,} vhosts: the module logged {fallback_records} fallback "
                           f"clients; the index missed a name of {CLIENT_NAMES}")
    return {what: counted(dump_file(cg, i), None, args.cg_handshakes, mixes[what],
                          c.flavour == "module") for i, what in enumerate(NAMES, 1)}


def tolerance(own_at_5: float) -> float:
    """How many more of the module's own instructions per SNI handshake 5,000 vhosts may cost.

    The clients send the same names at both sizes, so the module's work can differ only where
    the index's tables differ. A lookup that walked the vhosts or their names would cost at
    least a comparison per name: some 12,500 names at 5,000 vhosts, tens of thousands of
    instructions, far above this. What differs without any walk is where the name's hash lands:
    linear probing passes a few occupied slots (the tables are at most half full, at any size),
    and at the other size they hold other names; one of the same length costs a comparison up
    to the first differing character (about 10 instructions a character). 10% of the module's
    count (~170 of ~1,700 here) allows one or two of those, and the floor of 100 keeps one
    allowed should the module's own count be small. One more probe of a table per handshake
    (a hash and a comparison of a 15-character name, ~200 instructions) is more: a lookup
    that probes more often at 5,000 vhosts than at 5 fails the run."""
    return max(0.10 * own_at_5, 100.0)


def check(args, out: dict[str, Counted]) -> None:
    """Fails the run when the module's own cost per SNI handshake grows with the vhosts."""
    small, large = min(SIZES), max(SIZES)
    for what in NAMES:
        a, b = out[f"module:{small}:{what}"].own, out[f"module:{large}:{what}"].own
        if b - a > tolerance(a):
            args.limit_failures.append(
                f"vhosts: the module's own instructions per SNI handshake ({what} name) grow "
                f"from {a:,.0f} at {small:,} vhosts to {b:,.0f} at {large:,} "
                f"(+{b - a:,.0f}; tolerated +{tolerance(a):,.0f})")


def own_row(out: dict[str, Counted], item: str, what: str) -> Row:
    """The module's own instructions per SNI handshake, 5,000 vhosts against 5."""
    small, large = min(SIZES), max(SIZES)
    a, b = out[f"module:{small}:{what}"].own, out[f"module:{large}:{what}"].own
    name = "the last vhost's ServerAlias" if what == "exact" else "a name its wildcard matches"
    row = Row(item, f"module's own instructions per full SNI handshake, {large:,} vhosts vs "
              f"{small:,} ({name})", f"{b:,.0f}", f"{small:,} vhosts {a:,.0f}", b / a,
              f"{b - a:+,.0f} instructions", "≤ +10% or +100", b - a <= tolerance(a))
    row.mix = (f"{out[f'module:{large}:{what}'].mix.describe()} · "
               f"{out[f'module:{small}:{what}'].mix.describe()}")
    return row


def add_rows(out: dict[str, Counted], rows: list[Row]) -> None:
    large = max(SIZES)
    rows += [own_row(out, "6g", "exact"), own_row(out, "6g-w", "wildcard")]
    for item, what in (("6h", "exact"), ("6h-w", "wildcard")):
        rows.append(count_row(out, item, f"instructions per full SNI handshake, {large:,} vhosts "
                              f"({what} name): module vs none", f"module:{large}:{what}",
                              f"none:{large}:{what}", "no module"))


def print_counts(args, out: dict[str, Counted], startup: dict[str, float]) -> None:
    print(f"\n### Instructions per full SNI handshake by number of vhosts (callgrind, apache2 -X, "
          f"{args.cg_handshakes} measured connections each, warm-up excluded)")
    print("| vhosts | SNI and Host | handshake mix (module · none) | no module | module | "
          "module's own code |")
    print("|---|---|---|---|---|---|")
    for n in SIZES:
        for what, name in CLIENT_NAMES.items():
            mod, base = out[f"module:{n}:{what}"], out[f"none:{n}:{what}"]
            d = 100 * (mod.per_unit - base.per_unit) / base.per_unit
            print(f"| {n:,} | {name} ({what}) | {mod.mix.describe()} · {base.mix.describe()} | "
                  f"{base.per_unit:,.0f} | {mod.per_unit:,.0f} ({d:+.2f}%) | {mod.own:,.0f} |")
    print("\nStart-up under callgrind, launch to first answer: " + "; ".join(
        f"{n:,} vhosts: no module {startup[f'none:{n}']:.0f} s, module "
        f"{startup[f'module:{n}']:.0f} s" for n in SIZES))
    for what in NAMES:
        key = f"module:{max(SIZES)}:{what}"
        print(f"\nThe module's functions per handshake ({key}; inclusive):")
        for cost, fn in out[key].functions[:10]:
            print(f"    {cost:>10,.0f}  {short_name(fn)[:150]}")


def vhosts(args, workdir: Path, pki: Pki, rows: list[Row]) -> None:
    log(f"== vhosts: instructions per full SNI handshake with {' and '.join(map(str, SIZES))} "
        f"vhosts on the address ({args.cg_handshakes} handshakes per count, apache2 -X)")
    out: dict[str, Counted] = {}
    startup: dict[str, float] = {}
    for n in SIZES:
        for name in ("none", "module"):
            for what, counted_ in count_size(args, workdir, pki, n, name, startup).items():
                key = f"{name}:{n}:{what}"
                out[key] = counted_
                problem = counted_.mix.problem()
                if problem:
                    args.mix_problems.append(f"vhosts {key}: {problem}")
                log(f"  {key}: {counted_.per_unit:,.0f} instructions per handshake (module's "
                    f"own {counted_.own:,.0f}); {counted_.mix.describe()}")
    print_counts(args, out, startup)
    add_rows(out, rows)
    check(args, out)
