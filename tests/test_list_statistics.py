"""The list statistics of experiments/facts/patterns.py against independent answers.

The hypergeometric tail against a brute-force enumeration of every pick and against scipy; rank-biased
overlap on textbook cases (Webber, Moffat & Zobel 2010) and on a short example computed by hand.
"""

from __future__ import annotations

import itertools
import math

import pytest
from scipy import stats

from experiments.facts.patterns import (
    SET_ALPHA,
    hypergeometric_quantile,
    hypergeometric_tail,
    random_picks,
    rbo,
    set_chance,
)


def _brute_tail(population: int, listed: int, picks: int, at_least: int) -> float:
    """P(at least `at_least` listed among `picks` distinct candidates), by counting every pick."""
    candidates = range(population)
    hits = sum(sum(c < listed for c in pick) >= at_least for pick in itertools.combinations(candidates, picks))
    return hits / math.comb(population, picks)


@pytest.mark.parametrize(("population", "listed", "picks"), [(9, 3, 4), (10, 5, 5), (7, 7, 3), (8, 2, 0)])
def test_the_hypergeometric_tail_is_the_brute_force_count(population: int, listed: int, picks: int) -> None:
    for at_least in range(-1, picks + 2):
        expected = _brute_tail(population, listed, picks, at_least)
        assert hypergeometric_tail(population, listed, picks, at_least) == pytest.approx(expected, abs=1e-15)


@pytest.mark.parametrize(("population", "listed", "picks"), [(147, 5, 5), (164, 5, 5), (147, 4, 3), (60, 10, 12)])
def test_the_hypergeometric_tail_and_quantile_agree_with_scipy(population: int, listed: int, picks: int) -> None:
    dist = stats.hypergeom(population, listed, picks)  # scipy's (M, n, N): population, listed, drawn
    for at_least in range(min(listed, picks) + 1):
        assert hypergeometric_tail(population, listed, picks, at_least) == pytest.approx(
            dist.sf(at_least - 1), rel=1e-9, abs=1e-300
        )
    for q in (0.05, 0.5, 0.95, 0.99):
        assert hypergeometric_quantile(population, listed, picks, q) == int(dist.ppf(q))


def test_the_hypergeometric_tail_refuses_impossible_draws() -> None:
    with pytest.raises(ValueError, match="0 ≤ K, n ≤ N"):
        hypergeometric_tail(5, 6, 2, 1)


def test_the_set_chance_of_a_top_five_among_147_candidates() -> None:
    """The shipped case: 5 picks from 147 outside candidates against a list of 5 of them."""
    cities = [f"c{i:03d}" for i in range(147)]
    chance = set_chance(cities[:5], cities)
    assert (chance.candidates, chance.listed, chance.picks) == (147, 5, 5)
    assert chance.mean == pytest.approx(25 / 147)
    assert chance.q95 == 1  # one city in common is what random picks reach 95% of the time
    assert chance.p(1) == pytest.approx(0.16094, abs=1e-5) and chance.p(2) == pytest.approx(0.0089372, abs=1e-7)
    assert chance.needed == 2 and chance.p(2) <= SET_ALPHA < chance.p(1)
    assert set_chance(["nowhere", *cities[:4]], cities).listed == 4  # a listed city that is no candidate


def test_rbo_of_identical_and_of_disjoint_lists() -> None:
    a = ["a", "b", "c", "d", "e"]
    for p in (0.5, 0.9, 0.98):
        assert rbo(a, a, p) == pytest.approx(1.0, abs=1e-15)  # the extrapolated form gives exactly 1
        assert rbo(a, ["v", "w", "x", "y", "z"], p) == 0.0


def test_rbo_on_a_short_example_computed_by_hand() -> None:
    """RBO_ext = (X_k/k) p^k + (1−p)/p Σ_d (X_d/d) p^d (Webber et al. 2010, eq. 32), p = 0.9, k = 3.

    S = a b c, T = b a d: agreements X_1/1 = 0, X_2/2 = 1, X_3/3 = 2/3, so
    RBO_ext = (2/3)·0.729 + (0.1/0.9)·(0 + 0.81 + (2/3)·0.729) = 0.486 + 0.144 = 0.630.
    """
    assert rbo(["a", "b", "c"], ["b", "a", "d"], 0.9) == pytest.approx(0.630, abs=1e-12)
    assert rbo(["a", "b", "c"], ["b", "a", "d"], 0.9, ranked=False) == pytest.approx(
        (2 / 3) * 0.729 + (0.1 / 0.9) * (0.9 * 1 + 0.81 * 1 + 0.729 * (2 / 3)), abs=1e-12
    )


def test_the_monte_carlo_p_of_an_rbo_is_never_zero_and_falls_with_the_value() -> None:
    cities = [f"c{i:03d}" for i in range(40)]
    chance = random_picks(cities[:5], cities, draws=2000)
    assert len(chance.draws) == 2000 and list(chance.draws) == sorted(chance.draws)
    assert chance.rbo_p(1.0) == pytest.approx(1 / 2001)  # nothing random reaches 1: the +1 keeps p > 0
    assert chance.rbo_p(0.0) == 1.0
    values = sorted(set(chance.draws))
    ps = [chance.rbo_p(v) for v in values]
    assert ps == sorted(ps, reverse=True) and chance.rbo_p(chance.rbo_q95) >= 0.05
