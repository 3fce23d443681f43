"""The pull: one nested logit over the destinations, consistent with random utility (DESIGN §2).

Destinations are grouped in nests g (one per destination kind), each with a
dissimilarity parameter 0 < λ_g ≤ 1. For a firm with utilities V_j:

    IV_g = ln Σ_{j∈g} exp(V_j / λ_g)              (inclusive value of nest g)
    IV   = ln Σ_g exp(λ_g · IV_g)                 (value of moving at all)
    P(g) = exp(λ_g IV_g − IV),   P(j | g) = exp(V_j / λ_g − IV_g)
    P(j) = exp(V_j / λ_g + (λ_g − 1) IV_g − IV)

All λ = 1 gives the conditional logit exp(V_j) / Σ_m exp(V_m). A destination
excluded for a firm (its current place) has V = −inf; a nest with no allowed
destination has IV_g = −inf and probability 0. IV enters the push
(model.push), so what the destinations offer changes how many firms move, and
raising the utilities of one nest only never raises the expected moves to
another nest in that year (P(h) falls by more than the push rises, because
push.inclusive_value ≤ 1).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class NestSpec:
    """Which nest each destination column belongs to, and each nest's λ."""

    names: tuple[str, ...]  # one per nest
    lambdas: np.ndarray  # (G,)
    nest_of: np.ndarray  # (D,) nest index of each destination column
    columns: tuple[np.ndarray, ...]  # per nest, its destination columns
    # Derived: λ of each column, and where each nest starts when the nests are consecutive
    # blocks of columns in nest order (then every nest's maximum is one `reduceat`), else None.
    column_lambdas: np.ndarray = field(init=False, repr=False, compare=False)
    starts: np.ndarray | None = field(init=False, repr=False, compare=False)
    blocks: tuple[slice | np.ndarray, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "column_lambdas", self.lambdas[self.nest_of])
        blocks = tuple(_block(cols) for cols in self.columns)
        object.__setattr__(self, "blocks", blocks)
        consecutive = (
            all(isinstance(b, slice) for b in blocks)
            and all(len(cols) for cols in self.columns)
            and np.array_equal(np.concatenate(self.columns), np.arange(len(self.nest_of)))
        )
        starts = np.array([int(cols[0]) for cols in self.columns]) if consecutive else None
        object.__setattr__(self, "starts", starts)

    @classmethod
    def of(cls, destination_kinds: Sequence[str], lambdas: dict[str, float]) -> NestSpec:
        """One nest per kind present among the destinations (in the order of `lambdas`)."""
        kinds = np.asarray(destination_kinds, dtype=object)
        names = tuple(k for k in lambdas if np.any(kinds == k))
        unknown = sorted(set(kinds) - set(names))
        if unknown:
            raise ValueError(f"no nest for destination kind(s) {unknown}")
        nest_of = np.array([names.index(k) for k in kinds], dtype=int)
        columns = tuple(np.flatnonzero(nest_of == g) for g in range(len(names)))
        return cls(names, np.array([lambdas[k] for k in names], dtype=float), nest_of, columns)


# From this many cells on, `nest_values` works nest by nest (fewer passes over memory); below it, on
# all columns at once (fewer numpy calls). Either way the values are the same (tests/test_choice.py).
BLOCKWISE_CELLS = 1 << 14


def _block(cols: np.ndarray) -> slice | np.ndarray:
    """A nest's columns as a slice when they are contiguous (a view, not a copy), else as they are."""
    if len(cols) and cols[-1] - cols[0] + 1 == len(cols):
        return slice(int(cols[0]), int(cols[-1]) + 1)
    return cols


def _exponentials(v: np.ndarray, spec: NestSpec) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """e = exp(V/λ_g − m_g) in each nest's columns (0 where V = −inf), m_g where finite (else 0), whether
    it is finite, and S_g = Σ_{j∈g} e_j: (e (n, D), safe (n, G), finite (n, G), sums (n, G)).

    When the nests are consecutive column blocks (`spec.starts`), one maximum per nest by `reduceat` (a
    maximum is exact in any order); small arrays (a batch's rows) then get one subtraction and one exp over
    all columns (fewest calls), large ones (a year's groups) go nest by nest, without gathering each column's
    maximum into an (n, D) array. Every element goes through the same operations either way, and each
    nest's sum is the same reduction over the same row segment, so the values are the same bit for bit
    (tests/test_choice.py checks both ways).
    """
    e = v / spec.column_lambdas[None, :]
    n = v.shape[0]
    sums = np.zeros((n, len(spec.names)))
    if spec.starts is not None and n:
        m = np.maximum.reduceat(e, spec.starts, axis=1)
    else:
        m = np.full((n, len(spec.names)), -np.inf)
        for g, block in enumerate(spec.blocks):
            if n:
                m[:, g] = np.maximum.reduce(e[:, block], axis=1)
    finite = np.isfinite(m)
    safe = np.where(finite, m, 0.0)
    if spec.starts is not None and e.size < BLOCKWISE_CELLS and n:
        np.subtract(e, safe[:, spec.nest_of], out=e)
        np.exp(e, out=e)
        for g, block in enumerate(spec.blocks):
            np.add.reduce(e[:, block], axis=1, out=sums[:, g])
    else:
        for g, block in enumerate(spec.blocks):
            part = e[:, block]  # a view for a slice; a copy for an index array, written back
            np.subtract(part, safe[:, g : g + 1], out=part)
            np.exp(part, out=part)
            np.add.reduce(part, axis=1, out=sums[:, g])
            if not isinstance(block, slice):
                e[:, block] = part
    return e, safe, finite, sums


def nest_values(v: np.ndarray, spec: NestSpec) -> np.ndarray:
    """(n, G) inclusive value IV_g = m_g + ln S_g of every nest for every row of utilities v (n, D)."""
    _e, safe, finite, sums = _exponentials(v, spec)
    with np.errstate(divide="ignore"):
        return np.where(finite, np.log(sums) + safe, -np.inf)


def inclusive_value(iv_g: np.ndarray, spec: NestSpec) -> np.ndarray:
    """(n,) IV = ln Σ_g exp(λ_g IV_g), the value of moving at all, −inf for a row with no nest at all.

    A nest (column) at a time: numpy reduces a short last axis row by row, which on thousands of rows of
    3 nests cost more than the sums. Each row still gets its maximum, exps and a sum from 0 in nest order,
    so the values are those of a row-wise log-sum-exp bit for bit.
    """
    x = [spec.lambdas[g] * iv_g[:, g] for g in range(iv_g.shape[1])]
    m = x[0]
    for column in x[1:]:
        m = np.maximum(m, column)
    finite = np.isfinite(m)
    safe = np.where(finite, m, 0.0)
    total = np.zeros(len(m))
    for column in x:
        total += np.exp(column - safe)
    with np.errstate(divide="ignore"):
        return np.where(finite, np.log(total) + safe, -np.inf)


def nested_logit(v: np.ndarray, spec: NestSpec) -> tuple[np.ndarray, np.ndarray]:
    """(P(j) of every row and column (n, D), IV of every row (n,)) for utilities v (n, D).

    P(j) = P(j | g) P(g) = (e_j / S_g) · exp(λ_g IV_g − IV) with `_exponentials`' e and S: the exponentials
    of the nest values serve the probabilities too, so a batch's rows are divided, exponentiated and summed
    once (the formula in the module docstring, to rounding).
    """
    e, safe, finite, sums = _exponentials(v, spec)
    with np.errstate(divide="ignore"):
        iv_g = np.where(finite, np.log(sums) + safe, -np.inf)
    iv = inclusive_value(iv_g, spec)
    with np.errstate(invalid="ignore", divide="ignore"):
        # P(g) / S_g: 0 for an empty nest (S_g = 0) and for a row with no destination at all (IV = −inf)
        weight = np.exp(spec.lambdas[None, :] * iv_g - iv[:, None]) / sums
    weight[~(finite & np.isfinite(iv)[:, None])] = 0.0
    for g, block in enumerate(spec.blocks):
        e[:, block] *= weight[:, g : g + 1]  # in place through the view, or by index
    return e, iv


def nest_shares(prob: np.ndarray, spec: NestSpec) -> np.ndarray:
    """(n, G) probability of choosing each nest: the sum of its destinations' P(j)."""
    return np.stack([prob[:, cols].sum(axis=1) for cols in spec.columns], axis=1)
