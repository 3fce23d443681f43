"""Confidence intervals across replications, without a statistics dependency."""

from __future__ import annotations

import math
from collections.abc import Sequence

NORMAL_975 = 1.959963984540054


def t_two_sided_mass(t: float, df: int) -> float:
    """P(|T| ≤ t) for Student's t with integer df (Abramowitz & Stegun 26.7.3–4)."""
    theta = math.atan(t / math.sqrt(df))
    c2 = math.cos(theta) ** 2
    s = math.sin(theta)
    if df % 2 == 1:
        total, term = 0.0, 1.0
        if df > 1:
            total = term = math.cos(theta)
            for k in range(3, df - 1, 2):
                term *= (k - 1) / k * c2
                total += term
        return 2 / math.pi * (theta + s * total)
    total, term = 1.0, 1.0
    for k in range(2, df - 1, 2):
        term *= (k - 1) / k * c2
        total += term
    return s * total


def t_quantile_975(df: int) -> float:
    """The 97.5% quantile of Student's t (two-sided 95%), by bisection on the exact CDF."""
    if df < 1:
        raise ValueError("df must be ≥ 1")
    if df > 5000:
        return NORMAL_975
    lo, hi = NORMAL_975, 20.0
    while t_two_sided_mass(hi, df) < 0.95:
        hi *= 2
    for _ in range(100):
        mid = (lo + hi) / 2
        if t_two_sided_mass(mid, df) < 0.95:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


def mean_ci95(values: Sequence[float]) -> tuple[float, float | None, float | None]:
    """Mean and t-based 95% confidence interval; no interval for fewer than 2 finite values."""
    xs = [v for v in values if math.isfinite(v)]
    if not xs:
        return math.nan, None, None
    m = math.fsum(xs) / len(xs)
    if len(xs) < 2:
        return m, None, None
    sd = math.sqrt(math.fsum((x - m) ** 2 for x in xs) / (len(xs) - 1))
    half = t_quantile_975(len(xs) - 1) * sd / math.sqrt(len(xs))
    return m, m - half, m + half
