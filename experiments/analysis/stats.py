"""Confidence intervals across replications, without a statistics dependency.

Student-t quantiles are exact: for integer df from the closed forms of
Abramowitz & Stegun 26.7.3–4, for real df (Welch–Satterthwaite) from the
regularised incomplete beta function.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

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
    half = t_quantile_975(len(xs) - 1) * _sd(xs, m) / math.sqrt(len(xs))
    return m, m - half, m + half


def _sd(xs: Sequence[float], m: float) -> float:
    return math.sqrt(math.fsum((x - m) ** 2 for x in xs) / (len(xs) - 1))


UNBOUNDED = (-math.inf, math.inf)


@dataclass(frozen=True)
class Interval:
    """A mean and its 95% interval; low/high are NaN where undefined (no finite values, or fewer than 2).

    `Interval.of(values, bounds)` is the Student-t interval of the mean when the
    metric is unbounded. For a metric bounded on both sides (a share in [0, 1],
    a difference of shares in [-1, 1]) it is the same t interval computed on the
    logit scale of the mean rescaled to (0, 1), by the delta method, and mapped
    back; for one bounded below only (jobs, yuan ≥ 0) on the log scale of the
    distance to the bound. Far from the bounds these agree with the plain t
    interval; near them they stay inside, as the true mean does, and become
    asymmetric. A mean on a bound with no spread gives the point itself.
    """

    mean: float
    low: float
    high: float
    n: int = 0

    @classmethod
    def of(cls, values: Sequence[float] | np.ndarray, bounds: tuple[float, float] = UNBOUNDED) -> Interval:
        xs = [float(v) for v in values if math.isfinite(v)]
        if not xs:
            return cls(math.nan, math.nan, math.nan, 0)
        m = math.fsum(xs) / len(xs)
        if len(xs) < 2:
            return cls(m, math.nan, math.nan, len(xs))
        se = _sd(xs, m) / math.sqrt(len(xs))
        lo, hi = _bounded(m, se, t_quantile_975(len(xs) - 1), bounds)
        return cls(m, lo, hi, len(xs))

    @property
    def defined(self) -> bool:
        return math.isfinite(self.low) and math.isfinite(self.high)

    @property
    def half_width(self) -> float:
        return (self.high - self.low) / 2

    def excludes_zero(self) -> bool:
        return self.low > 0 or self.high < 0


def bounded_interval(m: float, se: float, t: float, bounds: tuple[float, float] = UNBOUNDED) -> tuple[float, float]:
    """m ± t·se on the scale that keeps it inside `bounds` (the logit or log scale of Interval), for any se."""
    return _bounded(m, se, t, bounds)


def _bounded(m: float, se: float, t: float, bounds: tuple[float, float]) -> tuple[float, float]:
    """The t interval m ± t·se, on the scale that keeps it inside `bounds` (see Interval)."""
    lo_b, hi_b = bounds
    if se == 0:
        return m, m
    if math.isfinite(lo_b) and math.isfinite(hi_b):
        width = hi_b - lo_b
        p = (m - lo_b) / width
        if not 0 < p < 1:
            return m, m
        centre, half = math.log(p / (1 - p)), t * (se / width) / (p * (1 - p))
        return lo_b + width * _expit(centre - half), lo_b + width * _expit(centre + half)
    if math.isfinite(lo_b):
        gap = m - lo_b
        if gap <= 0:
            return m, m
        return lo_b + gap * math.exp(-t * se / gap), lo_b + gap * math.exp(t * se / gap)
    return m - t * se, m + t * se


def _expit(x: float) -> float:
    return 1 / (1 + math.exp(-x)) if x >= 0 else math.exp(x) / (1 + math.exp(x))


def ratio_interval(numerator: Sequence[float], denominator: Sequence[float]) -> Interval:
    """Ratio of two paired means, mean(y)/mean(x), with Fieller's 95% interval.

    Used for the yuan per additional north job: y = change in fiscal cost, x =
    change in north jobs, per replication. Fieller's interval accounts for the
    noise of the denominator; it is finite only when mean(x) is clearly away
    from 0 (the t test of x rejects 0), and NaN otherwise: no cost per job can
    be given for an effect on jobs that is not distinguishable from none.
    """
    pairs = [(float(y), float(x)) for y, x in zip(numerator, denominator, strict=True)]
    pairs = [(y, x) for y, x in pairs if math.isfinite(y) and math.isfinite(x)]
    n = len(pairs)
    if n == 0:
        return Interval(math.nan, math.nan, math.nan, 0)
    ys, xs = np.array([p[0] for p in pairs]), np.array([p[1] for p in pairs])
    my, mx = float(ys.mean()), float(xs.mean())
    ratio = my / mx if mx != 0 else math.nan
    if n < 2 or mx == 0:
        return Interval(ratio, math.nan, math.nan, n)
    t2 = t_quantile_975(n - 1) ** 2
    vyy, vxx = float(ys.var(ddof=1)) / n, float(xs.var(ddof=1)) / n
    vxy = float(np.cov(ys, xs, ddof=1)[0, 1]) / n
    a = mx * mx - t2 * vxx
    b = mx * my - t2 * vxy
    c = my * my - t2 * vyy
    disc = b * b - a * c
    if a <= 0 or disc < 0:
        return Interval(ratio, math.nan, math.nan, n)
    root = math.sqrt(disc)
    return Interval(ratio, (b - root) / a, (b + root) / a, n)


def _betacf(a: float, b: float, x: float) -> float:
    """Continued fraction of the incomplete beta function (modified Lentz; Numerical Recipes 6.4)."""
    tiny = 1e-300
    c, d = 1.0, 1.0 - (a + b) * x / (a + 1)
    d = 1 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, 300):
        for num in (
            m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m)),
            -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1)),
        ):
            d = 1 + num * d
            d = 1 / (d if abs(d) > tiny else tiny)
            c = 1 + num / c
            c = c if abs(c) > tiny else tiny
            h *= d * c
        if abs(d * c - 1) < 1e-14:
            break
    return h


def _t_tail_two_sided(t: float, df: float) -> float:
    """P(|T| > t) for Student's t with real df: the regularised incomplete beta I_x(df/2, 1/2), x = df/(df+t²)."""
    x = df / (df + t * t)
    a, b = df / 2, 0.5
    log_front = math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x)
    if x < (a + 1) / (a + b + 2):
        return math.exp(log_front) * _betacf(a, b, x) / a
    return 1 - math.exp(log_front) * _betacf(b, a, 1 - x) / b


def t975(df: float) -> float:
    """Student t 97.5% quantile for a real df (Welch–Satterthwaite), by bisection on the exact tail."""
    if df == int(df) or df > 5000:
        return t_quantile_975(int(df)) if df <= 5000 else NORMAL_975
    lo, hi = NORMAL_975, 1e3
    for _ in range(100):
        mid = (lo + hi) / 2
        if _t_tail_two_sided(mid, max(df, 1e-3)) > 0.05:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


def welch(x: np.ndarray, y: np.ndarray, bounds: tuple[float, float] = UNBOUNDED) -> tuple[float, float]:
    """95% CI of mean(x) − mean(y) for independent samples (Welch–Satterthwaite df).

    With `bounds` (a difference of shares: [-1, 1]) it is computed on the same
    scale as Interval.of, so that it stays inside them.
    """
    x, y = x[np.isfinite(x)], y[np.isfinite(y)]
    if len(x) < 2 or len(y) < 2:
        return math.nan, math.nan
    diff = float(x.mean() - y.mean())
    a, b = float(x.var(ddof=1)) / len(x), float(y.var(ddof=1)) / len(y)
    se = math.sqrt(a + b)
    if se == 0:
        return diff, diff
    df = (a + b) ** 2 / (a * a / (len(x) - 1) + b * b / (len(y) - 1))
    return _bounded(diff, se, t975(df), bounds)


def replications_for(sd: float, width: float, cap: int) -> int:
    """Smallest n with t(n−1)·sd/√n ≤ width (searched up from the normal approximation, a lower bound), ≤ cap."""
    if sd == 0:
        return 2
    n = max(2, math.ceil((NORMAL_975 * sd / width) ** 2))
    while n < cap and t_quantile_975(n - 1) * sd / math.sqrt(n) > width:
        n += 1
    return min(n, cap)
