"""Comparing the model's destination lists with the article's: overlap, rank-biased overlap, random picks.

`overlap` counts the cities two top-k lists share (a set measure: it does not
care about order); `rbo` is the rank-biased overlap of Webber, Moffat & Zobel
(2010), truncated at the lists' depth and extrapolated (RBO_ext), with
persistence p: 1 for identical rankings, 0 for disjoint ones, more weight on
the top ranks. A pattern is evidence only if it beats what chance gives:
`random_picks` draws k cities at random from the candidate set, with a fixed
seed, and returns the distribution of both measures.
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


@dataclass(frozen=True)
class Chance:
    """What k random picks from the candidates score against a list: mean and 95% range of each measure."""

    overlap_mean: float
    overlap_q95: float
    rbo_mean: float
    rbo_q95: float
    candidates: int


def random_picks(
    target: Sequence[str], candidates: Sequence[str], draws: int = RANDOM_DRAWS, ranked: bool = True
) -> Chance:
    """k cities drawn at random (without replacement, in random order) from the candidates, `draws` times."""
    rng = np.random.default_rng(RANDOM_SEED)
    k = len(target)
    pool = np.asarray(sorted(candidates), dtype=object)
    overlaps, rbos = np.empty(draws), np.empty(draws)
    for i in range(draws):
        pick = list(rng.choice(pool, size=min(k, len(pool)), replace=False))
        overlaps[i] = overlap(pick, target)
        rbos[i] = rbo(pick, target, ranked=ranked)
    return Chance(
        float(overlaps.mean()),
        float(np.quantile(overlaps, 0.95)),
        float(rbos.mean()),
        float(np.quantile(rbos, 0.95)),
        len(pool),
    )


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
