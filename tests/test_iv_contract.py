"""The inclusive-value contract (DESIGN §2 "Consequence, and a contract").

With 0 < push.inclusive_value ≤ 1, a change that only raises the utilities
of one nest g never raises the expected number of moves to another nest h in
the year it acts: moves to h are p(move) · P(h) = σ(η₀ + c (IV − IV_ref)) ·
exp(λ_h IV_h − IV), and d ln[σ(η) e^(−IV)] / d IV = c (1 − p) − 1 < 0 when
c ≤ 1. The push itself rises, so the extra movers come from staying, and the
moves to g rise.

Checked three ways: exactly on random utilities (and c > 1 shown to break
it where c (1 − p) > 1: the bound is what makes it hold); exactly on the
model's own probabilities for each firm in the year a lever acts; and on
paired simulated years (same seeds, one batch, so no within-year feedback),
with one-sided z bounds from the paired firm-level differences.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest

from model import RelocationModel
from model.choice import (
    Context,
    Movers,
    effective_prices,
    logistic,
    nest_shares,
    nested_logit,
    push_probability,
    utilities,
)
from model.config import Scenario
from model.levers import REGISTRY, build_levers
from model.levers.aid import RelocationAid
from model.levers.base import PULL
from model.nested import NestSpec
from model.state import WorldState
from tests.helpers import hand_set, shipped

Z_ONE_SIDED = 3.09  # one-sided p = 0.001
YEAR = 2024
RTOL = 1e-12


# --- exactly, on random utilities -----------------------------------------------------


def _problems(seed: int) -> Iterator[tuple[np.ndarray, NestSpec, np.ndarray]]:
    """Random utilities (with excluded cells), nests of random sizes and λ ∈ (0, 1], and push intercepts η₀."""
    rng = np.random.default_rng(seed)
    for _ in range(30):
        n_nests = int(rng.integers(2, 5))
        kinds = [f"k{g}" for g in range(n_nests)] + [f"k{g}" for g in rng.integers(0, n_nests, size=10)]
        lambdas = {f"k{g}": float(rng.uniform(0.02, 1.0)) for g in range(n_nests)}
        lambdas[f"k{int(rng.integers(n_nests))}"] = 1.0  # the edge λ = 1 in every problem
        spec = NestSpec.of(kinds, lambdas)
        v = rng.normal(0.0, 3.0, size=(50, len(kinds)))
        v[rng.random(v.shape) < 0.15] = -np.inf
        yield v, spec, rng.normal(-2.0, 3.0, size=50)


def _moves_by_nest(v: np.ndarray, spec: NestSpec, eta0: np.ndarray, c: float) -> tuple[np.ndarray, np.ndarray]:
    """(p(move) of each row, expected moves to each nest p · P(h)); IV_ref = 0 (a constant shifts η₀ only)."""
    prob, iv = nested_logit(v, spec)
    p = np.asarray(logistic(eta0 + c * iv))
    return p, p[:, None] * nest_shares(prob, spec)


def _raise_nest(v: np.ndarray, spec: NestSpec, g: int, delta: float) -> np.ndarray:
    out = v.copy()
    out[:, spec.columns[g]] += delta
    return out


@pytest.mark.parametrize("c", [1e-3, 0.25, 0.5, 0.9, 1.0])
def test_raising_one_nest_never_raises_expected_moves_to_another(c: float) -> None:
    checked = 0
    for v, spec, eta0 in _problems(seed=int(c * 1000)):
        p0, m0 = _moves_by_nest(v, spec, eta0, c)
        for g in range(len(spec.names)):
            reach = np.isfinite(v[:, spec.columns[g]]).any(axis=1)  # rows for which nest g has a place
            for delta in (1e-4, 0.3, 3.0):
                p1, m1 = _moves_by_nest(_raise_nest(v, spec, g, delta), spec, eta0, c)
                others = np.arange(len(spec.names)) != g
                assert np.all(m1[:, others] <= m0[:, others] * (1 + RTOL)), (c, g, delta)
                before, after = m0[reach][:, others], m1[reach][:, others]
                assert np.all(after[before > 1e-300] < before[before > 1e-300]), "strictly, where nest g has a place"
                assert np.all(p1[reach] > p0[reach]) and np.all(p1[~reach] == p0[~reach])
                assert np.all(m1[reach, g] > m0[reach, g])
                checked += int(reach.sum())
    assert checked > 10_000


def test_without_the_inclusive_value_the_push_ignores_the_destinations() -> None:
    """c = 0: p(move) is unchanged exactly, and the moves to the other nests fall by the share nest g takes."""
    for v, spec, eta0 in _problems(seed=4):
        p0, m0 = _moves_by_nest(v, spec, eta0, 0.0)
        p1, m1 = _moves_by_nest(_raise_nest(v, spec, 0, 0.5), spec, eta0, 0.0)
        np.testing.assert_array_equal(p1, p0)
        np.testing.assert_allclose(m1.sum(axis=1), p0, rtol=1e-12)
        assert np.all(m1[:, 1:] <= m0[:, 1:] * (1 + RTOL))


@pytest.mark.parametrize("c", [1.5, 2.0, 3.0])
def test_an_inclusive_value_coefficient_above_one_breaks_the_contract(c: float) -> None:
    """c > 1: the moves to the other nests rise exactly where c (1 − p) > 1 (for a small δ)."""
    violations = 0
    rng = np.random.default_rng(int(c * 10))
    for v, spec, _eta0 in _problems(seed=int(c * 10)):
        # η₀ such that p(move) spreads over (0, 1) whatever the row's IV
        target = rng.uniform(0.01, 0.99, size=v.shape[0])
        eta0 = np.log(target / (1 - target)) - c * nested_logit(v, spec)[1]
        p0, m0 = _moves_by_nest(v, spec, eta0, c)
        _p1, m1 = _moves_by_nest(_raise_nest(v, spec, 0, 1e-6), spec, eta0, c)
        reach = np.isfinite(v[:, spec.columns[0]]).any(axis=1)
        rises = (m1[:, 1:] > m0[:, 1:]).any(axis=1)
        margin = np.abs(c * (1 - p0) - 1) > 1e-3  # leave out rows too close to the boundary for a finite δ
        predicted = c * (1 - p0) > 1
        np.testing.assert_array_equal(rises[reach & margin], predicted[reach & margin])
        violations += int(rises[reach].sum())
    assert violations > 100


# --- exactly, on the model's own probabilities in the year a lever acts ---------------------


@dataclass
class _Decision:
    """Each initial firm's first-year decision: p(move), expected moves to each nest, IV_ref."""

    p_move: np.ndarray
    moves_by_nest: np.ndarray
    nests: NestSpec
    iv_ref: float


def _decision(sc: Scenario, seed: int = 5) -> _Decision:
    """The first year's decision from the rule's own functions (model.choice), on the world after the levers.

    The model is then run for the year, and its recorded mean p(move) must be
    the one computed here: the probabilities checked are the ones it draws from.
    """
    model = RelocationModel(sc, seed)
    d, f, year = model.data, model.firms, sc.years.start
    state = WorldState(d, sc)
    state.begin_year(year)
    for lever in build_levers(sc, d):
        lever.apply(state, year)
    wage, land = effective_prices(state, model.jobs_pk.sum(axis=1), model.jobs_total_start)
    ctx = Context(state, model.destinations, model.jobs_pk, wage, land, state.offered_yuan_per_job())
    alive = np.flatnonzero(f.active)
    movers = Movers(f.industry[alive], f.place[alive], f.home[alive], f.jobs[alive])
    prob, iv = nested_logit(utilities(sc.behaviour.choice, ctx, movers), model.nests)
    p = push_probability(sc.behaviour.push, ctx, movers, f.age_years[alive], iv - model.iv_ref)
    iv_ref = model.iv_ref
    model.step()
    assert model.records[0].mean_move_probability == pytest.approx(float(p.mean()), rel=1e-9)
    return _Decision(p, p[:, None] * nest_shares(prob, model.nests), model.nests, iv_ref)


def one_year(name: str, firms: int, overrides: dict[str, Any] | None = None) -> Scenario:
    """The shipped scenario `name` as the single year 2024, its levers acting in that year only, in one batch."""
    sc = shipped(name)
    ov: dict[str, Any] = {
        "years": {"start": YEAR, "end": YEAR},
        "firms.count": firms,
        "behaviour.batches_per_year": 1,
    }
    for key in REGISTRY:
        if getattr(sc.policies, key) is not None:
            ov[f"policies.{key}.start_year"] = YEAR
            ov[f"policies.{key}.end_year"] = YEAR
    if sc.policies.infrastructure is not None:  # type: ignore[attr-defined]
        ov["policies.infrastructure.lag_years"] = 0  # acting in its first year, not two years later
    return shipped(name, {**ov, **(overrides or {})})


# The changes that only raise the utilities of one nest, and that nest.
ONE_NEST = {key: "north_park" for key, cls in REGISTRY.items() if cls.acts_on == {PULL}} | {
    "outside_competition": "outside_city"
}


def _contract_gap(name: str, c: float) -> tuple[float, float, np.ndarray, np.ndarray]:
    """(largest relative rise of a firm's expected moves to another nest, largest fall of its moves to the nest,
    base and lever p(move)) in the first year of `name` against the baseline, for push.inclusive_value c."""
    ov = {"behaviour.push.inclusive_value": c}
    base, lever = _decision(one_year("baseline", 3_000, ov)), _decision(one_year(name, 3_000, ov))
    assert base.iv_ref == lever.iv_ref, "IV_ref depends on the scenario's policies"
    g = lever.nests.names.index(ONE_NEST.get(name, "north_park"))
    others = np.arange(len(lever.nests.names)) != g
    m0, m1 = base.moves_by_nest, lever.moves_by_nest
    rise = float(np.max((m1[:, others] - m0[:, others]) / m0[:, others]))
    fall = float(np.max((m0[:, g] - m1[:, g]) / m0[:, g]))
    return rise, fall, base.p_move, lever.p_move


@pytest.mark.parametrize("name", list(ONE_NEST))
def test_a_one_nest_change_never_raises_any_firms_expected_moves_to_another_nest(name: str) -> None:
    rise, fall, p0, p1 = _contract_gap(name, 0.5)
    assert rise <= RTOL, f"{name}: a firm's expected moves to another nest rise by {rise:.3g}"
    assert fall <= RTOL
    assert np.all(p1 >= p0 * (1 - RTOL)) and np.any(p1 > p0 * (1 + 1e-6)), "the change does not reach the push"


def test_a_push_lever_raises_moves_to_every_nest() -> None:
    """Industry guidance acts on staying too: the contract does not cover it, and its push part shows."""
    rise, _fall, _p0, _p1 = _contract_gap("industry_guidance", 0.5)
    assert rise > 0.1


def test_the_model_check_detects_money_that_feeds_the_push(monkeypatch: pytest.MonkeyPatch) -> None:
    """The old artefact (northern-only aid raising the push directly) is caught by the same check."""
    apply = RelocationAid.apply

    def pushing(self: RelocationAid, state: WorldState, year: int) -> float:
        state.guidance_push[self.data.of_kind("origin")] += 0.1 * self.config.active(year)
        return apply(self, state, year)

    monkeypatch.setattr(RelocationAid, "apply", pushing)
    rise, _fall, _p0, _p1 = _contract_gap("relocation_aid", 0.5)
    assert rise > 0.01


# --- on paired simulated years ------------------------------------------------------------

FIRMS = 200_000
KINDS = ("north_park", "jiangsu_city", "outside_city")


def _outcomes(sc: Scenario, seed: int) -> np.ndarray:
    """Each firm's destination kind after the one year ("" = did not move)."""
    model = RelocationModel(sc, seed)
    model.step()
    moved = model.firms.moves > 0
    return np.where(moved, model.data.kinds[model.firms.place], "")


def _z(a: np.ndarray, b: np.ndarray) -> float:
    """Paired z of Σ (a_i − b_i) over firms; firms are independent within a one-batch year."""
    d = a.astype(float) - b.astype(float)
    ss = float((d**2).sum())
    return float(d.sum()) / np.sqrt(ss) if ss else 0.0


def _paired(name: str, c: float, seed: int = 12) -> tuple[np.ndarray, np.ndarray]:
    """Base and lever on the same seed, on the hand-set coefficients (power sized on their move rate)."""
    ov = {**hand_set(), "behaviour.push.inclusive_value": c}
    return _outcomes(one_year("baseline", FIRMS, ov), seed), _outcomes(one_year(name, FIRMS, ov), seed)


@pytest.mark.parametrize("c", [0.5, 1.0])
def test_paired_years_relocation_aid_draws_from_staying_and_the_other_nests(c: float) -> None:
    base, aid = _paired("relocation_aid", c)
    assert np.all((aid != "")[base != ""]), "CRN: a firm that moves without aid moves with it"
    assert _z(aid != "", base != "") > Z_ONE_SIDED
    assert _z(aid == "north_park", base == "north_park") > Z_ONE_SIDED
    for kind in ("jiangsu_city", "outside_city"):
        assert _z(aid == kind, base == kind) < Z_ONE_SIDED, kind


def test_paired_years_without_the_inclusive_value_only_the_split_changes() -> None:
    base, aid = _paired("relocation_aid", 0.0)
    np.testing.assert_array_equal(aid != "", base != "")
    assert _z(aid == "north_park", base == "north_park") > Z_ONE_SIDED
    assert (aid == "outside_city").sum() < (base == "outside_city").sum()
    assert _z(aid == "jiangsu_city", base == "jiangsu_city") < Z_ONE_SIDED


def test_paired_years_detect_money_that_feeds_the_push(monkeypatch: pytest.MonkeyPatch) -> None:
    """The bound has power: aid that also raised the push by 0.1 in log-odds would raise outside moves."""
    apply = RelocationAid.apply

    def pushing(self: RelocationAid, state: WorldState, year: int) -> float:
        state.guidance_push[self.data.of_kind("origin")] += 0.1 * self.config.active(year)
        return apply(self, state, year)

    monkeypatch.setattr(RelocationAid, "apply", pushing)
    base, aid = _paired("relocation_aid", 0.5)
    assert _z(aid == "outside_city", base == "outside_city") > Z_ONE_SIDED
