"""The posterior tables of a `compare` or `attribute` folder run with `--posterior DIR`, read and checked.

`read_posterior(folder, group_column)` reads posterior.json, draws.csv,
posterior_effects.csv, ranking.csv and ranking_orders.csv into a
`PosteriorReport` (None for a folder run without --posterior). Its readers
are the posterior section's words (report.uncertainty), its figure
(report.figures.uncertainty) and the commands' own readers; it imports
neither, so the words and the figure depend on it and not on each other.
`marked(title, p)` is a table or figure title with the ensemble's mark
("thin ensemble (ESS 6.7 of 300)") when the ensemble is thin: every title of
a compare or attribute report goes through it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from experiments.analysis.posterior_tables import (
    DRAWS_FILE,
    DRAWS_FIXED,
    EFFECT_FIELDS,
    EFFECTS_FILE,
    ORDER_COLUMNS,
    ORDERS_FILE,
    POSTERIOR_JSON,
    RANKING_COLUMNS,
    RANKING_FILE,
)
from model.csvfile import pick, without
from model.errors import InputError
from model.keys import describe
from model.outcomes import COST_EFFECTIVENESS, DECISION
from report.read import Estimate, in_order, read_table

QUANTITIES = (*DECISION, COST_EFFECTIVENESS)
EFFECT_NEEDED = without(EFFECT_FIELDS, "unit", "se_monte_carlo", "se_mean", "draws", "replications", "ensemble")
DRAWS_NEEDED = pick(DRAWS_FIXED, "draw", "particle")  # and the dotted keys posterior.json names


@dataclass(frozen=True)
class Parameter:
    key: str
    label: str
    unit: str
    low: float  # smallest and largest value among the draws
    high: float
    calibrated: float


@dataclass(frozen=True)
class PosteriorEffect:
    value: Estimate
    sd_parameter: float
    sd_monte_carlo: float
    share_above_zero: float
    distinct_draws: float
    effective_draws: float


@dataclass(frozen=True)
class Pair:
    a: str
    b: str
    a_beats_b: float
    b_beats_a: float


@dataclass(frozen=True)
class RankingRow:
    quantity: str
    better: str
    order: list[str]  # by the posterior means
    share: float  # of draws with that order
    robust: bool | None  # None: not tested (too few effective draws)
    pairs: list[Pair]


@dataclass(frozen=True)
class PosteriorReport:
    folder: Path
    group_column: str  # scenario or lever
    calibration: str
    fingerprint: str
    draws: int
    replications: int
    robust_share: float
    interval: str
    parameters: list[Parameter]
    groups: list[str]
    effects: dict[tuple[str, str], PosteriorEffect]
    rankings: list[RankingRow]
    ensemble: Ensemble

    @property
    def mark(self) -> str:
        """ "thin ensemble (ESS 6.7 of 300)" for a thin ensemble, else empty."""
        return self.ensemble.mark if self.ensemble.thin else ""

    def effect(self, group: str, name: str) -> PosteriorEffect:
        found = self.effects.get((group, name))
        if found is None:
            path = self.folder / EFFECTS_FILE
            raise InputError(path, "", f"no row for {group} × {name}", "every group and decision quantity")
        return found


@dataclass(frozen=True)
class Ensemble:
    """What posterior.json says of the ensemble and of the K draws taken from it."""

    particles: int
    effective_size: float
    distinct_sets: int
    thin: bool
    thin_below: float
    mark: str  # "thin ensemble (ESS 6.7 of 300)" or "ensemble (ESS 250 of 300)"
    distinct_draws: int
    effective_draws: float
    min_ranking_draws: float


def marked(title: str, p: PosteriorReport | None) -> str:
    """A table's or figure's title, with " — thin ensemble (ESS n of N)" when the folder ran over a thin one."""
    return f"{title} — {p.mark}" if p is not None and p.mark else title


def _json(path: Path) -> dict:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError(
            path, "", f"unreadable ({type(exc).__name__})", "the posterior.json the command wrote"
        ) from None
    if not isinstance(doc, dict):
        raise InputError(path, "", "not a JSON object", "the posterior.json the command wrote")
    return doc


def read_posterior(folder: Path, group_column: str) -> PosteriorReport | None:
    """The posterior tables of a folder, checked; None when it was run without --posterior."""
    path = folder / POSTERIOR_JSON
    if not path.is_file():
        return None
    doc = _json(path)
    try:
        draws, reps = int(doc["draws"]), int(doc["replications"])
        meta = [(str(p["key"]), str(p["label"]), str(p["unit"]), float(p["calibrated"])) for p in doc["parameters"]]
        calibration, fingerprint = str(doc["calibration"]), str(doc["fingerprint"])
        robust, interval = float(doc["robust_share"]), str(doc["interval"])
        ensemble = Ensemble(
            int(doc["particles"]),
            float(doc["effective_size"]),
            int(doc["distinct_sets"]),
            bool(doc["thin"]),
            float(doc["thin_below"]),
            str(doc["mark"]),
            int(doc["distinct_draws"]),
            float(doc["effective_draws"]),
            float(doc["min_ranking_draws"]),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise InputError(
            path,
            str(exc),
            "missing or not of its type",
            "the posterior.json this version writes (an older folder: run its command again with --overwrite)",
        ) from None
    drawn = read_table(folder, DRAWS_FILE, (*DRAWS_NEEDED, *(k for k, *_ in meta)))
    parameters = []
    for key, label, unit, calibrated in meta:
        values = [r.number(key, allow_nan=False) for r in drawn]
        words = describe(key)
        parameters.append(
            Parameter(key, label or words.label, unit or words.unit, min(values), max(values), calibrated)
        )
    rows = read_table(folder, EFFECTS_FILE, (group_column, *EFFECT_NEEDED))
    effects = {
        (r.name(group_column), r.metric("metric").name): PosteriorEffect(
            r.estimate("mean", "ci_low", "ci_high"),
            r.number("sd_parameter"),
            r.number("sd_monte_carlo"),
            r.number("share_above_zero"),
            r.number("distinct_draws"),
            r.number("effective_draws"),
        )
        for r in rows
    }
    groups = in_order(r.name(group_column) for r in rows)
    rankings = _rankings(folder)
    return PosteriorReport(
        folder,
        group_column,
        calibration,
        fingerprint,
        draws,
        reps,
        robust,
        interval,
        parameters,
        groups,
        effects,
        rankings,
        ensemble,
    )


def _rankings(folder: Path) -> list[RankingRow]:
    pairs: dict[str, list[Pair]] = {}
    for r in read_table(folder, RANKING_FILE, RANKING_COLUMNS, allow_empty=True):
        q = r.metric("quantity").name
        pairs.setdefault(q, []).append(Pair(r.name("a"), r.name("b"), r.number("a_beats_b"), r.number("b_beats_a")))
    out = []
    for r in read_table(folder, ORDERS_FILE, ORDER_COLUMNS):
        if r.flag("mean_order"):
            q = r.metric("quantity").name
            order = [g.strip() for g in r.text("order").split(" > ")]
            out.append(RankingRow(q, r.text("better"), order, r.number("share"), r.flag("robust"), pairs.get(q, [])))
    return out
