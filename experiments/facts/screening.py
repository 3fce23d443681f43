"""Screening candidate facts before they join the fit list (issue 17 item 3).

A fitted fact counts as evidence only if neither yardstick meets it (DESIGN
§7), so a fact is worth fitting only if both fail it by more than their
sampling error. This module measures each candidate for the model (the
shipped calibrated baseline and the hand-set coefficients before it), the
null model and the gravity yardstick, and says whether it passes:

- every model's hindcast runs (2019–2022) are reduced to their summaries
  (experiments.facts.catalogue.HINDCAST_SUMMARY: no new statistic is needed)
  and each candidate is measured on them pooled, as `report` does, and per
  *evaluation*: `EVALUATION` consecutive runs pooled, as the shipped
  calibrations evaluate a parameter set (`replications: 2`);
- the null model and the gravity yardstick keep the calibrated baseline's
  push (experiments.facts.yardsticks). The gravity yardstick is fitted twice
  by the code's own grid (experiments.facts.gravity, weights 1): to the default
  fit list (today's yardstick), and to the default fit list with the candidate
  added — the yardstick the evidence column would use once the candidate is
  fitted, and the one that decides;
- a yardstick fails a candidate *clearly* (`clear_miss`) when its pooled
  measure does not meet it and, for the null model on a statistic of the top
  five, the exact chance that a random pick of five candidates meets it (the
  null model's top five is one: destinations equally likely) is at most 5%,
  the convention of the list facts (experiments.facts.patterns.SET_ALPHA);
  otherwise when the band where the rule holds lies more than two standard
  deviations of one evaluation's value from the evaluations' mean. A
  candidate passes when both yardsticks fail it clearly.

The candidates are derived from Suzhou's list only — the fitted one; Wuxi's
list, the distance clusters and the park facts stay held out (domain.md,
"Which facts to fit and which to hold out") — each with its source and rule
(`CANDIDATES`); `far_cheap_power_suzhou` was built after the first ones had
been measured and is marked so. Two facts the catalogue reports but no
shipped calibration fits (domain.md stylized facts 3 and 6) are screened the
same way (`EXISTING`). The result, with the command that gives it, is
docs/calibration/fact_screening.md (and .csv beside it):

    python -m experiments.facts.screening                     # 10,000 firms, 20 runs a model, 4 a grid point
    python -m experiments.facts.screening --firms 500 --replications 4 --grid-replications 1 --out /tmp/s.md
"""

from __future__ import annotations

import argparse
import math
import shlex
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from experiments.engine.pool import Engine, EngineOptions
from experiments.engine.seeds import replication_seeds
from experiments.engine.store import RunStore, Task
from experiments.engine.tables import write_csv
from experiments.engine.task_pool import record
from experiments.facts.candidates import LEFT_OUT, Candidate, screened
from experiments.facts.catalogue import FACTS, FIT_DEFAULT, HINDCAST_SUMMARY
from experiments.facts.gravity import GravityFit, GravityGrid, fit_gravity
from experiments.facts.measures import Measure
from experiments.facts.patterns import SET_ALPHA
from experiments.facts.yardsticks import null_overrides
from experiments.validation.experiment import GRAVITY_TAG, sub_seed
from experiments.validation.inputs import Target, load_target
from model.config import Scenario
from model.world import WorldData, world_for

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "docs" / "calibration" / "fact_screening.md"
SCENARIOS = ROOT / "scenarios"
MODELS = (("baseline", SCENARIOS / "baseline.yaml"), ("before_calibration", SCENARIOS / "before_calibration.yaml"))
DEFAULT_FIRMS = 10_000  # the most this shared 2-core machine affords beside a running calibration (assumption)
DEFAULT_REPLICATIONS = 20  # 10 evaluations of 2 runs a model: enough for a standard deviation (assumption)
DEFAULT_GRID_REPLICATIONS = 4  # runs a gravity grid point: twice the report's 2, a hindcast run being cheap
DEFAULT_SEED = 20230101  # the shipped scenarios' seed
EVALUATION = 2  # runs pooled per evaluation: the shipped calibrations' `replications: 2`
CLEAR_SD = 2.0  # a clear miss: the band more than 2 standard deviations of one evaluation away
COLUMNS = (
    "fact",
    "model",
    "a",
    "b",
    "value",
    "met",
    "evaluations",
    "eval_mean",
    "eval_sd",
    "eval_met_share",
    "random_chance",
    "clear_miss",
    "detail",
)

# --- the screening ---------------------------------------------------------------------------


def clear_miss(met: bool | None, values: Sequence[float], low: float, high: float, chance: float | None) -> bool:
    """Not met and, given a random pick's chance of meeting it, that chance ≤ SET_ALPHA; else the band
    [low, high] more than CLEAR_SD standard deviations of `values` (one evaluation each) from their mean."""
    if met:
        return False
    if chance is not None:
        return chance <= SET_ALPHA
    finite = [v for v in values if math.isfinite(v)]
    if len(finite) < 2:
        return False
    mean, sd = float(np.mean(finite)), float(np.std(finite, ddof=1))
    return mean + CLEAR_SD * sd < low or mean - CLEAR_SD * sd > high


@dataclass(frozen=True)
class Result:
    fact: str
    model: str
    point: tuple[float, float] | None  # the gravity yardstick's a, b
    measure: Measure
    evaluations: list[Measure]
    chance: float | None  # random picks meeting it (the null model's chance), if a top-five statistic
    miss: bool

    @property
    def values(self) -> list[float]:
        return [e.value for e in self.evaluations if math.isfinite(e.value)]

    @property
    def met_share(self) -> float:
        return sum(e.met is True for e in self.evaluations) / len(self.evaluations) if self.evaluations else math.nan

    def row(self) -> list[Any]:
        values = self.values
        a, b = self.point if self.point else (None, None)  # written empty: not a gravity yardstick
        return [
            self.fact,
            self.model,
            a,
            b,
            self.measure.value,
            "" if self.measure.met is None else str(self.measure.met).lower(),
            len(self.evaluations),
            float(np.mean(values)) if values else math.nan,
            float(np.std(values, ddof=1)) if len(values) > 1 else math.nan,
            self.met_share,
            self.chance,  # empty: not a top-five statistic
            str(self.miss).lower(),
            self.measure.detail,
        ]


def measure_runs(
    c: Candidate, model: str, runs: Sequence[Mapping[str, float]], world: WorldData, point: tuple[float, float] | None
) -> Result:
    """The candidate on the runs pooled and per evaluation; the exact random chance counts for the null only."""
    pooled = c.fact.of(runs, world)
    evaluations = [c.fact.of(runs[i : i + EVALUATION], world) for i in range(0, len(runs) - EVALUATION + 1, EVALUATION)]
    chance = c.chance(world) if c.chance is not None else None
    low, high = c.band(world)
    miss = clear_miss(pooled.met, [e.value for e in evaluations], low, high, chance if model == "null" else None)
    return Result(c.fact.name, model, point, pooled, evaluations, chance, miss)


@dataclass(frozen=True)
class Screening:
    results: list[Result]
    fits: dict[str, GravityFit]  # "" -> the gravity fit to the default fit list; a fact -> with it added
    firms: int
    replications: int
    grid_replications: int

    def of(self, fact: str, model: str) -> Result:
        return next(r for r in self.results if r.fact == fact and r.model == model)

    def grid_meeting(self, fact: str) -> tuple[int, int]:
        """The refitted gravity grid's points whose runs meet the fact, of all its points."""
        scores = self.fits[fact].scores
        return sum(s.met[fact] is True for s in scores), len(scores)

    def passes(self, fact: str) -> bool:
        """Both yardsticks (the gravity one refitted with the fact) fail it clearly."""
        return self.of(fact, "null").miss and self.of(fact, "gravity_refit").miss


def screen(
    firms: int, replications: int, grid_replications: int, seed: int, store: RunStore, engine: Engine
) -> Screening:
    """Every screened fact for every model (module docstring); the runs go through `engine` into `store`."""
    targets = {name: load_target(path, firms) for name, path in MODELS}
    base: Target = targets["baseline"]
    world = world_for(base.scenario, base.path)
    seeds = replication_seeds(seed, replications)
    grid_seeds = tuple(replication_seeds(sub_seed(seed, GRAVITY_TAG), grid_replications))
    candidates = screened()
    catalogue = {**FACTS, **{name: c.fact for name, c in candidates.items()}}

    def runs(t: Target, name: str, values: dict[str, float]) -> list[Task]:
        sc = t.variant(name, values, hindcast_only=True)
        return [Task(f"{name}-r{r:03d}", sc, s, {"model": name}, reducer=HINDCAST_SUMMARY) for r, s in enumerate(seeds)]

    def grid(fit: tuple[str, ...]) -> GravityGrid:
        def scenario_for(values: dict[str, float], name: str) -> Scenario:
            return base.variant(name, values, hindcast_only=True)

        weights = dict.fromkeys(fit, 1.0)
        return GravityGrid(scenario_for, {}, grid_seeds, fit, weights, world, catalogue)

    groups = {name: runs(t, f"screen-{name}", {}) for name, t in targets.items()}
    groups["null"] = runs(base, "screen-null", null_overrides())
    grids = {"": grid(FIT_DEFAULT), **{name: grid((*FIT_DEFAULT, name)) for name in candidates}}
    fits = {key: fit_gravity(g, engine, store)[0] for key, g in grids.items()}
    gravity = {key: grids[key].tasks(fit.best.point, "screen-gravity", seeds) for key, fit in fits.items()}
    every = [t for group in (*groups.values(), *gravity.values()) for t in group]
    engine.run(list({t.task_id: t for t in every}.values()), store)

    def summaries(tasks: Sequence[Task]) -> list[dict[str, float]]:
        return [record(store, t).summary or {} for t in tasks]

    results = []
    for name, c in candidates.items():
        for model, tasks in groups.items():
            results.append(measure_runs(c, model, summaries(tasks), world, None))
        for model, key in (("gravity_default", ""), ("gravity_refit", name)):
            results.append(measure_runs(c, model, summaries(gravity[key]), world, fits[key].best.point))
    return Screening(results, fits, firms, replications, grid_replications)


# --- the table -------------------------------------------------------------------------------

MODEL_ORDER = ("baseline", "before_calibration", "null", "gravity_default", "gravity_refit")
MODEL_HEADS = (
    "model (calibrated baseline)",
    "model before calibration",
    "null",
    "gravity fitted to the fit list",
    "gravity fitted to the fit list + the fact",
)


def _number(x: float) -> str:
    return f"{x:.3g}" if math.isfinite(x) else "–"


def _cell(r: Result) -> str:
    meets = sum(e.met is True for e in r.evaluations)
    point = f" [a {r.point[0]:g}, b {r.point[1]:g}]" if r.point else ""
    mark = "**" if r.measure.met else ""
    return f"{mark}{_number(r.measure.value)}{mark} ({meets}/{len(r.evaluations)}){point}"


def _why(s: Screening, name: str) -> str:
    if s.passes(name):
        return "**passes**"
    reasons = []
    for model, label in (("null", "null"), ("gravity_refit", "gravity")):
        r = s.of(name, model)
        if r.measure.met:
            reasons.append(f"met by {label}")
        elif not r.miss and r.chance is not None and model == "null":
            reasons.append(f"random picks meet it {r.chance:.1%} of the time (> {SET_ALPHA:.0%})")
        elif not r.miss and any(e.met for e in r.evaluations):
            meets = sum(e.met is True for e in r.evaluations)
            reasons.append(f"{label} meets it in {meets} of {len(r.evaluations)} evaluations")
        elif not r.miss:
            reasons.append(f"{label} within 2 SD of it")
    return "not informative: " + ", ".join(reasons)


def markdown(s: Screening, command: str) -> str:
    candidates = screened()
    lines = [
        "# Candidate facts screened against the yardsticks (issue 17 item 3)",
        "",
        f"_Generated by `{command}` (experiments/facts/screening.py); every row is in the CSV beside this file._",
        "",
        f"Hindcast 2019–2022, {s.firms:,} firms; {s.replications} runs a model, pooled for the value (bold: "
        f"the rule met), and in brackets how many of the {s.replications // EVALUATION} evaluations of "
        f"{EVALUATION} runs (a shipped calibration's evaluation) meet it. The null model and the gravity "
        "yardstick keep the calibrated baseline's push; the gravity yardstick's a and b come from the code's grid "
        f"(experiments/facts/gravity.py, {s.grid_replications} runs a point, weights 1), fitted to the default fit "
        "list and to the fit list with the candidate added. *Random picks*: the exact chance that five random "
        "candidates meet a top-five statistic, which is the null model's (its destinations are equally likely). "
        "A yardstick fails a fact *clearly* when it does not meet it and, for the null model on a top-five "
        f"statistic, random picks meet it at most {SET_ALPHA:.0%} of the time, else when the rule's band lies more "
        f"than {CLEAR_SD:g} standard deviations of one evaluation from the evaluations' mean. A fact **passes** "
        "(may enter the fit list) when the null model and the refitted gravity yardstick both fail it clearly.",
        "",
        "What the source's ranking counts (investment, projects or firms) the article does not say; the model's "
        "top five are ranked by relocated jobs, as for `top5_suzhou` (the model has no investment).",
        "",
        "| fact | " + " | ".join(MODEL_HEADS) + " | random picks | refitted grid points meeting it | verdict |",
        "|---" * (len(MODEL_HEADS) + 4) + "|",
    ]
    for name in candidates:
        cells = [_cell(s.of(name, model)) for model in MODEL_ORDER]
        chance = s.of(name, "null").chance
        meeting, points = s.grid_meeting(name)
        chance_cell = "–" if chance is None else f"{chance:.3g}"
        lines.append(f"| `{name}` | {' | '.join(cells)} | {chance_cell} | {meeting} of {points} | {_why(s, name)} |")
    passing = [f"`{name}`" for name in candidates if s.passes(name)]
    lines += [
        "",
        f"**Passes: {', '.join(passing) if passing else 'none'}.** The grid points' count is at "
        f"{s.grid_replications} runs a point (the fit's own seeds); the refitted yardstick's value beside it is on "
        f"the {s.replications} runs of the models, so the two can differ near a rule's edge.",
        "",
        "## The facts",
        "",
    ]
    for name, c in candidates.items():
        f = c.fact
        statistic = f.statistic[:1].upper() + f.statistic[1:]
        lines.append(
            f"- `{name}` ({c.origin}). {statistic}. Observed: {f.observed}. Met when: {f.rule}. "
            f"Source: {f.source}. Pooled, gravity refitted: {s.of(name, 'gravity_refit').measure.detail or '–'}."
        )
    lines += ["", "## Considered and not measured", ""]
    lines += [f"- {what}: {why}." for what, why in LEFT_OUT]
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m experiments.facts.screening",
        description="Measure candidate facts for the model, the null model and the gravity yardstick.",
    )
    parser.add_argument("--firms", type=int, default=DEFAULT_FIRMS, help=f"default {DEFAULT_FIRMS}")
    parser.add_argument("--replications", type=int, default=DEFAULT_REPLICATIONS, help="runs a model (even)")
    parser.add_argument("--grid-replications", type=int, default=DEFAULT_GRID_REPLICATIONS, help="runs a grid point")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--out", type=Path, default=OUT, help="the Markdown file; the CSV is written beside it")
    parser.add_argument("--store", type=Path, default=None, help="keep the runs here (default: a temporary folder)")
    args = parser.parse_args(argv)
    if args.replications < 2 * EVALUATION or args.replications % EVALUATION:
        parser.error(f"--replications must be even and at least {2 * EVALUATION}")
    if args.firms < 1 or args.grid_replications < 1:
        parser.error("--firms and --grid-replications must be at least 1")
    words = ["python", "-m", "experiments.facts.screening", "--firms", str(args.firms)]
    words += ["--replications", str(args.replications), "--grid-replications", str(args.grid_replications)]
    words += ["--seed", str(args.seed)]
    with tempfile.TemporaryDirectory() as tmp, Engine(EngineOptions(workers=1, progress=False)) as engine:
        s = screen(
            args.firms, args.replications, args.grid_replications, args.seed, RunStore(args.store or tmp), engine
        )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(markdown(s, shlex.join(words)), encoding="utf-8")
    write_csv(args.out.with_suffix(".csv"), COLUMNS, (r.row() for r in s.results))
    for name in screened():
        print(f"{name}: {_why(s, name)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
