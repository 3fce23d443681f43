"""Capabilities a command opts into: `--posterior` (an ensemble of parameter draws) and `--ci-width` (rounds).

A capability is declared here, once: its name and its command-line arguments
(flags, help, defaults, bounds). An `Experiment` subclass opts in by listing it
in `capabilities` (and its registry entry lists the same, so that `--help`
needs no import of the class); the CLI then gives the command the
capability's arguments. What the capability does at run time lives beside
this declaration, written once for every command that uses it:

- POSTERIOR (experiments.engine.capabilities.posterior.PosteriorDraws): the
  checks, the draw-major plan (in draw k every scenario or subset on draw k's
  seeds), the (draw, replication) grids and the posterior's own tables and
  manifest entry;
- ADAPTIVE_REPLICATIONS (experiments.engine.capabilities.adaptive.AdaptiveRounds):
  the first round's size, the rounds until every interval the command names
  is narrow enough, stopping.csv and the manifest entry.

This module imports neither the model nor numpy: the registry (and so every
`--help`) reads it.
"""

from __future__ import annotations

from dataclasses import dataclass

from experiments.engine.protocol import Arg
from model.limits import MAX_REPLICATIONS

DEFAULT_MAX_REPLICATIONS = 200  # --ci-width stops there unless --max-replications says otherwise
DEFAULT_DRAWS = 20  # assumption: enough draws for a between-draw SD, and 20 × R runs per scenario stay affordable
MAX_DRAWS = 1000
THIN_ESS = 200  # DESIGN §7: an ensemble below 200 effective draws ((Σw)²/Σw²) is thin


@dataclass(frozen=True)
class Capability:
    """What a command gains by opting in: a name (for checks and messages) and its command-line arguments."""

    name: str
    arguments: tuple[Arg, ...]


POSTERIOR = Capability(
    "posterior",
    (
        Arg(
            ("--posterior",),
            "run over the posterior ensemble of a calibration result folder (written by `calibrate`): each effect "
            "gets an interval with parameter uncertainty, its Monte-Carlo and parameter parts apart, and rankings "
            "are checked across the draws",
            "path",
            "CALIBRATION_DIR",
        ),
        Arg(
            ("--draws",),
            "with --posterior, K parameter sets drawn from it, each run --replications times "
            f"(default {DEFAULT_DRAWS})",
            "int",
            "K",
            None,
            (2, MAX_DRAWS),
        ),
        Arg(
            ("--allow-thin",),
            f"with --posterior, run over a thin ensemble (effective size below {THIN_ESS}) rather than refuse it; "
            "every table and figure is then marked thin",
            "flag",
        ),
    ),
)
ADAPTIVE_REPLICATIONS = Capability(
    "adaptive_replications",
    (
        Arg(
            ("--ci-width",),
            "add replications until every share interval half-width (means and paired differences) is ≤ W, "
            "a share such as 0.005 (half a percentage point)",
            "float",
            "W",
            bounds=(0.0, 1.0),
        ),
        Arg(
            ("--max-replications",),
            f"with --ci-width, stop at M replications (default {DEFAULT_MAX_REPLICATIONS})",
            "int",
            "M",
            DEFAULT_MAX_REPLICATIONS,
            (2, MAX_REPLICATIONS),
        ),
    ),
)


def arguments_of(capabilities: tuple[Capability, ...]) -> tuple[Arg, ...]:
    """Every argument the capabilities bring, in their order."""
    return tuple(arg for capability in capabilities for arg in capability.arguments)
