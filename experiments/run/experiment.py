"""`run SCENARIO.yaml`: the replications of one scenario and the result folder of DESIGN §5.

Replication r runs with seed `replication_seeds(master, R)[r]`; the master
seed follows the one seed rule (--seed, else the scenario's `seed`, else drawn
and recorded). The tables are `scenario.resolved.yaml` (with the master seed
written in, so that rerunning it reproduces the run), `places.csv`,
`timeseries.csv`, `flows.csv` and `summary.json` (per metric of the catalogue:
mean, 95% interval, one value per replication).
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from experiments.analysis.stats import Interval
from experiments.design.base import overrides_from
from experiments.engine.naming import folder_name, override_tags
from experiments.engine.protocol import Experiment
from experiments.engine.seeds import replication_seeds
from experiments.engine.store import RunStore, Task, data_hashes, digest, scenario_content
from experiments.engine.tables import fmt, json_number, write_csv, write_json
from experiments.facts.hindcast import HINDCAST_COLUMNS, HINDCAST_FILE, PATTERN_COLUMNS, PATTERNS_FILE, Hindcast
from experiments.facts.patterns import read_targets
from model.config import Scenario
from model.metrics import FLOW_COLUMNS, MOBILITY_COLUMNS, STOCK_COLUMNS, TIMESERIES_COLUMNS
from model.outcomes import HORIZON, metric
from model.scenario import dump_resolved, load_scenario
from model.world import WorldData, world_for

INTERVAL_METHOD = (
    "Student t interval of the mean over replications; for shares on the logit scale and for non-negative "
    "quantities on the log scale (delta method), so that it stays inside the metric's bounds"
)


class Run(Experiment):
    command = "run"

    scenario: Scenario
    data: WorldData

    def load(self) -> None:
        self.path = Path(self.args.scenario)
        self.scenario = load_scenario(self.path, overrides_from(self.args))
        self.data = world_for(self.scenario, self.path)

    def default_name(self) -> str:
        """The scenario's name, then the command-line overrides like every command's (`baseline-f5000`), so a
        smaller or reseeded run of a shipped scenario gets its own folder instead of colliding with the default."""
        return folder_name([self.scenario.name, *override_tags(self.args)])

    def inputs(self) -> dict[str, Any]:
        sc = self.scenario
        return {"scenario": scenario_content(sc), "replications": sc.replications, "seed": sc.seed}

    def declared_seeds(self) -> Sequence[tuple[int | None, str]]:
        return [(self.scenario.seed, "scenario file")]

    def plan(self, master_seed: int) -> list[Task]:
        self.master_seed = master_seed
        self.seeds = replication_seeds(master_seed, self.scenario.replications)
        self.resolved = self.scenario.model_copy(update={"seed": master_seed})
        return [
            Task(f"r{r:04d}", self.resolved, seed, {"replication": r}, flows=True) for r, seed in enumerate(self.seeds)
        ]

    def _write_tables(
        self, tasks: Sequence[Task], store: RunStore, folder: Path
    ) -> tuple[dict[str, list[float]], dict[str, list[float]], Hindcast | None]:
        """timeseries, flows, stocks and mobility, one replication at a time; the metrics per window on the way."""
        values: dict[str, list[float]] = {name: [] for name in HORIZON}
        hindcast_values: dict[str, list[float]] = {name: [] for name in HORIZON}
        window = self.resolved.years.hindcast
        hindcast = Hindcast(self.data, window) if window is not None else None
        handles = {name: (folder / name).open("w", encoding="utf-8", newline="") for name in TABLES}
        try:
            writers = {name: csv.writer(fh, lineterminator="\n") for name, fh in handles.items()}
            for name, columns in TABLES.items():
                writers[name].writerow(columns)
            for task, rec in store.records(tasks):
                rep = task.labels["replication"]
                for row in rec.timeseries or []:
                    writers["timeseries.csv"].writerow([rep, *(fmt(row[c]) for c in TIMESERIES_COLUMNS[1:])])
                for name, rows in (
                    ("flows.csv", rec.flows),
                    ("stocks.csv", rec.stocks),
                    ("mobility.csv", rec.mobility),
                ):
                    for row in rows or []:
                        writers[name].writerow([rep, *(fmt(v) for v in row)])
                for name in HORIZON:
                    values[name].append(float((rec.metrics or {})[name]))
                    if rec.hindcast:
                        hindcast_values[name].append(float(rec.hindcast[name]))
                if hindcast is not None:
                    hindcast.add(rec.flows or [], rec.stocks or [], rec.mobility or [])
        finally:
            for fh in handles.values():
                fh.close()
        return values, hindcast_values, hindcast

    def analyse(self, tasks: Sequence[Task], store: RunStore, folder: Path) -> dict[str, Any]:
        sc = self.resolved
        resolved = dump_resolved(sc)
        (folder / "scenario.resolved.yaml").write_text(resolved, encoding="utf-8")
        d = self.data
        write_csv(folder / "places.csv", d.place_columns, ([row[c] for c in d.place_columns] for row in d.place_rows))
        values, hindcast_values, hindcast = self._write_tables(tasks, store, folder)
        doc = summary_doc(sc.name, values)
        window = sc.years.hindcast
        doc["windows"] = {"report": list(sc.years.report), "hindcast": list(window) if window else None}
        if hindcast is not None:
            doc["hindcast"] = summary_doc(sc.name, hindcast_values)["metrics"]
            write_csv(folder / HINDCAST_FILE, HINDCAST_COLUMNS, hindcast.rows())
            write_csv(folder / PATTERNS_FILE, PATTERN_COLUMNS, hindcast.patterns(read_targets()))
        write_json(folder / "summary.json", doc)
        return {
            "scenario": sc.name,
            "scenario_file": str(self.path),
            "replication_seeds": self.seeds,
            "replications": len(self.seeds),
            "years": [sc.years.start, sc.years.end],
            "firms": sc.firms.count,
            "config_hash": digest(resolved),
            "data_files": data_hashes(sc),
        }


TABLES: dict[str, tuple[str, ...]] = {
    "timeseries.csv": TIMESERIES_COLUMNS,
    "flows.csv": FLOW_COLUMNS,
    "stocks.csv": STOCK_COLUMNS,
    "mobility.csv": MOBILITY_COLUMNS,
}


def summary_doc(scenario: str, values: dict[str, list[float]]) -> dict[str, Any]:
    """summary.json: per metric its label, unit, mean, 95% interval and the value of each replication."""
    metrics = {}
    for name, xs in values.items():
        m = metric(name)
        iv = Interval.of(xs, m.bounds)
        metrics[name] = {
            "label": m.label,
            "unit": m.unit,
            "mean": json_number(iv.mean),
            "ci95": [json_number(iv.low), json_number(iv.high)],
            "values": [json_number(v) for v in xs],
        }
    replications = len(next(iter(values.values()), []))
    return {"scenario": scenario, "replications": replications, "interval": INTERVAL_METHOD, "metrics": metrics}
