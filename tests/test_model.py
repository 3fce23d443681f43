"""Invariants, comparative statics, determinism and common random numbers."""

from __future__ import annotations

import functools

import mesa
import numpy as np
import pytest
from scipy import stats

from experiments.analysis.stats import mean_ci95
from model import RelocationModel, simulate
from model.levers import REGISTRY
from model.levers.base import PULL
from model.state import WorldState
from tests.helpers import SCENARIOS as ROOT_SCENARIOS
from tests.helpers import hand_set, scenario, shipped

# Each lever ships a scenario named by its key (scenarios/<key>.yaml), plus the whole package.
LEVER_SCENARIOS = [*REGISTRY, "article_package"]


def test_firms_are_mesa_agents_backed_by_arrays() -> None:
    sc = shipped("baseline", {"firms.count": 500})
    model = RelocationModel(sc, seed=1)
    assert isinstance(model, mesa.Model)
    assert len(model.agents) == 500
    firm = next(iter(model.agents))
    assert isinstance(firm, mesa.Agent)
    assert firm.place == firm.home
    assert model.data.kinds[model.data.place_index(firm.place)] == "origin"
    assert firm.jobs == model.firms.jobs[firm.index]
    for _ in range(3):
        model.step()
    assert len(model.agents) == int(model.firms.active.sum()), "births and closures reach the agents"
    assert {a.index for a in model.agents} == set(np.flatnonzero(model.firms.active).tolist())


def test_a_run_nobody_inspects_creates_no_agent() -> None:
    model = RelocationModel(shipped("baseline", {"firms.count": 500}), seed=1)
    model.run()
    assert len(model._all_agents) == 0


@pytest.mark.parametrize("name", ["baseline", "article_package"])
def test_jobs_are_conserved_every_year(name: str) -> None:
    sc = shipped(name, {"firms.count": 3_000})
    model = RelocationModel(sc, seed=5)
    base_total = model.data.base_jobs.sum()
    previous_end = None
    while model.year < sc.years.end:
        model.step()
        row = model.records[-1].row()
        start, born, stayed = row["start_jobs"], row["born_jobs"], row["stayed_jobs"]
        moved, closed = row["relocated_jobs"], row["closed_jobs"]
        # start + born = stayed + moved + closed, every year
        assert stayed + moved + closed == pytest.approx(start + born, rel=1e-12)
        assert born > 0 or model.year == sc.years.start
        if previous_end is not None:
            assert start == pytest.approx(previous_end, rel=1e-12)
        previous_end = start + born - closed
        active_jobs = model.weight * model.firms.jobs[model.firms.active].sum()
        assert active_jobs == pytest.approx(previous_end, rel=1e-12)
        # the place x industry job table follows the firms exactly
        assert model.jobs_pk.sum() - base_total == pytest.approx(active_jobs, rel=1e-9)
        to = row["to_north_jobs"] + row["to_jiangsu_jobs"] + row["to_outside_jobs"]
        assert to == pytest.approx(moved, rel=1e-12)


def test_budgets_are_never_exceeded() -> None:
    sc = shipped("article_package", {"firms.count": 5_000})
    res = simulate(sc, seed=2)
    for row in res.timeseries:
        for key in REGISTRY:
            lever = getattr(sc.policies, key)
            budget = getattr(lever, "annual_budget_yuan", getattr(lever, "annual_cost_yuan", 0.0))
            assert row[f"fiscal_{key}_yuan"] <= budget * (1 + 1e-12)
        assert row["fiscal_cost_yuan"] == pytest.approx(sum(row[f"fiscal_{k}_yuan"] for k in REGISTRY))


def test_a_binding_budget_is_spent_but_not_exceeded() -> None:
    budget = 2.0e7
    sc = shipped("relocation_aid", {"firms.count": 5_000, "policies.relocation_aid.annual_budget_yuan": budget})
    res = simulate(sc, seed=2)
    paid = [row["fiscal_relocation_aid_yuan"] for row in res.timeseries if row["year"] >= 2024]
    assert max(paid) <= budget
    # the aid binds: at least one year spends more than 90% of its budget
    assert max(paid) > 0.9 * budget


def test_shares_sum_to_one() -> None:
    res = simulate(shipped("baseline", {"firms.count": 3_000}), seed=4)
    shares = ("north_share_jobs", "jiangsu_share_jobs", "outside_share_jobs")
    assert sum(res.metrics[k] for k in shares) == pytest.approx(1.0)


def test_same_seed_same_results_other_seed_differs() -> None:
    sc = shipped("article_package", {"firms.count": 2_000})
    a, b, c = simulate(sc, 9), simulate(sc, 9), simulate(sc, 10)
    assert a.timeseries == b.timeseries and a.flows == b.flows
    assert a.flows != c.flows


def test_common_random_numbers_until_a_lever_starts() -> None:
    """A lever that starts in 2030 leaves every earlier year exactly as in the baseline."""
    late = shipped("relocation_aid", {"firms.count": 3_000, "policies.relocation_aid.start_year": 2030})
    base = shipped("baseline", {"firms.count": 3_000})
    a, b = simulate(late, 8), simulate(base, 8)
    early = [r for r in a.timeseries if r["year"] < 2030]
    assert early == [r for r in b.timeseries if r["year"] < 2030]
    assert a.timeseries[-1] != b.timeseries[-1]


@functools.cache
def report_metrics(name: str, seed: int, firms: int) -> dict[str, float]:
    """Report-window metrics of one run of a shipped scenario (cached: the lever tests share the baseline runs).

    On the hand-set coefficients (scenarios/before_calibration.yaml): the lever tests check the model's
    comparative statics, and were sized (6,000 firms, 6 seeds) on those values' move rate and talent
    weight. At the calibrated values the talent lever's effect is too small to see at this size (its
    north-park jobs are unchanged on 3,000-firm runs: README, "calibrate").
    """
    return dict(simulate(shipped(name, {**hand_set(), "firms.count": firms}), seed).metrics)


def paired_change(name: str, metric: str, replications: int = 6, firms: int = 6_000) -> list[float]:
    """Lever minus baseline, paired on the same seeds (common random numbers)."""
    seeds = range(100, 100 + replications)
    return [report_metrics(name, s, firms)[metric] - report_metrics("baseline", s, firms)[metric] for s in seeds]


def paired_north_share_gain(name: str, replications: int = 6, firms: int = 6_000) -> list[float]:
    return paired_change(name, "north_share_jobs", replications, firms)


# (replications, firms) of a lever whose effect is too small to see on the default 6 × 6,000 firms: with the
# industry bases by rule (model/data/README.md) the talent lever's north-share gain at the hand-set
# coefficients is about +0.07 points, with a paired SD of about 0.05 points on 30,000 firms (the 95% CI of 10
# paired runs then lies above 0; on 6 × 6,000 it spans 0).
SIZED = {"talent": (10, 30_000)}


def sized(name: str) -> tuple[int, int]:
    return SIZED.get(name, (6, 6_000))


@pytest.mark.parametrize("name", LEVER_SCENARIOS)
def test_each_lever_raises_the_north_share(name: str) -> None:
    """Paired on the same seeds: the 95% CI of the mean gain lies above zero."""
    gains = paired_north_share_gain(name, *sized(name))
    mean, lo, _hi = mean_ci95(gains)
    assert mean > 0
    assert lo is not None and lo > 0, f"{name}: gain {mean:.4f}, CI low {lo:.4f}"


@pytest.mark.parametrize("name", [k for k, cls in REGISTRY.items() if cls.acts_on == {PULL}])
def test_a_pull_only_lever_does_not_raise_moves_to_other_places(name: str) -> None:
    """DESIGN §2's contract over the report window: northern-only measures do not raise the jobs moved
    outside the province or to other Jiangsu places beyond noise (the 95% CI of the paired change reaches
    below +1% of the baseline's), while they raise the jobs moved north."""
    reps, firms = sized(name)
    for metric in ("to_outside_jobs", "to_jiangsu_jobs"):
        base = np.mean([report_metrics("baseline", s, firms)[metric] for s in range(100, 100 + reps)])
        mean, lo, _hi = mean_ci95(paired_change(name, metric, reps, firms))
        assert lo is not None and lo < 0.01 * base, f"{name}: {metric} {mean / base:+.1%} of the baseline's"
    _mean, lo, _hi = mean_ci95(paired_change(name, "to_north_jobs", reps, firms))
    assert lo is not None and lo > 0


def test_guidance_raises_outside_moves_through_its_push_part_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """Industry guidance acts on staying and on the parks' utility. Its pull part alone (push term zeroed)
    does not raise the jobs moved outside beyond noise; the whole lever does (its push part: firms told to
    leave the south choose among every destination). So the outside rise it shows is its push part."""
    from model.levers.guidance import IndustryGuidance

    seeds = range(100, 106)
    base = np.mean([report_metrics("baseline", s, 6_000)["to_outside_jobs"] for s in seeds])
    _mean, lo, _hi = mean_ci95(paired_change("industry_guidance", "to_outside_jobs"))
    assert lo is not None and lo > 0.05 * base
    apply = IndustryGuidance.apply

    def pull_part(self: IndustryGuidance, state: WorldState, year: int) -> float:
        spend = apply(self, state, year)
        state.guidance_push[:] = 0.0
        return spend

    monkeypatch.setattr(IndustryGuidance, "apply", pull_part)
    sc = shipped("industry_guidance", {"firms.count": 6_000})
    change = [
        simulate(sc, s).metrics["to_outside_jobs"] - report_metrics("baseline", s, 6_000)["to_outside_jobs"]
        for s in seeds
    ]
    _mean, lo, _hi = mean_ci95(change)
    assert lo is not None and lo < 0.01 * base


def test_outside_competition_lowers_the_north_share() -> None:
    gains = paired_north_share_gain("outside_competition")
    _mean, _lo, hi = mean_ci95(gains)
    assert hi is not None and hi < 0


def test_baseline_sends_most_moved_jobs_outside_and_the_package_turns_it() -> None:
    """A regression check, not evidence: most relocated jobs leave the province over the report
    window (the calibrated baseline), as in the article; the package's gain is on the hand-set
    coefficients (report_metrics) — but the null model (all choice coefficients 0) does so too (about
    89 % against the baseline's 91 %, docs/model.md), because most candidates are outside."""
    sc = shipped("baseline", {"firms.count": 10_000})
    shares = [simulate(sc, s).metrics["outside_share_jobs"] for s in range(3)]
    assert min(shares) > 0.5
    gains = paired_north_share_gain("article_package", replications=3, firms=10_000)
    # the package raises the north share on every seed, by several points (about +10 points with the industry
    # bases by rule; +20 or more with the earlier hand list of bases, whose parks' rows weighed more)
    assert min(gains) > 0.05


def test_costlier_south_pushes_more_firms_out() -> None:
    """Comparative static of the push: faster southern wage growth ⇒ more relocations."""
    slow = shipped("baseline", {"firms.count": 5_000, "world.south.wage_per_year": 0.02})
    fast = shipped("baseline", {"firms.count": 5_000, "world.south.wage_per_year": 0.10})
    assert simulate(fast, 1).metrics["relocated_jobs"] > 1.2 * simulate(slow, 1).metrics["relocated_jobs"]


def test_results_do_not_depend_on_sample_size_in_expectation() -> None:
    """Firm counts scale to `represented`, so 2,000 and 8,000 firms estimate the same shares and totals.

    Welch's t-test at p > 0.001 (the sampling-error criterion of tests/test_choice.py) over 8 seeds each.
    """
    for metric in ("north_share_jobs", "outside_share_jobs", "relocated_jobs"):
        small = [report_metrics("baseline", s, 2_000)[metric] for s in range(8)]
        large = [report_metrics("baseline", s, 8_000)[metric] for s in range(8)]
        assert stats.ttest_ind(small, large, equal_var=False).pvalue > 0.001, metric


def test_all_choice_terms_reach_the_utility() -> None:
    """Each named coefficient changes choices: a model that ignored one would pass silently otherwise."""
    from model.config import Choice

    for name in Choice.model_fields:
        bumped = scenario(
            {
                "firms.count": 2_000,
                "years": {"start": 2023, "end": 2024},
                "behaviour.push.intercept": 0.0,
                f"behaviour.choice.{name}": getattr(Choice(), name) + 2.0,
                "policies.industry_guidance": {"encouraged": ["textiles"]},
                "policies.relocation_aid": {"yuan_per_job": 1e4, "annual_budget_yuan": 1e12},
            }
        )
        with_lever = scenario(
            {
                "firms.count": 2_000,
                "years": {"start": 2023, "end": 2024},
                "behaviour.push.intercept": 0.0,
                "policies.industry_guidance": {"encouraged": ["textiles"]},
                "policies.relocation_aid": {"yuan_per_job": 1e4, "annual_budget_yuan": 1e12},
            }
        )
        assert simulate(bumped, 1).flows != simulate(with_lever, 1).flows, name


def test_closure_rises_with_thin_clusters() -> None:
    """Supply-chain penalty: a harsher penalty closes more relocated firms."""
    mild = shipped("baseline", {"firms.count": 5_000, "world.settlement.supply_chain_penalty": 0.0})
    harsh = shipped("baseline", {"firms.count": 5_000, "world.settlement.supply_chain_penalty": 3.0})
    assert simulate(harsh, 3).metrics["closed_jobs"] > simulate(mild, 3).metrics["closed_jobs"]
    assert np.isfinite(simulate(mild, 3).metrics["north_share_jobs"])


def test_a_firm_with_no_other_destination_stays(tmp_path) -> None:
    """With a single allowed destination, firms already there cannot move (and nothing breaks)."""
    from tests.helpers import world_of_places

    data = world_of_places(tmp_path, lambda r: r["kind"] == "origin" or r["id"] == "suzhou_suqian")
    sc = scenario(
        {
            "firms.count": 2_000,
            "behaviour.push.intercept": 50.0,
            "firms.entry.rate_per_year": 0.0,
            "years": {"start": 2023, "end": 2025},
            "world.data": data,
        }
    )
    res = simulate(sc, 1)
    assert {dest for _y, _o, dest, *_ in res.flows} == {"suzhou_suqian"}
    years = [row["year"] for row in res.timeseries]
    moves = [row["relocations"] for row in res.timeseries]
    # everyone moves in 2023 (push forced); afterwards only the firms still in an origin could
    assert years == [2023, 2024, 2025] and moves[0] > 0 and moves[1] == 0 and moves[2] == 0


@pytest.mark.parametrize("path", sorted((ROOT_SCENARIOS).glob("*.yaml")), ids=lambda p: p.stem)
def test_every_shipped_scenario_runs_small(path) -> None:
    from model import load_scenario

    sc = load_scenario(path, {"firms.count": 400})
    res = simulate(sc, 1)
    years = sc.years.end - sc.years.start + 1
    assert [row["year"] for row in res.timeseries] == list(range(sc.years.start, sc.years.end + 1))
    assert len(res.timeseries) == years
    assert res.metrics["relocated_jobs"] > 0
    assert 0.0 <= res.metrics["north_share_jobs"] <= 1.0
