"""The one pipeline every experiment command runs through.

1. The engine opens (a local pool starts in the background; its fork server
   was started as soon as the command line was parsed, experiments.engine.prestart;
   while the command waits for it, it imports what its report will need,
   experiments.engine.report_ahead).
2. The experiment reads and checks its inputs; the output folder is checked.
3. The folder is locked and claimed for this command and these inputs (or the
   command is refused, exit 2); without `--resume` its old runs are cleared.
4. The master seed (experiments.engine.seeds), the tasks, and `runs/state.json`.
5. The engine runs what is not finished; every run is stored as it completes.
6. Failed runs stop here (exit 1, one line, the runs kept for `--resume`).
7. The experiment writes its tables, the command's report (its registry
   entry names the class, experiments.engine.report.Report) draws the
   Markdown and figures from those tables (and report/html.py makes each
   Markdown report one self-contained HTML page), the manifest comes last,
   and the whole set is published into the folder.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from experiments.engine.folders import MANIFEST, ResultFolder
from experiments.engine.pool import Engine, EngineOptions, Fault
from experiments.engine.provenance import provenance
from experiments.engine.report import Report
from experiments.engine.report_ahead import report_ahead
from experiments.engine.scope import write_scope
from experiments.engine.seeds import master_seed
from experiments.engine.store import digest
from experiments.engine.tables import write_json
from experiments.registry import EXPERIMENTS, experiment_class, report_of
from model.errors import InputError, short

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Outcome:
    """What a finished command reports: its folder and the lines of its terminal summary."""

    folder: Path
    lines: list[str]


def engine_options(args: argparse.Namespace) -> EngineOptions:
    return EngineOptions(
        workers=getattr(args, "workers", 1),
        engine=getattr(args, "engine", "local"),
        scheduler=getattr(args, "scheduler", None),
        progress=not getattr(args, "quiet", False),
    )


def run_experiment(command: str, args: argparse.Namespace) -> Outcome:
    """Plan, run, analyse and publish one experiment command."""
    cls = experiment_class(command)
    started_at, t0 = time.time(), time.perf_counter()
    if args.overwrite and args.resume:
        raise InputError("command line", "--overwrite", "given together with --resume", "one of the two")
    with Engine(engine_options(args), while_starting=report_ahead(command, args)) as engine:
        exp = cls(args)
        folder = ResultFolder(args.out, args.name or exp.default_name())
        folder.check()
        fingerprint = digest({"command": command, "inputs": exp.inputs()})
        with folder.locked(), _naming_interrupts(folder.path):
            state = folder.claim(command, fingerprint, overwrite=args.overwrite, resume=args.resume)
            seed, source = master_seed(args.seed, exp.declared_seeds(), state)
            tasks = exp.plan(seed)
            folder.store.write_state(
                {"command": command, "fingerprint": fingerprint, "master_seed": seed, "seed_source": source}
            )
            tasks = exp.execute(engine, folder.store, tasks)
            if not cls.tolerates_failures:
                _stop_on_failures(folder, tasks)
            head = {
                "command": command,
                "name": folder.name,
                "fingerprint": fingerprint,
                "seed": seed,
                "seed_source": source,
                "runs": len(tasks),
                "runs_executed": sum(s.executed for s in exp.run_stats),
                "runs_reused": exp.run_stats[0].reused if exp.run_stats else 0,
                "engine": engine.options.engine,
                "workers": engine.options.workers,
                "model_years": engine.ledger.manifest(),
            }

            def build(tmp: Path) -> None:
                extra = exp.analyse(tasks, folder.store, tmp)
                write_scope(tmp, exp.scope_scenario(), tasks)
                if not args.no_plots:
                    draw(command, tmp)
                files = sorted(p.name + ("/" if p.is_dir() else "") for p in tmp.iterdir())
                doc = {**head, **extra, "files": files, **provenance(started_at, time.perf_counter() - t0)}
                write_json(tmp / MANIFEST, doc)

            folder.publish(build)
        saved = engine.ledger.line()
    if getattr(args, "quiet", False):  # -q prints no summary, so none is read (its report imports matplotlib)
        return Outcome(folder.path, [])
    return Outcome(folder.path, [*summary(command, folder.path), *([saved] if saved else [])])


@contextlib.contextmanager
def _naming_interrupts(path: Path) -> Iterator[None]:
    """A Ctrl-C (or SIGTERM) from here on tells the CLI which folder keeps the finished runs."""
    try:
        yield
    except KeyboardInterrupt as exc:
        exc.folder = path  # type: ignore[attr-defined]
        raise


def _stop_on_failures(folder: ResultFolder, tasks: list[Any]) -> None:
    failed = folder.store.failures(tasks)
    if failed:
        first = failed[0]
        raise Fault(
            f"{len(failed)} of {len(tasks)} runs failed (first: {first.task_id}: {first.error}); "
            f"their errors are in {folder.store.root}/*.error.json and no results were written: "
            "fix the cause and rerun with --resume to keep the finished runs"
        )


def draw(command: str, folder: Path) -> list[Path]:
    """The report and figures of a result folder, from its tables on disk, into the same folder."""
    return _draw(report_of(command), folder, folder)


def _draw(report: Report[Any], folder: Path, out: Path) -> list[Path]:
    """The one place every report is drawn (a command and `plot DIR`): its Markdown and figures from `folder`
    into `out`, then each Markdown report as one self-contained HTML page beside it (report.html)."""
    from report.html import pages

    drawn = report.draw(folder, out)
    return [*drawn, *pages(drawn)]


def summary(command: str, folder: Path) -> list[str]:
    return report_of(command).summary_lines(folder)


def redraw(folder: Path) -> list[str]:
    """`plot DIR`: redraw the report and figures of any finished result folder, in place.

    Only the command's report is imported (the registry names it), not its
    experiment: redrawing needs no model.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError(folder, "", "not a folder", "a result folder DIR/<name>/ written by a relocsim command")
    manifest = folder / MANIFEST
    try:
        doc = json.loads(manifest.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(folder, "", "no manifest.json: not a finished result folder", "a folder DIR/<name>/") from None
    except (OSError, ValueError) as exc:
        raise InputError(manifest, "", f"unreadable ({type(exc).__name__})", "the manifest a command wrote") from None
    command = doc.get("command") if isinstance(doc, dict) else None
    if command not in EXPERIMENTS:
        raise InputError(manifest, "command", f"{short(command)} is not a relocsim command", ", ".join(EXPERIMENTS))
    report = report_of(command)
    rf = ResultFolder(folder.parent, folder.name)
    with rf.locked():
        rf.refuse_foreign(within=report.drawn)  # what a redraw replaces holds nothing of the user's
        return rf.publish(lambda tmp: _draw(report, folder, tmp), only=set(report.drawn))
