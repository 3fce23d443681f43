"""Comparing the model's destination lists with the article's: set overlap, rank-biased overlap, chance.

A list the source gives unordered (Suzhou's: in pinyin order) is a set, so it
is compared as one: `overlap` counts the cities a model's top k shares with
it, and `hypergeometric_tail` gives the exact chance that k cities picked at
random (without replacement) from the N candidates share at least as many
with a list of K of them: P(X ≥ x) for X ~ Hypergeometric(N, K, k), summed
with `math.comb` in integers (exact; scipy is a test dependency only). A list
the source gives ranked (Wuxi's) is also compared rank by rank: `rbo` is the
rank-biased overlap of Webber, Moffat & Zobel (2010, "A similarity measure
for indefinite rankings", ACM TOIS 28(4):20), truncated at the lists' depth
and extrapolated (RBO_ext, their eq. 32), with persistence p = 0.9, their
worked example: by their eq. 21 the top rank then carries 26% of the weight
of an indefinite ranking, the top 5 67% and the top 10 86%. Its chance
distribution has no closed form: `random_picks` draws k cities at random from
the candidates `RANDOM_DRAWS` times with a fixed seed; the chance of scoring
at least a value is (1 + draws at least as high) / (1 + draws), the usual
Monte-Carlo p-value (Davison & Hinkley 1997, eq. 4.11).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from model.errors import InputError
from model.yamlfile import read_yaml

TARGETS = Path(__file__).resolve().parents[1] / "targets" / "article.yaml"
PERSISTENCE = 0.9
RANDOM_DRAWS = 10_000
RANDOM_SEED = 20230101


def overlap(a: Sequence[str], b: Sequence[str], k: int | None = None) -> int:
    """Cities in both top-k lists."""
    k = k or max(len(a), len(b))
    return len(set(a[:k]) & set(b[:k]))


def rbo(a: Sequence[str], b: Sequence[str], p: float = PERSISTENCE, ranked: bool = True) -> float:
    """Extrapolated rank-biased overlap RBO_ext of ranking `a` against `b`, depth k (Webber et al. 2010, eq. 32).

    `ranked=False` treats `b` as an unordered set (a list given in alphabetical
    order, say): its whole set is the reference at every depth d ≤ k, so the
    agreement at depth d is |a_1..a_d ∩ b| / d — 1 at every depth when a's top
    k are b's cities in any order, and the same as the ranked measure at d = k.
    """
    k = min(len(a), len(b))
    if k == 0:
        return math.nan
    seen_a: set[str] = set()
    seen_b: set[str] = set() if ranked else set(b[:k])
    total = 0.0
    agreement = 0.0
    for d in range(1, k + 1):
        seen_a.add(a[d - 1])
        if ranked:
            seen_b.add(b[d - 1])
        agreement = len(seen_a & seen_b) / d
        total += agreement * p**d
    return agreement * p**k + (1 - p) / p * total


def hypergeometric_tail(population: int, listed: int, picks: int, at_least: int) -> float:
    """P(X ≥ at_least) for X ~ Hypergeometric(N = population, K = listed, n = picks), exact.

    X is how many of `picks` cities drawn at random without replacement from
    `population` candidates are among the `listed` ones:
    P(X = i) = C(K, i) C(N − K, n − i) / C(N, n), summed in integers.
    """
    if not (0 <= listed <= population and 0 <= picks <= population):
        raise ValueError(f"need 0 ≤ K, n ≤ N; got N={population}, K={listed}, n={picks}")
    if at_least <= 0:
        return 1.0
    top = min(listed, picks)
    hits = sum(math.comb(listed, i) * math.comb(population - listed, picks - i) for i in range(at_least, top + 1))
    return hits / math.comb(population, picks)  # int / int: correctly rounded


def hypergeometric_quantile(population: int, listed: int, picks: int, q: float) -> int:
    """The smallest x with P(X ≤ x) ≥ q (X as in `hypergeometric_tail`)."""
    for x in range(min(listed, picks) + 1):
        if 1.0 - hypergeometric_tail(population, listed, picks, x + 1) >= q:
            return x
    return min(listed, picks)


SET_ALPHA = 0.05  # a set overlap beats chance when random picks reach it with probability ≤ 5% (convention)


@dataclass(frozen=True)
class SetChance:
    """What k cities picked at random from N candidates share with a list of K of them (exact)."""

    candidates: int  # N
    listed: int  # K: the list's cities among the candidates
    picks: int  # k

    @property
    def mean(self) -> float:
        return self.picks * self.listed / self.candidates if self.candidates else math.nan

    @property
    def q95(self) -> int:
        return hypergeometric_quantile(self.candidates, self.listed, self.picks, 0.95)

    def p(self, hits: int) -> float:
        """The chance that random picks share at least `hits` cities with the list."""
        return hypergeometric_tail(self.candidates, self.listed, self.picks, hits)

    @property
    def needed(self) -> int | None:
        """The fewest cities in common whose chance is ≤ SET_ALPHA (None: no overlap is that rare)."""
        return next((x for x in range(self.picks + 1) if self.p(x) <= SET_ALPHA), None)


def set_chance(target: Sequence[str], candidates: Sequence[str], picks: int | None = None) -> SetChance:
    """The hypergeometric chance of a list against `picks` (default: the list's length) random candidates."""
    pool = set(candidates)
    return SetChance(len(pool), len(set(target) & pool), len(target) if picks is None else picks)


@dataclass(frozen=True)
class Chance:
    """What k random picks from the candidates score against a list by RBO: mean, 95% quantile, p of a value."""

    rbo_mean: float
    rbo_q95: float
    candidates: int
    draws: tuple[float, ...]  # every draw's RBO, sorted

    def rbo_p(self, value: float) -> float:
        """Monte-Carlo p-value of an RBO: (1 + draws ≥ value) / (1 + draws) (module docstring)."""
        at_least = len(self.draws) - int(np.searchsorted(self.draws, value - 1e-12, side="left"))
        return (1 + at_least) / (1 + len(self.draws))


def random_picks(
    target: Sequence[str], candidates: Sequence[str], draws: int = RANDOM_DRAWS, ranked: bool = True
) -> Chance:
    """k cities drawn at random (without replacement, in random order) from the candidates, `draws` times."""
    rng = np.random.default_rng(RANDOM_SEED)
    k = len(target)
    pool = np.asarray(sorted(candidates), dtype=object)
    rbos = np.empty(draws)
    for i in range(draws):
        pick = list(rng.choice(pool, size=min(k, len(pool)), replace=False))
        rbos[i] = rbo(pick, target, ranked=ranked)
    return Chance(float(rbos.mean()), float(np.quantile(rbos, 0.95)), len(pool), tuple(sorted(map(float, rbos))))


@dataclass(frozen=True)
class Targets:
    source: str
    window: tuple[int, int]
    top_destinations: dict[str, list[str]]
    ranked: dict[str, bool]  # False: the list is a set (e.g. in alphabetical order), not a ranking

    def is_ranked(self, group: str) -> bool:
        return self.ranked.get(group, True)


def read_targets(path: Path = TARGETS) -> Targets:
    """The article's facts (experiments/targets/article.yaml)."""
    doc: dict[str, Any] = read_yaml(path)
    try:
        lists = {str(g): [str(c) for c in cities] for g, cities in doc["top_destinations"].items()}
        window = (int(doc["window"][0]), int(doc["window"][1]))
        ranked = {str(g): bool(v) for g, v in (doc.get("ranked") or {}).items()}
        return Targets(str(doc["source"]), window, lists, ranked)
    except (KeyError, TypeError, ValueError, IndexError) as exc:
        raise InputError(
            path, "", f"not a targets file ({type(exc).__name__})", "experiments/targets/article.yaml"
        ) from None
