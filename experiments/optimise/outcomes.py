"""What a package's runs say, and the statistics the search and the certificate read from them.

A package is evaluated in blocks: block b runs it, and the base, in every
world w on `replications` seeds of that block (common random numbers: the
package and the base share each seed and each world). A block's result is the
paired change package − base of every metric, an array (W worlds, R
replications, M metrics), and the package's own levels beside it. Blocks of a
package are pooled along the replications.

Robustness is a statistic across the fixed worlds of each world's mean change
(DESIGN §9): `mean`, `p10` or `p90` (the 10th or 90th percentile over the
worlds, by numpy's linear rule), or the probability of meeting a target (the
share of worlds whose mean change meets it). Intervals are percentile
bootstraps over the worlds (or over the replications when there is one
world), with a seeded generator, so they cover the Monte-Carlo error and the
spread of the worlds the statistic is taken over; they are clipped to the
bounds of a change of the metric.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

BOOTSTRAP = 2000  # resamples of a percentile bootstrap
CONFIDENCE = 0.95


@dataclass(frozen=True)
class Robustness:
    """A statistic over the worlds: mean, p10, p90, or the probability that a metric's change meets a target."""

    statistic: str = "mean"  # mean | p10 | p90 | probability
    metric: str | None = None  # with probability: whose change meets the target
    change_min: float | None = None
    change_max: float | None = None

    def of(self, per_world: np.ndarray, metric: str, axis: int = -1) -> np.ndarray:
        """The statistic of one metric's world means (…, W) along `axis`."""
        if self.statistic == "probability" and metric == self.metric:
            return np.mean(self.meets(per_world), axis=axis)
        if self.statistic == "p10":
            return np.percentile(per_world, 10.0, axis=axis)
        if self.statistic == "p90":
            return np.percentile(per_world, 90.0, axis=axis)
        return np.mean(per_world, axis=axis)

    def meets(self, change: np.ndarray) -> np.ndarray:
        """Where a change meets the probability target (all True without one)."""
        ok = np.ones(np.shape(change), dtype=bool)
        if self.change_min is not None:
            ok &= change >= self.change_min
        if self.change_max is not None:
            ok &= change <= self.change_max
        return ok

    def describes(self, metric: str) -> str:
        """What the robust value of a metric is, in words."""
        if self.statistic == "probability" and metric == self.metric:
            return "share of worlds meeting the target"
        return {"p10": "10th percentile over the worlds", "p90": "90th percentile over the worlds"}.get(
            self.statistic, "mean over the worlds"
        )


@dataclass
class Evidence:
    """Every block of one package: paired changes and levels, (W, R, M) each, pooled along R."""

    blocks: dict[int, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)

    def add(self, block: int, change: np.ndarray, level: np.ndarray) -> None:
        self.blocks[block] = (change, level)

    def pooled(self, blocks: Sequence[int] | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(changes, levels) of the given blocks (default all, in block order), concatenated along R."""
        keys = sorted(self.blocks) if blocks is None else list(blocks)
        change = np.concatenate([self.blocks[b][0] for b in keys], axis=1)
        level = np.concatenate([self.blocks[b][1] for b in keys], axis=1)
        return change, level


def nanmean(values: np.ndarray, axis: int | tuple[int, ...]) -> np.ndarray:
    """The mean of the finite values along `axis`; NaN, silently, where there is none (a metric undefined in
    every run, such as the cost per north job when no job moved north)."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.nanmean(values, axis=axis)


def world_means(values: np.ndarray) -> np.ndarray:
    """(W, M): each world's mean over its replications (NaN-aware: a failed run does not count)."""
    return nanmean(values, axis=1)


def resample_indices(values: np.ndarray, seed: int, n: int = BOOTSTRAP) -> tuple[np.ndarray, bool]:
    """Bootstrap indices (n, W) over the worlds, or (n, R) over the replications when there is one world."""
    w, r = values.shape[:2]
    units = w if w > 1 else r
    rng = np.random.default_rng(seed)
    return rng.integers(0, units, size=(n, units)), w > 1


def resampled(
    values: np.ndarray, j: int, stat: Robustness, metric: str, idx: np.ndarray, over_worlds: bool
) -> np.ndarray:
    """The statistic of metric column j of (W, R, M) values on each bootstrap resample (rows of `idx`)."""
    if over_worlds:
        return stat.of(world_means(values)[:, j][idx], metric, axis=1)
    samples = nanmean(values[0, :, j][idx], axis=1)  # one world: its statistic is its mean
    if stat.statistic == "probability" and metric == stat.metric:
        samples = stat.meets(samples).astype(float)
    return samples


def percentile_interval(samples: np.ndarray, bounds: tuple[float, float]) -> tuple[float, float]:
    """The central 95 % of bootstrap samples, clipped to `bounds`; NaN when any sample is undefined."""
    if not np.isfinite(samples).all():
        return math.nan, math.nan
    alpha = (1.0 - CONFIDENCE) / 2.0
    low, high = np.quantile(samples, [alpha, 1.0 - alpha])
    return float(np.clip(low, *bounds)), float(np.clip(high, *bounds))


def bootstrap(
    values: np.ndarray, j: int, stat: Robustness, metric: str, seed: int, bounds: tuple[float, float]
) -> tuple[float, float, float]:
    """(statistic, low, high) of metric column j of (W, R, M) values: percentile bootstrap over the worlds."""
    point = float(stat.of(world_means(values)[:, j], metric))
    idx, over_worlds = resample_indices(values, seed)
    low, high = percentile_interval(resampled(values, j, stat, metric, idx, over_worlds), bounds)
    return point, low, high
