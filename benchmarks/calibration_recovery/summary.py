"""Per parameter over the draws: coverage of the 90% interval, shrinkage, and the verdict.

- Coverage: the share of draws whose posterior 90% central interval (the
  weighted 5% and 95% quantiles of the final population) holds θ*; its
  binomial standard error √(c(1 − c)/n); and the exact two-sided binomial test
  of "the interval covers 90% of the time" (p, summing every outcome no more
  likely than the one seen).
- Shrinkage: 1 − posterior variance / prior variance (weighted variance of the
  final population; a uniform prior on [a, b] has (b − a)²/12), median and
  quartiles over the draws. 1 = the facts pin the parameter, 0 = the posterior
  is as wide as the prior.
- Against the placebo (`--placebo`: a parameter no scenario reads, in the
  same posteriors): in how many draws the parameter shrank more than the
  placebo did, and the one-sided sign test of "no more than the placebo"
  (P(X ≥ k), X ~ Binomial(n, 1/2)). A thin posterior (a small effective
  sample size) shrinks every weighted variance by chance; the placebo shows
  by how much, draw by draw.
- Point recovery: the correlation over the draws between θ* and the
  posterior mean, and the root mean square of (posterior mean − θ*) ÷ the
  prior's standard deviation (1: no better than the prior's mean; √2: a
  guess drawn from the prior). They read the posterior's centre, not its
  spread, so they say something when a thin posterior's spread does not;
  they do not enter the verdict.
- Verdict: "not identified (posterior ≈ prior)" when the median shrinkage is
  below 0.2 or, with the placebo, the sign test does not reject (p ≥ 0.05);
  else "identified" when the median shrinkage is at least 0.5 and the
  coverage is consistent with 90% (p ≥ 0.05); else "weakly identified", with
  the reason.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from benchmarks.calibration_recovery.draw import PLACEBO, DrawResult
from experiments.calibrate.abc import weighted_quantile

LEVEL = 0.90  # the central interval checked (issue 17 item 4)
IDENTIFIED_SHRINKAGE = 0.5  # issue 17 item 4's bar: the facts remove at least half the prior's variance
NOT_IDENTIFIED_SHRINKAGE = 0.2  # assumption: below this the posterior is the prior up to a small population's scatter
COVERAGE_ALPHA = 0.05  # assumption: the usual 5% level of the binomial test
IDENTIFIED = "identified"
WEAK = "weakly identified"
NOT_IDENTIFIED = "not identified (posterior ≈ prior)"


@dataclass(frozen=True)
class Marginal:
    """One parameter's posterior in one draw."""

    draw: int
    parameter: str
    truth: float
    mean: float
    sd: float
    low: float  # 5%
    high: float  # 95%
    covered: bool
    shrinkage: float


def marginals(result: DrawResult, keys: Sequence[str], ranges: Sequence[tuple[float, float]]) -> list[Marginal]:
    """Each parameter's posterior summary in one draw."""
    out = []
    tail = (1.0 - LEVEL) / 2
    w = result.weights
    for j, (key, (lo, hi)) in enumerate(zip(keys, ranges, strict=True)):
        x = result.values[:, j]
        mean = float(np.sum(w * x))
        var = float(np.sum(w * (x - mean) ** 2))
        low, high = weighted_quantile(x, w, tail), weighted_quantile(x, w, 1.0 - tail)
        truth = result.truth[key]
        shrinkage = 1.0 - var / ((hi - lo) ** 2 / 12.0)
        out.append(Marginal(result.index, key, truth, mean, math.sqrt(var), low, high, low <= truth <= high, shrinkage))
    return out


def sign_p(k: int, n: int) -> float:
    """One-sided sign test: P(X ≥ k) for X ~ Binomial(n, 1/2)."""
    return math.fsum(math.comb(n, j) for j in range(k, n + 1)) / 2**n


def binomial_p(k: int, n: int, p: float = LEVEL) -> float:
    """Exact two-sided binomial test of k successes in n at probability p (outcomes no likelier than k's)."""
    probs = [math.comb(n, j) * p**j * (1 - p) ** (n - j) for j in range(n + 1)]
    seen = probs[k] * (1 + 1e-7)
    return min(1.0, math.fsum(q for q in probs if q <= seen))


@dataclass(frozen=True)
class Row:
    """One parameter over the draws."""

    parameter: str
    prior_low: float
    prior_high: float
    draws: int
    covered: int
    coverage: float
    coverage_se: float
    coverage_p: float
    shrinkage_median: float
    shrinkage_q25: float
    shrinkage_q75: float
    above_placebo: int | None  # draws in which the parameter shrank more than the placebo (None: no placebo)
    placebo_p: float  # the sign test's p (NaN: no placebo)
    recovery_corr: float  # Pearson r of θ* and the posterior mean over the draws (NaN: fewer than 2 or no spread)
    error_ratio: float  # RMS(posterior mean − θ*) / prior sd
    verdict: str
    reason: str


def verdict(shrinkage: float, coverage_p: float, placebo_p: float = math.nan) -> tuple[str, str]:
    """The verdict and its reason (module docstring); placebo_p NaN: no placebo to compare with."""
    consistent = coverage_p >= COVERAGE_ALPHA
    if shrinkage < NOT_IDENTIFIED_SHRINKAGE:
        return NOT_IDENTIFIED, f"median shrinkage below {NOT_IDENTIFIED_SHRINKAGE}"
    if placebo_p >= COVERAGE_ALPHA:
        return NOT_IDENTIFIED, f"shrinks no more than the placebo (sign test p ≥ {COVERAGE_ALPHA})"
    if shrinkage >= IDENTIFIED_SHRINKAGE and consistent:
        return IDENTIFIED, f"median shrinkage ≥ {IDENTIFIED_SHRINKAGE}, coverage consistent with {LEVEL:.0%}"
    if not consistent:
        return WEAK, f"coverage inconsistent with {LEVEL:.0%} (p < {COVERAGE_ALPHA})"
    return WEAK, f"median shrinkage {NOT_IDENTIFIED_SHRINKAGE}-{IDENTIFIED_SHRINKAGE}"


def point_recovery(mine: Sequence[Marginal], lo: float, hi: float) -> tuple[float, float]:
    """(r of θ* and the posterior mean, RMS error ÷ prior sd) over the draws."""
    truth = np.array([m.truth for m in mine])
    mean = np.array([m.mean for m in mine])
    spread = len(mine) > 1 and float(np.std(truth)) > 0 and float(np.std(mean)) > 0
    r = float(np.corrcoef(truth, mean)[0, 1]) if spread else math.nan
    return r, float(np.sqrt(np.mean((mean - truth) ** 2))) / ((hi - lo) / math.sqrt(12.0))


def summarise(every: Sequence[Marginal], keys: Sequence[str], ranges: Sequence[tuple[float, float]]) -> list[Row]:
    """Per parameter: coverage with its standard error and test, shrinkage quartiles, placebo test, verdict."""
    placebo = {m.draw: m.shrinkage for m in every if m.parameter == PLACEBO}
    rows = []
    for key, (lo, hi) in zip(keys, ranges, strict=True):
        mine = [m for m in every if m.parameter == key]
        n = len(mine)
        k = sum(m.covered for m in mine)
        c = k / n
        q25, q50, q75 = (float(x) for x in np.quantile([m.shrinkage for m in mine], [0.25, 0.5, 0.75]))
        p = binomial_p(k, n)
        above = None if not placebo or key == PLACEBO else sum(m.shrinkage > placebo[m.draw] for m in mine)
        above_p = math.nan if above is None else sign_p(above, n)
        name, reason = verdict(q50, p, above_p)
        se = math.sqrt(c * (1 - c) / n)
        r, ratio = point_recovery(mine, lo, hi)
        rows.append(Row(key, lo, hi, n, k, c, se, p, q50, q25, q75, above, above_p, r, ratio, name, reason))
    return rows
