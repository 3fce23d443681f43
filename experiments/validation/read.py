"""Reading a `report` folder's tables back (facts, closed-form checks, statics, returns, Sobol'), checked.

The tables are those experiments.validation.experiment writes; `python run.py plot DIR`
redraws the report from them, so every cell is read with one-line errors
naming the file, row and column (report.read).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from experiments.analysis.verdicts import WORDS, Verdict, lever_verdict, parse_verdict
from experiments.facts.yardsticks import EVIDENCE_VALUES
from experiments.validation.columns import (
    CLOSED_FORM_COLUMNS,
    CLOSED_FORM_FILE,
    COVERAGE_COLUMNS,
    COVERAGE_FILE,
    FACT_COLUMNS,
    FACTS_FILE,
    NOTE_COLUMNS,
    RANGE_COLUMNS,
    RETURNS_COLUMNS,
    RETURNS_FILE,
    SOBOL_COLUMNS,
    SOBOL_FILE,
    SOBOL_NOTES_FILE,
    SOBOL_RANGES_FILE,
    STATIC_QUANTITIES,
    STATICS_COLUMNS,
    STATICS_FILE,
)
from model.csvfile import pick, without
from model.errors import InputError, short
from report.read import Estimate, Row, read_table

META = "validation.json"
FACT_NEEDED = without(
    FACT_COLUMNS,
    *("window", "null_met_share", "null_detail", "gravity_met_share", "gravity_detail"),
    *(c for c in FACT_COLUMNS if c.startswith("without_hand")),  # folders from before world.hand_seeded_rows
)
STATICS_ENDS = ("", "_low", "_high")
STATICS_NEEDED = pick(
    STATICS_COLUMNS,
    *("scenario", "lever", "label", "acts_on", "replications", "expected"),  # verdict: computed if absent
    *(q + e for q in STATIC_QUANTITIES for e in STATICS_ENDS),
    "yuan_per_north_job",
)
RETURNS_NEEDED = pick(
    RETURNS_COLUMNS, "yuan_per_job", "annual_budget_yuan", "north_gain", "extra_cost", "marginal_per_million", "falling"
)
QUANTITIES = STATIC_QUANTITIES


NO_ESTIMATE = Estimate(math.nan, math.nan, math.nan)


@dataclass(frozen=True)
class FactRow:
    name: str
    label: str
    role: str
    unit: str
    observed: str
    rule: str
    source: str
    model: Estimate
    met: bool | None
    met_share: float
    detail: str
    null: Estimate
    null_met: bool | None
    random: tuple[float, float]  # mean and 95 % quantile of random picks (NaN: not a list fact)
    posterior: Estimate
    posterior_met: bool | None
    posterior_share: float
    defaults: Estimate
    defaults_met: bool | None
    band: tuple[float, float]
    verdict: str
    gravity: Estimate
    gravity_met: bool | None
    p_value: float  # the model's chance of random picks scoring as much (list facts; else NaN)
    evidence: str  # experiments.facts.yardsticks.evidence
    # the model without the data's hand-seeded rows (NaN and None: none, or a folder from before them)
    without_hand: Estimate = NO_ESTIMATE
    without_hand_met: bool | None = None


@dataclass(frozen=True)
class Check:
    check: str
    expected: float
    got: float
    tolerance: float
    passed: bool


@dataclass(frozen=True)
class Static:
    scenario: str
    lever: str
    label: str
    acts_on: str
    changes: dict[str, Estimate]
    per_north_job: Estimate
    replications: int
    expected: str
    verdict: Verdict


@dataclass(frozen=True)
class Level:
    yuan_per_job: float
    budget: float
    gain: Estimate
    cost: Estimate
    average: float
    marginal: Estimate
    falling: bool | None
    replications: int


@dataclass(frozen=True)
class SobolRange:
    key: str
    label: str
    unit: str
    low: float
    high: float
    centre: float
    source: str


@dataclass(frozen=True)
class Sobol:
    ranges: list[SobolRange]
    indices: dict[tuple[str, str, str, str], Estimate]  # (outcome, effect_of, factor, S1|ST)
    outcomes: list[tuple[str, str]]  # (outcome, effect_of) in table order
    notes: list[tuple[str, str, str]]


@dataclass(frozen=True)
class Validation:
    """What a report folder's Markdown and figures start from: validation.json; each part reads its own tables."""

    folder: Path
    meta: dict[str, Any]

    @property
    def calibration(self) -> bool:
        return bool(self.meta["mode"] == "calibration")


def read_validation(folder: Path) -> Validation:
    return Validation(folder, read_meta(folder))


def read_meta(folder: Path) -> dict[str, Any]:
    path = folder / META
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(path, "", "file not found", f"the {META} `report` writes") from None
    except (OSError, ValueError) as exc:
        raise InputError(path, "", f"not readable JSON ({type(exc).__name__})", f"the {META} `report` writes") from None
    if not isinstance(doc, dict) or doc.get("mode") not in ("scenario", "calibration"):
        raise InputError(path, "mode", "missing", "scenario or calibration")
    return doc


def read_facts(folder: Path) -> list[FactRow]:
    out = []
    for r in read_table(folder, FACTS_FILE, FACT_NEEDED):
        out.append(
            FactRow(
                r.name("fact"),
                r.text("label"),
                r.text("role"),
                r.text("unit"),
                r.text("observed"),
                r.text("rule"),
                r.text("source"),
                r.estimate("value", "ci_low", "ci_high"),
                r.flag("met"),
                r.number("met_share"),
                r.text("detail"),
                r.estimate("null_value", "null_ci_low", "null_ci_high"),
                r.flag("null_met"),
                (r.number("random_mean"), r.number("random_q95")),
                r.estimate("posterior_value", "posterior_ci_low", "posterior_ci_high"),
                r.flag("posterior_met"),
                r.number("posterior_met_share"),
                r.estimate("defaults_value", "defaults_ci_low", "defaults_ci_high"),
                r.flag("defaults_met"),
                (r.number("met_low"), r.number("met_high")),
                r.text("verdict"),
                r.estimate("gravity_value", "gravity_ci_low", "gravity_ci_high"),
                r.flag("gravity_met"),
                r.number("p_value"),
                _evidence(r),
                *_without_hand(r),
            )
        )
    return out


def _without_hand(r: Row) -> tuple[Estimate, bool | None]:
    """The model without the hand-seeded rows; NaN and None where the folder has no such columns."""
    if "without_hand_value" not in r.cells:
        return Estimate(math.nan, math.nan, math.nan), None
    return r.estimate("without_hand_value", "without_hand_ci_low", "without_hand_ci_high"), r.flag("without_hand_met")


def _evidence(r: Row) -> str:
    value = r.text("evidence")
    if value not in EVIDENCE_VALUES:
        raise InputError(r.path, f"row {r.line}, column evidence", value, ", ".join(EVIDENCE_VALUES))
    return value


def read_coverage(folder: Path) -> list[tuple[str, str, str, str]]:
    rows = read_table(folder, COVERAGE_FILE, COVERAGE_COLUMNS)
    return [(r.text("source"), r.text("item"), r.text("facts"), r.text("note")) for r in rows]


def read_checks(folder: Path) -> list[Check]:
    rows = read_table(folder, CLOSED_FORM_FILE, CLOSED_FORM_COLUMNS)
    return [
        Check(r.text("check"), r.number("expected"), r.number("got"), r.number("tolerance"), r.flag("passed") is True)
        for r in rows
    ]


def _verdict(r: Row, changes: dict[str, Estimate]) -> Verdict:
    """The row's verdict; a folder written before the column existed has it computed from the intervals."""
    if "verdict" not in r.cells:
        return lever_verdict(r.text("acts_on").split(), {q: (e.low, e.high) for q, e in changes.items()})
    verdict = parse_verdict(r.text("verdict"))
    if verdict is None:
        raise InputError(r.path, f"row {r.line}, column verdict", short(r.text("verdict")), WORDS)
    return verdict


def read_statics(folder: Path) -> list[Static]:
    out = []
    for r in read_table(folder, STATICS_FILE, STATICS_NEEDED, allow_empty=True):
        changes = {q: r.estimate(q, q + "_low", q + "_high") for q in QUANTITIES}
        out.append(
            Static(
                r.name("scenario"),
                r.name("lever"),
                r.text("label"),
                r.text("acts_on"),
                changes,
                r.estimate("yuan_per_north_job", "yuan_per_north_job_low", "yuan_per_north_job_high"),
                r.integer("replications"),
                r.text("expected"),
                _verdict(r, changes),
            )
        )
    return out


def read_returns(folder: Path) -> list[Level]:
    out = []
    for r in read_table(folder, RETURNS_FILE, RETURNS_NEEDED, allow_empty=True):
        out.append(
            Level(
                r.number("yuan_per_job"),
                r.number("annual_budget_yuan"),
                r.estimate("north_gain", "north_gain_low", "north_gain_high"),
                r.estimate("extra_cost", "extra_cost_low", "extra_cost_high"),
                r.number("north_per_million"),
                r.estimate("marginal_per_million", "marginal_per_million_low", "marginal_per_million_high"),
                r.flag("falling"),
                r.integer("replications"),
            )
        )
    return out


def read_sobol(folder: Path) -> Sobol | None:
    """The Sobol' tables, or None when the report ran with --sobol-samples 0."""
    if not (folder / SOBOL_FILE).is_file():
        return None
    ranges = [
        SobolRange(
            r.name("key"),
            r.text("label"),
            r.text("unit"),
            r.number("low"),
            r.number("high"),
            r.number("centre"),
            r.text("source"),
        )
        for r in read_table(folder, SOBOL_RANGES_FILE, RANGE_COLUMNS)
    ]
    indices: dict[tuple[str, str, str, str], Estimate] = {}
    outcomes: list[tuple[str, str]] = []
    for r in read_table(folder, SOBOL_FILE, SOBOL_COLUMNS, allow_empty=True):
        key = (r.name("outcome"), r.text("effect_of"))
        if key not in outcomes:
            outcomes.append(key)
        index = r.name("index")
        if index not in ("S1", "ST"):
            raise InputError(folder / SOBOL_FILE, f"row {r.line}, column index", index, "S1 or ST")
        indices[(*key, r.name("factor"), index)] = r.estimate("value", "ci_low", "ci_high")
    notes = [
        (r.name("outcome"), r.text("effect_of"), r.text("note"))
        for r in read_table(folder, SOBOL_NOTES_FILE, NOTE_COLUMNS, allow_empty=True)
    ]
    return Sobol(ranges, indices, outcomes, notes)
