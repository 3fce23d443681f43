"""The tables of an `optimise` folder (DESIGN §9), written from the finished search.

- `frontier.csv`: each package of the confirmed front, certified first, by
  fiscal cost: its decisions; per reported metric the mean paired change over
  the worlds with its 95 % interval (percentile bootstrap over the worlds of
  the confirmation's runs: Monte-Carlo error and the spread of the worlds),
  and the robust statistic with its interval; whether it is feasible and
  certified, which constraints it broke and which packages beat it beyond noise.
- `frontier_worlds.csv`: each confirmed package's mean change per world (the
  share of worlds meeting a target is read from it).
- `evaluations.csv`: every block of every package the search evaluated:
  mean change per reported metric, the runs, and whether it ended on the
  search's front.
- `convergence.csv`: per search seed and generation, the packages and blocks
  evaluated so far, the front's size and its hypervolume (objectives scaled
  by the final range, reference point 1.1).
- `worlds.csv`: each world's posterior draw (and particle) and settings.
- `packages/<id>.yaml` and `packages/base.yaml`: every confirmed package and the
  base as full scenarios (the problem's firm count, no world's settings),
  which `run`, `compare`, `attribute` and the app load as they are.
- `problem.resolved.yaml`: the problem as read, with the master seed.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import yaml

from experiments.engine.tables import write_csv, write_json
from experiments.optimise.columns import (
    ALWAYS,
    CONVERGENCE_FILE,
    EVALUATIONS_FILE,
    FRONTIER_FILE,
    FRONTIER_WORLDS_FILE,
    PACKAGES_DIR,
    PROBLEM_FILE,
    SEARCH_FILE,
    WORLDS_FILE,
)
from experiments.optimise.outcomes import Robustness, bootstrap, nanmean, world_means
from experiments.optimise.search import hypervolumes
from model.outcomes import HORIZON, metric
from model.scenario import dump_resolved

if TYPE_CHECKING:
    from experiments.optimise.experiment import Optimise


def reported(exp: Optimise) -> list[str]:
    """The metrics the tables report: north, outside and fiscal cost, then any other objective or constraint's."""
    names = [*ALWAYS, *exp.scoring.metrics_of_interest()]
    seen: list[str] = []
    for m in names:
        if m not in seen:
            seen.append(m)
    return seen


def write_tables(exp: Optimise, folder: Path) -> dict[str, Any]:
    p = exp.loaded.problem
    decisions = [d.key for d in exp.loaded.decisions()]
    metrics = reported(exp)
    col = {m: HORIZON.index(m) for m in metrics}
    stat = exp.scoring.robustness
    bseed = int(np.random.SeedSequence([exp.master, 4]).generate_state(1, np.uint64)[0])
    verdicts = {v.key: v for v in exp.verdicts}

    rows = []
    for key in exp.front:
        change, _ = exp.confirmed[key]
        v = verdicts[key]
        cells: list[Any] = [key, str(v.certified).lower(), str(v.feasible).lower()]
        cells += [exp.search.packages[key][d] for d in decisions]
        for m in metrics:
            bounds = metric(m).change_bounds()
            mean, low, high = bootstrap(change, col[m], _MEAN, m, bseed, bounds)
            robust, rlow, rhigh = bootstrap(change, col[m], stat, m, bseed, _robust_bounds(stat, m, bounds))
            cells += [mean, low, high, robust, rlow, rhigh]
        cells += [" ".join(v.beaten_by), "; ".join(v.violations)]
        rows.append(cells)
    cost = 3 + len(decisions) + 6 * metrics.index("fiscal_cost_yuan")
    rows.sort(key=lambda r: (r[1] != "true", r[cost], r[0]))
    head = ["package", "certified", "feasible", *decisions]
    for m in metrics:
        head += [f"{m}_change", f"{m}_low", f"{m}_high", f"{m}_robust", f"{m}_robust_low", f"{m}_robust_high"]
    write_csv(folder / FRONTIER_FILE, [*head, "beaten_by", "violations"], rows)

    world_rows = []
    for key in exp.front:
        means = world_means(exp.confirmed[key][0])
        for w in range(len(exp.worlds)):
            world_rows.append([key, w, *(means[w, col[m]] for m in metrics)])
    write_csv(folder / FRONTIER_WORLDS_FILE, ["package", "world", *(f"{m}_change" for m in metrics)], world_rows)

    final_front = set(exp.search.front())
    eval_rows = []
    for key in exp.search.order:
        ev = exp.search.book[key]
        for block in sorted(ev.blocks):
            change = ev.blocks[block][0]
            means = nanmean(world_means(change), axis=0)
            runs = change.shape[0] * change.shape[1]
            front = str(key in final_front).lower()
            confirmed = str(key in exp.confirmed).lower()
            package = exp.search.packages[key]
            eval_rows.append(
                [
                    key,
                    block,
                    runs,
                    *(package[d] for d in decisions),
                    *(means[col[m]] for m in metrics),
                    front,
                    confirmed,
                ]
            )
    write_csv(
        folder / EVALUATIONS_FILE,
        ["package", "block", "runs", *decisions, *(f"{m}_change" for m in metrics), "on_search_front", "confirmed"],
        eval_rows,
    )

    hv = hypervolumes(exp.search)
    conv_rows = [
        [g.search_seed, g.generation, g.packages, g.blocks, len(g.front), h]
        for g, h in zip(exp.search.history, hv, strict=True)
    ]
    write_csv(
        folder / CONVERGENCE_FILE,
        ["search_seed", "generation", "packages", "package_blocks", "front_size", "hypervolume"],
        conv_rows,
    )

    keys = list(p.worlds.uncertainties)
    ens = exp.loaded.ensemble
    params = list(ens.keys) if ens is not None else []
    w_rows = []
    for w, (draw, values) in enumerate(exp.worlds):
        drawn = ens.sets[draw] if ens is not None and draw is not None else {}
        particle = "" if draw is None or ens is None else ens.particles[draw]
        cells = [*(values.get(k, "") for k in keys), *(drawn.get(k, "") for k in params)]
        w_rows.append([w, "" if draw is None else draw, particle, *cells])
    write_csv(folder / WORLDS_FILE, ["world", "draw", "particle", *keys, *params], w_rows)

    packages = folder / PACKAGES_DIR
    packages.mkdir()
    base = exp.loaded.base_scenario({}, f"{p.name}-base")
    (packages / "base.yaml").write_text(dump_resolved(base), encoding="utf-8")
    for key in exp.front:
        sc = exp.loaded.package_scenario(exp.search.packages[key], {}, f"{p.name}-{key}")
        v = verdicts[key]
        note = "certified" if v.certified else "not certified"
        sc = sc.model_copy(update={"description": f"{note} package {key} of optimise problem {p.name}"})
        (packages / f"{key}.yaml").write_text(dump_resolved(sc), encoding="utf-8")
    resolved = {**p.model_dump(mode="json"), "seed": exp.master}
    (folder / PROBLEM_FILE).write_text(yaml.safe_dump(resolved, sort_keys=False), encoding="utf-8")

    certified = [v.key for v in exp.verdicts if v.certified]
    doc = {
        "problem": str(exp.loaded.path),
        "decisions": decisions,
        "objectives": list(p.objectives),
        "robustness": stat.describes(p.objectives[0]) if stat.statistic != "probability" else "probability",
        "worlds": len(exp.worlds),
        "ensemble": ens.mark if ens is not None else None,
        "ensemble_effective_size": ens.effective_size if ens is not None else None,
        "search_seeds": list(p.search.seeds),
        "generations": p.search.generations,
        "packages_evaluated": len(exp.search.order),
        "package_blocks": sum(len(ev.blocks) for ev in exp.search.book.values()),
        "front": list(exp.front),
        "certified": certified,
        "confirm_replications": p.confirm.replications,
        "world_seed": exp.loaded.world_seed(exp.master),
        "bootstrap_seed": bseed,
    }
    write_json(folder / SEARCH_FILE, doc)
    return doc


_MEAN = Robustness("mean")


def _robust_bounds(stat: Robustness, m: str, bounds: tuple[float, float]) -> tuple[float, float]:
    return (0.0, 1.0) if stat.statistic == "probability" and m == stat.metric else bounds
