"""What `validate` accepts, runs: no input that passes the checks fails every run afterwards.

Each case was once accepted by `validate` and then failed in every run (or gave
NaN probabilities): no destination to move to, a nest's λ so small that V/λ
leaves floating point, coefficients at the schema's ends, a sweep whose design
points break a lever's window.
"""

from __future__ import annotations

import csv
import math
import warnings
from collections.abc import Callable
from pathlib import Path

import pytest

from model import simulate
from model.config import LAMBDA_MIN
from model.scenario import load_scenario
from tests.conftest import ROOT, CliResult
from tests.helpers import world_of_places

EXTREME = """\
name: extreme
extends: {root}/scenarios/article_package.yaml
firms: {{count: 300}}
behaviour:
  nests: {{north_park: {lam}, jiangsu_city: {lam}, outside_city: {lam}}}
  push: {{intercept: {intercept}, cost_pressure: 1000, size: -1000, age: 1000, agglomeration: -1000,
         guidance: 1000, inclusive_value: 1.0}}
  choice: {{wage: 1000, land: -1000, energy: 1000, infrastructure: 1000, environment: -1000, talent: 1000,
           agglomeration: 1000, focus: 1000, pairing: -1000, ties: 1000, distance: -1000, subsidy: 1000,
           guidance: 1000}}
"""


@pytest.mark.parametrize("intercept", [-1000, 1000])
def test_the_schema_ends_run_without_a_warning_nan_or_overflow(tmp_path: Path, intercept: int) -> None:
    path = tmp_path / "extreme.yaml"
    path.write_text(EXTREME.format(root=ROOT, lam=LAMBDA_MIN, intercept=intercept), encoding="utf-8")
    scenario = load_scenario(path)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # an overflow or an invalid value in numpy is a failure here
        res = simulate(scenario, 7)
    undefined = {k for k, v in res.metrics.items() if not math.isfinite(v)}
    assert undefined <= ({"cost_per_north_job_yuan"} if res.metrics["to_north_jobs"] == 0 else set())
    shares = res.metrics["north_share_jobs"] + res.metrics["jiangsu_share_jobs"] + res.metrics["outside_share_jobs"]
    assert res.metrics["relocated_jobs"] == 0 or shares == pytest.approx(1.0)


def test_a_lambda_below_the_schema_minimum_is_refused(tmp_path: Path, cli: Callable[..., CliResult]) -> None:
    path = tmp_path / "tiny_lambda.yaml"
    path.write_text(EXTREME.format(root=ROOT, lam="1.0e-300", intercept=0), encoding="utf-8")
    res = cli("validate", path)
    assert res.code == 2 and "behaviour.nests.north_park" in res.err and f"≥ {LAMBDA_MIN}" in res.err


@pytest.mark.parametrize(
    ("world", "fragment"),
    [
        ("{destination_kinds: []}", "no destination kind"),
        ("{destination_kinds: [jiangsu_city], data: {places: places.csv}}", "leave 0 destination(s)"),
    ],
)
def test_a_world_without_a_destination_is_refused_by_validate(
    tmp_path: Path, cli: Callable[..., CliResult], world: str, fragment: str
) -> None:
    world_of_places(tmp_path, lambda r: r["kind"] in ("origin", "north_park"))  # no other Jiangsu place
    world = world.replace(
        "data: {places: places.csv}", "data: {places: places.csv, ties: ties.csv, industry_base: industry_base.csv}"
    )
    path = tmp_path / "s.yaml"
    path.write_text(f"name: s\nworld: {world}\n", encoding="utf-8")
    res = cli("validate", path)
    assert res.code == 2, res.out
    assert "world.destination_kinds" in res.err and fragment in res.err
    assert len(res.err_lines) == 1


def test_a_sweep_whose_years_cut_a_lever_window_is_refused_before_anything_runs(
    tmp_path: Path, cli: Callable[..., CliResult]
) -> None:
    exp = tmp_path / "years.yaml"
    exp.write_text(
        f"name: years\nbase: {ROOT / 'scenarios' / 'talent.yaml'}\nfactors: {{years.end: {{values: [2030, 2035]}}}}\n",
        encoding="utf-8",
    )
    res = cli("validate", exp)
    assert res.code == 2
    assert "factors.years.end" in res.err and "policies.talent.end_year" in res.err
    res = cli("sweep", exp, "--out", tmp_path / "out", "--quiet")
    assert res.code == 2 and not (tmp_path / "out").exists()


def test_factors_fine_alone_that_clash_together_are_refused(tmp_path: Path, cli: Callable[..., CliResult]) -> None:
    exp = tmp_path / "clash.yaml"
    factors = "{policies.talent.start_year: {values: [2024, 2030]}, policies.talent.end_year: {values: [2028, 2035]}}"
    exp.write_text(f"name: clash\nbase: {ROOT / 'scenarios' / 'talent.yaml'}\nfactors: {factors}\n", encoding="utf-8")
    res = cli("validate", exp)
    assert res.code == 2, res.out
    assert "design point" in res.err


@pytest.mark.parametrize("text", ["1_000", " 12", "1e3", "0x10", "١٢"])
def test_integers_on_the_command_line_are_plain_decimal(cli: Callable[..., CliResult], text: str) -> None:
    res = cli("run", ROOT / "scenarios" / "baseline.yaml", "--replications", text, "--out", "/nonexistent")
    assert res.code == 2 and "--replications" in res.err and "plain digits" in res.err
    assert len(res.err_lines) == 1


@pytest.mark.parametrize("text", ["1_0", "1:30", "0x10"])
def test_integers_in_a_scenario_are_plain_decimal(tmp_path: Path, cli: Callable[..., CliResult], text: str) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(f"name: s\nreplications: {text}\n", encoding="utf-8")
    res = cli("validate", path)
    assert res.code == 2 and "replications" in res.err and "a whole number" in res.err


def test_a_posterior_whose_weights_overflow_when_summed_loads_normalised(tmp_path: Path) -> None:
    """Finite weights near the float maximum summed to inf and made every weight NaN (a crash writing JSON)."""
    import shutil

    from experiments.analysis.posterior import load_posterior

    folder = tmp_path / "posterior"
    shutil.copytree(ROOT / "docs" / "calibration" / "article_suzhou_levers", folder)
    with (folder / "posterior.csv").open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    for row in rows:
        row["weight"] = "1e308"
    with (folder / "posterior.csv").open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    post = load_posterior(folder)
    assert post.weights.sum() == pytest.approx(1.0)
    assert post.effective_size() == pytest.approx(len(rows))
