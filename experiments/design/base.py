"""What experiment and calibration files share: a base scenario, a seed, replications, firms, dotted-key factors.

`sweep`/`sensitivity` experiment files and `calibrate` files both name a base
scenario (relative to the file) and vary it by dotted key paths; both take
`--replications`, `--seed` and `--firms` from the command line over the
file's values. `read_base_file` reads and validates such a file and its base
scenario once, and `LoadedFile.variant` makes every scenario the command
runs from the base and a set of dotted values (model.scenario.variant).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field, ValidationError

from model.config import Frozen, Name, Scenario
from model.errors import InputError, short
from model.keys import KeyInfo, describe
from model.limits import MAX_FIRMS, MAX_REPLICATIONS
from model.scenario import load_raw, read_yaml, refuse_foreign, to_input_error, variant

COMMAND_LINE = ("replications", "seed", "firms")  # flags that override the file's key of the same name


def overrides_from(args: Any) -> dict[str, Any]:
    """--replications, --seed, --firms as scenario overrides."""
    out: dict[str, Any] = {}
    if getattr(args, "replications", None) is not None:
        out["replications"] = args.replications
    if getattr(args, "seed", None) is not None:
        out["seed"] = args.seed
    if getattr(args, "firms", None) is not None:
        out["firms.count"] = args.firms
    return out


class BaseFile(Frozen):
    """The keys every file with a base scenario has (subclasses add theirs, and may change a default)."""

    name: Name
    description: str = ""
    base: Annotated[str, Field(min_length=1, max_length=4096)]
    seed: Annotated[int, Field(ge=0, lt=2**63)] | None = None
    replications: Annotated[int, Field(ge=1, le=MAX_REPLICATIONS)] = 1
    firms: Annotated[int, Field(ge=1, le=MAX_FIRMS)] | None = None


class LoadedFile[F: BaseFile]:
    """A validated file (`spec`), where it is, and its base scenario as a merged mapping."""

    def __init__(self, spec: F, path: Path, base_path: Path, base_raw: dict[str, Any]) -> None:
        self.spec = spec
        self.path = path
        self.base_path = base_path
        self.base_raw = base_raw

    def variant(self, values: Mapping[str, Any], name: str) -> Scenario:
        """The base scenario named `name`, with the file's firm count and these dotted values (validated)."""
        firms = {} if self.spec.firms is None else {"firms.count": self.spec.firms}
        return variant(self.base_raw, {**firms, **values}, self.path, name=name)


def key_info(key: str, label: str | None, unit: str | None) -> KeyInfo:
    """A varied key's label and unit: the file's, else the schema's, else from the key path."""
    info = describe(key)
    return KeyInfo(label or info.label, unit if unit is not None else info.unit)


def read_base_file[F: BaseFile](path: Path, args: Any, spec_class: type[F]) -> tuple[F, Path, dict[str, Any]]:
    """The file validated as `spec_class` with the command line's overrides, its base's path and merged mapping."""
    raw = read_yaml(path)
    refuse_foreign(raw, path, spec_class, f"{spec_class.__name__.removesuffix('File').lower()}")
    for flag in COMMAND_LINE:
        value = getattr(args, flag, None) if args is not None else None
        if value is not None:
            raw[flag] = value
    try:
        spec = spec_class.model_validate_json(json.dumps(raw), strict=True)
    except ValidationError as exc:
        raise to_input_error(exc, path, spec_class) from None
    base_path = path.resolve().parent / spec.base
    try:
        base_raw = load_raw(base_path)
    except InputError as exc:
        if exc.file == str(base_path) and not exc.key:
            raise InputError(path, "base", f"{short(spec.base)}: {exc.problem}", "a scenario file") from None
        raise
    return spec, base_path, base_raw
