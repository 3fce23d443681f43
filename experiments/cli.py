"""The command line: parse arguments, call the library, map errors to exit codes.

Exit status: 0 success; 2 bad input (usage, scenario, data file), reported as
one line on stderr; 1 anything else.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

from experiments.cli_common import MAX_WORKERS, add_run_overrides, int_in
from experiments.outputs import summarise, write_run
from experiments.runner import RunOutcome, draw_master_seed, run_replications
from model.errors import InputError
from model.scenario import load_scenario
from model.world import world_for

EXIT_OK, EXIT_ERROR, EXIT_BAD_INPUT = 0, 1, 2
# Experiment commands live in their own modules, each with configure(parser) and run(args) -> int;
# the modules import their heavy libraries inside functions, so building --help stays cheap.
EXPERIMENT_COMMANDS: dict[str, tuple[str, str]] = {
    "compare": ("experiments.compare", "compare scenarios with paired 95% confidence intervals"),
    "sweep": ("experiments.sweep", "sweep factors over a grid or a Latin hypercube"),
    "sensitivity": ("experiments.sensitivity", "Morris screening and Sobol indices (SALib)"),
    "attribute": ("experiments.attribution", "Shapley attribution of a package's effect to its levers"),
}
COMMANDS = ("run", "validate", "plot", *EXPERIMENT_COMMANDS)


class _Parser(argparse.ArgumentParser):
    """argparse that reports a usage error as one line and exit status 2."""

    def error(self, message: str) -> NoReturn:
        raise InputError("command line", self.prog.split()[-1], message, "see --help")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="relocsim",
        description="Agent-based simulation of industry relocation from southern Jiangsu.",
        epilog="`relocsim SCENARIO.yaml` is short for `relocsim run SCENARIO.yaml`.",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log what the model does")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    run = sub.add_parser("run", help="run a scenario and write its result folder")
    run.add_argument("scenario", type=Path, metavar="SCENARIO.yaml")
    run.add_argument(
        "--out", type=Path, default=Path("outputs"), metavar="DIR", help="results go to DIR/<name>/ (default: outputs)"
    )
    add_run_overrides(
        run,
        replications="override the scenario's replications",
        seed="override the scenario's master seed",
        firms="override firms.count",
    )
    run.add_argument(
        "--workers",
        type=int_in(1, MAX_WORKERS, "workers"),
        default=1,
        metavar="W",
        help="processes for replications (default 1)",
    )
    run.add_argument("--no-plots", action="store_true", help="skip the plots/ folder")
    run.add_argument("-q", "--quiet", action="store_true", help="no progress bar and no summary")

    val = sub.add_parser("validate", help="check scenario files without running them")
    val.add_argument("files", nargs="+", type=Path, metavar="FILE")

    plot = sub.add_parser("plot", help="(re)draw the plots of a result folder")
    plot.add_argument("results", type=Path, metavar="RESULTS_DIR")

    for name, (module_name, help_text) in EXPERIMENT_COMMANDS.items():
        parser_for = sub.add_parser(name, help=help_text.replace("%", "%%"), description=help_text)
        importlib.import_module(module_name).configure(parser_for)
    return parser


def cmd_run(args: argparse.Namespace) -> int:
    from experiments.plots import plot_results

    overrides: dict[str, object] = {}
    if args.replications is not None:
        overrides["replications"] = args.replications
    if args.seed is not None:
        overrides["seed"] = args.seed
    if args.firms is not None:
        overrides["firms.count"] = args.firms
    scenario = load_scenario(args.scenario, overrides)
    data = world_for(scenario, args.scenario)
    if scenario.seed is None:
        scenario = scenario.model_copy(update={"seed": draw_master_seed()})
    outcome = run_replications(scenario, data, workers=args.workers, progress=not args.quiet)
    folder = write_run(outcome, data, args.out, plot=None if args.no_plots else plot_results)
    if not args.quiet:
        _print_summary(outcome, folder)
    return EXIT_OK


HEADLINE = ("north_share_jobs", "outside_share_jobs", "relocated_jobs", "fiscal_cost_yuan", "cost_per_north_job_yuan")


def _print_summary(outcome: RunOutcome, folder: Path) -> None:
    """The headline figures with their 95% confidence intervals, for the terminal."""
    summary = summarise(outcome)
    print(f"{outcome.scenario.name}: {len(outcome.results)} replication(s) in {outcome.wall_seconds:.1f} s -> {folder}")
    for name in HEADLINE:
        m = summary["metrics"][name]
        print(f"  {name:26s} {_figure(m['mean'], m['ci95'])}")


def _figure(mean: float | None, ci: list[float | None] | None) -> str:
    if mean is None:
        return "n/a"
    spec = ",.3f" if abs(mean) < 10 else ",.0f"
    text = format(mean, spec)
    if ci and ci[0] is not None and ci[1] is not None:
        text += f"  (95% CI {format(ci[0], spec)} to {format(ci[1], spec)})"
    return text


def cmd_validate(args: argparse.Namespace) -> int:
    status = EXIT_OK
    for path in args.files:
        try:
            scenario = load_scenario(path)
            world_for(scenario, path)
        except InputError as exc:
            print(f"relocsim: {exc.message}", file=sys.stderr)
            status = EXIT_BAD_INPUT
        else:
            print(f"ok: {path} (scenario {scenario.name})")
    return status


def cmd_plot(args: argparse.Namespace) -> int:
    from experiments.plots import plot_results

    written = plot_results(args.results)
    print(f"wrote {len(written)} plot(s) to {args.results / 'plots'}")
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    first = next((a for a in argv if not a.startswith("-")), None)
    if first is not None and first not in COMMANDS and first.endswith((".yaml", ".yml")):
        argv.insert(argv.index(first), "run")
    try:
        args = build_parser().parse_args(argv)
        logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="%(name)s: %(message)s")
        if args.command is None:
            build_parser().print_help()
            return EXIT_BAD_INPUT
        if args.command in EXPERIMENT_COMMANDS:
            return int(importlib.import_module(EXPERIMENT_COMMANDS[args.command][0]).run(args))
        return {"run": cmd_run, "validate": cmd_validate, "plot": cmd_plot}[args.command](args)
    except InputError as exc:
        print(f"relocsim: {exc.message}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        kept = " (finished runs are kept in DIR/<name>/runs/: rerun with --resume)"
        experiment = bool(set(argv) & set(EXPERIMENT_COMMANDS))
        print(f"relocsim: interrupted; no result tables were written{kept if experiment else ''}", file=sys.stderr)
        return EXIT_ERROR
    except Exception:  # noqa: BLE001 - the last line of defence maps bugs to exit 1
        traceback.print_exc()
        print("relocsim: internal error (the traceback above is a bug; please report it)", file=sys.stderr)
        return EXIT_ERROR
