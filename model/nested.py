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
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class NestSpec:
    """Which nest each destination column belongs to, and each nest's λ."""

    names: tuple[str, ...]  # one per nest
    lambdas: np.ndarray  # (G,)
    nest_of: np.ndarray  # (D,) nest index of each destination column
    columns: tuple[np.ndarray, ...]  # per nest, its destination columns

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


def _logsumexp(x: np.ndarray, axis: int) -> np.ndarray:
    """ln Σ exp(x) along an axis, stable, −inf where every entry is −inf."""
    m = np.max(x, axis=axis, keepdims=True)
    safe = np.where(np.isfinite(m), m, 0.0)
    with np.errstate(divide="ignore"):
        out = np.log(np.sum(np.exp(x - safe), axis=axis)) + np.squeeze(safe, axis=axis)
    return np.where(np.isfinite(np.squeeze(m, axis=axis)), out, -np.inf)


def _block(cols: np.ndarray) -> slice | np.ndarray:
    """A nest's columns as a slice when they are contiguous (a view, not a copy), else as they are."""
    if len(cols) and cols[-1] - cols[0] + 1 == len(cols):
        return slice(int(cols[0]), int(cols[-1]) + 1)
    return cols


def nest_values(v: np.ndarray, spec: NestSpec) -> np.ndarray:
    """(n, G) inclusive value IV_g of every nest for every row of utilities v (n, D)."""
    scaled = v / spec.lambdas[spec.nest_of][None, :]
    iv_g = np.full((v.shape[0], len(spec.names)), -np.inf)
    for g, cols in enumerate(spec.columns):
        iv_g[:, g] = _logsumexp(scaled[:, _block(cols)], axis=1)
    return iv_g


def inclusive_value(iv_g: np.ndarray, spec: NestSpec) -> np.ndarray:
    """(n,) IV = ln Σ_g exp(λ_g IV_g), the value of moving at all."""
    return _logsumexp(spec.lambdas[None, :] * iv_g, axis=1)


def nested_logit(v: np.ndarray, spec: NestSpec) -> tuple[np.ndarray, np.ndarray]:
    """(P(j) of every row and column (n, D), IV of every row (n,)) for utilities v (n, D)."""
    iv_g = nest_values(v, spec)
    iv = inclusive_value(iv_g, spec)
    lam = spec.lambdas[spec.nest_of][None, :]
    # (λ_g − 1) IV_g of each column's nest; 0 where the nest is empty for the row (its columns are −inf anyway)
    correction = ((spec.lambdas[None, :] - 1.0) * np.where(np.isfinite(iv_g), iv_g, 0.0))[:, spec.nest_of]
    with np.errstate(invalid="ignore"):
        logp = v / lam + correction - iv[:, None]
    prob = np.where(np.isfinite(logp), np.exp(np.minimum(logp, 0.0)), 0.0)
    return prob, iv


def nest_shares(prob: np.ndarray, spec: NestSpec) -> np.ndarray:
    """(n, G) probability of choosing each nest: the sum of its destinations' P(j)."""
    return np.stack([prob[:, cols].sum(axis=1) for cols in spec.columns], axis=1)
