"""Honest policy intervals over a posterior (issue 17 item 6): empirical quantiles, bounds, counts, thin ensembles.

Unit tests of the weighted quantile (experiments.analysis.quantiles: equal
weights are numpy's `hazen` quantile, a point mass is that value), of the
metric bounds (experiments.analysis.bounds: budgets × active years, a change
by the difference of the bounds, and a run never spends beyond them), of an
effect's interval (experiments.analysis.uncertainty.summarise: every draw
positive gives an interval that does not cross 0, which the normal
approximation it replaces did — the audit's case —, shares stay in [0, 1]
and their changes in [−1, 1], a cost is never negative), of the ranking
withheld below 100 effective draws (experiments.analysis.rankings), and the
refusal of a thin ensemble on the command line (exit 2, one line, nothing
written) unless --allow-thin, for compare and attribute.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from experiments.analysis.bounds import Bounds, change_bounds, lever_caps, shapley_bounds
from experiments.analysis.quantiles import DrawWeights, kish, weighted_quantile
from experiments.analysis.rankings import MIN_RANKING_DRAWS, rank
from experiments.analysis.uncertainty import DrawStats, summarise
from model.levers import REGISTRY
from model.scenario import load_scenario
from tests.test_posterior_compare import PARTICLES, scenarios, write_calibration

SCENARIOS = Path(__file__).resolve().parent.parent / "scenarios"
QS = (0.0, 0.01, 0.025, 0.1, 0.25, 0.5, 0.75, 0.9, 0.975, 0.99, 1.0)
# relocation aid's change in north-park jobs in 10 draws of the shipped posterior (+ the within-draw SDs, R = 3):
# every draw positive, bimodal; the normal approximation gave -24,000 to +60,500
AID_DRAWS = np.array([12645, 43210, 3728, 42394, 4407, 2700, 2201, 3388, 32592, 35251], dtype=float)
AID_SD = np.array([651, 1218, 117, 4262, 460, 280, 87, 1248, 596, 2104], dtype=float) * math.sqrt(3)


def _replications(means: np.ndarray, sds: np.ndarray, r: int = 3) -> np.ndarray:
    """(K, R) values whose draw means and within-draw SDs are exactly `means` and `sds`."""
    z = np.array([-1.0, 0.0, 1.0]) if r == 3 else np.linspace(-1, 1, r) / np.std(np.linspace(-1, 1, r), ddof=1)
    return means[:, None] + sds[:, None] * z[None, :]


# --------------------------------------------------------------------------- the weighted quantile


@pytest.mark.parametrize("n", [1, 2, 3, 7, 20, 101])
def test_equal_weights_give_numpys_hazen_quantile(n: int) -> None:
    x = np.random.default_rng(n).standard_t(3, size=n) * 1e4
    assert weighted_quantile(x, QS) == pytest.approx(np.quantile(x, QS, method="hazen"), rel=1e-12, abs=1e-9)
    assert weighted_quantile(x, QS, np.full(n, 7.5)) == pytest.approx(np.quantile(x, QS, method="hazen"))


def test_a_point_mass_is_that_value_at_every_quantile() -> None:
    x = [5.0, -3.0, 12.0, 40.0]
    assert weighted_quantile(x, QS, [0, 0, 1, 0]).tolist() == [12.0] * len(QS)
    assert weighted_quantile(x, QS, [0, 1e-300, 1, 0])[len(QS) // 2] == pytest.approx(12.0)


def test_the_weighted_quantile_is_monotone_inside_the_values_and_skips_what_is_missing() -> None:
    rng = np.random.default_rng(5)
    x, w = rng.normal(size=50), rng.exponential(size=50)
    q = weighted_quantile(x, np.linspace(0, 1, 41), w)
    assert np.all(np.diff(q) >= 0) and x.min() <= q[0] and q[-1] <= x.max()
    assert weighted_quantile([1.0, math.nan, 3.0], 0.5) == pytest.approx(2.0)  # the midpoint of two values
    assert math.isnan(float(weighted_quantile([math.nan], 0.5)))
    heavy = weighted_quantile([0.0, 10.0], 0.5, [3, 1])  # points at 3/8 and 7/8: the median 1/8 of the way
    assert heavy == pytest.approx(10.0 * (0.5 - 3 / 8) / (7 / 8 - 3 / 8))
    with pytest.raises(ValueError, match="weights"):
        weighted_quantile([1.0, 2.0], 0.5, [1.0, -1.0])


def test_effective_draws_pool_the_draws_of_one_parameter_set() -> None:
    assert kish([0.25] * 4) == pytest.approx(4) and kish([1, 0, 0]) == pytest.approx(1)
    dw = DrawWeights.of(np.full(4, 0.25), [7, 7, 3, 9])  # particle 7 drawn twice: weights 1/2, 1/4, 1/4
    assert dw.distinct() == 3 and dw.effective() == pytest.approx(1 / (0.25 + 0.0625 + 0.0625))
    # the shipped posterior's 10 draws: 8 distinct particles, one of them 3 times
    shipped = DrawWeights.of(np.full(10, 0.1), [19, 74, 91, 135, 218, 222, 222, 222, 255, 268])
    assert (shipped.distinct(), shipped.effective()) == (8, pytest.approx(6.25))
    assert DrawWeights.equal(5).effective() == pytest.approx(5)


# --------------------------------------------------------------------------- intervals of effects


def test_every_draw_positive_gives_an_interval_that_does_not_cross_zero() -> None:
    ds = DrawStats.of(_replications(AID_DRAWS, AID_SD))
    assert ds.means == pytest.approx(AID_DRAWS) and np.all(ds.means > 0)
    e = summarise(ds)
    assert (e.low, e.high) == (AID_DRAWS.min(), AID_DRAWS.max())  # 10 draws: smallest to largest
    assert e.low > 0 and e.excludes_zero() and e.share_above_zero == 1
    assert e.mean - 2 * e.sd_parameter < 0  # the audit's case: mean ± 2 SD would have crossed zero
    assert (e.draws, e.distinct_draws, e.effective_draws) == (10, 10, pytest.approx(10))
    assert e.sd_monte_carlo == pytest.approx(math.sqrt(np.mean((AID_SD / math.sqrt(3)) ** 2)))
    assert e.sd_parameter == pytest.approx(math.sqrt(np.var(AID_DRAWS, ddof=1) - e.sd_monte_carlo**2))


def test_a_share_stays_in_0_1_and_its_change_in_minus_1_1() -> None:
    rng = np.random.default_rng(3)
    level = np.clip(rng.normal([[0.002], [0.001], [0.999], [0.5]] * np.ones((4, 40)), 0.02), 0.0, 1.0)
    e = summarise(DrawStats.of(level), (0.0, 1.0))
    assert 0.0 <= e.low <= e.mean <= e.high <= 1.0
    change = np.clip(rng.normal([[-0.999], [0.998], [0.0]] * np.ones((3, 40)), 0.05), -1.0, 1.0)
    e = summarise(DrawStats.of(change), (-1.0, 1.0))
    assert -1.0 <= e.low <= e.high <= 1.0
    # bounds clip what a value outside them (a float error) would give
    e = summarise(DrawStats.of(np.array([[1.0 + 1e-12, 1.0], [0.9, 0.91]])), (0.0, 1.0))
    assert e.high == 1.0


def test_a_cost_is_never_negative_and_spending_never_beyond_its_budget() -> None:
    # three draws of a fiscal cost with large Monte-Carlo noise near 0: a normal interval would reach below 0
    cost = np.array([[0.0, 2e8, 0.0], [1e7, 0.0, 4e8], [5e8, 1.4e9, 1.5e9]])
    e = summarise(DrawStats.of(cost), (0.0, 1.5e9))
    assert e.low >= 0.0 and e.high <= 1.5e9
    capped = summarise(DrawStats.of(np.array([[1e9, 1e9], [2e9, 2e9]])), (0.0, 1.5e9))
    assert capped.high == 1.5e9  # clipped to the budget × years


def test_weights_move_the_mean_and_the_interval() -> None:
    x = np.array([[1.0, 1.0], [2.0, 2.0], [10.0, 10.0]])
    e = summarise(DrawStats.of(x), weights=DrawWeights.of([0.1, 0.1, 0.8], [0, 1, 2]))
    assert e.mean == pytest.approx(0.1 + 0.2 + 8.0) and e.share_above_zero == pytest.approx(1.0)
    assert e.effective_draws == pytest.approx(1 / (0.01 + 0.01 + 0.64))
    assert (e.low, e.high) == pytest.approx((1.0, 10.0))
    assert summarise(DrawStats.of(x), weights=DrawWeights.of([0, 0, 1], [0, 1, 2])).mean == 10.0


# --------------------------------------------------------------------------- bounds


def test_budgets_times_active_years_bound_the_spending() -> None:
    aid = load_scenario(SCENARIOS / "relocation_aid.yaml")
    base = load_scenario(SCENARIOS / "baseline.yaml")
    years = aid.years.report[1] - max(aid.years.report[0], 2024) + 1
    assert lever_caps(aid, aid.years.report) == {"relocation_aid": pytest.approx(1.5e9 * years)}
    cap = 1.5e9 * years
    assert Bounds.of(aid).level("fiscal_cost_yuan") == (0.0, cap)
    assert change_bounds("fiscal_cost_yuan", Bounds.of(aid), Bounds.of(base)) == (0.0, cap)
    assert change_bounds("north_share_jobs", Bounds.of(aid), Bounds.of(base)) == (-1.0, 1.0)
    assert change_bounds("to_north_jobs", Bounds.of(aid), Bounds.of(base)) == (-math.inf, math.inf)
    pkg = Bounds({"a": 3.0, "b": 5.0})
    assert shapley_bounds("fiscal_cost_yuan", pkg, "a") == (-5.0, 8.0)
    assert shapley_bounds("outside_share_jobs", pkg, "a") == (-1.0, 1.0)


def test_every_shipped_lever_declares_its_cap_and_a_run_never_spends_beyond_it() -> None:
    from model import simulate

    assert all(cls.yearly_cap in cls.config_class.model_fields for cls in REGISTRY.values())
    budget = {"policies.relocation_aid.annual_budget_yuan": 2e6}  # binds: about 70 jobs a year
    sc = load_scenario(SCENARIOS / "article_package.yaml", {"firms.count": 3000, **budget})
    rows = simulate(sc, 11).timeseries
    for key, config in ((k, getattr(sc.policies, k)) for k in REGISTRY):
        if config is None:
            continue
        per_year = getattr(config, REGISTRY[key].yearly_cap)
        for row in rows:
            spent = row[f"fiscal_{key}_yuan"]
            assert spent <= per_year * (1 + 1e-12) if config.active(row["year"]) else spent == 0, (key, row["year"])
    assert max(r["fiscal_relocation_aid_yuan"] for r in rows) == pytest.approx(2e6)  # the budget did bind


# --------------------------------------------------------------------------- rankings


def test_a_ranking_is_robust_tested_only_over_100_effective_draws() -> None:
    k = 120
    per_draw = np.vstack([np.full(k, 2.0), np.full(k, 1.0)])  # A ahead of B in every draw
    tested = rank("to_north_jobs", ["A", "B"], per_draw, [2.0, 1.0], DrawWeights.equal(k))
    assert tested.tested and tested.robust is True and tested.pairs[0][7] is True
    few = DrawWeights.of(np.full(k, 1 / k), np.arange(k) % 8)  # 120 draws of 8 parameter sets
    withheld = rank("to_north_jobs", ["A", "B"], per_draw, [2.0, 1.0], few)
    assert withheld.effective_draws == pytest.approx(8) and not withheld.tested and MIN_RANKING_DRAWS == 100
    assert withheld.share == 1.0 and withheld.robust is None and withheld.pairs[0][7] is None
    assert withheld.orders[0][6] is None


# --------------------------------------------------------------------------- a thin ensemble on the command line


@pytest.mark.parametrize("command", ["compare", "attribute"])
def test_a_thin_ensemble_is_refused_in_one_line_and_nothing_is_written(tmp_path: Path, cli, command: str) -> None:
    files = scenarios(tmp_path)
    cal = write_calibration(tmp_path / "cal", PARTICLES)  # 4 equal weights: effective size 4
    inputs = [files["base"], files["lever"]] if command == "compare" else [files["pkg"]]
    res = cli(command, *inputs, "--posterior", cal, "--draws", "2", "--replications", "2", "--out", tmp_path / "out")
    assert res.code == 2 and len(res.err_lines) == 1, res.err
    for words in (str(cal), "thin ensemble", "effective size 4.0 of 4 particles", "4 distinct", "--allow-thin"):
        assert words in res.err, (words, res.err)
    assert not (tmp_path / "out").exists()
    res = cli(command, *inputs, "--allow-thin", "--out", tmp_path / "out")
    assert res.code == 2 and "--allow-thin: given without --posterior" in res.err
    assert not (tmp_path / "out").exists()


def test_an_ensemble_of_200_effective_draws_runs_unmarked(tmp_path: Path, cli) -> None:
    files = scenarios(tmp_path)
    particles = tuple((-4.3 + 0.001 * i, -0.6) for i in range(200))
    cal = write_calibration(tmp_path / "cal", particles)
    args = ("compare", files["base"], files["lever"], "--posterior", cal, "--draws", "2", "--replications", "2")
    res = cli(*args, "--firms", "300", "--out", tmp_path / "out", "-q")
    assert res.code == 0, res.err
    (folder,) = (tmp_path / "out").iterdir()
    text = (folder / "comparison.md").read_text(encoding="utf-8")
    assert "thin ensemble" not in text and "Thin ensemble" not in text
    rows = (folder / "decision.csv").read_text(encoding="utf-8").splitlines()
    assert rows[1].endswith(",ensemble (ESS 200 of 200)")
    assert "No ranking is robust-tested here: the 2 draws are 2 distinct parameter sets" in text
