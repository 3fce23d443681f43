"""The box-finding layer: where in the uncertainty space do failures concentrate? PRIM, with CART as a cross-check.

Plain data in (a column of values per uncertainty, a failed flag per world),
plain data out (`Discovery`): nothing here knows of scenarios, runs or files,
so it is tested on a known failure region (tests/test_discover.py).

PRIM is EMA Workbench's (`ema_workbench.analysis.prim`, Friedman & Fisher
1999; Bryant & Lempert 2010): it peels the space in small steps, each time
dropping the slice that raises the share of failures inside the box most,
then pastes back what helps. Every step of that peeling trajectory is a
candidate box; the chosen box is the one with the largest coverage (share of
all failures inside it) among those with a density (share of the worlds
inside it that fail) of at least `density_min` and at least one restricted
dimension, preferring, among those, steps whose every restriction is
significant (quasi-p ≤ 0.05) when there are any; when no step reaches
`density_min` the densest step is chosen and marked as below it. Further boxes (up to `max_boxes`) are sought among the
worlds outside the earlier ones and kept only if they reach `density_min`.
For each restriction EMA's quasi-p value (a one-sided binomial test of the
density gained by the restriction) is kept, and EMA's `resample` reruns PRIM
on `resamples` random halves of the worlds and counts how often each
dimension is restricted again in the resampled box nearest in coverage (and
in density): its reproducibility, in %.

CART (`ema_workbench.analysis.cart`, scikit-learn's decision tree) splits the
same worlds into leaves of at least `mass_min` of them; its leaves where most
worlds fail, largest coverage first, are the cross-check. EMA's `build_tree`
leaves the tree's random state unseeded (ties between equally good splits are
broken at random), so the tree is fitted here with a seed and handed to EMA's
CART through its public `clf` attribute, which its `boxes` and `stats` read.

ema_workbench is an optional extra: `require_ema` says so with exit 2.
"""

from __future__ import annotations

import logging
import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from model.extras import require

if TYPE_CHECKING:
    import pandas as pd

logger = logging.getLogger(__name__)

PRIM, CART = "prim", "cart"
CART_DENSITY_MIN = 0.5  # a CART leaf is a failure leaf when most of its worlds fail
CART_LEAVES = 3  # failure leaves reported, largest coverage first
MIN_REMAINING_FAILURES = 5  # a further PRIM box is sought only among at least this many failures left
QP_MAX = 0.05  # a restriction with a larger quasi-p is not significant (Bryant & Lempert 2010)


def require_ema() -> None:
    """Exit 2 with a plain message when ema_workbench (the `ema` extra) is missing."""
    require("ema_workbench", "scenario discovery (PRIM, CART)", "discover")


def _ema_analysis() -> Any:
    """ema_workbench.analysis, imported quietly (EMA warns at import about parallel back-ends it does not need)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from ema_workbench import analysis
    return analysis


@dataclass(frozen=True)
class Settings:
    """The box-finding settings (the discovery file's `prim` section)."""

    density_min: float = 0.8
    mass_min: float = 0.05
    peel_alpha: float = 0.05
    paste_alpha: float = 0.05
    max_boxes: int = 2
    resamples: int = 10


@dataclass(frozen=True)
class Restriction:
    """One restricted dimension of a box: its limits, and for PRIM their quasi-p values and reproducibility."""

    dimension: str
    low: float
    high: float
    low_restricted: bool  # the low limit is above the lowest sampled value
    high_restricted: bool
    qp_low: float = math.nan  # NaN: that side is not restricted, or CART
    qp_high: float = math.nan
    reproduce_coverage_pct: float = math.nan  # NaN: not resampled, or CART
    reproduce_density_pct: float = math.nan

    @property
    def quasi_p(self) -> float:
        """The larger (weaker) quasi-p of the restricted sides."""
        values = [v for v in (self.qp_low, self.qp_high) if math.isfinite(v)]
        return max(values) if values else math.nan

    def kept_share(self, lowest: float, highest: float) -> float:
        """The share of the sampled range the restriction keeps (small: restrictive)."""
        span = highest - lowest
        return (self.high - self.low) / span if span > 0 else 1.0


@dataclass(frozen=True)
class Box:
    method: str  # prim | cart
    index: int  # 1, 2, … within its method
    coverage: float  # share of all failures inside the box
    density: float  # share of the worlds inside the box that fail
    mass: float  # share of all worlds inside the box
    worlds: int
    failures: int
    meets_density: bool
    restrictions: tuple[Restriction, ...]


@dataclass(frozen=True)
class Step:
    """One step of a PRIM box's peeling (and pasting) trajectory."""

    box: int
    step: int
    coverage: float
    density: float
    mass: float
    restricted: int
    chosen: bool


@dataclass(frozen=True)
class Discovery:
    prim: list[Box]
    cart: list[Box]
    trajectory: list[Step]


def discover(
    x: Mapping[str, Sequence[float] | np.ndarray], failed: np.ndarray, settings: Settings, seed: int
) -> Discovery:
    """PRIM boxes, their trajectories and CART's failure leaves; both failures and successes must occur."""
    import pandas as pd

    frame = pd.DataFrame({k: np.asarray(v, dtype=float) for k, v in x.items()})
    y = np.asarray(failed, dtype=bool)
    if not 0 < int(y.sum()) < len(y):
        raise ValueError("boxes need both failing and other worlds")
    resample_seed, tree_seed = (int(s) for s in np.random.SeedSequence([seed, 7]).generate_state(2, np.uint32))
    with warnings.catch_warnings():  # EMA's own deprecated pandas calls (DataFrame.drop(inplace=True)): not ours
        warnings.filterwarnings("ignore", category=DeprecationWarning, module=r"ema_workbench\.")
        warnings.filterwarnings("ignore", category=FutureWarning, module=r"ema_workbench\.")
        boxes, trajectory = _prim(frame, y, settings, resample_seed)
        return Discovery(boxes, _cart(frame, y, settings, tree_seed), trajectory)


def _prim(frame: pd.DataFrame, y: np.ndarray, s: Settings, seed: int) -> tuple[list[Box], list[Step]]:
    prim = _ema_analysis().prim
    alg = prim.Prim(frame, y.astype(int), peel_alpha=s.peel_alpha, paste_alpha=s.paste_alpha, mass_min=s.mass_min)
    boxes: list[Box] = []
    steps: list[Step] = []
    rng = np.random.default_rng(seed)
    while len(boxes) < s.max_boxes:
        remaining = int(y.sum()) - sum(b.failures for b in boxes)  # failures outside the boxes found so far
        if boxes and remaining < MIN_REMAINING_FAILURES:
            break
        found = alg.find_box()
        if found is None:
            break
        i, meets = _choose(found.peeling_trajectory, found.p_values, s.density_min)
        if i is None or (boxes and not meets):
            break
        found.select(i)
        box = _prim_box(found, i, len(boxes) + 1, meets, frame, s, rng)
        traj = found.peeling_trajectory
        steps += [
            Step(
                box.index,
                j,
                float(traj.coverage[j]),
                float(traj.density[j]),
                float(traj.mass[j]),
                int(traj.res_dim[j]),
                j == i,
            )
            for j in range(len(traj))
        ]
        boxes.append(box)
    return boxes, steps


def _choose(
    traj: pd.DataFrame, p_values: Sequence[Mapping[str, Sequence[float]]], density_min: float
) -> tuple[int | None, bool]:
    """(step, meets density_min): the step PRIM's box is taken at; None when no step restricts anything.

    Candidates restrict at least one dimension. The largest coverage among
    those with a density ≥ density_min, preferring the steps whose every
    restriction is significant (quasi-p ≤ QP_MAX) when there are any; if none
    is that dense, the densest. Ties go to fewer restricted dimensions, then to
    the earlier step (a larger box).
    """
    candidates = [j for j in range(len(traj)) if int(traj.res_dim[j]) >= 1]
    if not candidates:
        return None, False
    dense = [j for j in candidates if float(traj.density[j]) >= density_min - 1e-12]
    if dense:
        pool = [j for j in dense if _significant(p_values[j])] or dense
        return min(pool, key=lambda j: (-float(traj.coverage[j]), int(traj.res_dim[j]), j)), True
    best = min(candidates, key=lambda j: (-float(traj.density[j]), -float(traj.coverage[j]), int(traj.res_dim[j]), j))
    return best, False


def _significant(qp: Mapping[str, Sequence[float]]) -> bool:
    """Every restricted side of every dimension has a quasi-p of at most QP_MAX (EMA writes -1 for a free side)."""
    values = [float(v) for sides in qp.values() for v in sides if float(v) >= 0]
    return bool(values) and max(values) <= QP_MAX


def _prim_box(found: Any, i: int, index: int, meets: bool, frame: pd.DataFrame, s: Settings, rng: Any) -> Box:
    """Box `index` at step i of its trajectory: statistics, restrictions, quasi-p values, reproducibility."""
    traj = found.peeling_trajectory
    limits = found.box_lims[i]
    init = found.prim.box_init
    qp = found.p_values[i]
    reproduce: dict[str, tuple[float, float]] = {}
    if s.resamples > 0:
        scores = found.resample(i, iterations=s.resamples, rng=rng)
        for dim in scores.index:
            row = scores.loc[dim]
            reproduce[str(dim)] = (float(row["reproduce coverage"]), float(row["reproduce density"]))
    restrictions = []
    for dim in frame.columns:
        low, high = float(limits[dim][0]), float(limits[dim][1])
        lo_r, hi_r = low != float(init[dim][0]), high != float(init[dim][1])
        if not (lo_r or hi_r):
            continue
        q = qp.get(dim, [-1, -1])
        cov, den = reproduce.get(dim, (math.nan, math.nan))
        restrictions.append(Restriction(dim, low, high, lo_r, hi_r, _qp(q[0]), _qp(q[1]), round(cov, 6), round(den, 6)))
    return Box(
        PRIM,
        index,
        float(traj.coverage[i]),
        float(traj.density[i]),
        float(traj.mass[i]),
        int(traj.n[i]),
        int(traj.k[i]),
        meets,
        tuple(restrictions),
    )


def _qp(value: Any) -> float:
    v = float(value)
    return math.nan if v < 0 or not math.isfinite(v) else v


def _cart(frame: pd.DataFrame, y: np.ndarray, s: Settings, seed: int) -> list[Box]:
    """CART's leaves where most worlds fail, largest coverage first (at most CART_LEAVES)."""
    from sklearn.tree import DecisionTreeClassifier

    cart = _ema_analysis().cart
    alg = cart.CART(frame, y.astype(int), mass_min=s.mass_min)
    min_leaf = max(1, int(s.mass_min * len(frame)))
    alg.clf = DecisionTreeClassifier(min_samples_leaf=min_leaf, random_state=seed).fit(frame.to_numpy(), y.astype(int))
    lows, highs = frame.min(), frame.max()
    leaves = []
    for limits, stats in zip(alg.boxes, alg.stats, strict=True):
        if stats["density"] < CART_DENSITY_MIN:
            continue
        inside = np.ones(len(frame), dtype=bool)
        restrictions = []
        for dim in frame.columns:
            low, high = float(limits[dim][0]), float(limits[dim][1])
            inside &= (frame[dim].to_numpy() >= low) & (frame[dim].to_numpy() <= high)
            lo_r, hi_r = low > float(lows[dim]), high < float(highs[dim])
            if lo_r or hi_r:
                restrictions.append(Restriction(dim, low, high, lo_r, hi_r))
        leaves.append((float(stats["coverage"]), float(stats["density"]), float(stats["mass"]), inside, restrictions))
    leaves.sort(key=lambda leaf: (-leaf[0], -leaf[1]))
    return [
        Box(CART, n + 1, cov, den, mass, int(inside.sum()), int(y[inside].sum()), den >= s.density_min, tuple(r))
        for n, (cov, den, mass, inside, r) in enumerate(leaves[:CART_LEAVES])
    ]
