"""How robust a ranking of groups (scenarios, levers) is across the draws of a posterior ensemble.

Per draw the groups are ordered by their draw mean, the better way first
(metric.better); for each pair the share of draws in which A beats B (ties
count for neither, each draw by its weight), and the share of draws whose
whole order is the order of the posterior means. A ranking is tested for
robustness only over at least MIN_RANKING_DRAWS effective draws (Kish's
(Σw)²/Σw² over the distinct parameter sets, experiments.analysis.quantiles):
below that, K draws that repeat a few particles cannot tell a robust order
from the luck of those particles, and the tables leave `robust` empty (not
tested). Tested, a ranking is robust when the order of the means holds in at
least ROBUST_SHARE (95%) of the draws.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from experiments.analysis.quantiles import DrawWeights
from model.outcomes import metric

if TYPE_CHECKING:
    from collections.abc import Sequence

ROBUST_SHARE = 0.95  # assumption: the 95% of the intervals, as a share of draws
MIN_RANKING_DRAWS = 100  # issue 17: a robust ranking needs at least this many effective draws


@dataclass(frozen=True)
class Ranking:
    """How groups rank on one quantity across the draws."""

    quantity: str
    better: str
    order: tuple[str, ...]  # by the posterior means, best first
    pairs: list[list[object]]  # RANKING_COLUMNS rows
    orders: list[list[object]]  # ORDER_COLUMNS rows
    share: float  # of draws (by weight) with the order of the means
    effective_draws: float

    @property
    def tested(self) -> bool:
        return self.effective_draws >= MIN_RANKING_DRAWS

    @property
    def robust(self) -> bool | None:
        """True or False when tested, None (not tested) below MIN_RANKING_DRAWS effective draws."""
        return self.share >= ROBUST_SHARE if self.tested else None


def _score(quantity: str, values: np.ndarray) -> np.ndarray:
    """Higher is better; an undefined value ranks last (a ratio without an additional north job)."""
    sign = -1.0 if metric(quantity).better == "lower" else 1.0
    return np.where(np.isfinite(values), sign * values, -math.inf)


def rank(
    quantity: str,
    groups: Sequence[str],
    per_draw: np.ndarray,
    centres: Sequence[float],
    weights: DrawWeights | None = None,
) -> Ranking:
    """per_draw: (G, K) draw means; centres: the posterior means; weights: the draws' (default equal, distinct).

    For a ratio, a draw whose change in north jobs is not positive gives NaN there (ranked last).
    """
    better = metric(quantity).better or "higher"
    scores = _score(quantity, np.asarray(per_draw, dtype=float))
    centre = _score(quantity, np.asarray(centres, dtype=float))
    idx = sorted(range(len(groups)), key=lambda g: (-centre[g], g))
    order = tuple(groups[g] for g in idx)
    k = scores.shape[1] if scores.ndim == 2 else 0
    dw = weights if weights is not None else DrawWeights.equal(max(k, 1))
    w, total = dw.weights[:k], math.fsum(dw.weights[:k]) if k else 1.0

    def share_of(mask: np.ndarray) -> float:
        """The weight of the draws in `mask`, as a share of all (exact for equal weights: count ÷ K)."""
        return math.fsum(w[mask]) / total

    eff = dw.effective() if k else 0.0
    tested = eff >= MIN_RANKING_DRAWS
    pairs: list[list[object]] = []
    for i, a in enumerate(idx):
        for b in idx[i + 1 :]:
            share_a, share_b = share_of(scores[a] > scores[b]), share_of(scores[b] > scores[a])
            ties = max(0.0, 1.0 - share_a - share_b)
            robust = max(share_a, share_b) >= ROBUST_SHARE if tested else None
            pairs.append([quantity, better, groups[a], groups[b], share_a, share_b, ties, robust, k, eff])
    seen: dict[tuple[str, ...], list[int]] = defaultdict(list)  # order -> the draws that have it
    for d in range(k):
        by = sorted(range(len(groups)), key=lambda g: (-scores[g, d], idx.index(g)))
        seen[tuple(groups[g] for g in by)].append(d)
    weight = {o: share_of(np.isin(np.arange(k), ds)) for o, ds in seen.items()}
    share = weight.get(order, 0.0) if k else math.nan
    rest = sorted((o for o in seen if o != order), key=lambda o: (-weight[o], o))
    verdict = share >= ROBUST_SHARE if tested else None
    orders: list[list[object]] = [
        [quantity, better, " > ".join(order), len(seen.get(order, [])), share, True, verdict, eff]
    ]
    orders += [[quantity, better, " > ".join(o), len(seen[o]), weight[o], False, None, eff] for o in rest]
    return Ranking(quantity, better, order, pairs, orders, share, eff)


def ratio_for_ranking(ratio_means: np.ndarray, north_means: np.ndarray) -> np.ndarray:
    """A draw's yuan per additional north job, or NaN (ranked last) where its change in north jobs is not > 0."""
    return np.where(np.asarray(north_means) > 0, ratio_means, math.nan)
