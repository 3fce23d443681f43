"""The per-agent benchmark model applies the same rules as the vectorised model.

A speed ratio means something only if both versions do the same work: these
tests check that the per-agent firms compute the same push and choice
probabilities as `model.choice` (to rounding), that they read the rule from
`model.choice` rather than from a copy (a changed term changes both alike),
that jobs are conserved and runs deterministic, and that both versions agree
in distribution over seeds. No timing is asserted here.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import replace

import numpy as np
import pytest

from benchmarks.per_agent import PerAgentModel, agreement, simulate_per_agent
from model import RelocationModel
from model import choice as choice_module
from model.choice import (
    Context,
    Movers,
    PushTerm,
    choice_probabilities,
    effective_prices,
    push_probability,
    utilities,
)
from model.config import Scenario
from model.levers import build_levers
from model.model import closure_hazard
from model.seeds import replication_seeds
from model.state import WorldState
from tests.helpers import shipped


def _vectorised_year_start(sc: Scenario, model: RelocationModel, years: int) -> tuple[np.ndarray, np.ndarray]:
    """Push and choice probabilities of every firm at the start of year `years` (1-based)."""
    state = WorldState(model.data, sc)
    levers = build_levers(sc, model.data)
    for year in range(sc.years.start, sc.years.start + years):
        state.begin_year(year)
        for lever in levers:
            lever.apply(state, year)
    f = model.firms
    wage, land = effective_prices(state, model.jobs_pk.sum(axis=1), model.jobs_total_start)
    ctx = Context(state, model.destinations, model.jobs_pk, wage, land, state.offered_yuan_per_job())
    movers = Movers(f.industry, f.place, f.home, f.jobs)
    p_move = push_probability(sc.behaviour.push, ctx, movers, f.age_years)
    prob = choice_probabilities(utilities(sc.behaviour.choice, ctx, movers))
    return p_move, prob


def _move_by_hand(vec: RelocationModel, per: PerAgentModel, rng: np.random.Generator, n: int) -> None:
    """Put the same n firms at the same destinations in both models, and redo both jobs tables."""
    firms = list(per.agents)
    for i in rng.choice(len(firms), n, replace=False):
        dest = int(rng.choice(vec.destinations))
        vec.firms.place[i] = dest
        firms[i].place = dest
    f = vec.firms
    jobs = vec.data.base_jobs.copy()
    np.add.at(jobs, (f.place, f.industry), vec.weight * f.jobs)
    vec.jobs_pk = jobs
    per.jobs = jobs.copy()


def _both_year_start(sc: Scenario, years: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(vectorised push, per-agent push, vectorised choice, per-agent choice) after `years` years of levers."""
    vec, per = RelocationModel(sc, seed=3), PerAgentModel(sc, seed=3)
    firms = list(per.agents)
    assert [a.jobs for a in firms] == vec.firms.jobs.tolist()  # same starting firms
    _move_by_hand(vec, per, np.random.default_rng(0), 300)
    for _ in range(years):
        per.begin_year()
    p_vec, prob_vec = _vectorised_year_start(sc, vec, years)
    p_per = np.array([a.push_probability() for a in firms])
    prob_per = np.array([a.choice_probabilities(per.year_start) for a in firms])
    return p_vec, p_per, prob_vec, prob_per


@pytest.mark.parametrize("name", ["baseline", "article_package"])
@pytest.mark.parametrize("years", [1, 2, 3])  # levers start in the second year of the article package
def test_push_and_choice_probabilities_equal_the_vectorised_ones(name: str, years: int) -> None:
    p_vec, p_per, prob_vec, prob_per = _both_year_start(shipped(name, {"firms.count": 1_500}), years)
    np.testing.assert_allclose(p_per, p_vec, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(prob_per, prob_vec, rtol=1e-9, atol=1e-12)


def test_the_per_agent_firms_read_the_rule_from_model_choice(monkeypatch: pytest.MonkeyPatch) -> None:
    """A changed choice term and a changed push term change both versions alike: there is no copy."""
    sc = shipped("article_package", {"firms.count": 600})
    p_before, _, prob_before, _ = _both_year_start(sc, 2)
    infra = choice_module.TERMS["infrastructure"]
    monkeypatch.setitem(choice_module.TERMS, "infrastructure", replace(infra, fn=lambda ctx: 3.0 * infra.fn(ctx) ** 2))
    monkeypatch.setitem(choice_module.PUSH_TERMS, "size", PushTerm(own=lambda firm: np.sqrt(firm.jobs) / 10.0))
    p_vec, p_per, prob_vec, prob_per = _both_year_start(sc, 2)
    assert not np.allclose(p_vec, p_before) and not np.allclose(prob_vec, prob_before)
    np.testing.assert_allclose(p_per, p_vec, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(prob_per, prob_vec, rtol=1e-9, atol=1e-12)


def test_the_scalar_closure_hazard_is_the_models() -> None:
    """The one rule repeated in the per-agent file (in `math`) equals `model.model.closure_hazard`."""
    sc = shipped("baseline", {"firms.count": 200, "world.settlement.closure_rate_per_year": 0.3})
    firm = next(iter(PerAgentModel(sc, seed=1).agents))
    phi = np.linspace(-3.0, 2.0, 41)
    scalar = []
    for value in phi:
        firm.log_productivity, firm.move_shock = float(value) - 0.25, 0.25
        scalar.append(firm.closure_hazard())
    expected = closure_hazard(sc.world.settlement, phi)
    assert expected.max() == 1.0 and expected.min() < 0.1  # the cap and the slope are both exercised
    np.testing.assert_allclose(scalar, expected, rtol=1e-12)


def test_jobs_are_conserved_and_the_run_is_deterministic() -> None:
    sc = shipped("article_package", {"firms.count": 2_000})
    model = PerAgentModel(sc, seed=9)
    base = model.data.base_jobs.sum()
    while model.year < sc.years.end:
        model.step()
        simulated = model.weight * sum(a.jobs for a in model.agents)
        assert math.isclose(model.jobs.sum(), base + simulated, rel_tol=1e-9)
        rec = model.records[-1]
        assert rec.to_north_jobs + rec.to_outside_jobs == pytest.approx(rec.relocated_jobs)
        assert rec.flow_jobs.sum() == pytest.approx(rec.relocated_jobs)
    again = simulate_per_agent(sc, seed=9)
    assert again.timeseries == [r.row() for r in model.records]
    assert again.flows == simulate_per_agent(sc, seed=9).flows
    assert again.metrics != simulate_per_agent(sc, seed=10).metrics


def test_results_agree_in_distribution_with_the_vectorised_model() -> None:
    sc = shipped("article_package", {"firms.count": 2_000})
    result = agreement(sc, replication_seeds(11, 8))
    for name in ("relocated_firms", "north_share_jobs", "closed_jobs"):
        vec, per = result[name]
        diffs = [b - a for a, b in zip(vec, per, strict=True)]
        se = statistics.stdev(diffs) / math.sqrt(len(diffs))
        assert abs(statistics.fmean(diffs)) < 4 * se, (name, vec, per)
