"""Every label, unit and number of the sweep, waterfall and validation figures comes from the catalogue.

Synthetic sweeps (a line, a grid heatmap, an LHS scatter, main effects) and a synthetic attribution,
with money outcomes of a few CNY million and of billions, are drawn and every text of each figure is
read back: no metric id or dotted key path anywhere, the metric's catalogue label in its axis title, a
money axis's ticks in the unit its title names (CNY m or bn: never "0.000" bn for a few million), a zero
in a money heatmap reads "CNY 0" (not "CNY 0 bn"). The Sobol' figure of the validation report names the
parameters and levers by their labels (it showed `push.intercept` and `relocation_aid`), and the facts
panels name the models in words.
"""

from __future__ import annotations

import csv
import math
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from matplotlib.figure import Figure

import experiments.attribute.figures as waterfall
import experiments.sweep.figures as sweep_figures
from experiments.attribute.read import Attribution, Lever, Share, Total
from experiments.sweep.read import Point, Sweep
from experiments.validation.figures import plot_facts, plot_sobol
from experiments.validation.read import FactRow
from model.keys import describe
from model.outcomes import CATALOGUE, metric
from report.markdown import lever_label
from report.read import Estimate, Factor

METRIC_ID = re.compile(r"\b(" + "|".join(map(re.escape, CATALOGUE)) + r")\b")
DOTTED = re.compile(r"\b[a-z_]+\.[a-z_]+(\.[a-z_]+)*\b")
ZEROS = re.compile(r"^[+-]?0\.000+$")  # a few million on a bn axis
NOT_KEYS = re.compile(r"\b(i\.e|e\.g)\.|\b[\w-]+\.(md|csv|png|yaml|json)\b")  # abbreviations, file names
MONEY_UNIT = re.compile(r"\(CNY( m| bn)?( per job| per year)?\)")

BUDGET = Factor("policies.talent.annual_budget_yuan", "Talent attraction: Annual budget", "yuan per year")
AID = Factor("policies.relocation_aid.yuan_per_job", "Relocation aid: Payment per relocated job", "yuan per job")
COEF = Factor("behaviour.choice.talent", "Choice coefficient: talent", "a destination's appeal, per unit")
# outcome -> (base mean, per-point means): money of a few million, money of billions, a share, jobs
LEVELS = {
    "fiscal_cost_yuan": (3.0e6, (1.0e6, 2.5e6, 4.0e6, 3.0e6, 5.5e6, 2.0e6)),
    "cost_per_north_job_yuan": (4.0e4, (3.1e4, 4.2e4, 5.0e4, 4.0e4, 6.2e4, 3.6e4)),
    "north_share_jobs": (0.05, (0.04, 0.05, 0.07, 0.05, 0.09, 0.03)),
    "to_north_jobs": (12_000.0, (9_000.0, 11_000.0, 15_500.0, 12_000.0, 19_000.0, 8_000.0)),
}
BIG = {"fiscal_cost_yuan": (2.0e9, (0.0, 1.0e9, 2.0e9, 2.0e9, 3.0e9, 4.0e9))}


def _sweep(factors: list[Factor], values: list[tuple[float, ...]], levels: dict = LEVELS) -> Sweep:
    points, base = {}, {}
    for name, (centre, means) in levels.items():
        base[name] = Estimate(centre, centre * 0.9, centre * 1.1)
        points[name] = [
            Point(
                i,
                v,
                Estimate(m, m * 0.8, m * 1.2),
                Estimate(m - centre, m - centre - 0.1 * m, m - centre + 0.1 * m),
                m == centre,
                3,
                0,
            )
            for i, (v, m) in enumerate(zip(values, means, strict=False))
        ]
    return Sweep(Path(), factors, list(levels), points, base)


GRID = [(b, c) for c in (0.5, 1.5) for b in (0.0, 1.0e9, 2.0e9)]
LINE = [(0.0,), (1.0e4,), (2.0e4,), (3.0e4,), (4.0e4,), (6.0e4,)]
LHS = [(0.4e9, 1e4), (1.3e9, 5e4), (2.2e9, 2e4), (3.1e9, 3e4), (0.9e9, 6e4), (3.9e9, 0.0)]
THREE = [(b, 1e4 * a, c) for (b, c), a in zip(GRID, range(6), strict=True)]
SWEEPS = {
    "line": lambda: _sweep([AID], LINE),
    "heatmap": lambda: _sweep([BUDGET, COEF], GRID),
    "heatmap, billions": lambda: _sweep([BUDGET, COEF], GRID, BIG),
    "scatter": lambda: _sweep([BUDGET, AID], LHS),
    "main effects": lambda: _sweep([BUDGET, AID, COEF], THREE),
}


def _texts(fig: Figure) -> Iterator[tuple[str, str]]:
    """(where, text) of every text drawn in a figure."""
    fig.canvas.draw()
    for i, ax in enumerate(fig.axes):
        yield f"axes {i} x label", ax.get_xlabel()
        yield f"axes {i} y label", ax.get_ylabel()
        yield f"axes {i} title", ax.get_title()
        for t in (*ax.get_xticklabels(), *ax.get_yticklabels(), *ax.texts):
            yield f"axes {i} text", t.get_text()
        legend = ax.get_legend()
        if legend is not None:
            yield from ((f"axes {i} legend", t.get_text()) for t in legend.get_texts())
    for t in fig.texts:
        yield "figure text", t.get_text()
    for legend in fig.legends:
        yield from (("figure legend", t.get_text()) for t in legend.get_texts())


def _no_raw_ids(fig: Figure) -> None:
    for where, text in _texts(fig):
        assert not METRIC_ID.search(text), f"{where}: {text!r}"
        assert not DOTTED.search(NOT_KEYS.sub("", text)), f"{where}: {text!r}"


def _ticks(fig: Figure, axis: str = "y") -> list[tuple[str, list[str]]]:
    """(axis title, tick texts) of every axis of that orientation with a title."""
    fig.canvas.draw()
    out = []
    for ax in fig.axes:
        label = ax.get_ylabel() if axis == "y" else ax.get_xlabel()
        ticks = ax.get_yticklabels() if axis == "y" else ax.get_xticklabels()
        if label:
            out.append((label, [t.get_text() for t in ticks if t.get_text()]))
    return out


def _money_axis_reads(label: str, ticks: list[str]) -> None:
    """A money axis: distinct ticks, none 0.000, sized for the unit its title names (CNY, CNY m or CNY bn)."""
    unit = MONEY_UNIT.search(label)
    assert unit, label
    assert len(set(ticks)) == len(ticks) and not any(ZEROS.match(t) for t in ticks), (label, ticks)
    numbers = [abs(float(t.replace(",", "").replace("+", "").replace("−", "-"))) for t in ticks]
    assert max(numbers) >= 0.5, (label, ticks)  # not a few million written in bn
    if unit.group(1):
        assert max(numbers) < 1000, (label, ticks)  # not billions written in m


@pytest.mark.parametrize("kind", list(SWEEPS))
def test_sweep_figures_take_every_word_and_number_from_the_catalogue(kind: str) -> None:
    s = SWEEPS[kind]()
    plot = sweep_figures.PLOTS[s.figure_kind()]
    assert kind.startswith(s.figure_kind())
    for name in s.outcomes:
        fig = plot(s, name)
        _no_raw_ids(fig)
        m = metric(name)
        labels = [label for label, _ in _ticks(fig, "y")] + [label for label, _ in _ticks(fig, "x")]
        assert any(m.label in t or "Change against the base" in t for t in labels), labels
        for label, ticks in _ticks(fig, "y") + _ticks(fig, "x"):
            if MONEY_UNIT.search(label):
                _money_axis_reads(label, ticks)


def test_a_zero_in_a_money_heatmap_reads_cny_0() -> None:
    s = SWEEPS["heatmap, billions"]()
    fig = sweep_figures.plot_heatmap(s, "fiscal_cost_yuan")
    cells = [t.get_text() for t in fig.axes[0].texts]
    assert any("CNY 0" in c for c in cells), cells
    assert not any(re.search(r"CNY 0 (bn|m)\b", c) for c in cells), cells
    assert any(c.endswith(" bn") for c in cells), cells  # the other cells keep their scale


def _attribution(small: bool) -> Attribution:
    levers = [Lever("relocation_aid", "Relocation aid", "destinations (pull)"), Lever("pairing", "Pairing", "pull")]
    money = 1.0 if small else 1000.0
    totals, shares = {}, {}
    for name, (start, steps) in {
        "fiscal_cost_yuan": (0.0, (2.2e6 * money, 0.8e6 * money)),
        "north_share_jobs": (0.04, (0.012, 0.004)),
        "to_north_jobs": (10_000.0, (2_500.0, -400.0)),
    }.items():
        end = start + sum(steps)
        totals[name] = Total(Estimate(start, start, start), Estimate(end, end * 0.9, end * 1.1),
                             Estimate(end - start, 0.0, 2 * (end - start)))  # fmt: skip
        for lv, step in zip(levers, steps, strict=True):
            phi = Estimate(step, step - abs(step) / 2, step + abs(step) / 2)
            shares[(name, lv.key)] = Share(phi, step / (end - start), step, step)
    return Attribution(Path(), levers, list(totals), shares, totals, {}, 3)


@pytest.mark.parametrize("small", [True, False], ids=["CNY millions", "CNY billions"])
def test_waterfalls_take_every_word_and_number_from_the_catalogue(small: bool) -> None:
    a = _attribution(small)
    for name in a.metrics:
        fig = waterfall.plot_waterfall(a, name)
        _no_raw_ids(fig)
        ((label, ticks),) = _ticks(fig, "y")
        assert label.startswith(metric(name).label), label
        if name == "fiscal_cost_yuan":
            assert label.endswith("(CNY m)" if small else "(CNY bn)"), label
            _money_axis_reads(label, ticks)
        xticks = [t.get_text() for t in fig.axes[0].get_xticklabels()]
        assert "Relocation aid" in xticks and "Pairing" in xticks


def _csv(path: Path, rows: list[list[object]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh, lineterminator="\n").writerows(rows)


def test_the_sobol_figure_names_parameters_and_levers_in_words(tmp_path: Path) -> None:
    keys = ["behaviour.push.intercept", "behaviour.choice.talent"]
    _csv(
        tmp_path / "sobol_ranges.csv",
        [["key", "label", "unit", "low", "high", "centre", "source"]]
        + [[k, describe(k).label, "", -1, 1, 0, "test"] for k in keys],
    )
    rows: list[list[object]] = [["outcome", "effect_of", "factor", "index", "value", "ci_low", "ci_high"]]
    for outcome, effect in (("north_share_jobs", ""), ("to_north_jobs", "relocation_aid")):
        for k in keys:
            rows += [[outcome, effect, k, index, 0.3, 0.1, 0.5] for index in ("S1", "ST")]
    _csv(tmp_path / "sobol.csv", rows)
    _csv(tmp_path / "sobol_notes.csv", [["outcome", "effect_of", "note"]])
    fig = plot_sobol(tmp_path)
    assert fig is not None
    _no_raw_ids(fig)
    fig.canvas.draw()
    ax = fig.axes[0]
    xticks = [" ".join(t.get_text().split()) for t in ax.get_xticklabels()]
    assert xticks == [describe(k).label for k in keys]
    yticks = [t.get_text() for t in ax.get_yticklabels()]
    assert yticks[0] == metric("north_share_jobs").label
    assert yticks[1].startswith(lever_label("relocation_aid") + ": change in jobs moved to north parks")
    assert not any("relocation_aid" in t or "push." in t for t in xticks + yticks)


@pytest.mark.parametrize("calibration", [False, True])
def test_the_facts_panels_name_the_models_in_words(calibration: bool) -> None:
    e = Estimate(0.6, 0.5, 0.7)
    fact = FactRow("outside_majority", "Most relocated jobs leave the province", "", "share", "", "", "", e, True,
                   1.0, "", e, True, (math.nan, math.nan), e, True, 1.0, e, True, (0.5, 1.0), "reproduced",
                   e, True, math.nan, "no: met by null and gravity")  # fmt: skip
    fig = plot_facts([fact], calibration)
    fig.canvas.draw()
    ticks = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    yardsticks = ["Gravity", "Null model"]
    assert ticks == ([*yardsticks, "Posterior", "Model"] if calibration else [*yardsticks, "Model"])
    assert fig.axes[0].get_xlabel() == "%"


def test_a_line_sweep_with_runaway_intervals_keeps_its_means_readable() -> None:
    """Two replications' intervals on the log scale can reach 10^4 times the mean: they are cut, the axis is
    scaled for the means (CNY m, not bn) and the caption says so."""
    s = SWEEPS["line"]()
    wide = [
        Point(p.index, p.values, Estimate(p.mean.mean, p.mean.mean / 1e4, p.mean.mean * 1e4), p.diff, True, 2, 0)
        for p in s.points["fiscal_cost_yuan"]
    ]
    s = Sweep(s.folder, s.factors, ["fiscal_cost_yuan"], {"fiscal_cost_yuan": wide}, s.base)
    fig = sweep_figures.plot_line(s, "fiscal_cost_yuan")
    ax = fig.axes[0]
    top = max(p.mean.mean for p in wide)
    assert ax.get_ylim()[1] < 10 * top
    ((label, ticks),) = _ticks(fig, "y")
    assert label == "Fiscal cost (CNY m)"
    _money_axis_reads(label, ticks)
    assert "cut at its edge" in fig.get_supxlabel()
    narrow = sweep_figures.plot_line(SWEEPS["line"](), "fiscal_cost_yuan")
    assert "cut at its edge" not in narrow.get_supxlabel()
