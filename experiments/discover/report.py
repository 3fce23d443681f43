"""The report of a `discover` folder: discovery.md, its figures and the terminal summary, from its tables.

discovery.md says, per package, in how many worlds it fails under the rule,
then each PRIM box in words a planner reads ("fails when other provinces:
subsidy is above CNY 45,000 per job and southern costs: wage growth is below
5% a year: 82% of the failures, 88% of the worlds in the box fail"), a table
of its restrictions with their quasi-p values and reproducibility, and what
CART's failure leaves say beside it. A package that never (or always) fails
is said to, plainly, with no box forced on it. The tables are read by
experiments.discover.read; the figures are experiments.discover.figures.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from experiments.discover import figures
from experiments.discover.boxes import Box, Restriction
from experiments.discover.columns import ALWAYS, NEVER, NO_BOX
from experiments.discover.read import Discovery, PackageResult, read_discovery
from experiments.engine.report import Report
from model.keys import COEFFICIENT_UNITS
from model.outcomes import percent_text
from report.markdown import document, image, table
from report.read import Factor

if TYPE_CHECKING:
    from matplotlib.figure import Figure

WEAK_QP = 0.05  # a restriction with a larger quasi-p is called weak
FEW_WORLDS = 100  # fewer worlds than this: boxes are rough


# --------------------------------------------------------------------------- words


def value_text(f: Factor, value: float) -> str:
    """One uncertainty value as people read it: CNY with its per-unit, shares in %, coefficients bare."""
    if f.money is not None:
        per = f.unit.removeprefix("yuan").strip()
        return f"{f.text(value)}{' ' + per if per else ''}"
    if f.unit.startswith("share"):
        per = f.unit.removeprefix("share").strip()
        return percent_text(value) + (" a year" if per == "per year" else f" {per}" if per else "")
    if not f.unit or "utility" in f.unit or f.unit in COEFFICIENT_UNITS.values():  # a coefficient: bare
        return f.text(value)
    return f"{f.text(value)} {f.unit}"


def _lower(text: str) -> str:
    return text[:1].lower() + text[1:] if text[:2] != text[:2].upper() else text


def restriction_text(f: Factor, r: Restriction, *, weak: bool | None = None) -> str:
    """`other provinces: subsidy is above CNY 45,000 per job`; `weak` True (False) keeps only the sides whose
    quasi-p is above (at most) WEAK_QP, None keeps both; empty when no side is kept."""
    sides = []
    if r.low_restricted:
        sides.append(("above", r.low, r.qp_low))
    if r.high_restricted:
        sides.append(("below", r.high, r.qp_high))
    if weak is not None:
        sides = [s for s in sides if (math.isfinite(s[2]) and s[2] > WEAK_QP) == weak]
    label = _lower(f.label)
    if len(sides) == 2:
        return f"{label} is between {value_text(f, r.low)} and {value_text(f, r.high)}"
    if len(sides) == 1:
        return f"{label} is {sides[0][0]} {value_text(f, sides[0][1])}"
    return ""


def pct(share: float) -> str:
    return "–" if not math.isfinite(share) else f"{share * 100:.0f}%"


def box_text(d: Discovery, box: Box) -> str:
    """The box in one sentence: where the package fails, what share of its failures that is, how dense."""
    strong = [t for r in box.restrictions if (t := restriction_text(d.factor(r.dimension), r, weak=False))]
    weak = [t for r in box.restrictions if (t := restriction_text(d.factor(r.dimension), r, weak=True))]
    if strong:
        where = " and ".join(strong)
        if weak:
            where += f" (weaker restrictions, quasi-p above {WEAK_QP}: {'; '.join(weak)})"
    else:
        where = f"{' and '.join(weak)} (every restriction weak: quasi-p above {WEAK_QP})" if weak else "anywhere"
    return (
        f"fails when {where}: {pct(box.coverage)} of the failures, {pct(box.density)} of the worlds in the box "
        f"fail ({box.worlds} worlds, {pct(box.mass)} of all)"
    )


def verdict_text(p: PackageResult) -> str:
    """The package's headline: how often it fails, and the first box or why there is none."""
    head = f"fails in {p.failed_worlds} of {p.judged} worlds ({pct(p.failed_worlds / max(p.judged, 1))})"
    if p.verdict == NEVER:
        return f"never fails: {p.rule_words()} in none of the {p.judged} worlds"
    if p.verdict == ALWAYS:
        return f"always fails: {p.rule_words()} in every one of the {p.judged} worlds"
    if p.verdict == NO_BOX:
        return f"{head}; PRIM finds no region where the failures concentrate"
    return head


def _limit_text(f: Factor, value: float, qp: float, restricted: bool) -> str:
    """A restricted side: its limit and quasi-p (`3.43% a year (0.47, weak)`); a dash for a free side."""
    if not restricted:
        return "–"
    text = value_text(f, value)
    if not math.isfinite(qp):
        return text
    return f"{text} ({qp:.2g}{', weak' if qp > WEAK_QP else ''})"


def _reproduce_text(r: Restriction) -> str:
    if not (math.isfinite(r.reproduce_coverage_pct) and math.isfinite(r.reproduce_density_pct)):
        return "–"
    return f"{r.reproduce_density_pct:.0f}% / {r.reproduce_coverage_pct:.0f}%"


def restriction_rows(d: Discovery, box: Box) -> list[list[str]]:
    rows = []
    for r in box.restrictions:
        f = d.factor(r.dimension)
        low = _limit_text(f, r.low, r.qp_low, r.low_restricted)
        high = _limit_text(f, r.high, r.qp_high, r.high_restricted)
        rows.append([f.label, low, high, _reproduce_text(r)])
    return rows


def cart_text(d: Discovery, p: PackageResult) -> list[str]:
    """What CART's failure leaves say beside PRIM's first box."""
    if not p.cart:
        return ["CART (cross-check) finds no leaf where most worlds fail."]
    first = p.prim[0] if p.prim else None
    leaf = p.cart[0]
    dims = {r.dimension for r in leaf.restrictions}
    lines = [f"CART (cross-check): its largest failure leaf {box_text(d, leaf)}."]
    if first is not None:
        prim_dims = {r.dimension for r in first.restrictions}
        if dims == prim_dims:
            lines.append("It restricts the same dimensions as PRIM's first box.")
        else:
            both = sorted(d.factor(k).label for k in dims & prim_dims)
            only_cart = sorted(d.factor(k).label for k in dims - prim_dims)
            only_prim = sorted(d.factor(k).label for k in prim_dims - dims)
            said = [f"both restrict {', '.join(both)}" if both else "they share no restricted dimension"]
            if only_cart:
                said.append(f"CART also {', '.join(only_cart)}")
            if only_prim:
                said.append(f"PRIM also {', '.join(only_prim)}")
            lines.append(f"It differs from PRIM's first box: {'; '.join(said)}.")
    if len(p.cart) > 1:
        lines.append(f"CART has {len(p.cart)} failure leaves (boxes.csv, method cart).")
    return [" ".join(lines)]


# --------------------------------------------------------------------------- Markdown


def package_section(d: Discovery, p: PackageResult, drawn: set[str]) -> list[str]:
    lines = [f"## {p.name}", "", f"**{p.name} {verdict_text(p)}.**"]
    if p.undefined_worlds:
        lines += ["", f"{p.undefined_worlds} worlds have no value of the rule's metric and are left out."]
    if p.prim:
        rate = pct(p.failed_worlds / max(p.judged, 1))
        lines += [
            "",
            f"Over all worlds {rate} fail: a box says something when its density is well above that and its "
            f"restrictions are significant (quasi-p at most {WEAK_QP}) and reproduced by most resamples.",
        ]
    for box in p.prim:
        lines += ["", f"### Box {box.index}", "", f"{p.name} {box_text(d, box)}."]
        if not box.meets_density:
            lines += [
                "",
                f"No step of the peeling trajectory reaches a density of {pct(p.density_min)}: this is the densest "
                "box, and the failures are spread more widely than it.",
            ]
        headers = ["Uncertainty", "Above (quasi-p)", "Below (quasi-p)", "Reproduced (density / coverage match)"]
        lines += ["", *table(headers, restriction_rows(d, box), "lrrr")]
    if p.prim:
        lines += ["", *cart_text(d, p)]
    for name, alt, caption in figures.captions(p):
        if name in drawn:
            lines += ["", *image(f"plots/{name}", alt, caption)]
    return lines


def markdown(d: Discovery, drawn: set[str]) -> str:
    first = d.packages[0]
    worlds, reps = first.worlds, first.replications
    intro = [
        f"{worlds} worlds (a Latin hypercube over the uncertainties below) × {reps} replication(s). In each world "
        "the base and every package run on the same seeds (common random numbers), so a package's change in a "
        "world is due to its levers, not to the dice. A package **fails** in a world when "
        f"{first.rule_words()} (mean over the world's replications).",
        "",
        "PRIM (EMA Workbench) finds the boxes of the uncertainty space where the failures concentrate; CART is a "
        "cross-check. *Coverage*: the share of all failing worlds inside a box. *Density*: the share of the worlds "
        "inside a box that fail. *Quasi-p*: how likely a restriction's gain in density is by chance (one-sided "
        "binomial test; above 0.05 the restriction is weak). *Reproduced*: in how many of PRIM's reruns on random "
        "halves of the worlds the box nearest in density (and in coverage) restricts the dimension again.",
    ]
    if worlds < FEW_WORLDS:
        intro += ["", f"**Only {worlds} worlds: the boxes are rough; use 1,000 or more for a real run.**"]
    ranges = [
        [f.label, f.unit or "–", " to ".join(value_text(f, float(v)) for v in f.span if isinstance(v, float))]
        for f in d.factors
    ]
    sections: list[list[str]] = [intro, ["## Uncertainties", "", *table(["Uncertainty", "Unit", "Range"], ranges)]]
    summary = [[p.name, f"{p.failed_worlds} of {p.judged}", _first_box(d, p)] for p in d.packages]
    short = ["## In short", "", *table(["Package", "Failing worlds", "Where it fails"], summary, "lrl")]
    if figures.CHANGES in drawn:
        short += ["", *image(f"plots/{figures.CHANGES}", "Change in each world", figures.CHANGES_CAPTION)]
    sections.append(short)
    sections += [package_section(d, p, drawn) for p in d.packages]
    sections.append(
        [
            "## What the boxes do and do not say",
            "",
            "- A box describes where failures are in the sampled ranges; it is not a forecast of which world comes. "
            "The ranges are assumptions (experiment file), not a calibration posterior.",
            "- With few replications a world near the rule's bound may fail by simulation noise alone; such worlds "
            "blur a box's edges rather than move it.",
            "- Files: `worlds.csv`, `outcomes.csv` (every run, paired), `packages.csv`, `boxes.csv` (one row per "
            "box and restricted dimension; method prim or cart), `trajectory.csv`, `factors.csv`.",
        ]
    )
    return document("Scenario discovery: when does a package fail?", *sections)


def _first_box(d: Discovery, p: PackageResult) -> str:
    if p.prim:
        return box_text(d, p.prim[0])
    return verdict_text(p)


class DiscoverReport(Report[Discovery]):
    """discovery.md, plots/changes.png, plots/tradeoff_<package>.png and plots/scatter_<package>.png, and the
    terminal summary."""

    document = "discovery.md"

    def read(self, folder: Path) -> Discovery:
        return read_discovery(folder)

    def figures(self, data: Discovery) -> Iterator[tuple[str, Figure]]:
        return figures.figures(data)

    def markdown(self, data: Discovery, figures: Sequence[Path]) -> str:
        return markdown(data, {p.name for p in figures})

    def summary(self, folder: Path) -> list[str]:
        d = read_discovery(folder)
        first = d.packages[0]
        lines = [
            f"discover: {first.worlds} worlds × {first.replications} replication(s), {len(d.packages)} package(s); "
            f"a package fails when {first.rule_words()} -> {folder}"
        ]
        for p in d.packages:
            text = f"  {p.name}: {verdict_text(p)}"
            if p.prim:
                text += f"; {box_text(d, p.prim[0])}"
            lines.append(text)
        return lines
