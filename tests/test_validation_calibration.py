"""`report CALIBRATION_DIR`: the calibrated scenario, posterior draws, fitted and held-out facts apart.

The calibration folder is written by hand in the documented format (posterior.csv, parameters.csv,
calibrated.yaml, calibration.resolved.yaml), so the test needs no ABC run.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from experiments.analysis.posterior import PARAMETER_COLUMNS
from experiments.facts.catalogue import FACTS
from experiments.validation.inputs import load_target, parameter_ranges
from tests.conftest import SCENARIOS, CliResult, read_csv

FIT = ("outside_majority", "low_move_rate", "top5_suzhou")
HELD_OUT = ("top5_wuxi", "north_skipped")
KEYS = ("behaviour.push.intercept", "behaviour.choice.distance")
PARTICLES = ((-4.6, -0.9), (-4.4, -0.7), (-4.2, -0.5), (-4.0, -0.6))


def _calibration_folder(folder: Path) -> Path:
    folder.mkdir(parents=True)
    rows = [f"{i},0.25,0.1,{a},{b}" for i, (a, b) in enumerate(PARTICLES)]
    (folder / "posterior.csv").write_text("draw,weight,distance," + ",".join(KEYS) + "\n" + "\n".join(rows) + "\n")
    params = [
        ["behaviour.push.intercept", "intercept", "", -6, -3, -4.3, "test", -4.3, 0.2, -4.55, -4.3, -4.05, -4.3],
        ["behaviour.choice.distance", "distance", "", -2, 0, -0.6, "test", -0.68, 0.15, -0.85, -0.65, -0.52, -0.65],
    ]
    lines = [",".join(PARAMETER_COLUMNS), *(",".join(map(str, p)) for p in params)]
    (folder / "parameters.csv").write_text("\n".join(lines) + "\n")
    base = os.path.relpath(SCENARIOS / "baseline.yaml", folder)
    (folder / "calibrated.yaml").write_text(
        f"extends: {base}\nname: baseline_calibrated\nbehaviour:\n  push: {{intercept: -4.3}}\n"
        "  choice: {distance: -0.65}\n"
    )
    (folder / "calibration.resolved.yaml").write_text(
        f"fit: [{', '.join(FIT)}]\nheld_out: [{', '.join(HELD_OUT)}]\nweights: {{low_move_rate: 2}}\n"
    )
    return folder


def test_the_ranges_are_the_posterior_5_to_95_percent(tmp_path: Path) -> None:
    target = load_target(_calibration_folder(tmp_path / "cal"), None)
    assert target.mode == "calibration" and target.scenario.behaviour.choice.distance == -0.65
    ranges, source = parameter_ranges(target)
    assert [(r.key, r.low, r.high) for r in ranges] == [(KEYS[0], -4.55, -4.05), (KEYS[1], -0.85, -0.52)]
    assert "posterior" in source
    assert target.roles["top5_wuxi"] == "held_out" and target.roles["top5_suzhou"] == "fit"
    assert target.roles["park_investment_rank"] == "other"


def test_a_report_of_a_calibration_folder(tmp_path: Path, cli: Callable[..., CliResult]) -> None:
    cal = _calibration_folder(tmp_path / "cal")
    args = ("--firms", "1500", "--replications", "2", "--draws", "2", "--sobol-samples", "0", "-q")
    result = cli("report", cal, *args, "--out", tmp_path / "out")
    assert result.code == 0, result.err
    folder = tmp_path / "out" / "report-cal-r2-f1500-n0-k2"
    _columns, rows = read_csv(folder / "facts.csv")
    assert sorted(r["fact"] for r in rows) == sorted(FACTS)
    roles = {r["fact"]: r["role"] for r in rows}
    assert {f for f, role in roles.items() if role == "fit"} == set(FIT)
    assert {f for f, role in roles.items() if role == "held_out"} == set(HELD_OUT)
    assert [r["role"] for r in rows][: len(FIT) + len(HELD_OUT)] == ["fit"] * 3 + ["held_out"] * 2
    outside = next(r for r in rows if r["fact"] == "outside_majority")
    assert math.isfinite(float(outside["posterior_value"])) and math.isfinite(float(outside["defaults_value"]))
    assert 0.0 <= float(outside["posterior_met_share"]) <= 1.0
    text = (folder / "report.md").read_text(encoding="utf-8")
    assert "### Fitted facts" in text and "### Held-out facts (never seen by the calibration)" in text
    _columns, grid = read_csv(folder / "gravity.csv")
    assert {r["fact"] for r in grid} == set(FIT)  # the gravity yardstick is fitted to the calibration's facts
    assert {r["weight"] for r in grid if r["fact"] == "low_move_rate"} == {"2"}
    assert all(r["evidence"] for r in rows)
    assert text.index("### Fitted facts") < text.index("### Held-out facts")


@pytest.mark.parametrize("missing", ["calibrated.yaml", "calibration.resolved.yaml", "posterior.csv"])
def test_a_broken_calibration_folder_exits_2(tmp_path: Path, cli: Callable[..., CliResult], missing: str) -> None:
    cal = _calibration_folder(tmp_path / "cal")
    (cal / missing).unlink()
    result = cli("report", cal, "--sobol-samples", "0", "--out", tmp_path / "out", "-q")
    assert result.code == 2 and len(result.err_lines) == 1 and missing in result.err
