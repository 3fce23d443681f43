"""The per-agent benchmark model applies the same nested rule as the vectorised model.

A speed ratio means something only if both versions do the same work: these
tests check that, for a given state, each per-agent firm's inclusive value,
push probability and nested-logit P(j) equal what the vectorised model
computes for its group (to rounding); that the firms read the rule from
`model.choice` rather than from a copy (a changed term changes both alike);
that jobs are conserved with births and closures and runs are deterministic;
and that both versions agree in distribution over seeds. No timing is asserted.
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any

import numpy as np
import pytest

from benchmarks.agreement import paired_z
from benchmarks.per_agent import PerAgentModel, simulate_per_agent
from model import RelocationModel, simulate
from model import choice as choice_module
from model.choice import PushTerm, utility_tables
from model.config import Scenario
from model.seeds import replication_seeds
from tests.helpers import shipped


def _same_state(sc: Scenario, years: int) -> tuple[RelocationModel, PerAgentModel]:
    """Both models after `years` years of levers and births, with the same 300 firms moved to the same places."""
    vec, per = RelocationModel(sc, seed=3), PerAgentModel(sc, seed=3)
    assert vec.iv_ref == per.iv_ref
    for _ in range(years):
        per.begin_year()
        vec.year += 1
        vec.state.begin_year(vec.year)
        for lever in vec.levers:
            lever.apply(vec.state, vec.year)
        vec.firms.active[vec.firms.birth_year == vec.year] = True
    firms = sorted(per.agents, key=lambda a: a.index)
    alive = np.flatnonzero(vec.firms.active)
    assert [a.index for a in firms] == alive.tolist(), "the same firms, born in the same years"
    assert [a.jobs for a in firms] == vec.firms.jobs[alive].tolist()
    rng = np.random.default_rng(0)
    for i in rng.choice(len(firms), 300, replace=False):
        dest = int(rng.choice(vec.destinations))
        vec.firms.place[alive[i]] = firms[i].place = dest
    vec.firm_groups.moved(alive)
    f = vec.firms
    jobs = vec.data.base_jobs.copy()
    np.add.at(jobs, (f.place[alive], f.industry[alive]), vec.weight * f.jobs[alive])
    vec.jobs_pk, per.jobs = jobs, jobs.copy()
    per.post_year_start()
    return vec, per


def _both(sc: Scenario, years: int) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """(vectorised, per-agent) IV, push probability and P(j) of every alive firm at the start of a year."""
    vec, per = _same_state(sc, years)
    firms = sorted(per.agents, key=lambda a: a.index)
    alive = np.flatnonzero(vec.firms.active)
    ctx = vec._context()
    vec._year_tables = utility_tables(sc.behaviour.choice, ctx, within_year=False)
    g = vec.firm_groups.of(ctx, alive, vec._parts(ctx))
    assert g.prob is not None
    return {
        "iv": (g.iv[g.inverse], np.array([a.inclusive_value() for a in firms])),
        "push": (vec._push(ctx, alive)[0], np.array([a.push_probability() for a in firms])),
        "prob": (g.prob[g.inverse], np.array([a.choice_probabilities(per.year_start) for a in firms])),
    }


def _assert_equal(both: dict[str, tuple[np.ndarray, np.ndarray]]) -> None:
    np.testing.assert_allclose(both["iv"][1], both["iv"][0], rtol=1e-12)
    # The vectorised model takes the age term's log over its float32 ages as one array, the
    # per-agent firm over its own float32 age: the two logs may differ by a float32 rounding.
    np.testing.assert_allclose(both["push"][1], both["push"][0], rtol=1e-6)
    np.testing.assert_allclose(both["prob"][1], both["prob"][0], rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("name", ["baseline", "article_package"])
@pytest.mark.parametrize("years", [1, 6, 8])  # births from the second year; the package's levers from 2024
def test_inclusive_value_push_and_choice_equal_the_vectorised_ones(name: str, years: int) -> None:
    both = _both(shipped(name, {"firms.count": 1_500}), years)
    _assert_equal(both)
    assert both["push"][0].std() > 0 and np.ptp(both["iv"][0]) > 0  # firms differ: the comparison has content


def test_the_inclusive_value_term_is_compared_too() -> None:
    """With push.inclusive_value = 1 the push moves with IV; the two versions still agree."""
    sc = shipped("article_package", {"firms.count": 800, "behaviour.push.inclusive_value": 1.0})
    off = shipped("article_package", {"firms.count": 800, "behaviour.push.inclusive_value": 0.0})
    on_both, off_both = _both(sc, 6), _both(off, 6)
    _assert_equal(on_both)
    _assert_equal(off_both)
    assert not np.allclose(on_both["push"][0], off_both["push"][0])


def test_the_per_agent_firms_read_the_rule_from_model_choice(monkeypatch: pytest.MonkeyPatch) -> None:
    """A changed choice term and a changed push term change both versions alike: there is no copy."""
    sc = shipped("article_package", {"firms.count": 600})
    before = _both(sc, 6)
    infra = choice_module.TERMS["infrastructure"]
    monkeypatch.setitem(choice_module.TERMS, "infrastructure", replace(infra, fn=lambda ctx: 3.0 * infra.fn(ctx) ** 2))
    monkeypatch.setitem(choice_module.PUSH_TERMS, "size", PushTerm(own=lambda firm: np.sqrt(firm.jobs) / 10.0))
    after = _both(sc, 6)
    assert not np.allclose(after["push"][0], before["push"][0])
    assert not np.allclose(after["prob"][0], before["prob"][0])
    _assert_equal(after)


def test_jobs_are_conserved_with_births_and_the_run_is_deterministic() -> None:
    sc = shipped("article_package", {"firms.count": 600})
    model = PerAgentModel(sc, seed=9)
    base = model.data.base_jobs.sum()
    while model.year < sc.years.end:
        model.step()
        rec = model.records[-1]
        row = rec.row()
        # start + born = stayed + moved + closed, every year
        assert row["stayed_jobs"] + row["relocated_jobs"] + row["closed_jobs"] == pytest.approx(
            row["start_jobs"] + row["born_jobs"], rel=1e-12
        )
        assert (row["born_firms"] > 0) == (model.year > sc.years.start)
        simulated = model.weight * sum(a.jobs for a in model.agents)
        assert math.isclose(model.jobs.sum(), base + simulated, rel_tol=1e-9)
        assert len(model.agents) * model.weight == pytest.approx(row["firms_active"])
        # the agents are the pre-drawn firms born so far, less the closed ones
        assert all(model.drawn.birth_year[a.index] <= model.year for a in model.agents)
        to = row["to_north_jobs"] + row["to_jiangsu_jobs"] + row["to_outside_jobs"]
        assert to == pytest.approx(row["relocated_jobs"])
        assert rec.flows[4].sum() == pytest.approx(row["relocated_jobs"])
        assert rec.stocks[1].sum() == pytest.approx(row["start_jobs"] + row["born_jobs"])
    again = simulate_per_agent(sc, seed=9)
    assert again.timeseries == [r.row() for r in model.records]
    assert again.flows == simulate_per_agent(sc, seed=9).flows
    assert again.timeseries != simulate_per_agent(sc, seed=10).timeseries


AGREEMENT_ROWS = ("relocations", "relocated_jobs", "to_outside_jobs", "closures", "firms_active")


def _totals(timeseries: list[dict[str, Any]]) -> dict[str, float]:
    return {key: float(sum(row[key] for row in timeseries)) for key in AGREEMENT_ROWS}


def test_results_agree_in_distribution_with_the_vectorised_model() -> None:
    """Paired over seeds (same firms drawn, own draws): |mean difference| < 4 standard errors, 2019-2024."""
    sc = shipped("baseline", {"firms.count": 2_000, "years.end": 2024})
    vec: dict[str, list[float]] = {key: [] for key in AGREEMENT_ROWS}
    per: dict[str, list[float]] = {key: [] for key in AGREEMENT_ROWS}
    for seed in replication_seeds(11, 10):
        for out, ts in ((vec, simulate(sc, seed).timeseries), (per, simulate_per_agent(sc, seed).timeseries)):
            for key, value in _totals(ts).items():
                out[key].append(value)
    for key in AGREEMENT_ROWS:
        assert abs(paired_z(vec[key], per[key])) < 4, (key, vec[key], per[key])
    assert np.mean(per["relocations"]) > 0
