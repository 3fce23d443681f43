"""What each command does once its arguments are parsed."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from model.errors import InputError

EXIT_OK, EXIT_BAD_INPUT = 0, 2


def dispatch(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    if args.version:
        from experiments.engine.provenance import relocsim_version

        print(f"relocsim {relocsim_version()}")
        return EXIT_OK
    if args.command is None:
        parser.print_help()
        return EXIT_BAD_INPUT
    if args.command == "validate":
        return validate(args.files)
    if args.command == "plot":
        return plot(args.results, quiet=args.quiet)
    if args.command == "app":
        from app.serve import serve

        return serve(args.host, args.port, args.scenarios, args.results)
    from experiments.engine.prestart import for_command

    # a local pool's fork server imports the model while the command reads its inputs
    for_command(getattr(args, "workers", 1), getattr(args, "engine", "local"))
    from experiments.engine.pipeline import run_experiment

    outcome = run_experiment(args.command, args)
    if not args.quiet:
        print("\n".join(outcome.lines))
    return EXIT_OK


def _kind_of(path: Path) -> str:
    """'calibration' for a file with priors or facts to fit, 'problem' for an optimise problem (decisions,
    objectives), 'discovery' for one with packages, a failure rule or uncertainties, 'experiment' for one with a
    base scenario and factors, else 'scenario'; each is then validated by its own reader (no key of it is echoed
    here)."""
    from model.scenario import read_yaml

    data: dict[str, Any] = read_yaml(path)
    if "parameters" in data or "fit" in data or "held_out" in data:
        return "calibration"
    if "decisions" in data or "objectives" in data:
        return "problem"
    if "packages" in data or "failure" in data or "uncertainties" in data:
        return "discovery"
    return "experiment" if "factors" in data or "base" in data else "scenario"


def validate(paths: list[Path]) -> int:
    """Check every file (all of them, even after a bad one) and say which are fine."""
    status = EXIT_OK
    for path in paths:
        try:
            what = check_file(path)
        except InputError as exc:
            print(f"relocsim: {exc.message}", file=sys.stderr)
            status = EXIT_BAD_INPUT
        else:
            print(f"ok: {path} ({what})")
    return status


def check_file(path: Path) -> str:
    """Validate a scenario, experiment or calibration file and every data file and id it names; say what it is."""
    kind = _kind_of(path)
    if kind == "experiment":
        from experiments.design.experiment_file import load_experiment

        loaded = load_experiment(path)
        return f"experiment {loaded.experiment.name}, {loaded.size_text()}"
    if kind == "discovery":
        from experiments.discover.spec import load_discover

        d = load_discover(path)
        size = f"{d.spec.worlds:,} worlds × {d.spec.replications} replication(s), {len(d.packages)} package(s)"
        return f"discovery {d.spec.name}, {size}"
    if kind == "problem":
        from experiments.optimise.problem import load_problem

        pr = load_problem(path)
        s = pr.problem.search
        size = f"{len(pr.problem.decisions)} decision(s), {s.evaluations:,} evaluations, {s.generations} generation(s)"
        return f"optimise problem {pr.problem.name}, {size}"
    if kind == "calibration":
        from experiments.design.calibration_file import load_calibration

        calibration = load_calibration(path).calibration
        return f"calibration {calibration.name}, {len(calibration.parameters)} parameters, {len(calibration.fit)} facts"
    from experiments.engine.scope import scope_doc
    from model.scenario import load_scenario
    from model.world import world_for
    from report.scope import scope_sentence

    scenario = load_scenario(path)
    world = world_for(scenario, path)
    return f"scenario {scenario.name}; {lower_first(scope_sentence(scope_doc(scenario, world))).rstrip('.')}"


def lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


def plot(folder: Path, quiet: bool = False) -> int:
    from experiments.engine.pipeline import redraw

    written = redraw(folder)
    if not quiet:
        print(f"redrew {', '.join(written)} in {folder}")
    return EXIT_OK
