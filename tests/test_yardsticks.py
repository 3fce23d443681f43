"""The yardsticks (experiments/facts/yardsticks.py): what they are, and the evidence rule.

The gravity yardstick is the model's own rule with every choice coefficient 0 but the GDP and distance terms
and every λ 1: for a firm at place o the choice shares must then be GDP_j^a · km_oj^b / Σ_m GDP_m^a · km_om^b,
whatever the push. Checked against the probabilities the model computes, in a small world.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from experiments.facts.yardsticks import DISTANCE_KEY, GDP_KEY, gravity_overrides, null_overrides
from model.choice import utility_tables
from model.config import Choice, Nests
from model.model import RelocationModel
from tests.helpers import scenario, world_of_places

SMALL_WORLD = {"suzhou", "wuxi", "nantong", "xuzhou", "ningbo", "guiyang", "chongqing", "wuhu", "baotou"}


def test_the_gravity_yardstick_is_the_null_model_with_two_coefficients() -> None:
    g = gravity_overrides(1.25, -0.75)
    null = null_overrides()
    assert set(g) == set(null) and g[GDP_KEY] == 1.25 and g[DISTANCE_KEY] == -0.75
    assert {k: v for k, v in g.items() if k not in (GDP_KEY, DISTANCE_KEY)} == {
        k: v for k, v in null.items() if k not in (GDP_KEY, DISTANCE_KEY)
    }
    assert gravity_overrides(0.0, 0.0) == null
    assert Choice().log_gdp == 0.0  # the shipped model has no GDP term


def _model_probabilities(model: RelocationModel) -> tuple[np.ndarray, np.ndarray]:
    """The model's own P(j) of its first year's firm groups (as the closed-form check computes them)."""
    model.year += 1
    model.state.begin_year(model.year)
    ctx = model._context()
    model._year_tables = utility_tables(model.config.behaviour.choice, ctx, within_year=False)
    groups = model.firm_groups.of(ctx, np.flatnonzero(model.firms.active), model._parts(ctx))
    assert groups.prob is not None
    return groups.members.place, groups.prob


@pytest.mark.parametrize(("a", "b"), [(1.0, -1.0), (2.0, -0.5), (0.5, -2.5), (0.0, 0.0)])
def test_the_gravity_shares_of_an_origin_are_gdp_to_the_a_times_km_to_the_b(tmp_path: Path, a: float, b: float) -> None:
    data = world_of_places(tmp_path, lambda r: r["id"] in SMALL_WORLD)
    values = {
        "world.data": data,
        "years": {"start": 2023, "end": 2023},
        "firms.count": 300,
        "behaviour.push.intercept": -2.0,  # any push: it decides who moves, not where
        "behaviour.push.cost_pressure": 3.0,
    }
    for key, value in gravity_overrides(a, b).items():
        values[key] = value
    model = RelocationModel(scenario(values), seed=3)
    d = model.data
    dest = model.destinations
    assert set(d.kinds[dest]) == {"jiangsu_city", "outside_city"} and len(dest) == len(SMALL_WORLD) - 2
    gdp = d.place_num["gdp2022_trn_cny"][dest]
    places, prob = _model_probabilities(model)
    assert set(places.tolist()) == {d.place_index("suzhou"), d.place_index("wuxi")}
    for row, origin in zip(prob, places, strict=True):
        weight = gdp**a * np.maximum(d.distance_km[origin, dest], 1.0) ** b
        np.testing.assert_allclose(row, weight / weight.sum(), rtol=1e-12, atol=0)


def test_a_nest_lambda_of_one_is_part_of_both_yardsticks() -> None:
    for overrides in (null_overrides(), gravity_overrides(1.0, -1.0)):
        assert {k for k in overrides if k.startswith("behaviour.nests.")} == {
            f"behaviour.nests.{k}" for k in Nests.model_fields
        }
        assert all(v == 1.0 for k, v in overrides.items() if k.startswith("behaviour.nests."))


def test_the_evidence_rule_truth_table() -> None:
    from experiments.facts import yardsticks as y

    table = {
        (True, False, False): y.EVIDENCE,
        (True, True, False): y.MET_BY_NULL,
        (True, False, True): y.MET_BY_GRAVITY,
        (True, True, True): y.MET_BY_BOTH,
        (True, None, None): y.EVIDENCE,  # an undefined yardstick measure does not meet the rule
        (True, None, True): y.MET_BY_GRAVITY,
        (True, True, None): y.MET_BY_NULL,
        (None, True, True): y.UNDEFINED,
        (None, False, False): y.UNDEFINED,
    }
    for null in (True, False, None):
        for gravity in (True, False, None):
            table[(False, null, gravity)] = y.NOT_MET
    for (model, null, gravity), expected in table.items():
        assert y.evidence(model, null, gravity) == expected, (model, null, gravity)
    assert set(table.values()) == set(y.EVIDENCE_VALUES)


def test_the_gravity_grid_is_coarse_then_the_best_points_neighbourhood_inside_the_ranges() -> None:
    from experiments.facts.gravity import COARSE_A, COARSE_B, coarse_points, fine_points

    coarse = coarse_points()
    assert len(coarse) == len(COARSE_A) * len(COARSE_B) == 35 and (0.0, 0.0) in coarse  # the null model is on it
    assert fine_points((1.0, -1.5), coarse) == [
        (0.75, -1.25),
        (0.75, -1.5),
        (0.75, -1.75),
        (1.0, -1.25),
        (1.0, -1.75),
        (1.25, -1.25),
        (1.25, -1.5),
        (1.25, -1.75),
    ]
    assert fine_points((0.0, 0.0), coarse) == [(0.0, -0.25), (0.25, 0.0), (0.25, -0.25)]  # a corner: 3 new points


def test_the_best_gravity_point_is_the_least_distance_and_ties_are_counted_and_broken_by_grid_order() -> None:
    from experiments.facts.gravity import GravityFit, Score

    def score(point: tuple[float, float], total: float) -> Score:
        return Score(1, point, {"f": 0.0}, {"f": True}, {"f": total}, total)

    scores = [score((0.0, 0.0), 2.0), score((0.5, -1.0), 1.0), score((1.0, -1.0), 1.0), score((1.5, -2.0), 1.5)]
    best = min(scores, key=lambda s: s.total)
    fit = GravityFit(scores, best, ("f",), {"f": 1.0}, 2)
    assert (fit.a, fit.b) == (0.5, -1.0) and fit.tied == 2
    rows = fit.rows()
    assert [r[-1] for r in rows] == ["false", "true", "false", "false"]
    assert fit.manifest()["runs"] == 8 and fit.manifest()["tied"] == 2
