"""Closed forms of the conditional logit, checked on the whole model.

Each test moves every firm once (push forced to 1) and compares the observed
destination counts with the logit's closed-form shares by a chi-square
goodness-of-fit test. The seed is fixed, so the tests are deterministic; the
threshold p > 0.001 is the sampling-error criterion: a correct model fails it
for one seed in a thousand, a wrong share of a few percent fails it always at
these sample sizes (see test_chi_square_detects_a_wrong_share).
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from model import simulate
from model.choice import choice_probabilities, sample_choice
from model.world import haversine_km, world_for
from tests.helpers import one_year_everyone_moves

P_MIN = 0.001
FIRMS = 40_000


def counts_by_origin_destination(sc):
    data = world_for(sc)
    res = simulate(sc, seed=11, data=data)
    n = np.zeros((data.n_places, data.n_places))
    for _year, origin, dest, _ind, firms, _jobs in res.flows:
        n[data.place_index(origin), data.place_index(dest)] += firms
    return data, n


def test_everyone_moves_when_push_is_forced() -> None:
    sc = one_year_everyone_moves(2_000, {})
    res = simulate(sc, seed=3)
    assert res.timeseries[0]["relocations"] == 2_000


def test_zero_coefficients_give_uniform_shares() -> None:
    data, n = counts_by_origin_destination(one_year_everyone_moves(FIRMS, {}))
    dest = np.isin(data.kinds, ("north_park", "outside_city"))
    observed = n.sum(axis=0)[dest]
    assert observed.sum() == FIRMS
    assert len(observed) == 19
    assert stats.chisquare(observed).pvalue > P_MIN


@pytest.mark.parametrize("beta", [1.5, -1.0])
def test_pairing_share_matches_closed_form(beta: float) -> None:
    data, n = counts_by_origin_destination(one_year_everyone_moves(FIRMS, {"pairing": beta}))
    d = int(np.isin(data.kinds, ("north_park", "outside_city")).sum())
    expected_share = np.exp(beta) / (np.exp(beta) + d - 1)
    chi2, df = 0.0, 0
    for park in data.of_kind("north_park"):
        origin = data.partner[park]
        total = n[origin].sum()
        k = n[origin, park]
        chi2 += (k - total * expected_share) ** 2 / (total * expected_share * (1 - expected_share))
        df += 1
    assert df == 9
    assert stats.chi2.sf(chi2, df) > P_MIN


def test_distance_shares_follow_power_law() -> None:
    beta = -1.2
    data, n = counts_by_origin_destination(one_year_everyone_moves(FIRMS, {"distance": beta}))
    dest = np.flatnonzero(np.isin(data.kinds, ("north_park", "outside_city")))
    chi2, df = 0.0, 0
    for origin in data.of_kind("origin"):
        weights = data.distance_km[origin, dest] ** beta
        expected = n[origin, dest].sum() * weights / weights.sum()
        chi2 += (((n[origin, dest] - expected) ** 2) / expected).sum()
        df += len(dest) - 1
    assert stats.chi2.sf(chi2, df) > P_MIN


def test_chi_square_detects_a_wrong_share() -> None:
    """The criterion has power: a share off by 10% relative is rejected."""
    data, n = counts_by_origin_destination(one_year_everyone_moves(FIRMS, {"pairing": 1.5}))
    d = int(np.isin(data.kinds, ("north_park", "outside_city")).sum())
    wrong = 1.1 * np.exp(1.5) / (np.exp(1.5) + d - 1)
    chi2 = 0.0
    for park in data.of_kind("north_park"):
        origin = data.partner[park]
        total = n[origin].sum()
        chi2 += (n[origin, park] - total * wrong) ** 2 / (total * wrong * (1 - wrong))
    assert stats.chi2.sf(chi2, 9) < P_MIN


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
