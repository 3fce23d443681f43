"""The experiment commands: name -> the class that plans and analyses it, and the class that reports it.

Registering a new experiment type is one entry here: the experiment class and
its report class (by module path, each imported only when needed: the
experiment when the command runs, the report when a folder is drawn or
summarised, so `plot DIR` needs no model), its help, its own arguments and
the capabilities it opts into (experiments.engine.capabilities: --posterior,
--ci-width), whose arguments it then gets.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from experiments.engine.capabilities import (
    ADAPTIVE_REPLICATIONS,
    DEFAULT_DRAWS,
    MAX_DRAWS,
    POSTERIOR,
    Capability,
    arguments_of,
)
from experiments.engine.protocol import Arg

if TYPE_CHECKING:
    from experiments.engine.protocol import Experiment
    from experiments.engine.report import Report

EXPERIMENT_FILE = Arg(
    ("experiment",), "the experiment file (keys: experiments/reference.yaml)", "path", "EXPERIMENT.yaml"
)
MAX_PERMUTATIONS = 10_000  # attribute --permutations: far past where 2^8 subsets would all have run
DEFAULT_SOBOL_SAMPLES = 8  # report: Saltelli base samples (a power of 2); sized so the report takes minutes (README)


@dataclass(frozen=True)
class Command:
    """An experiment command: its class, its report, its help, its own arguments and its capabilities.

    The arguments live here, not in the class's module, so that `--help` of any
    command needs no import of the model (the CLI adds the options every
    experiment shares); the report is named here, not imported by the
    experiment, so that running a command imports no plotting library until
    it draws. `capabilities` repeats the class's own list for the same reason
    (experiment_class checks that the two agree); each brings its arguments
    after the command's own.
    """

    target: str  # "module:Class" of its Experiment
    report: str  # "module:Class" of its Report (experiments.engine.report)
    help: str
    arguments: tuple[Arg, ...] = ()
    capabilities: tuple[Capability, ...] = ()

    @property
    def all_arguments(self) -> tuple[Arg, ...]:
        """The command's own arguments, then those of each capability it opts into."""
        return (*self.arguments, *arguments_of(self.capabilities))


EXPERIMENTS: dict[str, Command] = {
    "run": Command(
        "experiments.run.experiment:Run",
        "experiments.run.report:RunReport",
        "run a scenario and write its result folder",
        (Arg(("scenario",), "the scenario file", "path", "SCENARIO.yaml"),),
    ),
    "compare": Command(
        "experiments.compare.experiment:Compare",
        "experiments.compare.report:CompareReport",
        "compare scenarios with a baseline on common random numbers (paired 95% intervals)",
        (
            Arg(("baseline",), "the scenario every other is compared to", "path", "BASELINE.yaml"),
            Arg(("others",), "scenarios to compare", "paths", "OTHER.yaml"),
        ),
        (ADAPTIVE_REPLICATIONS, POSTERIOR),
    ),
    "sweep": Command(
        "experiments.sweep.experiment:Sweep",
        "experiments.sweep.report:SweepReport",
        "sweep factors over a grid or a Latin hypercube",
        (EXPERIMENT_FILE,),
    ),
    "sensitivity": Command(
        "experiments.sensitivity.experiment:Sensitivity",
        "experiments.sensitivity.report:SensitivityReport",
        "Morris screening or Sobol' indices of factors (SALib)",
        (EXPERIMENT_FILE,),
    ),
    "attribute": Command(
        "experiments.attribute.experiment:Attribute",
        "experiments.attribute.report:AttributeReport",
        "split a package's effect among its levers (exact Shapley values)",
        (
            Arg(("package",), "a scenario whose policies are the levers", "path", "PACKAGE.yaml"),
            Arg(("--metric",), "more metrics to attribute, by name (e.g. closed_jobs)", "texts", "M"),
            Arg(
                ("--levers",),
                "attribute only these levers of the package (comma-separated keys, e.g. talent,pairing): "
                "2^(their number) subsets, the package's other levers held on in every one",
                "text",
                "A,B,...",
            ),
            Arg(
                ("--permutations",),
                "sampled Shapley values from N seeded random orders of the levers (only the subsets they pass "
                "through run; each value's Monte-Carlo error is stated); default: exact, all 2^k subsets",
                "int",
                "N",
                bounds=(2, MAX_PERMUTATIONS),
            ),
        ),
        (POSTERIOR,),
    ),
    "calibrate": Command(
        "experiments.calibrate.experiment:Calibrate",
        "experiments.calibrate.report:CalibrateReport",
        "fit behaviour parameters to the article's facts by ABC-SMC (pyabc), with a posterior predictive check",
        (
            Arg(
                ("calibration",),
                "the calibration file (keys: experiments/calibration.reference.yaml)",
                "path",
                "CALIBRATION.yaml",
            ),
        ),
    ),
    "optimise": Command(
        "experiments.optimise.experiment:Optimise",
        "experiments.optimise.report:OptimiseReport",
        "the least-cost robust lever packages: a multi-objective search (pymoo's NSGA-II) on common random "
        "numbers across fixed worlds, its front confirmed on fresh seeds and certified (also spelled optimize)",
        (
            Arg(
                ("problem",),
                "the problem file (keys: experiments/optimise.reference.yaml)",
                "path",
                "PROBLEM.yaml",
            ),
        ),
    ),
    "discover": Command(
        "experiments.discover.experiment:Discover",
        "experiments.discover.report:DiscoverReport",
        "scenario discovery: the worlds where a package fails against the base (PRIM boxes, CART cross-check; "
        'pip install -e ".[ema]")',
        (
            Arg(
                ("experiment",),
                "the discovery file (keys: experiments/discover.reference.yaml)",
                "path",
                "EXPERIMENT.yaml",
            ),
            Arg(
                ("--worlds",),
                "W worlds (Latin hypercube points) instead of the file's `worlds`",
                "int",
                "W",
                None,
                (2, 100_000),
            ),
        ),
    ),
    "report": Command(
        "experiments.validation.experiment:Report",
        "experiments.validation.report:ValidationReport",
        "the validation report: the stylized facts beside the null model, closed-form checks, each lever's "
        "comparative static, diminishing returns to subsidies and Sobol' indices over the parameter ranges",
        (
            Arg(
                ("target",),
                "a scenario (default scenarios/baseline.yaml) or a calibration result folder (its calibrated.yaml, "
                "posterior and fitted / held-out facts)",
                "path",
                "SCENARIO.yaml|CALIBRATION_DIR",
                "scenarios/baseline.yaml",
            ),
            Arg(
                ("--sobol-samples",),
                f"N base samples of the Saltelli design, N·(k+2) parameter sets for k parameters (default "
                f"{DEFAULT_SOBOL_SAMPLES}; 0 skips the global sensitivity)",
                "int",
                "N",
                DEFAULT_SOBOL_SAMPLES,
                (0, 4096),
            ),
            Arg(
                ("--draws",),
                f"with a CALIBRATION_DIR, K posterior draws the facts are also measured over (default {DEFAULT_DRAWS})",
                "int",
                "K",
                None,
                (2, MAX_DRAWS),
            ),
        ),
    ),
}

# Other spellings of a command, turned into its name before the line is parsed.
ALIASES: dict[str, str] = {"optimize": "optimise"}


def _load(target: str) -> object:
    module, _, name = target.partition(":")
    return getattr(importlib.import_module(module), name)


def experiment_class(command: str) -> type[Experiment]:
    cls = _load(EXPERIMENTS[command].target)
    from experiments.engine.protocol import Experiment

    if not (isinstance(cls, type) and issubclass(cls, Experiment)) or cls.command != command:
        raise TypeError(f"{EXPERIMENTS[command].target} is not the Experiment of {command!r}")
    if tuple(cls.capabilities) != EXPERIMENTS[command].capabilities:
        raise TypeError(f"{EXPERIMENTS[command].target}.capabilities differ from the registry's for {command!r}")
    return cls


def report_of(command: str) -> Report[Any]:
    """The command's report (experiments.engine.report.Report), ready to draw or summarise a folder."""
    cls = _load(EXPERIMENTS[command].report)
    from experiments.engine.report import Report

    if not (isinstance(cls, type) and issubclass(cls, Report)):
        raise TypeError(f"{EXPERIMENTS[command].report} is not a Report")
    report: Report[Any] = cls()
    return report
