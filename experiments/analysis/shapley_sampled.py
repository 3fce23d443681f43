"""Shapley values by permutation sampling: N random orders of the levers instead of all 2^k subsets.

The Shapley value of lever i is its marginal effect v(P ∪ {i}) − v(P)
averaged over all k! orders, P being the levers before i in the order.
Sampling N orders uniformly (Castro, Gómez & Tejada 2009, "Polynomial
calculation of the Shapley value based on sampling", Computers & Operations
Research 36(5)) gives an unbiased estimate that needs only the coalitions the
orders pass through: at most N·(k − 1) + 2 of the 2^k subsets.

Efficiency holds exactly for each order (the marginal effects along an order
telescope to v(N) − v(∅)), so it holds for the estimate too, whatever N. An
additive game gives every order the same marginal effects, so the estimate is
exact; with interactions its sampling error is the standard deviation of the
per-order marginal effects over √N (`order_se`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np

Order = tuple[int, ...]


def sample_orders(k: int, n: int, seed: int) -> list[Order]:
    """N orders of levers 0..k−1, uniform and independent, from a seeded generator (the same seed, the same orders)."""
    rng = np.random.default_rng(seed)
    return [tuple(int(i) for i in rng.permutation(k)) for _ in range(n)]


def coalitions(orders: Sequence[Order], k: int) -> list[int]:
    """Every subset (bitmask) the orders pass through, and each lever alone and each left out: sorted, ∅ first, N last.

    The singletons and the full set less one lever are added so the report's
    "alone" and "last" effects stay exact (2k more at most).
    """
    full = (1 << k) - 1
    masks = {0, full}
    for order in orders:
        mask = 0
        for i in order:
            mask |= 1 << i
            masks.add(mask)
    for i in range(k):
        masks |= {1 << i, full & ~(1 << i)}
    return sorted(masks)


def marginal_effects(v: Mapping[int, float], orders: Sequence[Order], k: int) -> list[list[float]]:
    """Per order, per lever: v(P ∪ {i}) − v(P), P the levers before i in that order (v by bitmask)."""
    rows = []
    for order in orders:
        row = [math.nan] * k
        mask = 0
        for i in order:
            row[i] = v[mask | 1 << i] - v[mask]
            mask |= 1 << i
        rows.append(row)
    return rows


def sampled_shapley(v: Mapping[int, float], orders: Sequence[Order], k: int) -> list[float]:
    """The estimate: each lever's marginal effect averaged over the orders (NaN if a value it needs is not finite)."""
    effects = marginal_effects(v, orders, k)
    return [math.fsum(row[i] for row in effects) / len(orders) for i in range(k)]


def order_se(effects: Sequence[Sequence[float]]) -> list[float]:
    """Per lever, the standard error of the mean over orders: sd of the per-order effects / √N (NaN if N < 2)."""
    n = len(effects)
    if n < 2:
        return [math.nan] * (len(effects[0]) if effects else 0)
    out = []
    for i in range(len(effects[0])):
        xs = [row[i] for row in effects]
        m = math.fsum(xs) / n
        out.append(math.sqrt(math.fsum((x - m) ** 2 for x in xs) / (n - 1) / n))
    return out
