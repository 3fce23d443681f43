"""Parameter and Monte-Carlo uncertainty of an effect over a posterior ensemble, and how robust a ranking is.

An effect (a paired difference against the baseline, a lever's Shapley value)
is measured in K posterior draws, R replications each, on common random
numbers inside a draw and independent seeds across draws. Per draw k: the
mean over its replications m_k and the Monte-Carlo variance of that mean,
v_k = s_k² / n_k (s_k the within-draw SD). Then, by the law of total
variance (Var(m_k) = Var_θ(effect) + E[v_k]):

- mean: the average of the draw means (the draws are already resampled by
  weight, so each counts once);
- parameter part: sd_parameter = √max(0, Var_between − mean v_k), the spread
  of the effect across the posterior with the Monte-Carlo noise taken out
  (floored at 0: a posterior that does not move the effect gives 0 up to
  noise);
- Monte-Carlo part: sd_monte_carlo = √(mean v_k) (over the draws with at
  least 2 finite replications), the noise of one draw's
  mean (within-draw SD / √R); its share of the overall mean's standard error
  is se_monte_carlo = sd_monte_carlo / √K; se_mean = √(Var_between / K) is the
  whole standard error of the overall mean;
- interval (INTERVAL_METHOD): the 95% prediction interval of the effect under
  a parameter set drawn from the posterior, mean ± t(K−1) · √((sd_parameter² +
  sd_monte_carlo²)(1 + 1/K)), computed on the logit or log scale for a
  bounded metric (experiments.analysis.stats.bounded_interval) so that it stays
  inside its bounds.

The yuan per additional north job is a ratio of mean changes: per draw
mean(Δ cost) / mean(Δ north jobs), its Monte-Carlo variance by the delta
method; its overall value is the ratio of the overall mean changes, and its
interval exists only when the change in north jobs is told from 0 across the
posterior (its interval excludes 0) and every draw has a ratio.

Rankings: per draw the groups (scenarios or levers) are ordered by their draw
mean, the better way first (metric.better); for each pair the share of draws
in which A beats B (ties count for neither), and the share of draws whose
whole order is the order of the posterior means. A ranking is robust when
that share is at least ROBUST_SHARE (95%).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from experiments.analysis.posterior_tables import (
    DRAW_FIELDS,
    DRAWS_EFFECTS_FILE,
    EFFECT_FIELDS,
    EFFECTS_FILE,
    ORDER_COLUMNS,
    ORDERS_FILE,
    RANKING_COLUMNS,
    RANKING_FILE,
)
from experiments.analysis.stats import UNBOUNDED, bounded_interval, t_quantile_975
from experiments.engine.tables import write_csv
from model.outcomes import COST_EFFECTIVENESS, metric

ROBUST_SHARE = 0.95  # assumption: the 95% of the intervals, as a share of draws
RANKED = ("to_north_jobs", "to_outside_jobs", COST_EFFECTIVENESS)  # the decision table's rankings (issue 8)
INTERVAL_METHOD = (
    "95% prediction interval of the effect under a parameter set drawn from the posterior: mean ± t(K−1)·"
    "√((sd_parameter² + sd_monte_carlo²)·(1 + 1/K)), on the logit scale for shares and the log scale for "
    "non-negative quantities so that it stays inside the metric's bounds; sd_parameter = √max(0, Var_between − "
    "mean within-draw Var/R) (law of total variance), sd_monte_carlo = √(mean within-draw Var/R)"
)


@dataclass(frozen=True)
class DrawStats:
    """One effect per draw: the mean over the draw's replications, the Monte-Carlo variance of that mean, n."""

    means: np.ndarray  # (K,), NaN where the draw has no finite value
    mc_var: np.ndarray  # (K,), NaN where the draw has fewer than 2 finite values
    n: np.ndarray  # (K,) finite replications

    @classmethod
    def of(cls, x: np.ndarray) -> DrawStats:
        """From values (K draws, R replications); non-finite values (a share with no moves) are left out."""
        x = np.asarray(x, dtype=float)
        ok = np.isfinite(x)
        n = ok.sum(axis=1)
        filled = np.where(ok, x, 0.0)
        with np.errstate(invalid="ignore", divide="ignore"):
            means = np.where(n > 0, filled.sum(axis=1) / np.maximum(n, 1), math.nan)
            dev = np.where(ok, x - means[:, None], 0.0)
            var = np.where(n > 1, (dev**2).sum(axis=1) / np.maximum(n - 1, 1), math.nan)
        return cls(means, var / np.maximum(n, 1), n)

    @classmethod
    def ratio(cls, y: np.ndarray, x: np.ndarray) -> DrawStats:
        """mean(y)/mean(x) per draw, pairs with a non-finite member left out; delta-method variance of the ratio."""
        y, x = np.asarray(y, dtype=float), np.asarray(x, dtype=float)
        means, mc_var, n = [], [], []
        for yk, xk in zip(y, x, strict=True):
            ok = np.isfinite(yk) & np.isfinite(xk)
            yk, xk = yk[ok], xk[ok]
            mx = float(xk.mean()) if len(xk) else math.nan
            r = float(yk.mean()) / mx if len(xk) and mx != 0 else math.nan
            v = math.nan
            if len(xk) > 1 and math.isfinite(r):
                c = np.cov(yk, xk, ddof=1)
                v = float(c[0, 0] - 2 * r * c[0, 1] + r * r * c[1, 1]) / (len(xk) * mx * mx)
            means.append(r)
            mc_var.append(max(v, 0.0) if math.isfinite(v) else math.nan)
            n.append(len(xk))
        return cls(np.array(means), np.array(mc_var), np.array(n))


@dataclass(frozen=True)
class Effect:
    """An effect over the posterior (see the module docstring); NaN where undefined."""

    mean: float
    low: float
    high: float
    sd_parameter: float
    sd_monte_carlo: float
    se_monte_carlo: float
    se_mean: float
    share_above_zero: float
    draws: int
    replications: int

    def cells(self) -> list[float | int]:
        return [
            self.mean,
            self.low,
            self.high,
            self.sd_parameter,
            self.sd_monte_carlo,
            self.se_monte_carlo,
            self.se_mean,
            self.share_above_zero,
            self.draws,
            self.replications,
        ]

    def value_cells(self) -> list[float]:
        """The value and its interval, as the commands' own tables write them."""
        return [self.mean, self.low, self.high]

    def decision_cells(self) -> list[float | int]:
        """A posterior decision.csv row's numbers: value and interval, replications per draw, the two SDs, K."""
        return [*self.value_cells(), self.replications, self.sd_parameter, self.sd_monte_carlo, self.draws]

    def excludes_zero(self) -> bool:
        return math.isfinite(self.low) and math.isfinite(self.high) and (self.low > 0 or self.high < 0)


def summarise(
    ds: DrawStats,
    bounds: tuple[float, float] = UNBOUNDED,
    *,
    centre: float | None = None,
    interval: bool = True,
) -> Effect:
    """The effect over the draws: mean, parameter and Monte-Carlo parts, prediction interval (module docstring).

    `centre` replaces the mean of the draw means (the ratio of the mean changes); `interval=False` leaves the
    interval undefined (a ratio whose denominator cannot be told from 0).
    """
    ok = np.isfinite(ds.means)
    k = int(ok.sum())
    reps = int(ds.n.max()) if len(ds.n) else 0
    nan = math.nan
    if k == 0:
        return Effect(nan, nan, nan, nan, nan, nan, nan, nan, 0, reps)
    means = ds.means[ok]
    m = float(np.mean(means)) if centre is None else float(centre)
    above = float(np.mean(means > 0))
    if k < 2:
        return Effect(m, nan, nan, nan, nan, nan, nan, above, k, reps)
    between = float(np.var(means, ddof=1))
    mc_values = ds.mc_var[ok][np.isfinite(ds.mc_var[ok])]  # draws with fewer than 2 finite values have none
    mc = float(np.mean(mc_values)) if len(mc_values) else nan
    param = max(0.0, between - mc) if math.isfinite(mc) else nan
    total = max(between, mc) if math.isfinite(mc) else between  # = param + mc
    low = high = nan
    if interval and math.isfinite(m):
        low, high = bounded_interval(m, math.sqrt(total * (1 + 1 / k)), t_quantile_975(k - 1), bounds)
    sd_mc = math.sqrt(mc) if math.isfinite(mc) else nan
    return Effect(m, low, high, math.sqrt(param) if math.isfinite(param) else nan, sd_mc,
                  sd_mc / math.sqrt(k), math.sqrt(between / k), above, k, reps)  # fmt: skip


def ratio_effect(cost: np.ndarray, north: np.ndarray, north_effect: Effect) -> tuple[DrawStats, Effect]:
    """The yuan per additional north job from per-replication changes (K, R) of fiscal cost and north jobs."""
    ds = DrawStats.ratio(cost, north)
    c, n = DrawStats.of(cost).means, DrawStats.of(north).means
    ok = np.isfinite(c) & np.isfinite(n)
    mean_north = float(n[ok].mean()) if ok.any() else math.nan
    centre = float(c[ok].mean()) / mean_north if ok.any() and mean_north != 0 else math.nan
    defined = north_effect.excludes_zero() and bool(np.all(np.isfinite(ds.means)))
    return ds, summarise(ds, metric(COST_EFFECTIVENESS).bounds, centre=centre, interval=defined)


# --------------------------------------------------------------------------- rankings


@dataclass(frozen=True)
class Ranking:
    """How groups rank on one quantity across the draws."""

    quantity: str
    better: str
    order: tuple[str, ...]  # by the posterior means, best first
    pairs: list[list[object]]  # RANKING_COLUMNS rows
    orders: list[list[object]]  # ORDER_COLUMNS rows
    share: float  # of draws with the order of the means

    @property
    def robust(self) -> bool:
        return self.share >= ROBUST_SHARE


def _score(quantity: str, values: np.ndarray) -> np.ndarray:
    """Higher is better; an undefined value ranks last (a ratio without an additional north job)."""
    sign = -1.0 if metric(quantity).better == "lower" else 1.0
    return np.where(np.isfinite(values), sign * values, -math.inf)


def rank(quantity: str, groups: Sequence[str], per_draw: np.ndarray, centres: Sequence[float]) -> Ranking:
    """per_draw: (G, K) draw means; centres: the posterior means. For a ratio, a draw whose change in north jobs is
    not positive gives NaN there (ranked last)."""
    better = metric(quantity).better or "higher"
    scores = _score(quantity, np.asarray(per_draw, dtype=float))
    centre = _score(quantity, np.asarray(centres, dtype=float))
    idx = sorted(range(len(groups)), key=lambda g: (-centre[g], g))
    order = tuple(groups[g] for g in idx)
    k = scores.shape[1] if scores.ndim == 2 else 0
    pairs: list[list[object]] = []
    for i, a in enumerate(idx):
        for b in idx[i + 1 :]:
            wins, losses = int(np.sum(scores[a] > scores[b])), int(np.sum(scores[b] > scores[a]))
            share_a, share_b = wins / k, losses / k
            ties = (k - wins - losses) / k
            robust = max(share_a, share_b) >= ROBUST_SHARE
            pairs.append([quantity, better, groups[a], groups[b], share_a, share_b, ties, robust, k])
    seen: Counter[tuple[str, ...]] = Counter()
    for d in range(k):
        by = sorted(range(len(groups)), key=lambda g: (-scores[g, d], idx.index(g)))
        seen[tuple(groups[g] for g in by)] += 1
    share = seen.get(order, 0) / k if k else math.nan
    rest = sorted((o for o in seen if o != order), key=lambda o: (-seen[o], o))
    orders: list[list[object]] = [
        [quantity, better, " > ".join(order), seen.get(order, 0), share, True, share >= ROBUST_SHARE]
    ]
    orders += [[quantity, better, " > ".join(o), seen[o], seen[o] / k, False, None] for o in rest]
    return Ranking(quantity, better, order, pairs, orders, share)


def ratio_for_ranking(ratio_means: np.ndarray, north_means: np.ndarray) -> np.ndarray:
    """A draw's yuan per additional north job, or NaN (ranked last) where its change in north jobs is not > 0."""
    return np.where(np.asarray(north_means) > 0, ratio_means, math.nan)


# --------------------------------------------------------------------------- tables


@dataclass(frozen=True)
class Measured:
    """One group's effect on one metric: per draw and over the posterior."""

    group: str
    name: str
    draws: DrawStats
    effect: Effect


def write_tables(
    folder: Path, group_column: str, measured: Sequence[Measured], rankings: Sequence[Ranking], particles: Sequence[int]
) -> None:
    """posterior_effects.csv, posterior_draws.csv, ranking.csv and ranking_orders.csv."""
    write_csv(
        folder / EFFECTS_FILE,
        (group_column, *EFFECT_FIELDS),
        ([m.group, m.name, metric(m.name).unit, *m.effect.cells()] for m in measured),
    )
    rows = []
    for m in measured:
        for k, (mean, var, n) in enumerate(zip(m.draws.means, m.draws.mc_var, m.draws.n, strict=True)):
            rows.append([m.group, m.name, k, particles[k], mean, math.sqrt(var) if math.isfinite(var) else math.nan, n])
    write_csv(folder / DRAWS_EFFECTS_FILE, (group_column, *DRAW_FIELDS), rows)
    write_csv(folder / RANKING_FILE, RANKING_COLUMNS, (row for r in rankings for row in r.pairs))
    write_csv(folder / ORDERS_FILE, ORDER_COLUMNS, (row for r in rankings for row in r.orders))


def measure_groups(groups: Iterable[tuple[str, Mapping[str, np.ndarray]]]) -> list[Measured]:
    """Each group's change in every metric over the posterior, then its yuan per additional north job.

    `groups`: a group (a scenario's paired difference, a lever's Shapley value)
    and its change per metric as (K draws, R replications), in table order;
    the metrics must include the fiscal cost and the north-park jobs.
    """
    out: list[Measured] = []
    for group, values in groups:
        found = {}
        for m, x in values.items():
            ds = DrawStats.of(x)
            found[m] = Measured(group, m, ds, summarise(ds, metric(m).change_bounds()))
        out += found.values()
        north = found["to_north_jobs"].effect
        ds, effect = ratio_effect(values["fiscal_cost_yuan"], values["to_north_jobs"], north)
        out.append(Measured(group, COST_EFFECTIVENESS, ds, effect))
    return out


def rankings_of(measured: Sequence[Measured], groups: Sequence[str]) -> list[Ranking]:
    """The RANKED rankings of `groups` from their measured effects (the ratio: NaN where Δ north jobs ≤ 0)."""
    by = {(m.group, m.name): m for m in measured}
    out = []
    for q in RANKED:
        per_draw = np.array([by[(g, q)].draws.means for g in groups])
        if q == COST_EFFECTIVENESS:
            north = np.array([by[(g, "to_north_jobs")].draws.means for g in groups])
            per_draw = ratio_for_ranking(per_draw, north)
        out.append(rank(q, groups, per_draw, [by[(g, q)].effect.mean for g in groups]))
    return out
