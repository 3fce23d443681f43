"""What a firm's decision reads at one moment of a year: the movers and the world's attributes.

`Movers` are the firms being decided (arrays); `Context` holds what the push
and choice terms read. Both the vectorised model and the per-agent benchmark
build these, so the terms are defined once (model.choice, model.push).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from model.state import WorldState

SUBSIDY_UNIT_YUAN = 10_000.0


@dataclass
class Movers:
    """The firms being decided in one batch, as arrays (n,)."""

    industry: np.ndarray
    place: np.ndarray  # current place
    home: np.ndarray  # origin the firm started in
    jobs: np.ndarray


@dataclass
class Context:
    """What the terms read at one moment of a year (P places, K industries).

    `state` is the world after the year's levers applied: fixed for the whole
    year, except the offers' remaining budgets, which terms read only through
    `offered`. The fields in `WITHIN_YEAR_FIELDS` change between the batches
    of a year.
    """

    state: WorldState
    destinations: np.ndarray  # (D,) place indices
    jobs_by_place_industry: np.ndarray  # (P, K), real units
    wage: np.ndarray  # (P,) with congestion
    land: np.ndarray  # (P,) with congestion
    offered: np.ndarray  # (P_from, K, P_to) yuan per job, offers whose budget is not yet spent


CONTEXT_FIELDS: frozenset[str] = frozenset(f.name for f in dataclasses.fields(Context))
# Congestion-adjusted wage and land, jobs by place and industry, and the offers
# with their remaining budgets move as the movers of a batch settle.
WITHIN_YEAR_FIELDS: frozenset[str] = frozenset({"wage", "land", "jobs_by_place_industry", "offered"})


def effective_prices(
    state: WorldState, jobs_total: np.ndarray, jobs_total_start: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Congestion: wages and land prices rise with the jobs a place has gained."""
    cong = state.scenario.world.congestion
    gain = np.maximum(0.0, jobs_total - jobs_total_start) / state.data.place_num["capacity_jobs"]
    return state.wage * (1 + gain) ** cong.wage_elasticity, state.land * (1 + gain) ** cong.land_elasticity


def cost_pressure_table(state: WorldState, wage: np.ndarray, land: np.ndarray) -> np.ndarray:
    """(K, P): Σ intensity × ln(price index) of each industry at each place."""
    num = state.data.industry_num
    return (
        num["labour_intensity"][:, None] * np.log(wage)[None, :]
        + num["land_intensity"][:, None] * np.log(land)[None, :]
        + num["energy_intensity"][:, None] * np.log(state.power)[None, :]
    )


def cost_pressure(
    state: WorldState, industry: np.ndarray, place: np.ndarray, wage: np.ndarray, land: np.ndarray
) -> np.ndarray:
    """Σ intensity × ln(price index) at the firm's current place (a K × P table, then looked up)."""
    return cost_pressure_table(state, wage, land)[industry, place]
