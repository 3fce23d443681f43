"""How each fact is measured from pooled run statistics (experiments.facts.catalogue names the facts).

A measure reads the pooled `group|statistic|item` statistics of one or more
replications (`pool`) and the world's tables and gives a `Measure`: the value,
a calibration distance in [0, 1] (0 = as good as it gets), whether the fact's
rule is met, and a line of detail. Thresholds are the facts' stated rules
(their sources are given in experiments.facts.catalogue).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from experiments.facts.hindcast import ALL, NORTH_OF_LAT
from experiments.facts.patterns import (
    SET_ALPHA,
    Chance,
    SetChance,
    overlap,
    random_picks,
    rbo,
    read_targets,
    set_chance,
)
from model.world import WorldData

Pooled = Mapping[str, float]
OUTSIDE = "outside_destination"
MOVE_RATE_BAND = (0.005, 0.03)
OUTSIDE_MAJORITY = 0.5
FALLING_RHO = -0.8
INDUSTRY_RHO = 0.5
MODEST_PARK_SHARE = 0.10
# "Skipped" read as: northern Jiangsu gets at most half of what a random pick of destinations sends
# there (assumption; a ratio below 1 alone is met by the null model, 0.87 at defaults).
SKIPPED_RATIO = 0.5
WUXI_PARKS_BY_INVESTMENT = ("wuxi_xuzhou", "yixing_peixian", "jiangyin_suining")  # 2021: ¥22.95 bn, 5.8 bn, 4.0 bn
LIST_GROUPS = ("Suzhou", "Wuxi")
LIST_LENGTH = 5  # the article's lists are top fives
# Fact -> the values of its measure where its rule holds (math.inf: open above). Not listed: the
# top-5 lists (a chance computed from the candidates: `list_band`) and the distance clusters (a
# comparison of three shares of one run, no threshold on the value).
MET_BANDS: dict[str, tuple[float, float]] = {
    "outside_majority": (OUTSIDE_MAJORITY, 1.0),
    "low_move_rate": MOVE_RATE_BAND,
    "mobility_by_size": (-1.0, FALLING_RHO),
    "mobility_by_age": (-1.0, FALLING_RHO),
    "industry_mix": (INDUSTRY_RHO, 1.0),
    "north_skipped": (0.0, SKIPPED_RATIO),
    "park_investment_rank": (1.0, 1.0),
    "agglomeration_lock_in": (1.0, math.inf),
    "park_effects_modest": (0.0, MODEST_PARK_SHARE),
}


def pool(summaries: Sequence[Mapping[str, float]]) -> dict[str, float]:
    """The replications' statistics pooled: the mean of each (an outside city a run never chose counts 0)."""
    keys = sorted({k for s in summaries for k in s})
    out = {}
    for key in keys:
        default = 0.0 if f"|{OUTSIDE}|" in key else math.nan
        xs = [float(s.get(key, default)) for s in summaries]
        xs = [x for x in xs if math.isfinite(x)]
        out[key] = math.fsum(xs) / len(xs) if xs else math.nan
    return out


@dataclass(frozen=True)
class Measure:
    value: float
    distance: float  # in [0, 1]
    met: bool | None  # None: undefined (e.g. nobody moved)
    detail: str = ""
    p: float = math.nan  # list facts: the chance that random picks score at least `value`


def _undefined(detail: str = "undefined: no moves in the window") -> Measure:
    return Measure(math.nan, 1.0, None, detail)


def _get(p: Pooled, key: str) -> float:
    return float(p.get(key, math.nan))


def _hinge(value: float, low: float, high: float) -> float:
    """0 inside [low, high]; the relative distance to the band outside it, at most 1."""
    if value < low:
        return min(1.0, (low - value) / low) if low > 0 else 1.0
    if value > high:
        return min(1.0, (value - high) / high) if high > 0 else 1.0
    return 0.0


def spearman(x: Sequence[float], y: Sequence[float]) -> float:
    """Spearman's rank correlation (average ranks for ties); NaN with fewer than 3 finite pairs or no spread."""
    pairs = [(a, b) for a, b in zip(x, y, strict=True) if math.isfinite(a) and math.isfinite(b)]
    if len(pairs) < 3:
        return math.nan
    ra, rb = _ranks([a for a, _ in pairs]), _ranks([b for _, b in pairs])
    if np.std(ra) == 0 or np.std(rb) == 0:
        return math.nan
    return float(np.corrcoef(ra, rb)[0, 1])


def _ranks(xs: Sequence[float]) -> np.ndarray:
    order = np.argsort(xs, kind="stable")
    ranks = np.empty(len(xs))
    values = np.asarray(xs)[order]
    i = 0
    while i < len(xs):
        j = i
        while j + 1 < len(xs) and values[j + 1] == values[i]:
            j += 1
        ranks[order[i : j + 1]] = (i + j) / 2
        i = j + 1
    return ranks


def outside_majority(p: Pooled, world: WorldData) -> Measure:
    v = _get(p, f"{ALL}|share|outside_city")
    if not math.isfinite(v):
        return _undefined()
    return Measure(v, min(1.0, max(0.0, OUTSIDE_MAJORITY - v) / OUTSIDE_MAJORITY), v >= OUTSIDE_MAJORITY)


def move_rate(p: Pooled, world: WorldData) -> Measure:
    v = _get(p, f"{ALL}|move_rate|")
    if not math.isfinite(v):
        return _undefined("undefined: no firms")
    lo, hi = MOVE_RATE_BAND
    return Measure(v, _hinge(v, lo, hi), lo <= v <= hi)


def _band_key(label: str) -> float:
    try:
        return float(label.split("-")[0].split("+")[0].split(" ")[0].lstrip("<"))
    except ValueError:
        return math.inf


def falling(what: str) -> Callable[[Pooled, WorldData], Measure]:
    prefix = f"{ALL}|move_rate_by_{what}|"

    def measure(p: Pooled, world: WorldData) -> Measure:
        bands = sorted((k[len(prefix) :] for k in p if k.startswith(prefix)), key=_band_key)
        rates = [_get(p, prefix + b) for b in bands]
        rho = spearman(list(range(len(bands))), rates)
        if not math.isfinite(rho):
            return _undefined("undefined: too few bands with firms")
        detail = ", ".join(f"{b}: {r:.2%}" for b, r in zip(bands, rates, strict=True))
        return Measure(rho, (1 + rho) / 2, rho <= FALLING_RHO, detail)

    return measure


def industry_mix(p: Pooled, world: WorldData) -> Measure:
    intensity = (world.industry_num["labour_intensity"] + world.industry_num["land_intensity"]) / 2
    rates = [_get(p, f"{ALL}|industry_move_rate|{k}") for k in world.industry_ids]
    rho = spearman(list(intensity), rates)
    if not math.isfinite(rho):
        return _undefined()
    ranked = sorted(zip(world.industry_ids, rates, strict=True), key=lambda kv: -kv[1] if math.isfinite(kv[1]) else 0)
    detail = "fastest: " + ", ".join(f"{k} {r:.2%}" for k, r in ranked[:3])
    return Measure(rho, (1 - rho) / 2, rho >= INDUSTRY_RHO, detail)


def ranking(p: Pooled, group: str) -> list[str]:
    """A group's outside cities by pooled share of its outside-bound jobs, largest first (ties by id)."""
    prefix = f"{group}|{OUTSIDE}|"
    shares = [(k[len(prefix) :], v) for k, v in p.items() if k.startswith(prefix) and v > 0]
    return [c for c, _ in sorted(shares, key=lambda kv: (-kv[1], kv[0]))]


@functools.lru_cache(maxsize=8)
def list_chance(group: str, candidates: tuple[str, ...]) -> Chance:
    """What random picks score against a group's list by RBO (Monte Carlo, fixed seed)."""
    targets = read_targets()
    return random_picks(targets.top_destinations[group], candidates, ranked=targets.is_ranked(group))


def list_set_chance(group: str, candidates: tuple[str, ...], picks: int | None = None) -> SetChance:
    """The exact chance of an overlap with a group's list for `picks` random candidates (default: its length)."""
    return set_chance(read_targets().top_destinations[group], candidates, picks)


def outside_candidates(world: WorldData) -> tuple[str, ...]:
    return tuple(sorted(p for p, k in zip(world.place_ids, world.kinds, strict=True) if k == "outside_city"))


def top5(group: str) -> Callable[[Pooled, WorldData], Measure]:
    """The group's top outside cities against its list as a set: cities in common, hypergeometric p ≤ 5%."""

    def measure(p: Pooled, world: WorldData) -> Measure:
        target = read_targets().top_destinations[group]
        top = ranking(p, group)[: len(target)]
        if not top:
            return _undefined()
        hits = overlap(top, target)
        chance = list_set_chance(group, outside_candidates(world), len(top))
        p_value = chance.p(hits)
        detail = f"{' '.join(top)} ({hits} in common; p = {p_value:.2g})"
        return Measure(float(hits), 1.0 - hits / len(target), p_value <= SET_ALPHA, detail, p_value)

    return measure


def top5_ranked(group: str) -> Callable[[Pooled, WorldData], Measure]:
    """The group's top outside cities against its ranked list by RBO: above random picks' 95% quantile."""

    def measure(p: Pooled, world: WorldData) -> Measure:
        targets = read_targets()
        target = targets.top_destinations[group]
        top = ranking(p, group)[: len(target)]
        if not top:
            return _undefined()
        value = rbo(top, target, ranked=targets.is_ranked(group))
        chance = list_chance(group, outside_candidates(world))
        p_value = chance.rbo_p(value)
        detail = f"{' '.join(top)} ({overlap(top, target)} in common; p = {p_value:.2g})"
        return Measure(value, 1 - value, value > chance.rbo_q95, detail, p_value)

    return measure


def clusters(p: Pooled, world: WorldData) -> Measure:
    shares = {}
    for band in ("0-400 km", "400-1000 km", "1000+ km"):
        xs = [_get(p, f"{g}|outside_distance_band|{band}") for g in LIST_GROUPS]
        xs = [x for x in xs if math.isfinite(x)]
        shares[band] = sum(xs) / len(xs) if xs else math.nan
    near, mid, far = shares["0-400 km"], shares["400-1000 km"], shares["1000+ km"]
    if not all(math.isfinite(x) for x in (near, mid, far)):
        return _undefined()
    gap = mid - min(near, far)
    detail = f"near {near:.1%}, between {mid:.1%}, far {far:.1%}"
    return Measure(mid, min(1.0, max(0.0, gap)), mid < near and mid < far, detail)


def north_chance(world: WorldData) -> float:
    """Northern Jiangsu's share of the destinations: what a random pick sends there."""
    dest = world.kinds != "origin"
    north = dest & np.isin(world.kinds, ("north_park", "jiangsu_city")) & (world.lat >= NORTH_OF_LAT)
    return float(north.sum() / dest.sum())


def north_skipped(p: Pooled, world: WorldData) -> Measure:
    share = _get(p, f"{ALL}|north_jiangsu_share|")
    if not math.isfinite(share):
        return _undefined()
    chance = north_chance(world)
    ratio = share / chance
    detail = f"{share:.1%} of moved jobs against {chance:.1%} by a random pick"
    return Measure(ratio, min(1.0, max(0.0, ratio - SKIPPED_RATIO)), ratio <= SKIPPED_RATIO, detail)


def kendall_tau(order: Sequence[str], values: Mapping[str, float]) -> float:
    """Kendall's tau between a stated order (first = largest) and values (ties count 0)."""
    n, score = len(order), 0
    for i in range(n):
        for j in range(i + 1, n):
            a, b = values[order[i]], values[order[j]]
            score += (a > b) - (a < b)
    return score / (n * (n - 1) / 2)


def park_rank(p: Pooled, world: WorldData) -> Measure:
    values = {q: _get(p, f"{ALL}|park_share|{q}") for q in WUXI_PARKS_BY_INVESTMENT}
    if not all(math.isfinite(v) for v in values.values()):
        return _undefined()
    tau = kendall_tau(WUXI_PARKS_BY_INVESTMENT, values)
    detail = ", ".join(f"{q} {v:.2%}" for q, v in values.items())
    return Measure(tau, (1 - tau) / 2, tau == 1.0, detail)


def lock_in(p: Pooled, world: WorldData) -> Measure:
    v = _get(p, f"{ALL}|base_ratio|")
    if not math.isfinite(v):
        return _undefined()
    return Measure(v, min(1.0, max(0.0, 1.0 - v)), v > 1.0)


def parks_modest(p: Pooled, world: WorldData) -> Measure:
    share = _get(p, f"{ALL}|share|north_park")
    focus = _get(p, f"{ALL}|park_focus_ratio|")
    if not math.isfinite(share):
        return _undefined()
    specific = math.isfinite(focus) and focus > 1.0
    detail = f"focus-industry arrivals {focus:.2f}× what the movers' mix gives"
    return Measure(share, _hinge(share, 0.0, MODEST_PARK_SHARE), share <= MODEST_PARK_SHARE and specific, detail)
