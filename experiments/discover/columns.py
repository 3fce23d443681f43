"""The files and columns of a `discover` folder, for its experiment (the writer) and its reader (read.py).

worlds.csv: `world`, then one column per uncertainty (its dotted key path).
outcomes.csv: a row per (package, world, replication) with the base's and the
package's value and their paired change of each OUTCOME metric (the failure
rule's metric first), then the world's mean change of the rule's metric over
its replications and whether the package fails there (`failed`, the same on
every replication row of the world).
packages.csv: a row per package: worlds, failing worlds, the rule, the verdict.
boxes.csv: a row per (package, method, box, restricted dimension).
trajectory.csv: a row per step of each PRIM box's peeling trajectory.
"""

from __future__ import annotations

WORLDS_FILE = "worlds.csv"
OUTCOMES_FILE = "outcomes.csv"
PACKAGES_FILE = "packages.csv"
BOXES_FILE = "boxes.csv"
TRAJECTORY_FILE = "trajectory.csv"
WORLD = "world"
OUTCOME_METRICS = ("to_north_jobs", "to_outside_jobs", "fiscal_cost_yuan")  # always in outcomes.csv
OUTCOME_HEAD = ("package", "world", "replication", "seed")
OUTCOME_TAIL = ("world_mean_change", "failed")
PACKAGE_COLUMNS = (
    "package",
    "file",
    "worlds",
    "replications",
    "failed_worlds",
    "undefined_worlds",
    "metric",
    "rule",
    "bound",
    "verdict",
    "density_min",
)
BOX_COLUMNS = (
    "package",
    "method",
    "box",
    "coverage",
    "density",
    "mass",
    "worlds",
    "failures",
    "meets_density_min",
    "restricted_dims",
    "dimension",
    "low",
    "high",
    "low_restricted",
    "high_restricted",
    "qp_low",
    "qp_high",
    "reproduce_coverage_pct",
    "reproduce_density_pct",
)
TRAJECTORY_COLUMNS = ("package", "box", "step", "coverage", "density", "mass", "restricted_dims", "chosen")
# packages.csv `verdict`
NEVER, ALWAYS, BOXES, NO_BOX = "never fails", "always fails", "boxes", "no box"


def outcome_columns(metrics: tuple[str, ...]) -> list[str]:
    """`base_M, package_M, change_M` for each metric M, in order."""
    return [f"{what}_{m}" for m in metrics for what in ("base", "package", "change")]
