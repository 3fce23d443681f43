"""The per-agent benchmark model applies the same rules as the vectorised model.

A speed ratio means something only if both versions do the same work: these
tests check that the per-agent firms compute the same push and choice
probabilities as `model.choice` (to rounding), conserve jobs, and agree in
distribution with `model.simulate` over seeds. No timing is asserted here.
"""

from __future__ import annotations

import math
import statistics

import numpy as np
import pytest

from benchmarks.per_agent import (
    PerAgentModel,
    agreement,
    check_rules_covered,
    replication_seeds,
    simulate_per_agent,
)
from model import RelocationModel
from model.choice import (
    Context,
    Movers,
    choice_probabilities,
    effective_prices,
    push_probability,
    utilities,
)
from model.config import Scenario
from model.levers import build_levers
from model.state import WorldState
from tests.helpers import shipped


def test_every_vectorised_term_is_implemented() -> None:
    check_rules_covered()


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
    per.jobs = jobs.tolist()


@pytest.mark.parametrize("name", ["baseline", "article_package"])
def test_push_and_choice_probabilities_equal_the_vectorised_ones(name: str) -> None:
    sc = shipped(name, {"firms.count": 1_500})
    vec, per = RelocationModel(sc, seed=3), PerAgentModel(sc, seed=3)
    firms = list(per.agents)
    assert [a.jobs for a in firms] == vec.firms.jobs.tolist()  # same starting firms
    _move_by_hand(vec, per, np.random.default_rng(0), 300)
    column = {int(d): c for c, d in enumerate(vec.destinations)}
    for years in (1, 2, 3):  # levers start in the second year of the article package
        per.begin_year()
        p_vec, prob_vec = _vectorised_year_start(sc, vec, years)
        p_per = np.array([a.push_probability() for a in firms])
        prob_per = np.zeros_like(prob_vec)
        for i, a in enumerate(firms):
            dests, prob = a.choice_probabilities(per.year_start)
            prob_per[i, [column[d] for d in dests]] = prob
        np.testing.assert_allclose(p_per, p_vec, rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(prob_per, prob_vec, rtol=1e-9, atol=1e-12)


def test_jobs_are_conserved_and_the_run_is_deterministic() -> None:
    sc = shipped("article_package", {"firms.count": 2_000})
    model = PerAgentModel(sc, seed=9)
    base = model.data.base_jobs.sum()
    while model.year < sc.years.end:
        model.step()
        simulated = model.weight * sum(a.jobs for a in model.agents)
        assert math.isclose(sum(map(sum, model.jobs)), base + simulated, rel_tol=1e-9)
        row = model.rows[-1]
        assert row.to_north_jobs + row.to_outside_jobs == pytest.approx(row.relocated_jobs)
    again = simulate_per_agent(sc, seed=9)
    assert again.metrics == PerAgentModel(sc, seed=9).run().metrics
    assert model.rows == again.rows


def test_results_agree_in_distribution_with_the_vectorised_model() -> None:
    sc = shipped("article_package", {"firms.count": 2_000})
    result = agreement(sc, replication_seeds(11, 8))
    for name in ("relocated_firms", "north_share_jobs", "closed_jobs"):
        vec, per = result[name]
        diffs = [b - a for a, b in zip(vec, per, strict=True)]
        se = statistics.stdev(diffs) / math.sqrt(len(diffs))
        assert abs(statistics.fmean(diffs)) < 4 * se, (name, vec, per)
