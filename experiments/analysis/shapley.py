"""The exact Shapley decomposition of a package's effect among its levers.

A policy package moves a metric from v(∅) (the world without its levers) to
v(N) (all of them). Levers interact, so "the effect of lever i" depends on
which levers are already there. The Shapley value averages lever i's marginal
effect over every order in which the levers could be added:

    φ_i = Σ_{S ⊆ N∖{i}} |S|! (k − |S| − 1)! / k! · (v(S ∪ {i}) − v(S))

It is the only split that sums exactly to v(N) − v(∅) (efficiency), gives
equal shares to levers that act alike (symmetry) and nothing to a lever that
changes nothing (dummy). Computing it exactly needs all 2^k subsets.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from fractions import Fraction

EFFICIENCY_RTOL = 1e-12


def shapley_values(v: Sequence[float]) -> list[float]:
    """Exact Shapley values of a game given as v[bitmask] for all 2^k subsets (bit i = lever i).

    The sum is done in exact rational arithmetic (floats are dyadic rationals),
    so a dummy lever gets exactly 0, an additive game gives back each lever's
    own effect up to one rounding, and efficiency holds to a few ulps. A game
    with a non-finite value (e.g. a share with no moves) has no values: NaN.
    """
    n = len(v)
    k = n.bit_length() - 1
    if n < 1 or n != 1 << k:
        raise ValueError(f"a game needs 2^k values, got {n}")
    if not all(math.isfinite(x) for x in v):
        return [math.nan] * k
    exact = [Fraction(x) for x in v]
    weights = [Fraction(math.factorial(s) * math.factorial(k - s - 1), math.factorial(k)) for s in range(k)]
    phi = []
    for i in range(k):
        bit = 1 << i
        total = Fraction(0)
        for mask in range(n):
            if not mask & bit:
                total += weights[mask.bit_count()] * (exact[mask | bit] - exact[mask])
        phi.append(float(total))
    _check_efficiency(phi, v)
    return phi


def _check_efficiency(phi: Sequence[float], v: Sequence[float]) -> None:
    """Σφ = v(N) − v(∅): a property of the formula, so a failure here is a bug, not bad input."""
    gap = math.fsum(phi) - (v[-1] - v[0])
    scale = max(1.0, max(abs(x) for x in v))
    if abs(gap) > EFFICIENCY_RTOL * scale:
        raise ArithmeticError(f"Shapley values miss efficiency by {gap!r} (scale {scale!r})")
