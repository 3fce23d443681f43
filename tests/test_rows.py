"""model/rows.py: the year's rows kept per (place, industry) cell and per home give the direct rule's values.

The direct form (`FirmGroups.of` on the whole term tables, DESIGN §2) sums every
group's row and runs the nested logit on it. `YearRows` keeps a row per cell
and per home and computes the year's inclusive values from the two factors'
exponentials; the values agree to rounding, year after year of a run with
offers, pairing and ties, and where a group's own place is excluded.
"""

from __future__ import annotations

import numpy as np
import pytest

from model.choice import OFFER_TERMS, utility_tables
from model.model import RelocationModel
from model.nested import NestSpec, inclusive_value, nested_logit
from model.rows import YearRows, factored_nest_values
from model.scenario import load_scenario
from model.world import world_for
from tests.conftest import SCENARIOS

RTOL = 1e-12  # rounding of sums taken in another order (about 1e-15 is seen)


@pytest.mark.parametrize(
    ("name", "over"),
    [
        ("article_package", {}),  # offers (aid, talent), pairing, guidance: every kind of table
        ("baseline", {"behaviour.choice.pairing": 0.0, "behaviour.choice.ties": 0.0}),  # no home terms at all
        ("baseline", {"behaviour.nests.outside_city": 0.15, "behaviour.choice.ties": 3.0}),  # strong nests, ties
    ],
)
def test_year_rows_give_the_direct_rules_inclusive_values_and_probabilities(name: str, over: dict) -> None:
    sc = load_scenario(SCENARIOS / f"{name}.yaml", {"firms.count": 4000, **over})
    m = RelocationModel(sc, 5, world_for(sc))
    compared = 0
    for _ in range(9):  # 2019-2027: the levers start in 2024
        m.step()
        ctx = m._context(offered=True)
        m._year_tables = utility_tables(sc.behaviour.choice, ctx, within_year=False)
        g = m.firm_groups.of(ctx, np.flatnonzero(m.firms.active), m._parts(ctx))
        rows = YearRows(sc.behaviour.choice, m.nests, ctx, g.members, OFFER_TERMS)
        iv = rows.inclusive_values(ctx)
        finite = np.isfinite(g.iv)
        np.testing.assert_array_equal(np.isfinite(iv), finite)
        np.testing.assert_allclose(iv[finite], g.iv[finite], rtol=RTOL, atol=RTOL)
        some = np.arange(0, len(g.counts), 3)
        assert g.prob is not None
        np.testing.assert_allclose(rows.probabilities(ctx, some), g.prob[some], rtol=RTOL, atol=1e-15)
        compared += int(finite.sum())
    assert compared > 1000 and len(rows.homes) > 1 and len(rows.cell_place) < len(g.counts)


def _spec(lambdas: tuple[float, ...], sizes: tuple[int, ...]) -> NestSpec:
    kinds = [f"k{g}" for g, n in enumerate(sizes) for _ in range(n)]
    return NestSpec.of(kinds, {f"k{g}": lam for g, lam in enumerate(lambdas)})


def test_the_factored_nest_values_are_those_of_the_summed_rows() -> None:
    rng = np.random.default_rng(3)
    spec = _spec((0.3, 0.7, 1.0), (4, 5, 30))
    f = rng.normal(0, 4, size=(50, 39))
    f[rng.random(f.shape) < 0.1] = -np.inf  # excluded places
    f[0, :4] = -np.inf  # a cell with an empty first nest
    f[1] = -np.inf  # a cell with no destination at all
    h = rng.normal(0, 2, size=(6, 39))
    got = factored_nest_values(f, h, spec)
    for k in range(h.shape[0]):
        v = f + h[k]
        _prob, iv = nested_logit(v, spec)
        ivc = inclusive_value(got[:, k, :], spec)
        np.testing.assert_array_equal(np.isfinite(ivc), np.isfinite(iv))
        ok = np.isfinite(iv)
        np.testing.assert_allclose(ivc[ok], iv[ok], rtol=RTOL, atol=RTOL)
    assert np.isneginf(got[0, :, 0]).all() and np.isneginf(got[1]).all()


def _row_wise_inclusive_value(x: np.ndarray, spec: NestSpec) -> np.ndarray:
    """ln Σ_g exp(λ_g x_g) row by row, stable: the textbook form."""
    y = spec.lambdas[None, :] * x
    m = np.max(y, axis=1, keepdims=True)
    safe = np.where(np.isfinite(m), m, 0.0)
    with np.errstate(divide="ignore"):
        out = np.log(np.sum(np.exp(y - safe), axis=1)) + safe[:, 0]
    return np.where(np.isfinite(m[:, 0]), out, -np.inf)


def test_the_inclusive_value_by_columns_is_the_row_wise_one() -> None:
    spec = _spec((0.2, 0.5, 0.9), (1, 1, 1))
    x = np.random.default_rng(1).normal(0, 30, size=(200, 3))
    x[3, 1] = x[4] = -np.inf
    want, got = _row_wise_inclusive_value(x, spec), inclusive_value(x, spec)
    np.testing.assert_array_equal(np.isfinite(got), np.isfinite(want))
    np.testing.assert_allclose(got[np.isfinite(want)], want[np.isfinite(want)], rtol=1e-14)
