"""Figures of the benchmark: series of repetitions, the rows of the summary table, the table."""
from __future__ import annotations

import statistics
import sys
from dataclasses import dataclass, field


def log(msg: str) -> None:
    """Progress, on stderr (the results go to stdout)."""
    print(msg, file=sys.stderr, flush=True)


def fmt(x: float) -> str:
    return f"{x:,.0f}" if x >= 100 else f"{x:.3g}"


@dataclass
class Series:
    values: list[float] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(self.values)

    def spread(self) -> str:
        return f"{fmt(min(self.values))}–{fmt(max(self.values))}"


@dataclass
class Row:
    item: str
    what: str
    module: str
    other: str
    ratio: float
    spread: str
    target: str
    met: bool | None
    note: str = ""
    cpu: str = "–"
    mix: str = "–"     # the handshake mix counted in the access logs: module's · other's


def throughput_row(item: str, what: str, mod: Series, other: Series, other_name: str,
                   target: float, need_overlap: bool) -> Row:
    # The ratio judged is the median of the per-repetition ratios: both runs of a repetition
    # are minutes apart at most, so a load that comes and goes hits them alike more often than
    # it hits two medians taken from different repetitions.
    pairs = [m / o for m, o in zip(mod.values, other.values)]
    ratio = statistics.median(pairs)
    overlap = min(mod.values) <= max(other.values) and min(other.values) <= max(mod.values)
    met = ratio >= target and (overlap or not need_overlap or ratio >= 1)
    tgt = f"≥ {target:g}" + (" & overlap" if need_overlap else "")
    return Row(item, what, f"{fmt(mod.median)} ({mod.spread()})",
               f"{other_name} {fmt(other.median)} ({other.spread()})", ratio,
               f"{min(pairs):.3f}–{max(pairs):.3f}; of medians {mod.median / other.median:.3f}",
               tgt, met, "" if overlap else "spreads do not overlap")


def table(rows: list[Row]) -> str:
    out = ["| # | measurement | handshake mix (module · other) | module: median (min–max) | "
           "other: median (min–max) | ratio module/other (median of repetitions) | "
           "spread of ratios / detail | server CPU per request, other/module | target | met |",
           "|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        met = "n/a" if r.met is None else ("yes" if r.met else "**no**")
        if r.note:
            met += f" ({r.note})"
        out.append(f"| {r.item} | {r.what} | {r.mix} | {r.module} | {r.other} | **{r.ratio:.3f}** | "
                   f"{r.spread} | {r.cpu} | {r.target} | {met} |")
    return "\n".join(out)
