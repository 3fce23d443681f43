"""Weighted empirical quantiles, and how many draws a weighted ensemble is worth.

`weighted_quantile(values, q, weights)` is the weighted inverse-CDF with
midpoint interpolation (QUANTILE_RULE): the values are sorted, each weight
w_i is normalised to sum 1, and value x_(i) is placed at the middle of its
step of the cumulative weight, p_i = W_i − w_i / 2 (W_i the cumulative weight
up to and including x_(i)); the q-quantile is the linear interpolation of the
points (p_i, x_(i)) at q, and the smallest (largest) value below p_1 (above
p_n). With equal weights p_i = (i − ½)/n: numpy's `hazen` quantile. A
quantile of values lies between the smallest and the largest of them, so a
quantile of values that respect a bound respects it too; with fewer than
1 ÷ (2 · 0.025) = 20 equally weighted values the 2.5% and 97.5% quantiles
are the smallest and largest value.

`DrawWeights` carries the weight of each posterior draw and which parameter
set it took, so that an effect reports beside its interval the number of
distinct parameter sets among its draws and their effective size
(Σw)²/Σw² over those distinct sets (draws of the same parameter set pooled):
K draws resampled from a posterior whose weight sits on few particles are
worth about as many draws as that posterior's effective size, however large K.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

QUANTILE_RULE = (
    "weighted inverse-CDF with midpoint interpolation: value x_(i) of the sorted values sits at p_i = W_i − w_i/2 "
    "(w_i its normalised weight, W_i the cumulative weight up to it), the q-quantile interpolates linearly between "
    "those points and is the smallest (largest) value below p_1 (above p_n); equal weights give numpy's 'hazen' "
    "quantile"
)


def weighted_quantile(
    values: Sequence[float] | np.ndarray,
    q: float | Sequence[float],
    weights: Sequence[float] | np.ndarray | None = None,
) -> np.ndarray:
    """The q-quantile(s) of the finite values with positive weight (QUANTILE_RULE); NaN where none is left.

    `weights` default to equal; they need not sum to 1. Always returns an array of q's shape.
    """
    x = np.asarray(values, dtype=float).ravel()
    w = np.ones_like(x) if weights is None else np.asarray(weights, dtype=float).ravel()
    if w.shape != x.shape:
        raise ValueError("values and weights differ in length")
    if np.any(w < 0) or not np.all(np.isfinite(w)):
        raise ValueError("weights must be finite and ≥ 0")
    qs = np.asarray(q, dtype=float)
    if np.any((qs < 0) | (qs > 1)):
        raise ValueError("quantiles must lie in [0, 1]")
    keep = np.isfinite(x) & (w > 0)
    x, w = x[keep], w[keep]
    if not len(x):
        return np.full(qs.shape, np.nan)
    order = np.argsort(x, kind="stable")
    x, w = x[order], w[order] / w.sum()
    points = np.cumsum(w) - w / 2
    return np.interp(qs, points, x)  # np.interp holds the end values outside [p_1, p_n]


def kish(weights: Sequence[float] | np.ndarray) -> float:
    """Kish's effective sample size (Σw)²/Σw² of non-negative weights (0 for none)."""
    w = np.asarray(weights, dtype=float)
    total = float(np.sum(w**2))
    return float(np.sum(w)) ** 2 / total if total > 0 else 0.0


@dataclass(frozen=True)
class DrawWeights:
    """Each draw's weight and the parameter set it took (draws that took the same set share a label)."""

    weights: np.ndarray  # (K,), ≥ 0
    labels: np.ndarray  # (K,) int: equal labels = the same parameter set

    @classmethod
    def equal(cls, k: int) -> DrawWeights:
        """K equally weighted draws, each its own parameter set."""
        return cls(np.full(k, 1.0 / k), np.arange(k))

    @classmethod
    def of(cls, weights: Sequence[float] | np.ndarray, labels: Sequence[int] | np.ndarray) -> DrawWeights:
        w, lab = np.asarray(weights, dtype=float), np.asarray(labels, dtype=int)
        if w.shape != lab.shape or w.ndim != 1:
            raise ValueError("one weight and one label per draw")
        if np.any(w < 0) or not np.all(np.isfinite(w)):
            raise ValueError("weights must be finite and ≥ 0")
        return cls(w, lab)

    def distinct(self, mask: np.ndarray | None = None) -> int:
        """Distinct parameter sets among the (masked) draws with positive weight."""
        keep = self._keep(mask)
        return len(np.unique(self.labels[keep]))

    def effective(self, mask: np.ndarray | None = None) -> float:
        """Kish's effective size over the distinct parameter sets: the weights of draws of one set are pooled."""
        keep = self._keep(mask)
        _, at = np.unique(self.labels[keep], return_inverse=True)
        return kish(np.bincount(at, weights=self.weights[keep])) if keep.any() else 0.0

    def _keep(self, mask: np.ndarray | None) -> np.ndarray:
        keep = self.weights > 0
        return keep if mask is None else keep & np.asarray(mask, dtype=bool)
