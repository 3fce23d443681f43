"""The tables of a calibration folder (format: experiments/calibrate/experiment.py and the README).

- `posterior.csv`: the final population, `draw, weight, distance, <dotted key>...`;
- `populations.csv`: every generation's population, `generation, particle, weight, distance, <key>...`;
- `trace.csv`: per generation epsilon, accepted particles, cumulative simulations, acceptance rate, ESS;
- `parameters.csv`: per parameter its prior, default, weighted posterior mean/sd/5-50-95 % and the
  point estimate (`calibrated`, the particle nearest the weighted marginal medians);
- `fit.csv`: per fact (fitted, held out or other) and model (posterior, calibrated, defaults, null,
  gravity, random) the value, its interval, met, met_share, detail, then p_value (list facts: the chance
  that random picks score at least as much) and the fact's evidence (the same on each of its rows: the
  posterior's `met` against the null and gravity rows', experiments.facts.yardsticks.evidence);
- `gravity.csv`: the gravity yardstick's grid (experiments.facts.gravity): each point's fitted facts;
- `predictive.csv`: per model and draw (or replication) the value of every fact;
- `calibrated.yaml`: a scenario that `extends` the base with the point estimate.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from experiments.analysis.stats import Interval
from experiments.calibrate.abc import weighted_quantile
from experiments.calibrate.columns import (
    EVIDENCE_MODELS,
    FIT_COLUMNS,
    FIT_FILE,
    PARAMETER_COLUMNS,
    PARAMETERS_FILE,
    POPULATION_FIXED,
    POPULATIONS_FILE,
    POSTERIOR_FILE,
    POSTERIOR_FIXED,
    PREDICTIVE_COLUMNS,
    PREDICTIVE_FILE,
    TRACE_COLUMNS,
    TRACE_FILE,
)
from experiments.engine.store import RunStore, Task
from experiments.engine.tables import fmt, write_csv
from experiments.facts.catalogue import FACTS, LIST_FACTS, Fact, random_picks_of
from experiments.facts.gravity import GRAVITY_COLUMNS, GRAVITY_FILE
from experiments.facts.measures import Measure, outside_candidates
from experiments.facts.yardsticks import evidence

if TYPE_CHECKING:
    from experiments.calibrate.experiment import Calibrate

SIGNIFICANT = 4  # digits of the point estimate written into calibrated.yaml


@dataclass(frozen=True)
class Predictions:
    point: dict[str, float]
    sets: dict[str, list[dict[str, float]]]  # model -> its parameter sets (posterior: the draws)
    groups: dict[tuple[str, int], list[Task]]  # (model, draw) -> its replications' tasks
    tasks: list[Task]


def _met(value: bool | None) -> str:
    return "" if value is None else str(value).lower()


def write_tables(folder: Path, final_folder: Path, exp: Calibrate, store: RunStore) -> None:
    keys = exp.settings.keys
    gens = exp.generations
    final = gens[-1]
    write_csv(
        folder / POSTERIOR_FILE,
        (*POSTERIOR_FIXED, *keys),
        (
            [i, fmt(final.weights[i]), fmt(final.distances[i]), *map(fmt, final.values[i])]
            for i in range(len(final.weights))
        ),
    )
    write_csv(
        folder / POPULATIONS_FILE,
        (*POPULATION_FIXED, *keys),
        (
            [g.t, i, fmt(g.weights[i]), fmt(g.distances[i]), *map(fmt, g.values[i])]
            for g in gens
            for i in range(len(g.weights))
        ),
    )
    write_csv(
        folder / TRACE_FILE,
        TRACE_COLUMNS,
        (
            [g.t, fmt(g.epsilon), g.particles, g.simulations, fmt(g.acceptance_rate), fmt(g.effective_size)]
            for g in gens
        ),
    )
    write_csv(folder / PARAMETERS_FILE, PARAMETER_COLUMNS, parameter_rows(exp))
    summaries = {
        group: [rec.summary or {} for _, rec in store.records(tasks)] for group, tasks in exp.predictions.groups.items()
    }
    fit_rows, pred_rows = fact_rows(exp, summaries)
    write_csv(folder / FIT_FILE, FIT_COLUMNS, fit_rows)
    write_csv(folder / PREDICTIVE_FILE, PREDICTIVE_COLUMNS, pred_rows)
    write_csv(folder / GRAVITY_FILE, GRAVITY_COLUMNS, exp.gravity.rows())
    (folder / "calibrated.yaml").write_text(calibrated_yaml(exp, final_folder), encoding="utf-8")


def parameter_rows(exp: Calibrate) -> list[list[Any]]:
    final = exp.generations[-1]
    w = final.weights
    rows = []
    for j, (key, prior) in enumerate(exp.cal.parameters.items()):
        x = final.values[:, j]
        mean = float(np.sum(w * x))
        sd = float(math.sqrt(max(0.0, float(np.sum(w * (x - mean) ** 2)))))
        info = exp.loaded.info(key)
        q = [weighted_quantile(x, w, p) for p in (0.05, 0.5, 0.95)]
        rows.append(
            [
                key,
                info.label,
                info.unit,
                fmt(prior.range[0]),
                fmt(prior.range[1]),
                fmt(exp.loaded.default(key)),
                prior.reason,
                fmt(mean),
                fmt(sd),
                *map(fmt, q),
                fmt(exp.predictions.point[key]),
            ]
        )
    return rows


def role_of(exp: Calibrate, name: str) -> str:
    if name in exp.cal.fit:
        return "fit"
    return "held_out" if name in exp.cal.held_out else "other"


def _quantiles(xs: Sequence[float]) -> tuple[float, float, float]:
    finite = [x for x in xs if math.isfinite(x)]
    if not finite:
        return math.nan, math.nan, math.nan
    lo, hi = np.quantile(finite, [0.025, 0.975])
    return float(np.mean(finite)), float(lo), float(hi)


def fact_rows(
    exp: Calibrate, summaries: dict[tuple[str, int], list[dict[str, float]]]
) -> tuple[list[list[Any]], list[list[Any]]]:
    """fit.csv and predictive.csv rows: every fact, every model (module docstring)."""
    world = exp.world
    fit: list[list[Any]] = []
    pred: list[list[Any]] = []
    order = [*exp.cal.fit, *exp.cal.held_out, *(f for f in FACTS if f not in exp.cal.fit + exp.cal.held_out)]
    draws = len(exp.predictions.sets["posterior"])
    for name in order:
        fact = FACTS[name]
        head = [name, fact.label, role_of(exp, name), fact.unit, fact.observed, fact.rule, fact.source, fact.window]
        per_draw = [fact.of(summaries[("posterior", k)], world) for k in range(draws)]
        pooled = fact.of([s for k in range(draws) for s in summaries[("posterior", k)]], world)
        mean, lo, hi = _quantiles([m.value for m in per_draw])
        share = sum(m.met is True for m in per_draw) / draws
        rows = [["posterior", fmt(mean), fmt(lo), fmt(hi), _met(pooled.met), fmt(share), pooled.detail, _p(pooled)]]
        pred.extend(["posterior", k, name, fmt(m.value), _met(m.met)] for k, m in enumerate(per_draw))
        met = {"posterior": pooled.met}
        for model in ("calibrated", "defaults", "null", "gravity"):
            row, met[model] = _model_row(fact, model, summaries[(model, 0)], world, pred)
            rows.append(row)
        chance = random_picks_of(name, world)
        if chance is not None:
            how = "cities in common" if LIST_FACTS[name][1] == "set" else "rank-biased overlap"
            detail = f"5 picks from {len(outside_candidates(world))} candidates: {how}"
            rows.append(["random", fmt(chance[0]), fmt(0.0), fmt(chance[1]), "", "", detail, ""])
        verdict = evidence(*(met[m] for m in EVIDENCE_MODELS))
        fit.extend([*head, *row, verdict] for row in rows)
    return fit, pred


def _p(m: Measure) -> str:
    return fmt(m.p) if math.isfinite(m.p) else ""


def _model_row(
    fact: Fact, model: str, runs: list[dict[str, float]], world: Any, pred: list[list[Any]]
) -> tuple[list[Any], bool | None]:
    pooled = fact.of(runs, world)
    per = [fact.of([s], world) for s in runs]
    iv = Interval.of([m.value for m in per if math.isfinite(m.value)], fact.bounds)
    share = sum(m.met is True for m in per) / len(per) if per else math.nan
    pred.extend([model, r, fact.name, fmt(m.value), _met(m.met)] for r, m in enumerate(per))
    row = [model, fmt(pooled.value), fmt(iv.low), fmt(iv.high), _met(pooled.met), fmt(share), pooled.detail]
    return [*row, _p(pooled)], pooled.met


def calibrated_yaml(exp: Calibrate, final_folder: Path) -> str:
    """A scenario extending the base with the point estimate, every value with where it came from."""
    base = exp.loaded.base_path.resolve()
    rel = os.path.relpath(base, final_folder)
    facts = ", ".join(exp.cal.fit)
    command = f"python run.py calibrate {exp.path}"
    lines = [
        f"# Calibrated to {facts} ({exp.defaults.years.start}-{exp.defaults.years.hindcast_end})",
        f"# by `{command}`: the point estimate is the final population's particle nearest",
        "# the weighted marginal medians (in posterior sd units): a set the fit ran; the posterior: posterior.csv.",
        f"extends: {rel}",
        f"name: {exp.cal.name}_calibrated",
    ]
    params = parameter_rows(exp)
    tree: dict[str, Any] = {}
    for row in params:
        key = row[0]
        node = tree
        parts = key.split(".")
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = (_round(exp.predictions.point[key]), row[9], row[11])
    lines.extend(_emit(tree, 0, facts))
    return "\n".join(lines) + "\n"


def _emit(tree: dict[str, Any], depth: int, facts: str) -> list[str]:
    out = []
    pad = "  " * depth
    for key, value in tree.items():
        if isinstance(value, dict):
            out.append(f"{pad}{key}:")
            out.extend(_emit(value, depth + 1, facts))
        else:
            point, q05, q95 = value
            out.append(f"{pad}{key}: {point}  # calibrated to {facts} (90% posterior interval {q05} to {q95})")
    return out


def _round(x: float) -> str:
    if x == 0 or not math.isfinite(x):
        return repr(float(x))
    digits = SIGNIFICANT - 1 - math.floor(math.log10(abs(x)))
    return repr(round(x, max(0, digits)))
