"""The facts table of `report`: every fact of experiments.facts.catalogue, the model beside both yardsticks.

For each fact (one row): the model's value pooled over its replications with
the 95 % interval over replications (bounded to the fact's range), met or not
by the fact's rule and the share of replications meeting it; the same for the
null model (the same scenario with every choice coefficient 0 and every nest
λ 1, derived from the schema) and for the gravity yardstick (the same with
P(j) ∝ GDP^a · km^b, a and b fitted to the fitted facts: experiments.facts.gravity);
for the list facts what random picks of five candidates score (mean and 95 %
quantile: experiments.facts.catalogue.random_picks_of) and the model's p, the
chance that random picks score at least as much; with a calibration folder
also the posterior (K draws: mean of the per-draw measure, 2.5–97.5 %
quantiles over draws, met on all draws' runs pooled, share of draws meeting)
and the defaults before calibration. Then:

- `evidence` (the rule of DESIGN §7, experiments.facts.yardsticks.evidence):
  "yes" where the model meets the fact and neither yardstick does; "no: met by
  null", "no: met by gravity", "no: met by null and gravity"; "not met";
  "undefined" (e.g. nobody moved in the window);
- `verdict`, the same in words: "reproduced" (evidence), "reproduced, but a
  yardstick does too — no evidence", "not reproduced", "undefined".

`COVERAGE` maps domain.md's stylized facts, the article's facts and the park
facts to the facts that measure them, or says why none does.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from experiments.analysis.stats import Interval
from experiments.facts.catalogue import FACTS, NOT_EXPRESSIBLE, Fact, list_band, random_picks_of
from experiments.facts.measures import MET_BANDS, Measure
from experiments.facts.yardsticks import EVIDENCE, evidence
from model.world import WorldData

Summaries = Sequence[dict[str, float]]
WITHOUT_HAND = "without_hand"  # the model's runs without the data's hand-seeded rows (world.hand_seeded_rows: drop)
REPRODUCED = "reproduced"
NO_EVIDENCE = "reproduced, but a yardstick does too — no evidence"
NOT_REPRODUCED = "not reproduced"
UNDEFINED = "undefined"
# The band a fact's rule asks for where it is a fixed one (experiments.facts.measures.MET_BANDS; written
# with NaN for an open end).
BANDS: dict[str, tuple[float, float]] = {
    name: (low, high if math.isfinite(high) else math.nan) for name, (low, high) in MET_BANDS.items()
}
_DOMAIN = "domain.md stylized fact"
_NOT_OUTCOME = "not an outcome of relocation the model produces"
COVERAGE: tuple[tuple[str, str, str, str], ...] = (
    (f"{_DOMAIN} 1", "Low base rate: a few percent of firms relocate per year", "low_move_rate", ""),
    (f"{_DOMAIN} 2", "Mobility falls with firm age and size", "mobility_by_size mobility_by_age", ""),
    (f"{_DOMAIN} 3", "Agglomeration lock-in: relocations reinforce concentration", "agglomeration_lock_in", ""),
    (
        f"{_DOMAIN} 3",
        "Weak clusters raise supporting costs (a threshold effect)",
        "",
        "a mechanism the model assumes (the settlement's thin-cluster penalty), not a pattern it could "
        "reproduce: measuring it would check the assumption against itself",
    ),
    (f"{_DOMAIN} 4", "Labour- and land-intensive industries move first", "industry_mix", ""),
    (
        f"{_DOMAIN} 5",
        "Diminishing returns to subsidies",
        "",
        "a response to policy amounts not observed in 2019-2022: shown as a comparative static "
        "(returns.csv, section 'Diminishing returns'), not as a hindcast fact",
    ),
    (f"{_DOMAIN} 6", "Park effects are modest and sector-specific", "park_effects_modest", ""),
    (
        f"{_DOMAIN} 7",
        "Two distance clusters, near and far; northern Jiangsu skipped",
        "distance_clusters north_skipped",
        "",
    ),
    ("article", "Southern firms mostly relocate out of the province", "outside_majority", ""),
    (
        "article",
        "2019-2022 top-5 outside destinations of Suzhou (unordered) and of Wuxi (ranked)",
        "top5_suzhou top5_wuxi top5_wuxi_ranked",
        "",
    ),
    ("domain.md park facts", "Wuxi's three parks, 2021 investment", "park_investment_rank", ""),
    *(("domain.md park facts", item, "", why) for item, why in NOT_EXPRESSIBLE.items()),
    (
        "domain.md park facts",
        "2006 pilot: 10 northern zones, Suzhou-Suqian ~10 km² with a 2 km² start-up area",
        "",
        "institutional history before the model's first year (2019), " + _NOT_OUTCOME,
    ),
    (
        "domain.md park facts",
        "Southern Jiangsu: under 30% of the province's land, over 60% of its GDP at the peak",
        "",
        "the setting, " + _NOT_OUTCOME + " (it has no land area or GDP)",
    ),
)


def _flag(value: bool | None) -> str:
    return "" if value is None else str(value).lower()


def verdict(met: bool | None, null_met: bool | None, gravity_met: bool | None = None) -> str:
    """The evidence rule in words (module docstring)."""
    if met is None:
        return UNDEFINED
    if not met:
        return NOT_REPRODUCED
    return REPRODUCED if evidence(met, null_met, gravity_met) == EVIDENCE else NO_EVIDENCE


def over_replications(fact: Fact, runs: Summaries, world: WorldData) -> tuple[Measure, Interval, float]:
    """The measure pooled over the runs, the 95 % interval of the per-run values, the share of runs meeting it."""
    pooled = fact.of(runs, world)
    per = [fact.of([s], world) for s in runs]
    iv = Interval.of([m.value for m in per if math.isfinite(m.value)], fact.bounds)
    share = sum(m.met is True for m in per) / len(per) if per else math.nan
    return pooled, iv, share


def over_draws(fact: Fact, draws: Sequence[Summaries], world: WorldData) -> list[Any]:
    """Posterior columns: mean of the per-draw measure, 2.5-97.5 % over draws, met pooled, share of draws met."""
    per = [fact.of(runs, world) for runs in draws]
    pooled = fact.of([s for runs in draws for s in runs], world)
    finite = [m.value for m in per if math.isfinite(m.value)]
    if finite:
        lo, hi = (float(q) for q in np.quantile(finite, [0.025, 0.975]))
        mean = float(np.mean(finite))
    else:
        mean = lo = hi = math.nan
    share = sum(m.met is True for m in per) / len(per)
    return [mean, lo, hi, _flag(pooled.met), share]


def fact_rows(
    world: WorldData,
    runs: dict[str, Summaries],
    posterior: Sequence[Summaries] | None,
    roles: dict[str, str],
) -> list[list[Any]]:
    """facts.csv: one row per fact (module docstring); `runs` has "model", "null", "gravity", maybe "defaults"
    and WITHOUT_HAND."""
    rows = []
    order = sorted(FACTS, key=lambda n: ("fit", "held_out", "other", "").index(roles.get(n, "")))
    for name in order:
        fact = FACTS[name]
        head = [name, fact.label, roles.get(name, ""), fact.unit, fact.observed, fact.rule, fact.source, fact.window]
        model, model_iv, model_share = over_replications(fact, runs["model"], world)
        null, null_iv, null_share = over_replications(fact, runs["null"], world)
        gravity, gravity_iv, gravity_share = over_replications(fact, runs["gravity"], world)
        random = list(random_picks_of(name, world) or (math.nan, math.nan))
        low, high = list_band(name, world) or BANDS.get(name, (math.nan, math.nan))
        post = over_draws(fact, posterior, world) if posterior else [math.nan, math.nan, math.nan, "", math.nan]
        if "defaults" in runs:
            d, d_iv, _share = over_replications(fact, runs["defaults"], world)
            defaults = [d.value, d_iv.low, d_iv.high, _flag(d.met)]
        else:
            defaults = [math.nan, math.nan, math.nan, ""]
        if WITHOUT_HAND in runs:
            h, h_iv, _share = over_replications(fact, runs[WITHOUT_HAND], world)
            without_hand = [h.value, h_iv.low, h_iv.high, _flag(h.met)]
        else:
            without_hand = [math.nan, math.nan, math.nan, ""]
        rows.append(
            [
                *head,
                model.value,
                model_iv.low,
                model_iv.high,
                _flag(model.met),
                model_share,
                model.detail,
                null.value,
                null_iv.low,
                null_iv.high,
                _flag(null.met),
                null_share,
                null.detail,
                *random,
                *post,
                *defaults,
                low,
                high,
                verdict(model.met, null.met, gravity.met),
                gravity.value,
                gravity_iv.low,
                gravity_iv.high,
                _flag(gravity.met),
                gravity_share,
                gravity.detail,
                model.p,
                evidence(model.met, null.met, gravity.met),
                *without_hand,
            ]
        )
    return rows


def coverage_rows() -> list[list[str]]:
    return [list(row) for row in COVERAGE]
