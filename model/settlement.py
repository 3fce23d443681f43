"""Settlement: what a move pays and costs, and who closes; shared with the per-agent benchmark.

Each rule works on arrays, so the per-agent twin calls it with arrays of one
firm (`benchmarks/per_agent.py`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from model.config import Settlement
    from model.context import Movers
    from model.state import Offer, WorldState

MOVE_COST_UNIT_YUAN = 100_000.0


def pay_offers(
    offers: list[Offer], movers: Movers, dest: np.ndarray, jobs_real: np.ndarray, spend: dict[str, float]
) -> tuple[np.ndarray, np.ndarray]:
    """Pay every offer's claims in mover order while its budget lasts; spending goes to `spend`.

    Returns the yuan per job each mover received and the worker retention of
    the offers that paid it (the largest).
    """
    received = np.zeros(len(dest))
    retention = np.zeros(len(dest))
    for offer in offers:
        per_job = offer.yuan_per_job[movers.place, movers.industry, dest]
        claims = per_job * jobs_real
        paid = _pay_first_come(claims, offer.remaining_yuan)
        # A claim cut short means the fund is spent for the year (no rounding residue lingers).
        offer.remaining_yuan = 0.0 if np.any(paid < claims) else offer.remaining_yuan - float(paid.sum())
        spend[offer.lever] = spend.get(offer.lever, 0.0) + float(paid.sum())
        received += paid / jobs_real
        retention = np.maximum(retention, np.where(paid > 0, offer.worker_retention, 0.0))
    return received, retention


def move_shock(
    st: WorldState,
    jobs_pk: np.ndarray,
    movers: Movers,
    dest: np.ndarray,
    received: np.ndarray,
    retention: np.ndarray,
) -> np.ndarray:
    """Log-productivity change of a move: talent gained, skills lost, thin clusters, unpaid move cost."""
    s = st.scenario.world.settlement
    num = st.data.industry_num
    skill = num["skill_intensity"][movers.industry]
    talent_gain = np.log1p(st.talent_k[dest]) - np.log1p(st.talent_k[movers.place])
    thin = np.maximum(0.0, 1.0 - jobs_pk[dest, movers.industry] / s.cluster_threshold_jobs)
    supply_penalty = num["supply_chain_intensity"][movers.industry] * thin * (1.0 - st.supplier_support[dest])
    net_cost = np.maximum(0.0, num["move_cost_yuan_per_job"][movers.industry] - received)
    return (
        s.talent_effect * skill * talent_gain
        - s.skill_loss * skill * (1.0 - retention)
        - s.supply_chain_penalty * supply_penalty
        - s.move_cost_burden * net_cost / MOVE_COST_UNIT_YUAN
    )


def closure_hazard(s: Settlement, phi: np.ndarray) -> np.ndarray:
    """Yearly closure probability at log productivity phi (own level + move shock)."""
    return np.clip(s.closure_rate_per_year * np.exp(-s.closure_productivity * phi), 0.0, 1.0)


def _pay_first_come(claims_yuan: np.ndarray, budget_yuan: float) -> np.ndarray:
    """Pay claims in order while the budget lasts: the first claim that does not fit
    gets what is left, and every later claim gets nothing (the fund is spent)."""
    before = np.cumsum(claims_yuan) - claims_yuan
    return np.clip(budget_yuan - before, 0.0, claims_yuan)
