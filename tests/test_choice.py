"""Closed forms of the nested logit (DESIGN §2), exactly and on the whole model.

The exact tests evaluate `model.nested` where the answer is known in closed
form. The simulated tests move every firm once (push forced to 1) and compare
the observed destination counts with the closed-form shares by chi-square
goodness-of-fit tests. Seeds are fixed, so the tests are deterministic; the
threshold p > 0.001 is the sampling-error criterion: a correct model fails it
for one seed in a thousand, while a share off by 5% relative, or nests
ignored, is rejected at these sample sizes (the `detects` tests).

Nest sizes are counted from the data (the destinations of each kind), so
the tests hold whatever the candidate set is.
"""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest
from scipy import optimize, stats

from model import simulate
from model.choice import choice_probabilities, sample_choice
from model.config import Nests, Scenario
from model.nested import NestSpec, inclusive_value, nest_shares, nest_values, nested_logit
from model.world import WorldData, haversine_km, world_for
from tests.helpers import FLAT_NESTS, one_year_everyone_moves

P_MIN = 0.001
FIRMS = 100_000
NORTH_HALF = {**FLAT_NESTS, "north_park": 0.5}  # the case: λ_north = 0.5, the other λ = 1
DEFAULTS = Nests().model_dump()
LAMBDA_CASES = {
    "north_half": NORTH_HALF,
    "all_below_one": {"north_park": 0.3, "jiangsu_city": 0.6, "outside_city": 0.8},
    "defaults": DEFAULTS,
}


def _destination_kinds(sc: Scenario, data: WorldData) -> np.ndarray:
    return data.kinds[np.isin(data.kinds, sc.world.destination_kinds)]


def _spec(sc: Scenario, data: WorldData) -> NestSpec:
    return NestSpec.of(list(_destination_kinds(sc, data)), sc.behaviour.nests.model_dump())


def _closed_form_nest_shares(sizes: dict[str, int], lambdas: dict[str, float]) -> dict[str, float]:
    """All V = 0: nest g is chosen with n_g^λ_g / Σ_h n_h^λ_h."""
    weight = {g: n ** lambdas[g] for g, n in sizes.items() if n > 0}
    total = sum(weight.values())
    return {g: w / total for g, w in weight.items()}


def moved_once(sc: Scenario, seed: int = 11) -> tuple[WorldData, np.ndarray]:
    """(data, n): n[o, d] = firms that moved from place o to place d in the scenario's one year."""
    data = world_for(sc)
    res = simulate(sc, seed=seed, data=data)
    n = np.zeros((data.n_places, data.n_places))
    for _year, origin, dest, _ind, firms, _jobs in res.flows:
        n[data.place_index(origin), data.place_index(dest)] += firms
    return data, n


# --- the nested logit, exactly ---------------------------------------------------------


def _naive_nested_logit(v: np.ndarray, nest_of: np.ndarray, lambdas: np.ndarray) -> np.ndarray:
    """P(j) = exp(V_j/λ_g) S_g^(λ_g − 1) / Σ_h S_h^λ_h with S_g = Σ_{m∈g} exp(V_m/λ_g), one loop per cell."""
    out = np.zeros_like(v)
    for i in range(v.shape[0]):
        s = [sum(np.exp(v[i, m] / lam) for m in np.flatnonzero(nest_of == g)) for g, lam in enumerate(lambdas)]
        total = sum(s_g**lam for s_g, lam in zip(s, lambdas, strict=True) if s_g > 0)
        for j in range(v.shape[1]):
            g = nest_of[j]
            if s[g] > 0:
                out[i, j] = np.exp(v[i, j] / lambdas[g]) * s[g] ** (lambdas[g] - 1) / total
    return out


def _random_problem(rng: np.random.Generator, rows: int = 40) -> tuple[np.ndarray, NestSpec]:
    kinds = list(rng.choice(["a", "b", "c"], size=12))
    kinds[:3] = ["a", "b", "c"]  # every nest present
    spec = NestSpec.of(kinds, {k: float(rng.uniform(0.05, 1.0)) for k in "abc"})
    v = rng.normal(0.0, 2.0, size=(rows, len(kinds)))
    v[rng.random(v.shape) < 0.2] = -np.inf  # excluded destinations
    v[0, spec.columns[1]] = -np.inf  # a row for which a whole nest is excluded
    v[1] += 700.0  # large utilities: the logsums must not overflow
    return v, spec


def test_nested_logit_is_the_closed_form_formula() -> None:
    rng = np.random.default_rng(3)
    for _ in range(5):
        v, spec = _random_problem(rng)
        prob, iv = nested_logit(v, spec)
        shifted = v - np.max(np.where(np.isfinite(v), v, -np.inf), axis=1, keepdims=True)
        # the naive formula on utilities shifted per row: P is unchanged by a common shift
        np.testing.assert_allclose(prob, _naive_nested_logit(shifted, spec.nest_of, spec.lambdas), atol=1e-13)
        np.testing.assert_allclose(prob.sum(axis=1), 1.0, rtol=1e-12)
        assert np.all(prob[~np.isfinite(v)] == 0.0)
        assert np.all(nest_shares(prob, spec)[0, 1] == 0.0)
        np.testing.assert_allclose(iv, inclusive_value(nest_values(v, spec), spec))


def test_the_inclusive_value_is_the_expected_maximum_utility() -> None:
    """Williams–Daly–Zachary: ∂IV/∂V_j = P(j), which holds because IV is the model's logsum (RUM-consistent)."""
    rng = np.random.default_rng(5)
    v, spec = _random_problem(rng, rows=6)
    v[1] -= 700.0
    prob, _iv = nested_logit(v, spec)
    h = 1e-6
    for j in range(v.shape[1]):
        up, down = v.copy(), v.copy()
        up[:, j] += h
        down[:, j] -= h
        grad = (nested_logit(up, spec)[1] - nested_logit(down, spec)[1]) / (2 * h)
        np.testing.assert_allclose(grad, prob[:, j], atol=1e-7)


def test_every_lambda_one_is_the_conditional_logit() -> None:
    rng = np.random.default_rng(8)
    v, spec = _random_problem(rng)
    flat = NestSpec(spec.names, np.ones(len(spec.names)), spec.nest_of, spec.columns)
    prob, iv = nested_logit(v, flat)
    with np.errstate(invalid="ignore"):
        np.testing.assert_allclose(prob, choice_probabilities(v), rtol=1e-12, atol=1e-300)
    finite_max = np.max(v, axis=1)
    np.testing.assert_allclose(iv, finite_max + np.log(np.exp(v - finite_max[:, None]).sum(axis=1)), rtol=1e-12)


@pytest.mark.parametrize("lambdas", list(LAMBDA_CASES.values()), ids=list(LAMBDA_CASES))
def test_zero_utilities_give_the_closed_form_nest_shares_exactly(lambdas: dict[str, float]) -> None:
    """V = 0: nest shares n_g^λ_g / Σ_h n_h^λ_h, equal places within a nest, IV = ln Σ_h n_h^λ_h.

    Row 0 is a firm at an origin (every destination allowed); row 1 a firm at
    a northern park (its own park excluded: that nest has one place fewer).
    """
    sc = one_year_everyone_moves(10, {}, lambdas)
    data = world_for(sc)
    kinds = _destination_kinds(sc, data)
    spec = _spec(sc, data)
    v = np.zeros((2, len(kinds)))
    v[1, np.flatnonzero(kinds == "north_park")[0]] = -np.inf
    prob, iv = nested_logit(v, spec)
    shares = nest_shares(prob, spec)
    sizes = Counter(kinds.tolist())
    assert set(sizes) == set(spec.names) and sizes["north_park"] > 1
    for row, sizes_row in enumerate((sizes, {**sizes, "north_park": sizes["north_park"] - 1})):
        expected = _closed_form_nest_shares(sizes_row, lambdas)
        for g, name in enumerate(spec.names):
            assert shares[row, g] == pytest.approx(expected[name], rel=1e-12), name
            allowed = prob[row, spec.columns[g]][np.isfinite(v[row, spec.columns[g]])]
            np.testing.assert_allclose(allowed, shares[row, g] / sizes_row[name], rtol=1e-12)
        assert iv[row] == pytest.approx(np.log(sum(n ** lambdas[g] for g, n in sizes_row.items())), rel=1e-12)
    if lambdas["north_park"] < 1:  # a smaller λ: fewer parks' worth of share than the conditional logit gives
        assert shares[0, spec.names.index("north_park")] < sizes["north_park"] / len(kinds)


# --- the nested logit in a simulated year --------------------------------------------


def _nest_counts(sc: Scenario, data: WorldData, n: np.ndarray) -> tuple[list[str], np.ndarray]:
    moved = n.sum(axis=0)
    names = [k for k in sc.behaviour.nests.model_dump() if k in sc.world.destination_kinds]
    return names, np.array([moved[data.kinds == k].sum() for k in names])


def test_everyone_moves_when_push_is_forced() -> None:
    sc = one_year_everyone_moves(2_000, {})
    res = simulate(sc, seed=3)
    assert res.timeseries[0]["relocations"] == 2_000


@pytest.mark.parametrize("lambdas", list(LAMBDA_CASES.values()), ids=list(LAMBDA_CASES))
def test_a_simulated_year_has_the_closed_form_nest_and_place_shares(lambdas: dict[str, float]) -> None:
    """All coefficients 0: nests drawn with n_g^λ_g / Σ_h n_h^λ_h, places within a nest uniformly."""
    sc = one_year_everyone_moves(FIRMS, {}, lambdas)
    data, n = moved_once(sc)
    assert n.sum() == FIRMS
    names, observed = _nest_counts(sc, data, n)
    sizes = {k: int((data.kinds == k).sum()) for k in names}
    expected = _closed_form_nest_shares(sizes, lambdas)
    assert stats.chisquare(observed, FIRMS * np.array([expected[k] for k in names])).pvalue > P_MIN
    for k in names:
        within = n.sum(axis=0)[data.kinds == k]
        assert stats.chisquare(within).pvalue > P_MIN, k


def test_zero_coefficients_and_flat_nests_give_uniform_shares() -> None:
    sc = one_year_everyone_moves(FIRMS, {}, FLAT_NESTS)
    data, n = moved_once(sc)
    dest = np.isin(data.kinds, sc.world.destination_kinds)
    observed = n.sum(axis=0)[dest]
    assert observed.sum() == FIRMS and n.sum(axis=0)[~dest].sum() == 0
    assert stats.chisquare(observed).pvalue > P_MIN


def test_the_nest_test_detects_ignored_nests() -> None:
    """The criterion has power: λ_north = 0.5 data reject the conditional logit's nest shares n_g / Σ n_h."""
    sc = one_year_everyone_moves(FIRMS, {}, NORTH_HALF)
    data, n = moved_once(sc)
    names, observed = _nest_counts(sc, data, n)
    sizes = np.array([(data.kinds == k).sum() for k in names])
    assert stats.chisquare(observed, FIRMS * sizes / sizes.sum()).pvalue < P_MIN


# --- a non-zero utility: the pairing term's closed form ----------------------------------


def _partner_share(beta: float, partners: int, sizes: dict[str, int], lambdas: dict[str, float]) -> float:
    """P(one given partner park) when `partners` parks have V = β and every other destination V = 0.

    S_N = partners·e^(β/λ_N) + n_N − partners; P = e^(β/λ_N)/S_N · S_N^λ_N / (S_N^λ_N + Σ_{h≠N} n_h^λ_h).
    """
    lam = lambdas["north_park"]
    s_north = partners * np.exp(beta / lam) + sizes["north_park"] - partners
    rest = sum(n ** lambdas[g] for g, n in sizes.items() if g != "north_park")
    return float(np.exp(beta / lam) / s_north * s_north**lam / (s_north**lam + rest))


PAIRING_CASES = {
    f"{name}-{target}": (lambdas, target)
    for name, lambdas in (("flat", FLAT_NESTS), ("north_half", NORTH_HALF), ("defaults", DEFAULTS))
    for target in (0.3, 0.05)
}


def _pairing_year(lambdas: dict[str, float], target: float) -> tuple[float, Scenario, WorldData, np.ndarray]:
    """The β giving a partner park the share `target` by the closed form, and a simulated year with it.

    β is solved from the closed form so that the share is large enough to test,
    whatever the number of destinations; the simulation does not know the form.
    """
    probe = one_year_everyone_moves(10, {}, lambdas)
    data = world_for(probe)
    sizes = dict(Counter(_destination_kinds(probe, data).tolist()))
    beta = optimize.brentq(lambda b: _partner_share(b, 1, sizes, lambdas) - target, -50.0, 50.0, xtol=1e-14)
    sc = one_year_everyone_moves(FIRMS, {"pairing": beta}, lambdas)
    _data, n = moved_once(sc)
    return beta, sc, data, n


def _pairing_chi2(data: WorldData, n: np.ndarray, share_of: dict[int, float]) -> tuple[float, int]:
    """Σ over origins of the chi-square of (each partner park, every other destination); df = partner parks."""
    parks = np.flatnonzero(data.partner >= 0)
    chi2, df = 0.0, 0
    for origin in np.unique(data.partner[parks]):
        mine = parks[data.partner[parks] == origin]
        total = n[origin].sum()
        p = np.full(len(mine), share_of[len(mine)])
        observed = np.append(n[origin, mine], total - n[origin, mine].sum())
        expected = total * np.append(p, 1.0 - p.sum())
        chi2 += float((((observed - expected) ** 2) / expected).sum())
        df += len(mine)
    return chi2, df


@pytest.mark.parametrize(("lambdas", "target"), list(PAIRING_CASES.values()), ids=list(PAIRING_CASES))
def test_pairing_share_matches_closed_form(lambdas: dict[str, float], target: float) -> None:
    beta, sc, data, n = _pairing_year(lambdas, target)
    sizes = {k: int((data.kinds == k).sum()) for k in sc.world.destination_kinds}
    partners = Counter(data.partner[data.partner >= 0].tolist()).values()
    share_of = {m: _partner_share(beta, m, sizes, lambdas) for m in set(partners)}
    chi2, df = _pairing_chi2(data, n, share_of)
    assert df == int((data.partner >= 0).sum()) > 0
    assert stats.chi2.sf(chi2, df) > P_MIN


def test_chi_square_detects_a_wrong_share() -> None:
    """The criterion has power: a partner share off by 5% relative is rejected."""
    beta, sc, data, n = _pairing_year(FLAT_NESTS, 0.3)
    sizes = {k: int((data.kinds == k).sum()) for k in sc.world.destination_kinds}
    partners = Counter(data.partner[data.partner >= 0].tolist()).values()
    wrong = {m: 1.05 * _partner_share(beta, m, sizes, FLAT_NESTS) for m in set(partners)}
    chi2, df = _pairing_chi2(data, n, wrong)
    assert stats.chi2.sf(chi2, df) < P_MIN


# --- distance: a power law within and across nests ------------------------------------


def _distance_closed_form(km: np.ndarray, kinds: np.ndarray, beta: float, lambdas: dict[str, float]) -> np.ndarray:
    """V_j = β ln d_j: P(j) = d_j^(β/λ_g) S_g^(λ_g − 1) / Σ_h S_h^λ_h, S_g = Σ_{m∈g} d_m^(β/λ_g)."""
    lam = np.array([lambdas[k] for k in kinds])
    w = km ** (beta / lam)
    s = {k: w[kinds == k].sum() for k in set(kinds.tolist())}
    total = sum(s[k] ** lambdas[k] for k in s)
    return w * np.array([s[k] ** (lambdas[k] - 1) for k in kinds]) / total


def _pooled_chi2(observed: np.ndarray, expected: np.ndarray, least: float = 10.0) -> tuple[float, int]:
    """Chi-square over bins of consecutive cells (in the order given) pooled until each expects ≥ `least`."""
    chi2, bins, acc_o, acc_e = 0.0, 0, 0.0, 0.0
    for o, e in zip(observed, expected, strict=True):
        acc_o, acc_e = acc_o + o, acc_e + e
        if acc_e >= least:
            chi2, bins, acc_o, acc_e = chi2 + (acc_o - acc_e) ** 2 / acc_e, bins + 1, 0.0, 0.0
    if acc_e > 0:  # the remainder joins the last bin's test as one more cell
        chi2, bins = chi2 + (acc_o - acc_e) ** 2 / acc_e, bins + 1
    return chi2, bins - 1


@pytest.mark.parametrize("lambdas", [FLAT_NESTS, DEFAULTS], ids=["flat", "defaults"])
def test_distance_shares_follow_power_law(lambdas: dict[str, float]) -> None:
    """Flat nests: P(j) ∝ d^β over all destinations; nested: the same law with exponent β/λ_g inside nests."""
    beta = -1.2
    sc = one_year_everyone_moves(FIRMS, {"distance": beta}, lambdas)
    data, n = moved_once(sc)
    dest = np.flatnonzero(np.isin(data.kinds, sc.world.destination_kinds))
    chi2, df = 0.0, 0
    for origin in data.of_kind("origin"):
        km = np.maximum(data.distance_km[origin, dest], 1.0)
        p = _distance_closed_form(km, data.kinds[dest], beta, lambdas)
        if lambdas == FLAT_NESTS:
            np.testing.assert_allclose(p, km**beta / (km**beta).sum(), rtol=1e-12)
        order = np.argsort(km)
        c, k = _pooled_chi2(n[origin, dest][order], n[origin].sum() * p[order])
        chi2, df = chi2 + c, df + k
    assert df > 100
    assert stats.chi2.sf(chi2, df) > P_MIN


# --- sampling and geography ---------------------------------------------------------------


def test_softmax_is_the_logit_formula() -> None:
    v = np.array([[0.0, 1.0, -2.0, 0.5], [3.0, -np.inf, 1.0, 0.0]])
    p = choice_probabilities(v)
    with np.errstate(divide="ignore"):
        expected = np.exp(v) / np.exp(v).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(p, expected, rtol=1e-12)
    np.testing.assert_allclose(p.sum(axis=1), 1.0)
    assert p[1, 1] == 0.0


def test_inverse_cdf_never_picks_an_excluded_destination() -> None:
    p = choice_probabilities(np.array([[-np.inf, 0.0, 0.0], [0.0, 0.0, -np.inf]] * 500))
    u = np.linspace(0.0, 1.0, 1000, endpoint=False)
    pick = sample_choice(p, u)
    assert not np.any(pick[0::2] == 0)
    assert not np.any(pick[1::2] == 2)
    assert set(pick.tolist()) <= {0, 1, 2}


def test_haversine_quarter_meridian() -> None:
    km = haversine_km(np.array(0.0), np.array(0.0), np.array(90.0), np.array(0.0))
    assert km == pytest.approx(np.pi / 2 * 6371.0)


def test_near_cluster_distances_match_the_article() -> None:
    """domain.md stylized fact 7: Ningbo and Wuhu are about 183-184 km from Suzhou/Wuxi."""
    data = world_for(one_year_everyone_moves(10, {}))
    km = data.distance_km
    assert km[data.place_index("suzhou"), data.place_index("ningbo")] == pytest.approx(183, rel=0.1)
    assert km[data.place_index("wuxi"), data.place_index("wuhu")] == pytest.approx(184, rel=0.1)
    far = km[data.place_index("suzhou"), data.place_index("guiyang")]
    assert 1_100 < far < 1_700


def test_nest_values_of_many_rows_are_those_of_each_row_alone_bit_for_bit() -> None:
    """Many rows go nest by nest, few rows all columns at once (model.nested.BLOCKWISE_CELLS):
    each row's values must not depend on which way it went."""
    from model.nested import BLOCKWISE_CELLS

    rng = np.random.default_rng(11)
    kinds = ["a"] * 9 + ["b"] * 8 + ["c"] * 147
    spec = NestSpec.of(kinds, {"a": 0.6, "b": 0.8, "c": 0.4})
    rows = BLOCKWISE_CELLS // len(kinds) + 5
    v = rng.normal(0.0, 3.0, size=(rows, len(kinds)))
    v[rng.random(v.shape) < 0.05] = -np.inf
    v[0, spec.columns[1]] = -np.inf  # a whole nest excluded
    v[1] += 700.0
    assert v.size >= BLOCKWISE_CELLS
    together = nest_values(v, spec)
    alone = np.concatenate([nest_values(v[i : i + 1], spec) for i in range(rows)])
    assert np.array_equal(together, alone)
    assert together[0, 1] == -np.inf
