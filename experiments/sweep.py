"""`sweep EXPERIMENT.yaml`: factors over a grid or a Latin hypercube, one tidy table.

An experiment file (documented in `experiments/reference.yaml`) names a base
scenario, factors by dotted key path and a design. Every (point, replication)
is a `Task`; replication r uses the same seed at every point (common random
numbers), so differences between points come from the factors. The runs stream
to `DIR/<name>/runs/` through the engine (resumable, failures recorded), and
the tables are then assembled from the run files in task order, one record at
a time, so they are byte-identical whatever the engine or worker count and
memory stays flat however long the sweep.

`DIR/<name>/` then holds:
- `results.csv`, `results.parquet`: a row per (point, replication) with
  `point, replication, seed, <factor paths>, <outcomes>, error`;
- `points.csv`: per point and outcome, the mean and its 95% CI;
- `manifest.json`: experiment, seeds, design seed, points, versions;
- `plots/<outcome>.png`: line (1 factor), heatmap (2), main effects (more).

The final files are written into a temporary folder and renamed into place
when all are complete; `runs/` is the streamed, resumable state.
"""

from __future__ import annotations

import argparse
import csv
import json
import logging
import math
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from experiments.cli_common import add_engine_options, engine_options
from experiments.design import (
    LoadedExperiment,
    Value,
    design_seed,
    grid_points,
    lhs_points,
    load_experiment,
)
from experiments.engine import RunRecord, RunStore, Task, run_tasks, tasks_fingerprint
from experiments.outputs import fmt, package_version, provenance, publish, write_csv
from experiments.runner import replication_seeds
from experiments.stats import mean_ci95
from model.errors import InputError
from model.world import world_for

logger = logging.getLogger(__name__)

RESERVED_COLUMNS = ("point", "replication", "seed", "error")
POINT_COLUMNS_TAIL = ("outcome", "runs", "failed", "mean", "ci_low", "ci_high")
PARQUET_BATCH_ROWS = 1024
PLOTS_DIR = "plots"
SENSITIVITY_METHODS = ("morris", "sobol")


# --------------------------------------------------------------------------- command line


def configure(parser: argparse.ArgumentParser) -> None:
    """Arguments of `sweep`."""
    parser.add_argument("experiment", type=Path, metavar="EXPERIMENT.yaml", help="experiment file (see reference)")
    add_engine_options(parser)
    parser.add_argument("--no-plots", action="store_true", help="skip the plots/ folder")


def run(args: argparse.Namespace) -> int:
    """Run the sweep and write its tables; exit status 0 (failed runs are in the `error` column)."""
    started_at = time.time()
    t0 = time.perf_counter()
    if args.engine == "dask" and not args.scheduler:  # checked before anything is written to DIR/<name>/
        raise InputError("command line", "--scheduler", "the dask engine needs a scheduler address", "tcp://HOST:PORT")
    plan = plan_sweep(args.experiment, args.out, resume=args.resume)
    options = engine_options(args)
    executed, failed = run_tasks(plan.tasks, plan.store, options)
    engine = {"engine": options.engine, "workers": options.workers}
    summary, files = write_outputs(plan, engine, started_at, plots=not args.no_plots)
    wall = time.perf_counter() - t0
    if failed:
        logger.warning("%d of %d runs failed; their error is in the error column of results.csv", failed, plan.runs)
    if not args.quiet:
        _print_summary(plan, summary, files, executed, failed, wall)
    return 0


# --------------------------------------------------------------------------- planning


@dataclass
class SweepPlan:
    """Everything decided before the first run: points, seeds, tasks and where they go."""

    loaded: LoadedExperiment
    points: list[dict[str, Value]]
    master_seed: int
    seed_source: str
    design_seed: int | None
    tasks: list[Task]
    fingerprint: str
    root: Path
    store: RunStore

    @property
    def name(self) -> str:
        return self.loaded.experiment.name

    @property
    def factors(self) -> list[str]:
        return self.loaded.factor_names

    @property
    def outcomes(self) -> tuple[str, ...]:
        return self.loaded.experiment.outcomes

    @property
    def replications(self) -> int:
        return self.loaded.experiment.replications

    @property
    def runs(self) -> int:
        return len(self.tasks)


def plan_sweep(path: Path, out: Path, resume: bool = False) -> SweepPlan:
    """Validate the experiment, choose seeds and points, build the tasks, check a resumed folder.

    Everything that can be wrong with the input is found here, before a single
    run starts, and raised as InputError.
    """
    loaded = load_experiment(path)
    exp = loaded.experiment
    if exp.design.method in SENSITIVITY_METHODS:
        raise InputError(
            path,
            "design.method",
            f"{exp.design.method!r} is a sensitivity design: use the sensitivity command "
            f"(python run.py sensitivity {path})",
            "grid or lhs for sweep",
        )
    for reserved in RESERVED_COLUMNS:
        if reserved in exp.factors:
            raise InputError(path, f"factors.{reserved}", "is not a factor a sweep can vary", "a scenario key path")
    root = Path(out) / exp.name
    store = RunStore(root)
    state = store.read_state() if resume else None
    master, source = loaded.master_seed(state)
    dseed = design_seed(loaded, master) if exp.design.method == "lhs" else None
    points = lhs_points(exp, dseed) if dseed is not None else grid_points(exp)
    tasks = loaded.tasks(points, master)
    _check_worlds(loaded, tasks)
    fingerprint = tasks_fingerprint(tasks)
    plan = SweepPlan(loaded, points, master, source, dseed, tasks, fingerprint, root, store)
    if resume:
        store.check_resume(fingerprint, tasks, loaded.path)
    store.write_state(
        {"experiment": plan.name, "master_seed": master, "seed_source": source, "fingerprint": fingerprint}
    )
    return plan


def _check_worlds(loaded: LoadedExperiment, tasks: Sequence[Task]) -> None:
    """Every point's data files and place/industry ids exist: a typo should stop the sweep, not fail every run."""
    seen: set[str] = set()
    for task in tasks:
        key = task.task_id.split("-")[0]
        if key in seen:
            continue
        seen.add(key)
        world_for(task.scenario, loaded.path)


# --------------------------------------------------------------------------- tables


def result_columns(factors: Sequence[str], outcomes: Sequence[str]) -> list[str]:
    """The tidy table's columns, in order."""
    return ["point", "replication", "seed", *factors, *outcomes, "error"]


def iter_rows(plan: SweepPlan) -> Iterator[tuple[RunRecord, list[Any]]]:
    """Each run's record and its table row, in task order, read from the store one at a time."""
    for task in plan.tasks:
        record = plan.store.read(task.task_id)
        if record is None:
            raise RuntimeError(f"run {task.task_id} has no record in {plan.store.runs}")
        metrics = record.metrics or {}
        outcomes = [float(metrics.get(o, math.nan)) if record.error is None else math.nan for o in plan.outcomes]
        factor_values = [task.labels[f] for f in plan.factors]
        row = [task.labels["point"], task.labels["replication"], task.seed, *factor_values, *outcomes]
        yield record, [*row, record.error or ""]


def _csv_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return fmt(value)


@dataclass
class PointStats:
    """Mean and 95% CI of one outcome at one point."""

    point: int
    outcome: str
    runs: int
    failed: int
    mean: float
    ci_low: float | None
    ci_high: float | None


def write_tables(plan: SweepPlan, folder: Path) -> tuple[list[PointStats], bool]:
    """results.csv (+ .parquet if pyarrow is there) and points.csv; return the point stats and parquet flag."""
    columns = result_columns(plan.factors, plan.outcomes)
    parquet = _ParquetSink.open(folder / "results.parquet", plan, columns)
    stats: list[PointStats] = []
    current: int | None = None
    values: dict[str, list[float]] = {}
    failed = 0
    with (folder / "results.csv").open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(columns)
        for record, row in iter_rows(plan):
            point = int(row[0])
            if point != current:
                if current is not None:
                    stats.extend(_point_stats(current, plan.outcomes, values, failed))
                current, values, failed = point, {o: [] for o in plan.outcomes}, 0
            failed += record.error is not None
            for name, value in zip(plan.outcomes, row[3 + len(plan.factors) : -1], strict=True):
                values[name].append(value)
            writer.writerow([_csv_value(v) for v in row])
            if parquet is not None:
                parquet.add(row)
    if current is not None:
        stats.extend(_point_stats(current, plan.outcomes, values, failed))
    if parquet is not None:
        parquet.close()
    _write_points(folder / "points.csv", plan, stats)
    return stats, parquet is not None


def _point_stats(point: int, outcomes: Sequence[str], values: dict[str, list[float]], failed: int) -> list[PointStats]:
    out = []
    for name in outcomes:
        mean, lo, hi = mean_ci95(values[name])
        runs = sum(1 for v in values[name] if math.isfinite(v))
        out.append(PointStats(point, name, runs, failed, mean, lo, hi))
    return out


def _write_points(path: Path, plan: SweepPlan, stats: Sequence[PointStats]) -> None:
    def rows() -> Iterator[list[Any]]:
        for s in stats:
            point = plan.points[s.point]
            yield [
                s.point,
                *(_csv_value(point[f]) for f in plan.factors),
                s.outcome,
                s.runs,
                s.failed,
                s.mean,
                "" if s.ci_low is None else s.ci_low,
                "" if s.ci_high is None else s.ci_high,
            ]

    write_csv(path, ["point", *plan.factors, *POINT_COLUMNS_TAIL], rows())


class _ParquetSink:
    """results.parquet written in row groups as the rows stream past (pyarrow is an optional extra)."""

    def __init__(self, path: Path, schema: Any, pa: Any, pq: Any) -> None:
        self._pa = pa
        self._schema = schema
        self._writer = pq.ParquetWriter(path, schema)
        self._rows: list[list[Any]] = []

    @classmethod
    def open(cls, path: Path, plan: SweepPlan, columns: Sequence[str]) -> _ParquetSink | None:
        try:
            import pyarrow as pa
            import pyarrow.parquet as pq
        except ImportError:
            logger.warning(
                "pyarrow is not installed, so only results.csv was written; for results.parquet: "
                "pip install -e '.[parquet]'"
            )
            return None
        types = [pa.int64(), pa.int64(), pa.uint64()]
        types += [_arrow_type(pa, [p[f] for p in plan.points]) for f in plan.factors]
        types += [pa.float64()] * len(plan.outcomes) + [pa.string()]
        schema = pa.schema([pa.field(c, t) for c, t in zip(columns, types, strict=True)])
        return cls(path, schema, pa, pq)

    def add(self, row: list[Any]) -> None:
        self._rows.append(row)
        if len(self._rows) >= PARQUET_BATCH_ROWS:
            self._flush()

    def _flush(self) -> None:
        if not self._rows:
            return
        arrays = []
        for j, field in enumerate(self._schema):
            column = [r[j] for r in self._rows]
            if field.name == "error":
                column = [v or None for v in column]
            elif self._pa.types.is_string(field.type):
                column = [_csv_value(v) for v in column]
            arrays.append(self._pa.array(column, type=field.type))
        self._writer.write_table(self._pa.Table.from_arrays(arrays, schema=self._schema))
        self._rows = []

    def close(self) -> None:
        self._flush()
        self._writer.close()


def _arrow_type(pa: Any, values: Sequence[Value]) -> Any:
    """bool, int64 or float64 when every value of the factor is one, else text."""
    if all(isinstance(v, bool) for v in values):
        return pa.bool_()
    if any(isinstance(v, (bool, str)) for v in values):
        return pa.string()
    if all(isinstance(v, int) for v in values):
        return pa.int64()
    return pa.float64()


# --------------------------------------------------------------------------- the result folder


def write_outputs(
    plan: SweepPlan, engine: dict[str, Any], started_at: float, plots: bool = True
) -> tuple[list[PointStats], list[str]]:
    """Write the final files into a temporary folder, then rename each into DIR/<name>/ (manifest last).

    Returns the point statistics and the names written.
    """
    built: dict[str, Any] = {}

    def build(tmp: Path) -> None:
        stats, _ = write_tables(plan, tmp)
        if plots:
            plot_sweep(tmp, plan.name)
        failed = sum(s.failed for s in stats if s.outcome == plan.outcomes[0])
        doc = sweep_manifest(plan, engine, started_at, failed)
        (tmp / "manifest.json").write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
        built["stats"] = stats
        built["files"] = sorted(p.name + ("/" if p.is_dir() else "") for p in tmp.iterdir())

    publish(plan.root, build)
    return built["stats"], built["files"]


def sweep_manifest(plan: SweepPlan, engine: dict[str, Any], started_at: float, failed: int) -> dict[str, Any]:
    """What is needed to reproduce and audit the sweep (engine and timing live here, never in the tables)."""
    exp = plan.loaded.experiment
    return {
        "experiment": exp.model_dump(mode="json"),
        "experiment_file": str(plan.loaded.path),
        "seed": plan.master_seed,
        "seed_source": plan.seed_source,
        "replication_seeds": replication_seeds(plan.master_seed, exp.replications),
        "design": {"method": exp.design.method, "seed": plan.design_seed},
        "factors": plan.factors,
        "outcomes": list(plan.outcomes),
        "points": plan.points,
        "runs": plan.runs,
        "failed_runs": failed,
        "tasks_hash": plan.fingerprint,
        **engine,
        **provenance(started_at, time.time() - started_at, pyarrow=package_version("pyarrow")),
    }


def _print_summary(
    plan: SweepPlan, stats: Sequence[PointStats], files: Sequence[str], executed: int, failed: int, wall: float
) -> None:
    """Sizes, where the files went, and for each outcome the lowest and highest point mean."""
    print(
        f"sweep {plan.name}: {len(plan.points)} point(s) x {plan.replications} replication(s) = {plan.runs} runs "
        f"({executed} run now, {failed} failed) in {wall:.1f} s -> {plan.root}"
    )
    for outcome in plan.outcomes:
        finite = [s for s in stats if s.outcome == outcome and math.isfinite(s.mean)]
        if not finite:
            print(f"  {outcome:26s} n/a")
            continue
        lo = min(finite, key=lambda s: s.mean)
        hi = max(finite, key=lambda s: s.mean)
        print(f"  {outcome:26s} point means {_short(lo.mean)} (p{lo.point}) to {_short(hi.mean)} (p{hi.point})")
    print(f"  wrote {', '.join(files)}")


def _short(value: float) -> str:
    if value == 0:
        return "0"
    return format(value, ",.3f" if abs(value) < 10 else ",.0f")


# --------------------------------------------------------------------------- plots


@dataclass(frozen=True)
class _PointRow:
    point: int
    factors: tuple[str, ...]
    mean: float
    ci_low: float
    ci_high: float
    runs: int


def read_points(path: Path) -> tuple[list[str], dict[str, list[_PointRow]]]:
    """points.csv back as factor names and rows per outcome (plots are drawn from files, not from memory)."""
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh)
        header = next(reader)
        factors = header[1 : header.index("outcome")]
        by_outcome: dict[str, list[_PointRow]] = {}
        for cells in reader:
            row = dict(zip(header, cells, strict=True))
            by_outcome.setdefault(row["outcome"], []).append(
                _PointRow(
                    int(row["point"]),
                    tuple(row[f] for f in factors),
                    float(row["mean"]),
                    float(row["ci_low"] or "nan"),
                    float(row["ci_high"] or "nan"),
                    int(row["runs"]),
                )
            )
    return factors, by_outcome


def plot_sweep(folder: Path, name: str) -> list[Path]:
    """One PNG per outcome in folder/plots/: line (1 factor), heatmap (2), main effects (3 or more)."""
    factors, by_outcome = read_points(folder / "points.csv")
    out = folder / PLOTS_DIR
    out.mkdir(exist_ok=True)
    written = []
    for outcome, rows in by_outcome.items():
        path = out / f"{outcome}.png"
        if len(factors) == 1:
            _plot_line(rows, factors[0], outcome, name, path)
        elif len(factors) == 2:
            _plot_two(rows, factors, outcome, name, path)
        else:
            _plot_main_effects(rows, factors, outcome, name, path)
        written.append(path)
    return written


def _numbers(texts: Sequence[str]) -> list[float] | None:
    """The factor's values as numbers, or None if any is not one (then the axis is categorical)."""
    try:
        return [float(t) for t in texts]
    except ValueError:
        return None


def _value_text(outcome: str, value: float) -> str:
    """An outcome value as text: shares in percent, large numbers with thousands separators."""
    if not math.isfinite(value):
        return "n/a"
    if "share" in outcome:
        return f"{value:.1%}"
    return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.3g}"


def _value_formatter(outcome: str) -> Any:
    from matplotlib.ticker import FuncFormatter

    return FuncFormatter(lambda v, _pos: _value_text(outcome, v))


def _band_caption(rows: Sequence[_PointRow]) -> str:
    runs = min((r.runs for r in rows), default=0)
    crn = (
        " Replication r uses the same seed at every point (common random numbers), so differences between points"
        " are more precise than overlapping bands suggest (paired intervals: the compare command)."
    )
    if runs < 2:
        return "Line: the value of the single replication at each point; no confidence band can be drawn." + crn
    return (
        f"Line: mean of the replications at each point (at least {runs}). "
        "Shaded band: 95% confidence interval of that mean (Student t)." + crn
    )


def _plot_line(rows: Sequence[_PointRow], factor: str, outcome: str, name: str, path: Path) -> None:
    import numpy as np

    from experiments.plots import NORTH_COLOUR, add_caption, new_figure, save_png

    nums = _numbers([r.factors[0] for r in rows])
    order = sorted(range(len(rows)), key=lambda i: nums[i] if nums is not None else i)
    x = np.array([nums[i] for i in order]) if nums is not None else np.arange(len(rows), dtype=float)
    mean = np.array([rows[i].mean for i in order])
    lo = np.array([rows[i].ci_low for i in order])
    hi = np.array([rows[i].ci_high for i in order])
    fig = new_figure(7.5, 4.6)
    ax = fig.add_subplot()
    ax.plot(x, mean, color=NORTH_COLOUR, marker="o", markersize=4, linewidth=2)
    if np.isfinite(lo).any():
        ax.fill_between(x, lo, hi, color=NORTH_COLOUR, alpha=0.2, linewidth=0)
    if nums is None:
        ax.set_xticks(x, [_tick(rows[i].factors[0]) for i in order])
    if nums is not None:
        ax.xaxis.set_major_formatter(_tick_formatter())
    ax.set_xlabel(factor)
    ax.set_ylabel(outcome)
    ax.yaxis.set_major_formatter(_value_formatter(outcome))
    ax.grid(alpha=0.3)
    ax.set_title(f"{outcome} vs {factor} — sweep {name}", fontsize=11)
    add_caption(fig, _band_caption(rows))
    save_png(fig, path)


def _plot_two(rows: Sequence[_PointRow], factors: Sequence[str], outcome: str, name: str, path: Path) -> None:
    """A heatmap when the points form a grid; a scatter coloured by the mean when they do not (LHS)."""
    import numpy as np

    from experiments.plots import add_caption, new_figure, save_png

    xs = sorted({r.factors[0] for r in rows}, key=_sort_key)
    ys = sorted({r.factors[1] for r in rows}, key=_sort_key)
    cells = {(r.factors[0], r.factors[1]): r.mean for r in rows}
    fig = new_figure(7.5, 5.4)
    ax = fig.add_subplot()
    if len(cells) == len(xs) * len(ys) == len(rows):
        grid = np.array([[cells[(x, y)] for x in xs] for y in ys])
        image = ax.imshow(grid, origin="lower", aspect="auto", cmap="viridis")
        ax.set_xticks(range(len(xs)), [_tick(x) for x in xs])
        ax.set_yticks(range(len(ys)), [_tick(y) for y in ys])
        finite = grid[np.isfinite(grid)]
        mid = (finite.min() + finite.max()) / 2 if finite.size else 0.0
        if len(xs) * len(ys) <= 100:
            for j, y in enumerate(ys):
                for i, x in enumerate(xs):
                    v = cells[(x, y)]
                    colour = "black" if math.isfinite(v) and v > mid else "white"
                    ax.text(i, j, _value_text(outcome, v), ha="center", va="center", fontsize=7, color=colour)
        note = "Colour and number: mean of the replications at each grid point; the 95% CIs are in points.csv."
    else:
        xv = _numbers([r.factors[0] for r in rows])
        yv = _numbers([r.factors[1] for r in rows])
        if xv is None or yv is None:
            raise ValueError("two-factor points that are not a grid must be numeric")
        image = ax.scatter(xv, yv, c=[r.mean for r in rows], cmap="viridis", s=40, edgecolors="none")
        note = "Each dot is a design point, coloured by the mean of its replications; the 95% CIs are in points.csv."
    bar = fig.colorbar(image, ax=ax)
    bar.ax.yaxis.set_major_formatter(_value_formatter(outcome))
    bar.set_label(f"{outcome} (mean)")
    ax.set_xlabel(factors[0])
    ax.set_ylabel(factors[1])
    ax.set_title(f"{outcome} — sweep {name}", fontsize=11)
    add_caption(fig, note + " Replication r uses the same seed at every point (common random numbers).")
    save_png(fig, path)


MAIN_EFFECT_BINS = 10  # a factor with more distinct values than this (LHS) is binned
POINTS_PER_BIN = 4  # fewer bins for small designs, so that each bin's CI has a few points behind it


def _plot_main_effects(rows: Sequence[_PointRow], factors: Sequence[str], outcome: str, name: str, path: Path) -> None:
    """Per factor, the point means averaged over the other factors, by level (grid) or by bin (LHS)."""
    import numpy as np

    from experiments.plots import NORTH_COLOUR, add_caption, new_figure, save_png

    cols = min(3, len(factors))
    nrows = math.ceil(len(factors) / cols)
    fig = new_figure(4.0 * cols, 3.2 * nrows + 0.8)
    axes = fig.subplots(nrows, cols, squeeze=False, sharey=True)
    for k, factor in enumerate(factors):
        ax = axes[k // cols][k % cols]
        x, ticks, groups = _levels(rows, k)
        stats = [mean_ci95([rows[i].mean for i in g]) for g in groups]
        mean = np.array([m for m, _, _ in stats])
        lo = np.array([math.nan if a is None else a for _, a, _ in stats])
        hi = np.array([math.nan if b is None else b for _, _, b in stats])
        ax.plot(x, mean, color=NORTH_COLOUR, marker="o", markersize=4, linewidth=2)
        if np.isfinite(lo).any():
            ax.fill_between(x, lo, hi, color=NORTH_COLOUR, alpha=0.2, linewidth=0)
        dots_x = _numbers([r.factors[k] for r in rows])
        if ticks is not None:
            ax.set_xticks(x, [_tick(t) for t in ticks])
            where = {t: xi for t, xi in zip(ticks, x, strict=True)}
            dots_x = [where[r.factors[k]] for r in rows]
        else:
            ax.xaxis.set_major_formatter(_tick_formatter())
        ax.scatter(dots_x, [r.mean for r in rows], s=8, color="#555555", alpha=0.5, linewidths=0, zorder=3)
        ax.set_xlabel(factor, fontsize=8)
        ax.yaxis.set_major_formatter(_value_formatter(outcome))
        ax.grid(alpha=0.3)
        if k % cols == 0:
            ax.set_ylabel(outcome)
    for k in range(len(factors), nrows * cols):
        axes[k // cols][k % cols].set_visible(False)
    fig.suptitle(f"Main effects on {outcome} — sweep {name}", fontsize=11)
    add_caption(
        fig,
        "Dots: each design point's mean over its replications. Line: mean of those point means at each level "
        f"of the factor (equal-width bins of about {POINTS_PER_BIN} points when it has more than "
        f"{MAIN_EFFECT_BINS} distinct values), i.e. averaged over the other factors. Shaded band: 95% CI "
        "(Student t) across those points, so it includes the other factors' spread.",
    )
    save_png(fig, path)


def _levels(rows: Sequence[_PointRow], k: int) -> tuple[Any, list[str] | None, list[list[int]]]:
    """x positions, tick labels (categorical only) and the point indices at each level or bin of factor k."""
    import numpy as np

    texts = [r.factors[k] for r in rows]
    distinct = sorted(set(texts), key=_sort_key)
    nums = _numbers(texts)
    if len(distinct) <= MAIN_EFFECT_BINS or nums is None:
        groups = [[i for i, t in enumerate(texts) if t == level] for level in distinct]
        if nums is None:
            return np.arange(len(distinct), dtype=float), distinct, groups
        return np.array([float(t) for t in distinct]), None, groups
    bins = min(MAIN_EFFECT_BINS, max(2, len(nums) // POINTS_PER_BIN))
    edges = np.linspace(min(nums), max(nums), bins + 1)
    index = np.minimum(np.searchsorted(edges, nums, side="right") - 1, bins - 1)
    groups = [[i for i in range(len(nums)) if index[i] == b] for b in range(bins)]
    centres = (edges[:-1] + edges[1:]) / 2
    keep = [b for b in range(bins) if groups[b]]
    return centres[keep], None, [groups[b] for b in keep]


def _tick(text: str) -> str:
    """A factor value for a tick label: 1e9 rather than 1000000000."""
    try:
        value = float(text)
    except ValueError:
        return text
    return text if abs(value) < 1e5 else _tick_number(value)


def _tick_number(value: float) -> str:
    text = format(value, ".3g" if abs(value) >= 1e5 else "g")
    return text.replace("e+0", "e").replace("e+", "e")


def _tick_formatter() -> Any:
    from matplotlib.ticker import FuncFormatter

    return FuncFormatter(lambda v, _pos: _tick_number(v))


def _sort_key(text: str) -> tuple[int, float, str]:
    try:
        return (0, float(text), text)
    except ValueError:
        return (1, 0.0, text)
