"""Closed-form checks of the choice rule, computed when `report` runs (closed_form.csv).

1. Conditional logit (every λ = 1) on a stated case of five destinations in
   two nests: `model.nested.nested_logit` and `model.choice.choice_probabilities`
   against P(j) = e^V_j / Σ_m e^V_m written out here.
2. Nested logit on the same case with λ_a = 0.5, λ_b = 0.8: P(j), the nest
   shares and the inclusive value against
   P(j) = e^(V_j/λ_g) S_g^(λ_g−1) / Σ_h S_h^λ_h, S_g = Σ_{m∈g} e^(V_m/λ_g),
   IV = ln Σ_h S_h^λ_h.
3. Zero utilities on the reported scenario's destinations with its λ: each
   nest's share n_g^λ_g / Σ_h n_h^λ_h.
4. A simulated year: the reported scenario's first year, every firm moving
   (push intercept 50), one batch (so the state is fixed while firms choose);
   the destination counts of the movers against the model's own
   probabilities for that state (Σ over firm groups of movers × P(j)), with the
   binomial standard error SE = √(Σ n_g P_g (1 − P_g)): each nest's share within
   4 SE, and the largest |z| over all destinations within the Šidák bound for a
   0.1 % chance of a false alarm over all of them.
5. The gravity yardstick at its fitted a and b (experiments.facts.yardsticks):
   the model's own P(j) for the firms of each origin in its first year against
   GDP_j^a · km_oj^b / Σ_m GDP_m^a · km_om^b (km at least 1).

Exact checks pass within an absolute 1e-12 (floating-point rounding).
"""

from __future__ import annotations

import math
from statistics import NormalDist
from typing import Any

import numpy as np

from experiments.facts.yardsticks import gravity_overrides
from model.choice import choice_probabilities, utility_tables
from model.config import Scenario
from model.model import RelocationModel
from model.nested import NestSpec, nest_shares, nested_logit
from model.scenario import variant
from model.world import WorldData

EXACT = 1e-12
CASE_V = (0.0, 1.0, -0.5, 2.0, 0.3)  # a stated case: utilities of five destinations
CASE_NESTS = ("a", "a", "b", "b", "b")
CASE_LAMBDAS = {"a": 0.5, "b": 0.8}
SIM_FIRMS = 20_000  # movers in the simulated year: a 5 % share has a binomial SE of 0.15 pp
SIM_SE = 4.0  # |observed − expected| ≤ 4 SE per nest (a correct model fails with probability 6e-5)
FAMILY_ALPHA = 0.001  # the chance that any destination of a correct model exceeds the bound
FORCED_INTERCEPT = 50.0  # push log-odds: p = 1 − 2e−22, every firm moves


def _row(check: str, expected: float, got: float, tolerance: float) -> list[Any]:
    return [check, expected, got, tolerance, bool(abs(got - expected) <= tolerance)]


def analytic_conditional(v: tuple[float, ...]) -> list[float]:
    e = [math.exp(x) for x in v]
    return [x / math.fsum(e) for x in e]


def analytic_nested(
    v: tuple[float, ...], nests: tuple[str, ...], lambdas: dict[str, float]
) -> tuple[list[float], float]:
    s = {g: math.fsum(math.exp(x / lambdas[g]) for x, n in zip(v, nests, strict=True) if n == g) for g in lambdas}
    total = math.fsum(s[g] ** lambdas[g] for g in lambdas)
    p = [math.exp(x / lambdas[g]) * s[g] ** (lambdas[g] - 1) / total for x, g in zip(v, nests, strict=True)]
    return p, math.log(total)


def exact_rows() -> list[list[Any]]:
    v = np.array([CASE_V])
    case = f"V = {list(CASE_V)}, nests {''.join(CASE_NESTS)}"
    rows = []
    flat = NestSpec.of(list(CASE_NESTS), {g: 1.0 for g in CASE_LAMBDAS})
    prob, _iv = nested_logit(v, flat)
    softmax = choice_probabilities(v)
    for j, expected in enumerate(analytic_conditional(CASE_V)):
        rows.append(_row(f"conditional logit (all λ = 1), {case}: P(destination {j + 1})", expected, prob[0, j], EXACT))
        rows.append(_row(f"softmax (model.choice), {case}: P(destination {j + 1})", expected, softmax[0, j], EXACT))
    spec = NestSpec.of(list(CASE_NESTS), CASE_LAMBDAS)
    lam = ", ".join(f"λ_{g} = {x:g}" for g, x in CASE_LAMBDAS.items())
    prob, iv = nested_logit(v, spec)
    shares = nest_shares(prob, spec)
    expected_p, expected_iv = analytic_nested(CASE_V, CASE_NESTS, CASE_LAMBDAS)
    for j, expected in enumerate(expected_p):
        rows.append(_row(f"nested logit ({lam}), {case}: P(destination {j + 1})", expected, prob[0, j], EXACT))
    for g, name in enumerate(spec.names):
        expected = math.fsum(p for p, n in zip(expected_p, CASE_NESTS, strict=True) if n == name)
        rows.append(_row(f"nested logit ({lam}), {case}: P(nest {name})", expected, shares[0, g], EXACT))
    rows.append(_row(f"nested logit ({lam}), {case}: inclusive value", expected_iv, iv[0], EXACT))
    return rows


def zero_utility_rows(scenario: Scenario, world: WorldData) -> list[list[Any]]:
    """V = 0 on the scenario's destinations: nest shares n_g^λ_g / Σ_h n_h^λ_h."""
    kinds = list(world.kinds[np.isin(world.kinds, scenario.world.destination_kinds)])
    lambdas = scenario.behaviour.nests.model_dump()
    spec = NestSpec.of(kinds, lambdas)
    prob, _iv = nested_logit(np.zeros((1, len(kinds))), spec)
    shares = nest_shares(prob, spec)
    sizes = {g: kinds.count(g) for g in spec.names}
    total = math.fsum(n ** lambdas[g] for g, n in sizes.items())
    rows = []
    for g, name in enumerate(spec.names):
        expected = sizes[name] ** lambdas[name] / total
        check = (
            f"zero utilities, the scenario's {sizes[name]} {name} of {len(kinds)} destinations (λ {lambdas[name]:g})"
        )
        rows.append(_row(check + ": nest share", expected, shares[0, g], EXACT))
    return rows


def forced_year(scenario: Scenario, firms: int = SIM_FIRMS) -> Scenario:
    """The scenario's first year alone, every firm moving, one batch, one firm per represented firm."""
    start = scenario.years.start
    values = {
        "years": {"start": start, "end": start, "hindcast_end": None, "report_start": None},
        "policies": {},
        "firms.count": firms,
        "firms.represented": firms,
        "behaviour.push.intercept": FORCED_INTERCEPT,
        "behaviour.batches_per_year": 1,
    }
    return variant(scenario, values, "closed-form check", name=f"{scenario.name}-closed-form")


def expected_counts(scenario: Scenario, seed: int, world: WorldData) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The model's P(j) for its first year's state: (groups' origin place, industry) and P (G, D), destinations."""
    m = RelocationModel(scenario, seed, world)
    m.year += 1
    m.state.begin_year(m.year)
    for lever in m.levers:
        lever.apply(m.state, m.year)
    alive = np.flatnonzero(m.firms.active)
    ctx = m._context()
    m._year_tables = utility_tables(scenario.behaviour.choice, ctx, within_year=False)
    g = m.firm_groups.of(ctx, alive, m._parts(ctx))
    assert g.prob is not None
    keys = np.stack([g.members.place, g.members.industry], axis=1)
    return keys, g.prob, m.destinations


def simulated_rows(scenario: Scenario, seed: int, world: WorldData) -> list[list[Any]]:
    """Observed destination counts of one forced year against the model's probabilities (module docstring)."""
    sc = forced_year(scenario)
    keys, prob, dests = expected_counts(sc, seed, world)
    m = RelocationModel(sc, seed, world)
    m.step()
    res = m.run()
    column = {int(d): i for i, d in enumerate(dests)}
    group = {(int(o), int(k)): i for i, (o, k) in enumerate(keys)}
    industry = {k: i for i, k in enumerate(world.industry_ids)}
    movers = np.zeros(len(keys))
    observed = np.zeros(len(dests))
    for _year, origin, dest, ind, n, _jobs in res.flows:
        movers[group[(world.place_index(origin), industry[str(ind)])]] += float(n)
        observed[column[world.place_index(dest)]] += float(n)
    total = movers.sum()
    expected = movers @ prob
    var = movers @ (prob * (1 - prob))
    kinds = world.kinds[dests]
    case = f"simulated year {sc.years.start}, {int(total):,} movers"
    rows = []
    for kind in dict.fromkeys(kinds):
        cols = kinds == kind
        p_nest = prob[:, cols].sum(axis=1)
        se = math.sqrt(float(movers @ (p_nest * (1 - p_nest)))) / total
        rows.append(
            _row(
                f"{case}: share to the {kind} nest (±{SIM_SE:g} SE)",
                expected[cols].sum() / total,
                observed[cols].sum() / total,
                SIM_SE * se,
            )
        )
    z = np.where(var > 0, (observed - expected) / np.sqrt(np.where(var > 0, var, 1.0)), 0.0)
    bound = NormalDist().inv_cdf(1 - (1 - (1 - FAMILY_ALPHA) ** (1 / len(dests))) / 2)
    worst = int(np.argmax(np.abs(z)))
    rows.append(
        _row(
            f"{case}: largest |z| over the {len(dests)} destinations ({world.place_ids[dests[worst]]}; "
            f"Šidák bound for {FAMILY_ALPHA:.1%} over all)",
            0.0,
            float(abs(z[worst])),
            bound,
        )
    )
    return rows


def gravity_rows(scenario: Scenario, seed: int, world: WorldData, a: float, b: float) -> list[list[Any]]:
    """The gravity yardstick's P(j) from the model against GDP^a · km^b / Σ, the largest difference per origin."""
    sc = variant(forced_year(scenario), gravity_overrides(a, b), "closed-form check", name=f"{scenario.name}-gravity")
    keys, prob, dests = expected_counts(sc, seed, world)
    gdp = world.place_num["gdp2022_trn_cny"][dests]
    worst: dict[int, float] = {}
    for (origin, _industry), row in zip(keys, prob, strict=True):
        weight = gdp**a * np.maximum(world.distance_km[origin, dests], 1.0) ** b
        gap = float(np.max(np.abs(row - weight / weight.sum())))
        worst[int(origin)] = max(worst.get(int(origin), 0.0), gap)
    return [
        _row(f"gravity yardstick (a = {a:g}, b = {b:g}): largest |P(j) − GDP^a km^b / Σ| from {world.place_ids[o]}",
             0.0, gap, EXACT)
        for o, gap in sorted(worst.items())
    ]  # fmt: skip


def closed_form_rows(
    scenario: Scenario, seed: int, world: WorldData, gravity: tuple[float, float] | None = None
) -> list[list[Any]]:
    rows = [*exact_rows(), *zero_utility_rows(scenario, world), *simulated_rows(scenario, seed, world)]
    return rows + (gravity_rows(scenario, seed, world, *gravity) if gravity is not None else [])
