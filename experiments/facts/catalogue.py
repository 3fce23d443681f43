"""The article's facts and domain.md's stylized facts, as statistics of model runs.

A run asked for a summary (`Task(..., reducer=HINDCAST_SUMMARY)`) is reduced
in its worker to its hindcast statistics (`summarise`: experiments.facts.hindcast
over the scenario's hindcast window, `group|statistic|item` -> value). A `Fact` turns
the summaries of one or more replications into a `Measure`: the value, a
distance in [0, 1] for calibration (0 = the fact holds as well as it can),
whether it is met by the fact's stated rule, and a line of detail.

Which facts are fitted and which are held out is the calibration file's
choice; domain.md ("Which facts to fit and which to hold out") gives the
default: fit the outside-province majority, one origin group's list, the low
move rate, mobility by size and age and the industry mix; hold out the other
group's list, the distance clusters with northern Jiangsu skipped and the
park facts. Every threshold below is stated with its source or as an
assumption. A fact counts as evidence for the model only where the model
meets it and neither yardstick does (DESIGN §7; experiments.facts.yardsticks:
the null model and the gravity yardstick), which is why every report shows
their measures beside the model's. A fact joins FIT_DEFAULT only after
experiments.facts.screening has shown that both yardsticks fail it clearly
(the gravity one refitted with it); the candidates screened so far, none of
which passed, are in docs/calibration/fact_screening.md.

The article's two lists (line 17: "排名前五的城市为 …", the top five cities
of the China Industrial Transfer Report) are compared as the source gives
them. Suzhou's — Guiyang, Luzhou, Maoming, Ningbo, Xianyang — is in pinyin
order (G, L, M, N, X), so its order carries no information: it is a set,
tested by the cities in common and their hypergeometric p against random
picks (`top5_suzhou`). Wuxi's — Yinchuan, Baotou, Chongqing, Wuhu, Anqing —
is in no alphabetical order (Y, B, C, W, A), so it is taken as the ranking
the report's wording says it is: it is tested as a set too (`top5_wuxi`) and
also rank by rank, by rank-biased overlap (`top5_wuxi_ranked`).
experiments/targets/article.yaml records the same (`ranked:`); a test holds
the two together.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from experiments.engine.store import Reducer
from experiments.facts import measures as m
from experiments.facts.hindcast import Hindcast
from experiments.facts.measures import (
    FALLING_RHO,
    INDUSTRY_RHO,
    LIST_LENGTH,
    MODEST_PARK_SHARE,
    MOVE_RATE_BAND,
    OUTSIDE_MAJORITY,
    SKIPPED_RATIO,
    Measure,
    Pooled,
    pool,
)
from experiments.facts.patterns import SET_ALPHA
from model.config import Scenario
from model.metrics import Results
from model.world import WorldData, world_for


def summarise(results: Results, scenario: Scenario) -> dict[str, float]:
    """A run's hindcast statistics over the scenario's hindcast window (else all its years)."""
    years = scenario.years
    window = (years.start, years.hindcast_end if years.hindcast_end is not None else years.end)
    hindcast = Hindcast(world_for(scenario), window)
    hindcast.add(results.flows, results.stocks, results.mobility)
    return hindcast.flat(0)


SUMMARY_VERSION = 1  # bump when `summarise` changes what it computes: stored summaries are redone
HINDCAST_SUMMARY = Reducer(f"{__name__}:{summarise.__name__}", SUMMARY_VERSION)  # the worker runs summarise


@dataclass(frozen=True)
class Fact:
    name: str
    label: str
    statistic: str  # what is measured
    observed: str  # what the source says
    rule: str  # when the model reproduces it
    source: str
    window: str
    unit: str  # share | correlation | ratio | overlap | count
    bounds: tuple[float, float]
    measure: Callable[[Pooled, WorldData], Measure]

    def of(self, summaries: Sequence[Mapping[str, float]], world: WorldData) -> Measure:
        return self.measure(pool(summaries), world)

    def per_replication(self, summaries: Sequence[Mapping[str, float]], world: WorldData) -> list[float]:
        return [self.measure(pool([s]), world).value for s in summaries]


ARTICLE = "seed article (shared/seed/article-zh.txt)"
SET_RULE = (
    f"the chance that {LIST_LENGTH} cities picked at random from the outside candidates share at least as many"
    f" (hypergeometric p) is ≤ {SET_ALPHA:.0%}"
)
HINDCAST = "2019-2022"
UNIT_BOUNDS = {
    "share": (0.0, 1.0),
    "correlation": (-1.0, 1.0),
    "ratio": (0.0, math.inf),
    "overlap": (0.0, 1.0),  # rank-biased overlap
    "count": (0.0, float(LIST_LENGTH)),  # cities in common with a top-5 list
}


def _fact(
    name: str,
    label: str,
    statistic: str,
    observed: str,
    rule: str,
    source: str,
    unit: str,
    fn: Callable[[Pooled, WorldData], Measure],
) -> Fact:
    return Fact(name, label, statistic, observed, rule, source, HINDCAST, unit, UNIT_BOUNDS[unit], fn)


FACTS: dict[str, Fact] = {
    f.name: f
    for f in (
        _fact(
            "outside_majority",
            "Most relocated jobs leave the province",
            "outside-province share of jobs moved from the south",
            "firms relocating out of the south mostly go to other provinces",
            f"share ≥ {OUTSIDE_MAJORITY:.0%}",
            ARTICLE + "; domain.md",
            "share",
            m.outside_majority,
        ),
        _fact(
            "low_move_rate",
            "A low annual inter-city relocation rate",
            "southern firms relocating to another city ÷ firms, per year",
            "a few percent of firms relocate a year, most moves short (≈6% of Dutch firms, Knoben & Oerlemans 2005)",
            f"{MOVE_RATE_BAND[0]:.1%} to {MOVE_RATE_BAND[1]:.0%} a year"
            " (assumption: inter-city moves are at most half of all moves)",
            "domain.md stylized fact 1",
            "share",
            m.move_rate,
        ),
        _fact(
            "mobility_by_size",
            "Mobility falls with firm size",
            "Spearman ρ of the annual move rate across size bands (smallest first)",
            "mobility falls with size",
            f"ρ ≤ {FALLING_RHO}",
            "domain.md stylized fact 2 (van Dijk & Pellenbarg 2000)",
            "correlation",
            m.falling("size"),
        ),
        _fact(
            "mobility_by_age",
            "Mobility falls with firm age",
            "Spearman ρ of the annual move rate across age bands (youngest first)",
            "mobility falls with age",
            f"ρ ≤ {FALLING_RHO}",
            "domain.md stylized fact 2 (van Dijk & Pellenbarg 2000)",
            "correlation",
            m.falling("age"),
        ),
        _fact(
            "industry_mix",
            "Labour- and land-intensive industries move first",
            "Spearman ρ between an industry's labour and land intensity (mean) and its jobs' annual move rate",
            "labour- and land-intensive industries move first",
            f"ρ ≥ {INDUSTRY_RHO} (assumption: a clear positive ordering)",
            "domain.md stylized fact 4 (Li, Mau & Xu 2023)",
            "correlation",
            m.industry_mix,
        ),
        _fact(
            "top5_suzhou",
            "Suzhou's top-5 outside destinations",
            "cities in common between Suzhou's top 5 outside cities by jobs and the article's five"
            " (a set: the source lists them in pinyin order)",
            "Guiyang, Luzhou, Maoming, Ningbo, Xianyang",
            SET_RULE,
            ARTICLE + ", line 17 (China Industrial Transfer Report)",
            "count",
            m.top5("Suzhou"),
        ),
        _fact(
            "top5_wuxi",
            "Wuxi's top-5 outside destinations",
            "cities in common between Wuxi's top 5 outside cities by jobs and the article's five (as a set)",
            "Yinchuan, Baotou, Chongqing, Wuhu, Anqing",
            SET_RULE,
            ARTICLE + ", line 17 (China Industrial Transfer Report)",
            "count",
            m.top5("Wuxi"),
        ),
        _fact(
            "top5_wuxi_ranked",
            "Wuxi's top-5 outside destinations, in order",
            "rank-biased overlap (Webber et al. 2010, p 0.9) of Wuxi's top 5 outside cities by jobs with the"
            " article's list as a ranking (it is in no alphabetical order)",
            "Yinchuan, Baotou, Chongqing, Wuhu, Anqing (ranked)",
            "above the 95% quantile of random picks of 5 from the candidates",
            ARTICLE + ", line 17 (China Industrial Transfer Report)",
            "overlap",
            m.top5_ranked("Wuxi"),
        ),
        _fact(
            "distance_clusters",
            "Two distance clusters, near and far",
            "share of Suzhou's and Wuxi's outside-bound jobs at 400-1,000 km (mean of the two groups)",
            "the lists' cities lie within 400 km (3) or beyond 1,000 km (7), none between",
            "the 400-1,000 km share is below both the near and the far share",
            "domain.md stylized fact 7",
            "share",
            m.clusters,
        ),
        _fact(
            "north_skipped",
            "Northern Jiangsu is skipped",
            "share of moved jobs going to northern Jiangsu (north of 33°N) ÷ the share a random pick sends there",
            "northern Jiangsu, 300-500 km away, does not naturally become the destination",
            f"ratio ≤ {SKIPPED_RATIO} (assumption: at most half of what chance sends there)",
            ARTICLE + "; domain.md stylized fact 7",
            "ratio",
            m.north_skipped,
        ),
        _fact(
            "park_investment_rank",
            "Wuxi's three parks in the order of their investment",
            "Kendall τ between jobs moved into Wuxi–Xuzhou, Yixing–Peixian and Jiangyin–Suining"
            " and their 2021 investment",
            "2021 investment: Wuxi–Xuzhou ¥22.95 bn > Yixing–Peixian ¥5.8 bn > Jiangyin–Suining ¥4.0 bn",
            "τ = 1 (the order reproduced; a random order does so with probability 1/6)",
            "domain.md, park facts (A)",
            "correlation",
            m.park_rank,
        ),
        _fact(
            "agglomeration_lock_in",
            "Relocations reinforce concentration",
            "share of moved jobs going where their industry already has a base ÷ that share under a random pick",
            "agglomeration lock-in",
            "ratio > 1",
            "domain.md stylized fact 3",
            "ratio",
            m.lock_in,
        ),
        _fact(
            "park_effects_modest",
            "Park effects are modest and sector-specific",
            "north-park share of moved jobs (and focus-industry arrivals at the parks relative to the movers' mix)",
            "park effects are modest and sector-specific",
            f"share ≤ {MODEST_PARK_SHARE:.0%} (assumption) and focus arrivals above the movers' mix",
            "domain.md stylized fact 6",
            "share",
            m.parks_modest,
        ),
    )
}

# Park facts of domain.md the model cannot express, and why (reported, never silently dropped).
NOT_EXPRESSIBLE = {
    "Suzhou–Suqian park: ¥41.1 bn investment by end-2019, ~70% foreign": (
        "cumulative since 2006 and about investment and ownership: the model starts in 2019 and has jobs, "
        "not capital or foreign owners"
    ),
    "Seven flagship parks, H1 2021: 160 above-size firms, ¥19.8 bn sales, 66 new projects": (
        "which seven of the nine parks is not stated, and firm counts in the model are scaled "
        "(firms.represented) relocated firms only, not the parks' whole stock of above-size firms"
    ),
}
FIT_DEFAULT = (
    "outside_majority",
    "top5_suzhou",
    "low_move_rate",
    "mobility_by_size",
    "mobility_by_age",
    "industry_mix",
)
HELD_OUT_DEFAULT = ("top5_wuxi", "top5_wuxi_ranked", "distance_clusters", "north_skipped", "park_investment_rank")
# The list facts: fact -> (origin group, how its list is compared: as a set or as a ranking).
LIST_FACTS: dict[str, tuple[str, str]] = {
    "top5_suzhou": ("Suzhou", "set"),
    "top5_wuxi": ("Wuxi", "set"),
    "top5_wuxi_ranked": ("Wuxi", "ranking"),
}


def random_picks_of(name: str, world: WorldData) -> tuple[float, float] | None:
    """What 5 random picks from the outside candidates score on a list fact: mean and 95% quantile (else None).

    A set fact: the hypergeometric mean and 95% quantile of the cities in common (exact); a ranked one:
    the Monte-Carlo mean and 95% quantile of the rank-biased overlap (experiments.facts.patterns).
    """
    if name not in LIST_FACTS:
        return None
    group, how = LIST_FACTS[name]
    candidates = m.outside_candidates(world)
    if how == "set":
        chance = m.list_set_chance(group, candidates)
        return chance.mean, float(chance.q95)
    ranked = m.list_chance(group, candidates)
    return ranked.rbo_mean, ranked.rbo_q95


def list_band(name: str, world: WorldData) -> tuple[float, float] | None:
    """The values where a list fact's rule holds: a set's overlap from the fewest cities in common whose
    chance is ≤ 5% (the random picks' 95% quantile + 1) to 5; a ranking's RBO above the 95% quantile."""
    chance = random_picks_of(name, world)
    if chance is None:
        return None
    q95 = chance[1]
    return (q95 + 1.0, float(LIST_LENGTH)) if LIST_FACTS[name][1] == "set" else (q95, 1.0)
