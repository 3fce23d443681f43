"""experiments/facts/hindcast.py: the vectorised sums are those of a loop over the rows, bit for bit.

`Hindcast.add` sums a run's flows and stocks with `np.bincount`, which adds the
weights one by one in row order. The oracle here is the plain loop over the
rows that the module's docstring describes (each row adds its jobs to its origin
group and to all origins). Equal floats, equal keys, equal order of the outside
cities: a calibration's distances therefore do not change with the rewrite.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import numpy as np
import pytest

from experiments.facts.hindcast import ALL, CLUSTER_BANDS_KM, DISTANCE_BANDS_KM, Hindcast
from model.model import simulate
from model.scenario import load_scenario
from model.world import WorldData, world_for
from tests.conftest import SCENARIOS


def _band(km: float, bands: tuple[float, ...]) -> str:
    i = int(np.searchsorted(bands, km, side="right")) - 1
    return f"{bands[i]:g}+ km" if i == len(bands) - 1 else f"{bands[i]:g}-{bands[i + 1]:g} km"


def _loop(h: Hindcast, flows: Any, stocks: Any) -> tuple[dict, dict]:
    """The row loop: acc[(group, statistic, item)] and each group's jobs per outside city."""
    d: WorldData = h.data
    first, last = h.window
    acc: dict[tuple[str, str, str], float] = defaultdict(float)
    outside: dict[str, dict[str, float]] = {g: {} for g in [*h.groups, ALL]}
    for year, origin, dest, industry, firms, jobs in flows:
        if not first <= int(year) <= last or origin not in h.group_of:
            continue
        km = float(d.distance_km[h.index[origin], h.index[dest]])
        for g in (h.group_of[origin], ALL):
            acc[(g, "moved_firms", "")] += float(firms)
            acc[(g, "moved_jobs", "")] += float(jobs)
            acc[(g, "kind_jobs", h.kind[dest])] += float(jobs)
            acc[(g, "band_jobs", _band(km, DISTANCE_BANDS_KM))] += float(jobs)
            acc[(g, "industry_jobs", str(industry))] += float(jobs)
            acc[(g, "north_jiangsu_jobs", "")] += float(jobs) if dest in h.north_jiangsu else 0.0
            if h.kind[dest] == "outside_city":
                outside[g][dest] = outside[g].get(dest, 0.0) + float(jobs)
                acc[(g, "cluster_jobs", _band(km, CLUSTER_BANDS_KM))] += float(jobs)
        i, k = h.index[dest], h.industry_index[str(industry)]
        if h.kind[dest] == "north_park":
            acc[(ALL, "park_jobs", dest)] += float(jobs)
            acc[(ALL, "park_focus_jobs", "")] += float(jobs) if d.focus[i, k] else 0.0
        acc[(ALL, "base_jobs", "")] += float(jobs) if d.base_jobs[i, k] > 0 else 0.0
    for year, place, industry, firms, jobs in stocks:
        if first <= int(year) <= last and place in h.group_of:
            for g in (h.group_of[place], ALL):
                acc[(g, "firms", "")] += float(firms)
                acc[(g, "industry_stock", str(industry))] += float(jobs)
    return dict(acc), outside


@pytest.mark.parametrize("intercept", [None, -4.0])  # the shipped move rate, and about 4x as many moves
def test_the_sums_are_the_row_loop_bit_for_bit(intercept: float | None) -> None:
    over: dict[str, Any] = {"firms.count": 4000}
    if intercept is not None:
        over["behaviour.push.intercept"] = intercept
    sc = load_scenario(SCENARIOS / "baseline.yaml", over)
    world = world_for(sc)
    r = simulate(sc, 7, world)
    assert len(r.flows) > 100, "a run with moves to sum"
    for window in ((2019, 2022), (2024, 2035)):
        h = Hindcast(world, window)
        acc: dict[tuple[str, str, str], float] = defaultdict(float)
        outside: dict[str, dict[str, float]] = {g: {} for g in [*h.groups, ALL]}
        h._add_flows(acc, outside, list(r.flows))
        h._add_stocks(acc, list(r.stocks))
        want_acc, want_outside = _loop(h, r.flows, r.stocks)
        got = {key: value for key, value in acc.items()}
        assert got == want_acc  # same keys, same floats (== on floats: bit for bit but for -0.0)
        assert {g: list(c.items()) for g, c in outside.items()} == {g: list(c.items()) for g, c in want_outside.items()}


def test_rows_outside_the_window_or_from_no_origin_add_nothing() -> None:
    world = world_for(load_scenario(SCENARIOS / "baseline.yaml"))
    h = Hindcast(world, (2020, 2021))
    origin = next(iter(h.group_of))
    outside_city = next(p for p, k in h.kind.items() if k == "outside_city")
    industry = world.industry_ids[0]
    flows = [
        (2019, origin, outside_city, industry, 1.0, 10.0),  # before the window
        (2022, origin, outside_city, industry, 1.0, 10.0),  # after it
        (2020, outside_city, origin, industry, 1.0, 10.0),  # not from an origin
        (2021, origin, outside_city, industry, 2.0, 30.0),  # the one that counts
    ]
    acc: dict[tuple[str, str, str], float] = defaultdict(float)
    outside: dict[str, dict[str, float]] = {g: {} for g in [*h.groups, ALL]}
    h._add_flows(acc, outside, flows)
    assert acc[(ALL, "moved_jobs", "")] == 30.0
    assert acc[(h.group_of[origin], "moved_firms", "")] == 2.0
    assert outside[ALL] == {outside_city: 30.0}
