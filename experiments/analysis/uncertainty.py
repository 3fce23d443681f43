"""Parameter and Monte-Carlo uncertainty of an effect over a posterior ensemble: empirical quantiles of the draws.

An effect (a paired difference against the baseline, a lever's Shapley value)
is measured in K posterior draws, R replications each, on common random
numbers inside a draw and independent seeds across draws. Per draw k: its
effect m_k, the mean over its replications, and the Monte-Carlo variance of
that mean, v_k = s_k² / n_k (s_k the within-draw SD). Each draw has a weight
w_k (normalised; the draws `--posterior` takes are resampled by particle
weight, so their weights are equal) and the parameter set it took
(experiments.analysis.quantiles.DrawWeights). Then:

- mean: Σ w_k m_k, the posterior mean of the effect;
- interval (INTERVAL_METHOD): the weighted 2.5% and 97.5% quantiles of the
  draws' effects m_k (experiments.analysis.quantiles.QUANTILE_RULE), never a
  normal approximation; a quantile lies between the smallest and the largest
  m_k, so the interval stays inside every bound the values respect, and it is
  also clipped to the bounds the caller gives (experiments.analysis.bounds:
  shares in [0, 1], their changes in [−1, 1], spending in [0, budget ×
  years], a change by the difference of the bounds). It includes each draw
  mean's Monte-Carlo noise, which is small beside the parameter part when
  the draws differ;
- beside it, the number of draws with a value, of distinct parameter sets
  among them (`distinct_draws`) and their effective size (Σw)²/Σw² over the
  distinct sets (`effective_draws`);
- the Monte-Carlo and parameter parts apart, by the law of total variance
  (Var(m_k) = Var_θ(effect) + E[v_k]), a variance decomposition:
  sd_monte_carlo = √(Σ w_k v_k) (over the draws with at least 2 finite
  replications), the noise of one draw's mean (within-draw SD / √R);
  sd_parameter = √max(0, Var_between − sd_monte_carlo²), Var_between the
  weighted variance of the m_k (Σ w_k (m_k − mean)² / (1 − Σ w_k²): the
  sample variance for equal weights), the spread of the effect across the
  posterior with the Monte-Carlo noise taken out (floored at 0);
  se_monte_carlo = sd_monte_carlo · √Σw_k² (= ÷ √K for equal weights) is the
  Monte-Carlo part of the overall mean's standard error, se_mean =
  √(sd_parameter² / effective_draws + sd_monte_carlo² · Σw_k²) the whole of it
  (draws that repeat a parameter set add Monte-Carlo information only);
- share_above_zero: the weight of the draws with a positive effect.

The yuan per additional north job is a ratio of mean changes: per draw
mean(Δ cost) / mean(Δ north jobs), its Monte-Carlo variance by the delta
method; its overall value is the ratio of the overall mean changes, and its
interval (the quantiles of the per-draw ratios) exists only when the change
in north jobs is told from 0 across the posterior (its interval excludes 0)
and every draw has a ratio.

Rankings across the draws are experiments.analysis.rankings.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
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
from experiments.analysis.quantiles import QUANTILE_RULE, DrawWeights, weighted_quantile
from experiments.analysis.rankings import Ranking, rank, ratio_for_ranking
from experiments.analysis.stats import UNBOUNDED
from experiments.engine.tables import write_csv
from model.outcomes import COST_EFFECTIVENESS, metric

RANKED = ("to_north_jobs", "to_outside_jobs", COST_EFFECTIVENESS)  # the decision table's rankings (issue 8)
LEVEL = 0.95
QUANTILES = ((1 - LEVEL) / 2, (1 + LEVEL) / 2)
INTERVAL_METHOD = (
    "the 2.5% and 97.5% empirical quantiles of the draws' effects (each draw's effect: its mean over its "
    f"replications), weighted by the draws' weights ({QUANTILE_RULE}); with fewer than 20 equally weighted draws "
    "they are the smallest and the largest draw; clipped to the bounds of the metric (shares in [0, 1], spending "
    "in [0, budget × years], a change by the difference of the bounds); never a normal approximation. "
    "sd_parameter and sd_monte_carlo split the variance of the draws' effects by the law of total variance"
)
Bounds = tuple[float, float]


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
    distinct_draws: int
    effective_draws: float
    replications: int

    def cells(self) -> list[float | int]:
        """posterior_effects.csv's numbers (EFFECT_FIELDS from `mean` to `replications`)."""
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
            self.distinct_draws,
            self.effective_draws,
            self.replications,
        ]

    def value_cells(self) -> list[float]:
        """The value and its interval, as the commands' own tables write them."""
        return [self.mean, self.low, self.high]

    def decision_cells(self) -> list[float | int]:
        """A posterior decision.csv row's numbers: value and interval, replications per draw, the two SDs, K,
        the distinct parameter sets and the effective draws."""
        return [
            *self.value_cells(),
            self.replications,
            self.sd_parameter,
            self.sd_monte_carlo,
            self.draws,
            self.distinct_draws,
            self.effective_draws,
        ]

    def excludes_zero(self) -> bool:
        return math.isfinite(self.low) and math.isfinite(self.high) and (self.low > 0 or self.high < 0)


def summarise(
    ds: DrawStats,
    bounds: Bounds = UNBOUNDED,
    *,
    weights: DrawWeights | None = None,
    centre: float | None = None,
    interval: bool = True,
) -> Effect:
    """The effect over the draws: mean, quantile interval inside `bounds`, the counts, the two parts (module doc).

    `weights` default to equal weights, each draw its own parameter set; `centre` replaces the weighted mean of
    the draw means (the ratio of the mean changes); `interval=False` leaves the interval undefined (a ratio
    whose denominator cannot be told from 0).
    """
    dw = weights if weights is not None else DrawWeights.equal(max(len(ds.means), 1))
    ok = np.isfinite(ds.means) & (dw.weights > 0)
    k = int(ok.sum())
    reps = int(ds.n.max()) if len(ds.n) else 0
    nan = math.nan
    if k == 0:
        return Effect(nan, nan, nan, nan, nan, nan, nan, nan, 0, 0, 0.0, reps)
    means, w = ds.means[ok], dw.weights[ok] / dw.weights[ok].sum()
    draw_mean = float(np.dot(w, means))
    m = draw_mean if centre is None else float(centre)
    above = float(w[means > 0].sum())
    distinct, eff = dw.distinct(ok), dw.effective(ok)
    if k < 2:
        return Effect(m, nan, nan, nan, nan, nan, nan, above, k, distinct, eff, reps)
    v2 = float(np.sum(w**2))
    between = float(np.dot(w, (means - draw_mean) ** 2)) / (1.0 - v2)
    mc_var = ds.mc_var[ok]
    has_mc = np.isfinite(mc_var)  # draws with fewer than 2 finite values have none
    mc = float(np.dot(w[has_mc], mc_var[has_mc]) / w[has_mc].sum()) if has_mc.any() else nan
    param = max(0.0, between - mc) if math.isfinite(mc) else nan
    low = high = nan
    if interval and math.isfinite(m):
        low, high = (float(v) for v in np.clip(weighted_quantile(means, QUANTILES, w), *bounds))
    sd_mc = math.sqrt(mc) if math.isfinite(mc) else nan
    se_mean = math.sqrt(param / eff + mc * v2) if math.isfinite(param) else math.sqrt(between / eff)
    sd_param = math.sqrt(param) if math.isfinite(param) else nan
    return Effect(m, low, high, sd_param, sd_mc, sd_mc * math.sqrt(v2), se_mean, above, k, distinct, eff, reps)


def ratio_effect(
    cost: np.ndarray, north: np.ndarray, north_effect: Effect, weights: DrawWeights | None = None
) -> tuple[DrawStats, Effect]:
    """The yuan per additional north job from per-replication changes (K, R) of fiscal cost and north jobs."""
    ds = DrawStats.ratio(cost, north)
    c, n = DrawStats.of(cost).means, DrawStats.of(north).means
    dw = weights if weights is not None else DrawWeights.equal(max(len(c), 1))
    ok = np.isfinite(c) & np.isfinite(n) & (dw.weights > 0)
    w = dw.weights[ok]
    mean_north = float(np.dot(w, n[ok]) / w.sum()) if ok.any() else math.nan
    centre = float(np.dot(w, c[ok]) / w.sum()) / mean_north if ok.any() and mean_north != 0 else math.nan
    defined = north_effect.excludes_zero() and bool(np.all(np.isfinite(ds.means)))
    bounds = metric(COST_EFFECTIVENESS).bounds
    return ds, summarise(ds, bounds, weights=dw, centre=centre, interval=defined)


# --------------------------------------------------------------------------- tables


@dataclass(frozen=True)
class Measured:
    """One group's effect on one metric: per draw and over the posterior."""

    group: str
    name: str
    draws: DrawStats
    effect: Effect


def write_tables(
    folder: Path,
    group_column: str,
    measured: Sequence[Measured],
    rankings: Sequence[Ranking],
    particles: Sequence[int],
    ensemble: str,
) -> None:
    """posterior_effects.csv (each row ends with `ensemble`, the ensemble's mark), posterior_draws.csv,
    ranking.csv and ranking_orders.csv."""
    write_csv(
        folder / EFFECTS_FILE,
        (group_column, *EFFECT_FIELDS),
        ([m.group, m.name, metric(m.name).unit, *m.effect.cells(), ensemble] for m in measured),
    )
    rows = []
    for m in measured:
        for k, (mean, var, n) in enumerate(zip(m.draws.means, m.draws.mc_var, m.draws.n, strict=True)):
            rows.append([m.group, m.name, k, particles[k], mean, math.sqrt(var) if math.isfinite(var) else math.nan, n])
    write_csv(folder / DRAWS_EFFECTS_FILE, (group_column, *DRAW_FIELDS), rows)
    write_csv(folder / RANKING_FILE, RANKING_COLUMNS, (row for r in rankings for row in r.pairs))
    write_csv(folder / ORDERS_FILE, ORDER_COLUMNS, (row for r in rankings for row in r.orders))


BoundsOf = Callable[[str, str], Bounds]  # (group, metric) -> the bounds of that group's change


def catalogue_change_bounds(group: str, name: str) -> Bounds:
    """The metric catalogue's bounds of a change (model.outcomes.Metric.change_bounds), whatever the group."""
    return metric(name).change_bounds()


def measure_groups(
    groups: Iterable[tuple[str, Mapping[str, np.ndarray]]],
    weights: DrawWeights | None = None,
    bounds: BoundsOf = catalogue_change_bounds,
) -> list[Measured]:
    """Each group's change in every metric over the posterior, then its yuan per additional north job.

    `groups`: a group (a scenario's paired difference, a lever's Shapley value)
    and its change per metric as (K draws, R replications), in table order;
    the metrics must include the fiscal cost and the north-park jobs. `bounds`
    gives the bounds of each group's change in each metric.
    """
    out: list[Measured] = []
    for group, values in groups:
        found = {}
        for m, x in values.items():
            ds = DrawStats.of(x)
            found[m] = Measured(group, m, ds, summarise(ds, bounds(group, m), weights=weights))
        out += found.values()
        north = found["to_north_jobs"].effect
        ds, effect = ratio_effect(values["fiscal_cost_yuan"], values["to_north_jobs"], north, weights)
        out.append(Measured(group, COST_EFFECTIVENESS, ds, effect))
    return out


def rankings_of(
    measured: Sequence[Measured], groups: Sequence[str], weights: DrawWeights | None = None
) -> list[Ranking]:
    """The RANKED rankings of `groups` from their measured effects (the ratio: NaN where Δ north jobs ≤ 0)."""
    by = {(m.group, m.name): m for m in measured}
    out = []
    for q in RANKED:
        per_draw = np.array([by[(g, q)].draws.means for g in groups])
        if q == COST_EFFECTIVENESS:
            north = np.array([by[(g, "to_north_jobs")].draws.means for g in groups])
            per_draw = ratio_for_ranking(per_draw, north)
        out.append(rank(q, groups, per_draw, [by[(g, q)].effect.mean for g in groups], weights))
    return out
