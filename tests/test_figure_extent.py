"""Axes set by the estimates, not by their error bars (report/figures/extent.py), and what the figures use it for.

The helper: the axis covers every estimate; an interval that runs far beyond them is cut at the axis edge and
marked (an arrowhead and the end's value), one within reach is drawn whole; a bounded metric's axis stays within
its bounds. The figures: the hindcast's share axis stays within 0–100 % with a 3 % bar reaching to 73 %, and the
run's cumulative chart and flow map name the report window they sum over in their titles, and sum only over it.
"""

from __future__ import annotations

import csv
import dataclasses
from pathlib import Path

import numpy as np
import pytest
from matplotlib.axes import Axes

from cli import main
from experiments.facts.hindcast_figure import plot_destinations
from experiments.facts.hindcast_report import Destination, OriginTop
from experiments.run.figures import plot_cumulative_by_destination, plot_north_share
from experiments.validation.figures import symlog_threshold
from report.figures.extent import View, band_marks, draw_interval, mark_beyond, view_of
from report.figures.flow_map import draw_flow_map
from report.figures.style import new_figure, short_label
from report.read import Estimate
from report.tables import Place, Results, read_results
from tests.test_flow_map import synthetic
from tests.test_plots import BASELINE


def _axes() -> Axes:
    return new_figure(4.0, 3.0).add_subplot()


def _cuts(ax: Axes) -> tuple[int, list[str]]:
    """How many cut marks an axes has, and the texts printed beside them."""
    marks = [line for line in ax.get_lines() if line.get_gid() == "cut"]
    texts = [t.get_text() for t in ax.texts if t.get_gid() == "cut-value"]
    return len(marks), texts


def test_the_axis_covers_every_estimate_and_cuts_an_interval_far_beyond_them() -> None:
    estimates = [0.022, 0.035, 0.139, 0.353]
    view = view_of(estimates, [0.01, 0.73, 0.30, 0.45], include=[0.0])
    assert all(view.low <= e <= view.high for e in [0.0, *estimates])
    assert view.high < 0.73  # the 73 % end does not set the axis
    assert view.high >= 0.45  # an end within half a span of the estimates is shown whole


def test_an_interval_within_reach_is_drawn_whole_and_unmarked() -> None:
    ax = _axes()
    view = View(0.0, 1.0)
    assert not draw_interval(ax, view, 0.0, 0.2, 0.6, fmt=str)
    assert _cuts(ax) == (0, [])
    (line,) = ax.get_lines()
    assert list(line.get_xdata()) == [0.2, 0.6]


@pytest.mark.parametrize("vertical", [False, True])
def test_an_interval_beyond_the_axis_is_cut_at_its_edge_and_marked_with_its_value(vertical: bool) -> None:
    ax = _axes()
    view = View(0.0, 0.5)
    assert draw_interval(ax, view, 1.0, 0.1, 0.73, fmt=lambda v: f"{v:.0%}", vertical=vertical)
    line = ax.get_lines()[0]
    drawn = line.get_ydata() if vertical else line.get_xdata()
    assert max(drawn) == 0.5 and min(drawn) == 0.1
    assert _cuts(ax) == (1, ["to 73%"])


def test_both_ends_cut_are_both_marked() -> None:
    ax = _axes()
    assert draw_interval(ax, View(-1.0, 1.0), 0.0, -5.0, 7.0, fmt=lambda v: f"{v:g}")
    count, texts = _cuts(ax)
    assert count == 2 and sorted(texts) == ["to -5", "to 7"]


def test_a_band_that_leaves_the_axis_is_marked_where_it_leaves_with_its_furthest_end() -> None:
    ax = _axes()
    cut = band_marks(ax, View(0.0, 10.0), [1, 2, 3], [0.0, 1.0, 2.0], [5.0, 40.0, 12.0], fmt=lambda v: f"{v:g}")
    assert cut
    count, texts = _cuts(ax)
    assert count == 2 and texts == ["to 40"]


def test_an_estimate_outside_a_fixed_axis_is_marked_at_the_edge() -> None:
    ax = _axes()
    assert mark_beyond(ax, View(0.0, 1.0), 0.0, 1.3, fmt=lambda v: f"{v:.0%}")
    assert not mark_beyond(ax, View(0.0, 1.0), 1.0, 0.4, fmt=str)
    assert _cuts(ax) == (1, ["to 130%"])


@pytest.mark.parametrize(
    ("estimates", "ends"),
    [([0.033, 0.3], [0.0, 0.95, 1.4]), ([0.98, 0.99], [0.5, 1.0]), ([0.0, 0.01], [-0.2, 0.3])],
)
def test_a_share_axis_stays_within_0_and_1(estimates: list[float], ends: list[float]) -> None:
    view = view_of(estimates, ends, include=[0.0], bounds=(0.0, 1.0))
    assert 0.0 <= view.low < view.high <= 1.0
    assert all(view.contains(e) for e in estimates)


def test_the_hindcast_share_axis_stays_within_0_100_and_its_far_bar_is_cut() -> None:
    """The issue's case: a 3.3 % share whose 95 % interval reaches 73 %."""
    places = {
        p.id: p
        for p in [Place("suzhou", "Suzhou", "origin", 31.3, 120.6)]
        + [Place(f"c{i}", f"City {i}", "outside_city", 30.0, 120.0 + i) for i in range(8)]
    }
    means = [0.35, 0.34, 0.14, 0.035, 0.033, 0.024, 0.023, 0.022]
    ranking = [
        Destination(f"c{i}", Estimate(m, m / 3, 0.73 if i == 4 else min(1.0, m * 1.3)), i + 1)
        for i, m in enumerate(means)
    ]
    origin = OriginTop("Suzhou", ranking, ["c0"], False, (2019, 2022), 5, None)
    fig = plot_destinations([origin], places)
    bars = fig.axes[0]
    low, high = bars.get_xlim()
    assert low >= 0.0 and high <= 1.0
    assert 0.35 <= high < 0.73
    assert _cuts(bars)[1] == ["to 73.0%"]


def _windowed(res: Results) -> Results:
    return dataclasses.replace(res, years=np.arange(2019, 2036), window=(2024, 2035))


def test_the_cumulative_chart_and_flow_map_name_the_report_window_in_their_titles() -> None:
    res = _windowed(synthetic())
    cumulative = plot_cumulative_by_destination(res)
    assert "2024–2035" in cumulative.axes[0].get_title()
    assert "2019" not in cumulative.axes[0].get_title()
    assert "2024–2035" in cumulative.axes[0].get_xlabel()
    flow = draw_flow_map(res).figure
    assert "2024–2035" in flow.get_suptitle() and "2019" not in flow.get_suptitle()


def test_a_run_folder_sums_destinations_and_flows_over_the_report_window(tmp_path: Path) -> None:
    scenario = tmp_path / "w.yaml"
    scenario.write_text(
        f"name: w\nextends: {BASELINE}\nyears: {{start: 2021, end: 2025, hindcast_end: null, report_start: 2024}}\n",
        encoding="utf-8",
    )
    assert (
        main(
            ["run", str(scenario), "--firms", "300", "--replications", "2", "--out", str(tmp_path), "--name", "w", "-q"]
        )
        == 0
    )
    res = read_results(tmp_path / "w")
    assert res.window == res.totals_window == (2024, 2025)
    with (tmp_path / "w" / "flows.csv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    in_window = sum(float(r["jobs"]) for r in rows if 2024 <= int(r["year"]) <= 2025)
    every_year = sum(float(r["jobs"]) for r in rows)
    assert sum(res.jobs_by_pair.values()) == pytest.approx(in_window)
    assert in_window < every_year


def test_the_north_share_axis_writes_each_tick_once_with_the_decimals_it_needs(tmp_path: Path) -> None:
    """Shares near 1 % tick every 0.5 %: whole percents would read "0, 0, 1, 1, 2, 2"."""
    scenario = tmp_path / "w.yaml"
    scenario.write_text(f"name: w\nextends: {BASELINE}\n", encoding="utf-8")
    assert (
        main(
            [
                "run",
                str(scenario),
                "--firms",
                "2000",
                "--replications",
                "2",
                "--out",
                str(tmp_path),
                "--name",
                "w",
                "-q",
            ]
        )
        == 0
    )
    res = read_results(tmp_path / "w")
    # the calibrated model's shares: about 1 %, replications 0.5 to 2 % apart (ticks every 0.5 %)
    shares = np.where(np.arange(res.north_share_jobs.shape[0])[:, None] % 2 == 0, 0.006, 0.018)
    fig = plot_north_share(dataclasses.replace(res, north_share_jobs=shares * np.ones_like(res.north_share_jobs)))
    fig.canvas.draw()
    ax = fig.axes[0]
    labels = [t.get_text() for t in ax.get_yticklabels() if t.get_text()]
    assert len(labels) >= 3 and len(set(labels)) == len(labels), labels
    low, high = ax.get_ylim()
    assert low >= 0.0 and high <= 1.0


def test_one_lever_that_dwarfs_the_others_puts_the_statics_on_a_symmetric_log_axis() -> None:
    others = [Estimate(v, v - 3000, v + 3000) for v in (-8000.0, -2000.0, 500.0, 1000.0)]
    assert symlog_threshold([*others, Estimate(348000.0, 300000.0, 400000.0)]) == 20000.0
    assert symlog_threshold([*others, Estimate(12000.0, 9000.0, 15000.0)]) is None


def test_a_scenario_is_named_by_the_short_form_of_its_description() -> None:
    text = (
        "Talent attraction and return (article recommendation 3): housing subsidies,\n  wage top-ups, family relocation"
    )
    assert short_label(text, "talent") == "Talent attraction and return"
    assert short_label("", "talent") == "talent"
    long = "All four groups of the article's recommendations together and a good deal more besides that"
    assert len(short_label(long, "x")) <= 61 and short_label(long, "x").endswith("…")
