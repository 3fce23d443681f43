"""Firms grouped by (origin they started in, current place, industry): one choice row per group.

Every term of a destination's utility depends on the firm only through these
three (DESIGN §2), so firms of a group share one row of utilities, one row of
nested-logit probabilities and one inclusive value. `FirmGroups` keeps each
firm's group key up to date as firms move, so grouping the firms of a year is
one gather and one `bincount` over the firms; the utilities are then summed
from the term tables (`model.choice.utilities_from_tables`) on the groups only.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from model.choice import Context, Movers, NestSpec, Tables, inclusive_value, nest_values, nested_logit
from model.choice import utilities_from_tables as utilities_of
from model.firms import FirmArrays
from model.rows import CHUNK_CELLS
from model.world import WorldData


@dataclass
class Groups:
    """The groups of some firms, with their choice rows."""

    inverse: np.ndarray  # (n,) each firm's group
    members: Movers  # (G,) one representative per group (jobs unused)
    counts: np.ndarray  # (G,) firms per group
    prob: np.ndarray | None  # (G, D) P(destination) of the nested logit (None: not asked for)
    iv: np.ndarray  # (G,) inclusive value of moving at all
    lookup: np.ndarray | None = None  # (keys,) the group of each occupied key (others undefined)


class FirmGroups:
    """Each firm's group key (origin position, current place, industry) and the groups of a set of firms."""

    def __init__(self, data: WorldData, firms: FirmArrays, nests: NestSpec) -> None:
        self.data, self.firms, self.nests = data, firms, nests
        self.origins = data.of_kind("origin")
        self.origin_pos = np.zeros(data.n_places, dtype=np.int64)
        self.origin_pos[self.origins] = np.arange(len(self.origins))
        self.n_keys = len(self.origins) * data.n_places * data.n_industries
        self.key = self.keys_of(np.arange(len(firms)))

    def keys_of(self, firms: np.ndarray) -> np.ndarray:
        """Group key of each of the firms from their current arrays, as int32."""
        f, d = self.firms, self.data
        keys = (self.origin_pos[f.home[firms]] * d.n_places + f.place[firms]) * d.n_industries + f.industry[firms]
        return keys.astype(np.int32)

    def moved(self, firms: np.ndarray) -> None:
        """Refresh the keys of firms whose place changed."""
        self.key[firms] = self.keys_of(firms)

    def group(self, firms: np.ndarray) -> Groups:
        """The groups of the firms (in key order) and each firm's group, without choice rows (iv empty)."""
        d = self.data
        keys = self.key[firms]
        counts = np.bincount(keys, minlength=self.n_keys)
        occupied = np.flatnonzero(counts)
        lookup = np.empty(self.n_keys, dtype=np.int64)
        lookup[occupied] = np.arange(len(occupied))
        members = Movers(
            industry=occupied % d.n_industries,
            place=(occupied // d.n_industries) % d.n_places,
            home=self.origins[occupied // (d.n_places * d.n_industries)],
            jobs=np.ones(len(occupied)),
        )
        return Groups(lookup[keys], members, counts[occupied], None, np.empty(0), lookup)

    def of(self, ctx: Context, firms: np.ndarray, parts: list[Tables], need_prob: bool = True) -> Groups:
        """Choice probabilities and inclusive values per group of the firms, from whole term tables.

        `parts` are the term tables to sum; without `need_prob` only the
        inclusive values are computed, a block of rows at a time. The model's
        years use `model.rows.YearRows` (the same values, summed once a year);
        this is the direct form that checks and tools call.
        """
        g = self.group(firms)
        groups = g.members
        if need_prob:
            g.prob, g.iv = nested_logit(utilities_of(parts, ctx.destinations, groups), self.nests)
            return g
        iv = np.empty(len(g.counts))
        step = max(1, CHUNK_CELLS // max(1, len(ctx.destinations)))
        for start in range(0, len(g.counts), step):
            rows = slice(start, start + step)
            block = Movers(groups.industry[rows], groups.place[rows], groups.home[rows], groups.jobs[rows])
            iv[rows] = inclusive_value(
                nest_values(utilities_of(parts, ctx.destinations, block), self.nests), self.nests
            )
        g.iv = iv
        return g
