"""The report of an `optimise` folder: frontier.md (and .html), its figures and the terminal lines.

It leads with the answer a planner asked for (DESIGN §9): for each north-jobs
target (the problem's `targets`, else the certified packages' own north
changes), the least-cost certified package whose robust north change reaches
it, with its interval, the share of worlds in which it does, the levers it
uses and what it does to outside-province jobs. Then the certified front,
the packages dropped at confirmation and why, and how the search converged.
Everything is read from the folder's tables (experiments.optimise.tables).
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from experiments.engine.report import Report
from experiments.optimise.columns import COST, NORTH, OUTSIDE
from experiments.optimise.read import Front, Package, read_front
from model.keys import describe
from model.outcomes import metric
from report.markdown import document, image, table, with_ci
from report.package_words import levers_words

if TYPE_CHECKING:
    from matplotlib.figure import Figure

# --------------------------------------------------------------------------- words


def levers_text(front: Front, p: Package) -> str:
    """The package's decisions in words (report.package_words), the same as the app shows them."""
    return levers_words(p.decisions)


def is_status_quo(p: Package) -> bool:
    """A package whose north, outside and cost changes are 0 in every run: its levers do nothing."""
    return all(p.values[m] == (0.0, 0.0, 0.0) for m in (NORTH, OUTSIDE, COST))


def cell(m: str, v: tuple[float, float, float]) -> str:
    return with_ci(metric(m), *v, change=True)


def north_of(front: Front, p: Package) -> float:
    """The north-jobs change a target is compared with: the robust value, or the mean over the worlds when the
    robust value of north jobs is a share of worlds (probability robustness)."""
    rob = front.problem.get("robustness") or {}
    if (rob.get("probability") or {}).get("metric") == NORTH:
        return p.values[NORTH][0]
    return p.robust[NORTH][0]


def targets_of(front: Front) -> list[float]:
    given = [float(t) for t in front.problem.get("targets") or []]
    if given:
        return given
    norths = sorted({round(north_of(front, p), -3) for p in front.certified if north_of(front, p) > 0})
    if len(norths) <= 3:
        return norths
    return [norths[len(norths) // 4], norths[len(norths) // 2], norths[(3 * len(norths)) // 4]]


def answer_lines(front: Front) -> list[str]:
    lines = []
    robust = front.robust_words()
    certified = sorted(front.certified, key=lambda p: p.values[COST][0])
    if not certified:
        return [
            "**No package was certified**: every package of the search's front was beaten beyond noise or broke a "
            "constraint when re-run on fresh seeds (the tables below say which and why)."
        ]
    for t in targets_of(front):
        reach = [p for p in certified if north_of(front, p) >= t]
        if not reach:
            lines.append(f"- **{t:+,.0f} north-park jobs**: no certified package reaches it ({robust}).")
            continue
        p = reach[0]
        worlds = p.worlds.get(NORTH) or []
        share = sum(1 for x in worlds if x >= t) / len(worlds) if worlds else math.nan
        lines.append(
            f"- **{t:+,.0f} north-park jobs**: package `{p.key}` — {levers_text(front, p)}. "
            f"North-park jobs {cell(NORTH, p.values[NORTH])}, "
            f"outside-province jobs {cell(OUTSIDE, p.values[OUTSIDE])}, "
            f"fiscal cost {cell(COST, p.values[COST])}; {_worlds_text(share, len(worlds))}."
        )
    return lines


MIN_WORLDS_FOR_CORRELATION = 5


def _worlds_text(share: float, n: int) -> str:
    if n == 1:
        return "reaches the target in the one world" if share >= 1 else "misses the target in the one world"
    return f"reaches the target in {share:.0%} of the {n} worlds"


def answer_packages(front: Front) -> list[tuple[float, Package]]:
    """(target, the least-cost certified package reaching it) for each target some package reaches."""
    certified = sorted(front.certified, key=lambda p: p.values[COST][0])
    out = []
    for t in targets_of(front):
        reach = [p for p in certified if north_of(front, p) >= t]
        if reach:
            out.append((t, reach[0]))
    return out


def dependence_lines(front: Front) -> list[str]:
    """How much each answer's north change moves from world to world, and with which world settings."""
    n = len(next(iter(front.world_settings.values()), []))
    answers = answer_packages(front)
    if not answers or n < 2:
        return [
            "One world: the answer depends on the model's coefficients as set in the base scenario, and this "
            "run says nothing of how it would change with them."
        ]
    m = metric(NORTH)
    lines = [
        f"Each answer's change in north-park jobs in each of the {n} worlds (mean over the confirmation's "
        "replications), and the world settings it moves with most (Pearson's r over the worlds):",
        "",
    ]
    for t, p in answers:
        values = p.worlds.get(NORTH) or []
        if not values:
            continue
        lo, hi = min(values), max(values)
        line = (
            f"- target {t:+,.0f}, `{p.key}`: from {m.text(lo, change=True)} to {m.text(hi, change=True)} "
            f"across the worlds"
        )
        if n >= MIN_WORLDS_FOR_CORRELATION:
            corr = []
            for key, xs in front.world_settings.items():
                if len(set(xs)) > 1 and len(xs) == len(values) and len(set(values)) > 1:
                    corr.append((abs(_pearson(xs, values)), _pearson(xs, values), key))
            corr.sort(reverse=True)
            if corr:
                line += "; most with " + ", ".join(
                    f"{describe(k).label.lower()} (r = {r:+.2f})" for _, r, k in corr[:3]
                )
        lines.append(line + ".")
    lines += [
        "",
        f"With {n} worlds a correlation below about {2 / math.sqrt(n):.2f} in size is within what chance "
        "gives; these say where to look, not what causes what.",
    ]
    return lines


def _pearson(x: Sequence[float], y: Sequence[float]) -> float:
    mx, my = sum(x) / len(x), sum(y) / len(y)
    sxy = sum((a - mx) * (b - my) for a, b in zip(x, y, strict=True))
    sxx = sum((a - mx) ** 2 for a in x)
    syy = sum((b - my) ** 2 for b in y)
    return sxy / math.sqrt(sxx * syy) if sxx > 0 and syy > 0 else math.nan


class OptimiseReport(Report[Front]):
    document = "frontier.md"

    def read(self, folder: Path) -> Front:
        return read_front(folder)

    def figures(self, data: Front) -> Iterator[tuple[str, Figure]]:
        from experiments.optimise import figures

        if data.packages:
            yield "frontier.png", figures.frontier(data)
            if data.certified:
                yield "decisions.png", figures.decisions(data)
        if data.convergence:
            yield "convergence.png", figures.convergence(data)

    def markdown(self, data: Front, figures: Sequence[Path]) -> str:
        s, p = data.search, data.problem
        names = {f.name for f in figures}
        window = "over the report window (2024–2035 in the shipped scenarios)"
        ens = s.get("ensemble")
        intro = [
            f"Problem `{p['name']}`: {len(data.decisions)} decision(s), objectives "
            + ", ".join(metric(o).label.lower() for o in p["objectives"])
            + f"; {s['worlds']} world(s)"
            + (f" (posterior draws: {ens})" if ens else "")
            + f"; robustness: {data.robust_words()}. {p['firms'] or 'the base scenario’s'} firms per run; "
            f"changes are paired against the base on the same seeds and worlds, totals {window}.",
            "",
            f"The search evaluated {s['packages_evaluated']:,} packages ({s['package_blocks']:,} package-blocks of "
            f"{p['replications']} replication(s) per world) from {len(s['search_seeds'])} NSGA-II seed(s) over "
            f"{s['generations']} generation(s); its front and the next non-dominated layer "
            f"({len(s['front'])} package(s)) were re-run on {s['confirm_replications']} fresh seeds per world "
            f"and {len(s['certified'])} stayed certified.",
        ]
        if ens and "thin" in str(ens):
            intro += [
                "",
                f"**The posterior ensemble is thin ({ens})**: the worlds' spread understates what is not known.",
            ]
        answer = ["## The answer", "", *answer_lines(data), ""]
        answer += [
            "Intervals are 95 % percentile-bootstrap intervals over the worlds of the confirmation's runs: they "
            "cover the Monte-Carlo error and the spread of the worlds, not the uncertainty of the worlds' own "
            "ranges. A package is certified when no other beats it beyond noise on every objective (paired)."
        ]
        front_rows = []
        idle = [q for q in data.certified if is_status_quo(q)]
        for q in sorted(data.certified, key=lambda q: q.values[COST][0]):
            if q in idle:
                continue
            front_rows.append(
                [
                    f"`{q.key}`",
                    levers_text(data, q),
                    cell(NORTH, q.values[NORTH]),
                    cell(OUTSIDE, q.values[OUTSIDE]),
                    cell(COST, q.values[COST]),
                ]
            )
        heads = [
            "Package",
            "Levers",
            "North-park jobs (change)",
            "Outside-province jobs (change)",
            "Fiscal cost (change)",
        ]
        front = ["## The certified front", "", *(table(heads, front_rows) if front_rows else ["None."])]
        if idle:
            front += [
                "",
                f"Left out of the table: {', '.join(f'`{q.key}`' for q in idle)}, which change nothing in any run "
                "(their levers spend nothing): the status quo itself.",
            ]
        if "frontier.png" in names:
            front += [
                "",
                *image(
                    "plots/frontier.png",
                    "front",
                    "North-park jobs against fiscal cost, each a paired "
                    "change against the base with its 95 % interval; hollow: dropped at confirmation.",
                ),
            ]
        if "decisions.png" in names:
            front += [
                "",
                *image("plots/decisions.png", "decisions", "The decisions along the certified front, by fiscal cost."),
            ]
        dropped = [q for q in data.packages if not q.certified]
        drop_rows = [
            [
                f"`{q.key}`",
                levers_text(data, q),
                cell(NORTH, q.values[NORTH]),
                cell(COST, q.values[COST]),
                ("beaten beyond noise by " + ", ".join(f"`{b}`" for b in q.beaten_by))
                if q.beaten_by
                else f"broke {q.violations}",
            ]
            for q in dropped
        ]
        drop = [
            "## Dropped at confirmation",
            "",
            *(
                table(["Package", "Levers", "North-park jobs", "Fiscal cost", "Why"], drop_rows)
                if drop_rows
                else ["None."]
            ),
        ]
        depend = ["## How much the answer depends on the worlds", "", *dependence_lines(data)]
        conv = ["## Convergence", ""]
        if data.convergence:
            last = data.convergence[-1]
            conv.append(
                f"Last generation: {last['packages']:,.0f} packages evaluated, front of {last['front_size']:.0f}, "
                f"hypervolume {last['hypervolume']:.3f} (objectives scaled to the range of every package evaluated; "
                "reference point 1.1)."
            )
        if "convergence.png" in names:
            conv += ["", *image("plots/convergence.png", "convergence", "Hypervolume and front size by generation.")]
        return document(f"Least-cost robust packages: {p['name']}", intro, answer, front, depend, drop, conv)

    def summary(self, folder: Path) -> list[str]:
        data = read_front(folder)
        lines = [
            f"optimise {data.problem['name']}: {len(data.certified)} certified of {len(data.packages)} confirmed "
            f"packages ({data.search['packages_evaluated']} evaluated, {data.search['worlds']} world(s))"
        ]
        lines += [line.removeprefix("- ").replace("**", "").replace("`", "") for line in answer_lines(data)]
        lines.append(f"report: {folder / 'frontier.md'}")
        return lines
