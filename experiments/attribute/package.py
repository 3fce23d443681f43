"""A scenario read as a package of levers: its subsets (all 2^k of its k levers) and, over a posterior, per draw.

The package is kept as its merged mapping (after the command line's
overrides) so that a subset is the same mapping with the other levers'
sections removed, and a posterior draw the same mapping with the draw's
parameter values set: every subset of a draw differs from the package only by
its levers and its name.

`--levers a,b` attributes only those levers: the subsets are the 2^2 of
them, and the package's other levers stay on in every subset (`held`), so
the values split what the named levers add to the rest of the package as
decided, v(N) − v(N ∖ named), rather than what they would do on their own;
an 8-lever package then costs 2^(named) runs per replication instead of 256.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from experiments.analysis.ensemble import Ensemble
from experiments.design.base import overrides_from
from experiments.engine.plans import Unit
from model.config import Scenario, levers_of
from model.errors import InputError, short
from model.scenario import load_raw, set_path, validate_mapping, variant
from model.world import world_for

MAX_LEVERS = 8  # 2^8 = 256 model runs per replication


@dataclass(frozen=True)
class Package:
    """A scenario read as a package: its merged mapping, its levers (registry order), the full scenario."""

    path: Path
    raw: dict[str, Any]
    levers: tuple[str, ...]
    scenario: Scenario
    held: tuple[str, ...] = ()  # the package's levers left out of the attribution: on in every subset
    sampled: tuple[int, ...] | None = None  # with --permutations: the subsets (bitmasks) the orders need

    @property
    def masks(self) -> tuple[int, ...]:
        """The subsets that run: all 2^k, or the sampled orders' (∅ first and the full package last either way)."""
        return self.sampled if self.sampled is not None else tuple(range(1 << len(self.levers)))

    @property
    def subsets(self) -> int:
        return len(self.masks)

    def lever_names(self, mask: int) -> list[str]:
        return [lever for i, lever in enumerate(self.levers) if mask >> i & 1]

    def subset_scenario(self, mask: int) -> Scenario:
        """The package with only the levers in `mask`; everything else kept."""
        off = [f"policies.{lever}" for i, lever in enumerate(self.levers) if not mask >> i & 1]
        suffix = f"__s{mask}"
        return variant(self.raw, {}, self.path, name=self.scenario.name[: 64 - len(suffix)] + suffix, drop=off)

    def units(self) -> list[Unit]:
        """Every subset that runs as a unit of the plan (task ids `s{mask:03d}-...`, label `subset`), ∅ first."""
        return [Unit(f"s{mask:03d}", {"subset": mask}, self.subset_scenario(mask)) for mask in self.masks]


def load_package(path: Path, args: Any) -> Package:
    """Read a scenario file as a package of its levers (the sections under `policies`); `--levers` picks some.

    At most MAX_LEVERS are attributed; the package may hold more when `--levers` names at most that many.
    """
    raw = load_raw(Path(path))
    chosen_text = getattr(args, "levers", None)
    policies = raw.get("policies")
    present = [k for k, v in policies.items() if v is not None] if isinstance(policies, dict) else []
    if chosen_text is None and len(present) > MAX_LEVERS:  # before validating: the count is the first problem
        raise InputError(path, "policies", _too_many(len(present)), f"1 to {MAX_LEVERS}, or --levers naming fewer")
    for key, value in overrides_from(args).items():
        set_path(raw, key, value)  # into the package's mapping: every subset and draw takes them too
    scenario = validate_mapping(raw, path)
    world_for(scenario, path)
    levers = tuple(levers_of(scenario))
    if not levers:
        raise InputError(path, "policies", "the package has no levers", f"1 to {MAX_LEVERS} lever sections")
    chosen = chosen_levers(chosen_text, levers)
    if len(chosen) > MAX_LEVERS:
        raise InputError("command line", "--levers", _too_many(len(chosen)), f"1 to {MAX_LEVERS} levers")
    held = tuple(lever for lever in levers if lever not in chosen)
    return Package(Path(path), raw, chosen, scenario, held)


def _too_many(k: int) -> str:
    return f"{k} levers would need 2^{k} runs per replication"


def chosen_levers(text: str | None, levers: tuple[str, ...]) -> tuple[str, ...]:
    """The levers `--levers a,b,c` names (in the package's order), or all of them without it."""
    if text is None:
        return levers
    names = [n.strip() for n in text.split(",")]
    allowed = "comma-separated levers of the package: " + ", ".join(levers)
    for n in names:
        if n not in levers:
            raise InputError("command line", "--levers", short(n) if n else "an empty name", allowed)
    if len(set(names)) != len(names):
        raise InputError("command line", "--levers", short(text), "each lever once; " + allowed)
    return tuple(lever for lever in levers if lever in names)


def draw_package(pkg: Package, ens: Ensemble, k: int) -> Package:
    """The package with draw k's parameter values (checked against the scenario first: errors name posterior.csv)."""
    ens.apply(pkg.scenario, k)
    raw = copy.deepcopy(pkg.raw)
    for key, value in ens.sets[k].items():
        set_path(raw, key, value)
    return Package(pkg.path, raw, pkg.levers, validate_mapping(raw, pkg.path), pkg.held, pkg.sampled)
