"""What `report` reads: the scenario or calibration folder, the shipped single-lever scenarios, parameter ranges.

`report SCENARIO.yaml` validates that scenario; `report CALIBRATION_DIR`
validates a `calibrate` result folder: its posterior (experiments.analysis.posterior),
its `calibrated.yaml` (the scenario reported on: the base with the point
estimate) and the fitted and held-out facts of its `calibration.resolved.yaml`.

The comparative statics use every shipped scenario (`scenarios/*.yaml` of
the repository) whose `policies:` turn on exactly one lever: found by reading
the files, so a new single-lever scenario joins the report by itself. Its
lever's section is added to the reported scenario's `policies:` (replacing
that lever's section if the scenario has one), so that a lever's effect is
measured against the scenario being validated (for a calibration folder: the
calibrated one).

The global sensitivity's parameter ranges are, in this order of preference:
the posterior's 5–95 % ranges (parameters.csv q05, q95) of a calibration
folder; the prior ranges of the shipped calibration file
`calibrations/article_suzhou.yaml`; ±50 % of the scenario's non-zero
`behaviour.push.*` and `behaviour.choice.*` coefficients (assumption: the
spread issue 8 found moves the outside share across 0.72–0.80).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from experiments.analysis.posterior import PARAMETER_COLUMNS, PARAMETERS_FILE, Posterior, load_posterior
from experiments.facts.catalogue import FACTS, FIT_DEFAULT
from model.config import Scenario, levers_of
from model.csvfile import pick, read_rows
from model.errors import InputError, short
from model.keys import describe
from model.levers.registry import REGISTRY
from model.scenario import load_raw, load_scenario, set_path, validate_mapping, variant
from model.world import world_for
from model.yamlfile import read_yaml

REPO = Path(__file__).resolve().parents[2]
SHIPPED_SCENARIOS = REPO / "scenarios"
SHIPPED_CALIBRATION = REPO / "calibrations" / "article_suzhou.yaml"
CALIBRATED_FILE = "calibrated.yaml"
RESOLVED_CALIBRATION = "calibration.resolved.yaml"
RANGE_FACTOR = 0.5  # ±50 % of a default coefficient (assumption, module docstring)
RANGE_NEEDED = pick(PARAMETER_COLUMNS, "key", "label", "unit", "q05", "q95")  # a posterior's parameters.csv
Mode = Literal["scenario", "calibration"]


@dataclass(frozen=True)
class LeverScenario:
    """A shipped scenario with exactly one lever, as a `policies:` section to put on the reported scenario."""

    name: str
    path: Path
    key: str
    label: str
    acts_on: tuple[str, ...]
    policies: dict[str, Any]


@dataclass(frozen=True)
class Range:
    key: str
    label: str
    unit: str
    low: float
    high: float
    centre: float  # the reported scenario's value
    source: str


@dataclass(frozen=True)
class Target:
    mode: Mode
    path: Path
    name: str  # the result folder's part: the scenario's name or the calibration folder's
    raw: dict[str, Any]  # the scenario mapping after `extends` (and --firms)
    scenario: Scenario
    posterior: Posterior | None
    roles: dict[str, str]  # fact -> fit | held_out | other (empty for a scenario)
    weights: dict[str, float] = field(default_factory=dict)  # the calibration's fact weights (else each 1)

    @property
    def fitted(self) -> tuple[str, ...]:
        """The facts the gravity yardstick is fitted to: the calibration's, else domain.md's default."""
        own = tuple(name for name in FACTS if self.roles.get(name) == "fit")
        return own or FIT_DEFAULT

    def weight(self, fact: str) -> float:
        return float(self.weights.get(fact, 1.0))

    def variant(
        self,
        name: str,
        values: dict[str, Any] | None = None,
        *,
        policies: dict[str, Any] | None = None,
        hindcast_only: bool = False,
    ) -> Scenario:
        """The reported scenario with dotted-key values, more lever sections, or ending with the hindcast."""
        sections = self.raw.get("policies") or {}
        if policies is not None:  # lever sections added to the scenario's own (replacing the same lever's)
            sections = {**sections, **json.loads(json.dumps(policies))}
        extra: dict[str, Any] = {} if policies is None else {"policies": sections}
        if hindcast_only:
            end = self.scenario.years.hindcast_end
            extra = {"years.end": end, "years.report_start": None, "policies": _within(sections, end)}
        return variant(self.raw, {**(values or {}), **extra}, self.path, name=name)

    def value(self, key: str) -> float:
        node: Any = self.scenario.model_dump(mode="json")
        for part in key.split("."):
            node = node[part]
        return float(node)


def _within(policies: dict[str, Any], end: int | None) -> dict[str, Any]:
    """The lever sections active by year `end`, each ending by then (the hindcast's runs stop there)."""
    out = {}
    for key, section in policies.items():
        if not isinstance(section, dict) or end is None:
            out[key] = section
            continue
        start, stop = section.get("start_year"), section.get("end_year")
        if isinstance(start, int) and start > end:
            continue  # starts after the hindcast: off in it
        out[key] = {**section, "end_year": end} if isinstance(stop, int) and stop > end else section
    return out


def load_target(path: Path, firms: int | None) -> Target:
    """A scenario file or a calibration result folder; InputError (exit 2, one line) on any problem."""
    path = Path(path)
    if path.is_dir():
        return _calibration_target(path, firms)
    raw = load_raw(path)
    if firms is not None:
        set_path(raw, "firms.count", firms)
    scenario = validate_mapping(raw, path)
    return _checked(Target("scenario", path, scenario.name, raw, scenario, None, {}))


def _calibration_target(folder: Path, firms: int | None) -> Target:
    posterior = load_posterior(folder)
    calibrated = folder / CALIBRATED_FILE
    if not calibrated.is_file():
        raise InputError(folder, "", f"no {CALIBRATED_FILE}", "a folder written by `relocsim calibrate`")
    raw = load_raw(calibrated)
    if firms is not None:
        set_path(raw, "firms.count", firms)
    scenario = validate_mapping(raw, calibrated)
    roles, weights = _roles(folder / RESOLVED_CALIBRATION)
    return _checked(Target("calibration", calibrated, folder.resolve().name, raw, scenario, posterior, roles, weights))


def _roles(path: Path) -> tuple[dict[str, str], dict[str, float]]:
    """Each fact's role in the calibration (fit, held_out or other) and its weights (calibration.resolved.yaml)."""
    if not path.is_file():
        raise InputError(path.parent, "", f"no {path.name}", "a folder written by `relocsim calibrate`")
    doc = read_yaml(path)
    roles = {name: "other" for name in FACTS}
    for role in ("fit", "held_out"):
        names = doc.get(role)
        if not isinstance(names, list) or not all(isinstance(n, str) and n in FACTS for n in names):
            raise InputError(path, role, f"{short(names)} is not a list of facts", ", ".join(FACTS))
        for name in names:
            roles[name] = role
    weights = doc.get("weights") or {}
    if not isinstance(weights, dict) or not all(
        isinstance(v, int | float) and not isinstance(v, bool) and v > 0 for v in weights.values()
    ):
        raise InputError(path, "weights", f"{short(weights)} is not a mapping of fact to weight", "fact: weight > 0")
    return roles, {str(k): float(v) for k, v in weights.items()}


def _checked(target: Target) -> Target:
    years = target.scenario.years
    if years.hindcast_end is None:
        raise InputError(
            target.path, "years.hindcast_end", "the scenario has no hindcast window", "2022 (the article's facts)"
        )
    if years.report_start is None:
        raise InputError(
            target.path, "years.report_start", "the scenario has no report window", "2024 (after the hindcast)"
        )
    world_for(target.scenario, target.path)
    return target


def single_lever_scenarios(folder: Path = SHIPPED_SCENARIOS) -> list[LeverScenario]:
    """Every scenario file in `folder` whose policies turn on exactly one lever, by file name."""
    out = []
    for path in sorted(folder.glob("*.yaml")):
        scenario = load_scenario(path)
        levers = levers_of(scenario)
        if len(levers) != 1:
            continue
        key = levers[0]
        cls = REGISTRY[key]
        section = getattr(scenario.policies, key).model_dump(mode="json")
        out.append(LeverScenario(scenario.name, path, key, cls.label, tuple(sorted(cls.acts_on)), {key: section}))
    return out


def parameter_ranges(target: Target) -> tuple[list[Range], str]:
    """The ranges of the global sensitivity and where they come from (module docstring)."""
    if target.posterior is not None:
        rows = read_rows(target.posterior.folder / PARAMETERS_FILE, RANGE_NEEDED)
        source = f"the posterior's 5-95 % range ({target.posterior.folder.name}/{PARAMETERS_FILE})"
        ranges = [
            Range(r["key"], r["label"], r["unit"], float(r["q05"]), float(r["q95"]), target.value(r["key"]), source)
            for r in rows
        ]
    elif SHIPPED_CALIBRATION.is_file():
        from experiments.design.calibration_file import load_calibration

        loaded = load_calibration(SHIPPED_CALIBRATION)
        source = f"the prior ranges of {SHIPPED_CALIBRATION.relative_to(REPO)}"
        ranges = []
        for key, prior in loaded.calibration.parameters.items():
            info = loaded.info(key)
            ranges.append(Range(key, info.label, info.unit, *prior.range, target.value(key), source))
    else:
        source = f"±{RANGE_FACTOR:.0%} of the scenario's non-zero push and choice coefficients (assumption)"
        ranges = []
        for part in ("push", "choice"):
            for name, value in getattr(target.scenario.behaviour, part).model_dump().items():
                if value:
                    key = f"behaviour.{part}.{name}"
                    lo, hi = sorted((value * (1 - RANGE_FACTOR), value * (1 + RANGE_FACTOR)))
                    info = describe(key)
                    ranges.append(Range(key, info.label, info.unit, lo, hi, float(value), source))
    return [_valid(target, r) for r in ranges], source


def _valid(target: Target, r: Range) -> Range:
    """A range whose both ends make valid scenarios (an end beyond a key's bounds is refused)."""
    if not (math.isfinite(r.low) and math.isfinite(r.high) and r.low < r.high):
        raise InputError(target.path, r.key, f"range {r.low:g} to {r.high:g} from {r.source}", "low < high")
    for end in (r.low, r.high):
        try:
            target.variant("range-check", {r.key: end})
        except InputError as exc:
            raise InputError(
                target.path, r.key, f"{end:g} ({r.source}) makes no valid scenario: {exc.problem}", exc.allowed
            ) from None
    return r
