"""Choice situations and choices drawn by the model's own rule, for the recovery check.

Nothing here knows the estimator: it runs the model once, records a sample of
each year's choice situations with the model's term values, and draws
destinations from the model's nested logit at given coefficients and λs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from model.choice import TERMS, Context, Movers, NestSpec, nested_logit, sample_choice
from model.config import Choice, Scenario
from model.groups import Groups
from model.model import RelocationModel
from model.rows import YearRows

# A parameter's name: a choice term's key (`behaviour.choice`), or this prefix and a nest's destination kind.
LAMBDA_PREFIX = "lambda_"
# Σ β·x of the recorded terms must give the model's utilities to this (else the export is not the model's rule).
UTILITY_TOLERANCE = 1e-9

Truth = Mapping[str, float]


@dataclass(frozen=True)
class Situations:
    """Choice situations: each case is a group of firms in one year, with its term values and its choosers."""

    terms: tuple[str, ...]  # the choice terms, in the order of x's last axis (model.choice.TERMS)
    x: np.ndarray  # (C, D, K) each term's value at each destination column
    available: np.ndarray  # (C, D) False at the case's current place (the model's exclusion)
    choosers: np.ndarray  # (C,) choice situations drawn for the case
    year: np.ndarray  # (C,)
    kinds: tuple[str, ...]  # (D,) destination kind (= nest) of each column
    destinations: tuple[str, ...]  # (D,) place id of each column
    max_utility_gap: float  # largest |Σ β·x − the model's utility| over the cases' available destinations

    @property
    def first_year(self) -> int:
        return int(self.year.min())

    @property
    def last_year(self) -> int:
        return int(self.year.max())


def truth_of(scenario: Scenario) -> dict[str, float]:
    """The scenario's choice coefficients and λs, by parameter name."""
    beh = scenario.behaviour
    values = {name: float(getattr(beh.choice, name)) for name in TERMS}
    values |= {LAMBDA_PREFIX + kind: float(lam) for kind, lam in beh.nests.model_dump().items()}
    return values


def null_nests(truth: Truth) -> dict[str, float]:
    """The values with every λ = 1 (a conditional logit): the negative control's data-generating values."""
    return {name: 1.0 if name.startswith(LAMBDA_PREFIX) else value for name, value in truth.items()}


def _unit(name: str) -> Choice:
    """Coefficients that pick one term: its β = 1, every other 0 (YearRows then sums that term alone)."""
    return Choice(**{term: 1.0 if term == name else 0.0 for term in TERMS})


class RecordingModel(RelocationModel):
    """The model, recording at each year's push a sample of its groups with their term values.

    It overrides only `_push` to look at what the push computed (the context at
    the year's start, the groups, each firm's move probability); its draws come
    from its own generator, so the run is the model's, draw for draw.
    """

    def __init__(self, scenario: Scenario, seed: np.random.SeedSequence, quota: list[int], rng: np.random.Generator):
        super().__init__(scenario, seed)
        self._quota, self._draws = quota, rng
        self.recorded: list[tuple[int, np.ndarray, np.ndarray, np.ndarray, float]] = []

    def _push(self, ctx: Context, alive: np.ndarray) -> tuple[np.ndarray, Groups]:
        p_move, groups = super()._push(ctx, alive)
        expected = np.bincount(groups.inverse, weights=p_move, minlength=len(groups.counts))
        quota = self._quota[self.year - self.config.years.start]
        if quota and expected.sum() > 0:
            self._take_sample(ctx, groups, self._draws.multinomial(quota, expected / expected.sum()))
        return p_move, groups

    def _take_sample(self, ctx: Context, groups: Groups, drawn: np.ndarray) -> None:
        rows = np.flatnonzero(drawn)
        g = groups.members
        members = Movers(g.industry[rows], g.place[rows], g.home[rows], g.jobs[rows])
        x = np.stack(
            [YearRows(_unit(name), self.nests, ctx, members, frozenset(), whole=True).fixed_rows() for name in TERMS],
            axis=-1,
        )
        assert self._rows is not None, "the push made the year's rows"
        v = self._rows.utilities(rows, self._rows.within(ctx))  # the model's own utilities of these groups
        available = np.isfinite(v)
        beta = np.array([getattr(self.config.behaviour.choice, name) for name in TERMS])
        gap = float(np.max(np.abs((x @ beta - v)[available]), initial=0.0))
        self.recorded.append((self.year, x, available, drawn[rows], gap))


def situations(scenario: Scenario, seed: np.random.SeedSequence, choices: int, rng: np.random.Generator) -> Situations:
    """Run the scenario and draw `choices` situations, as many each year, in proportion to expected movers.

    Raises RuntimeError if the recorded terms do not add up to the model's
    utilities (the export would then not be the model's rule).
    """
    years = scenario.years
    quota = [len(part) for part in np.array_split(np.arange(choices), years.end - years.start + 1)]
    model = RecordingModel(scenario, seed, quota, rng)
    model.run()
    if not model.recorded:
        raise RuntimeError("no choice situations: the scenario has no movers")
    gap = max(r[4] for r in model.recorded)
    if not gap <= UTILITY_TOLERANCE:
        raise RuntimeError(f"Σ β·x of the model's term tables differs from its utilities by {gap:.3g}")
    d = model.data
    return Situations(
        terms=tuple(TERMS),
        x=np.concatenate([r[1] for r in model.recorded]),
        available=np.concatenate([r[2] for r in model.recorded]),
        choosers=np.concatenate([r[3] for r in model.recorded]),
        year=np.concatenate([np.full(len(r[3]), r[0]) for r in model.recorded]),
        kinds=tuple(str(k) for k in d.kinds[model.destinations]),
        destinations=tuple(d.place_ids[p] for p in model.destinations),
        max_utility_gap=gap,
    )


def unidentified_terms(s: Situations) -> list[str]:
    """Terms equal at every available destination of every case: they enter no choice probability."""
    av = s.available[:, :, None]
    spread = np.where(av, s.x, -np.inf).max(axis=1) - np.where(av, s.x, np.inf).min(axis=1)  # (C, K)
    return [name for name, varies in zip(s.terms, (spread > 1e-12).any(axis=0), strict=True) if not varies]


def probabilities(s: Situations, values: Truth) -> np.ndarray:
    """(C, D) the model's nested-logit P(destination) of each case at the coefficients and λs `values`."""
    v = s.x @ np.array([values[name] for name in s.terms])
    v[~s.available] = -np.inf
    kinds = dict.fromkeys(s.kinds)
    spec = NestSpec.of(list(s.kinds), {kind: values[LAMBDA_PREFIX + kind] for kind in kinds})
    return nested_logit(v, spec)[0]


def draw_choices(s: Situations, values: Truth, rng: np.random.Generator) -> np.ndarray:
    """(C, D) how many of each case's choosers pick each destination: one uniform each, the model's draw."""
    prob = probabilities(s, values)
    rows = np.repeat(np.arange(len(s.choosers)), s.choosers)
    column = sample_choice(prob, rng.random(len(rows)), rows=rows)
    n_dest = prob.shape[1]
    return np.bincount(rows * n_dest + column, minlength=prob.size).reshape(prob.shape)


def model_loglike(s: Situations, counts: np.ndarray, values: Truth) -> float:
    """Σ n_ij ln P_ij with the model's own nested logit (to compare with the estimator's at the same values)."""
    prob = probabilities(s, values)
    chosen = counts > 0
    return float(np.sum(counts[chosen] * np.log(prob[chosen])))
