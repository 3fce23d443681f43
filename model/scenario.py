"""Reading scenario YAML: safe loading, `extends`, and one-line error messages.

The YAML is read by `model.yamlfile.read_yaml` (regular .yaml/.yml files
only, a safe loader with depth, size, tag and key rules), merged with its
parents key by key, and validated into the frozen `Scenario` before anything
else is built. Every path a scenario names (`extends`, `world.data.*`) is
checked here, so its errors name the scenario file and the key.
"""

from __future__ import annotations

import copy
import difflib
import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from model.config import DataFiles, Scenario
from model.errors import InputError, short
from model.files import DATA_FILE, YAML_FILE, check_input_file, resolve_path
from model.keys import model_in as model_in  # re-exported: the schema walkers of tools/ and tests
from model.yamlfile import read_yaml as read_yaml  # re-exported: experiment files are read with it too

MAX_EXTENDS_DEPTH = 10


def _merge(parent: dict[str, Any], child: dict[str, Any]) -> dict[str, Any]:
    """Child overrides parent key by key, recursing into mappings."""
    out = dict(parent)
    for key, value in child.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def _absolutise_data_paths(data: dict[str, Any], base: Path, file: Path) -> None:
    """Make `world.data.*` paths absolute relative to the file that names them, and check each is a data file.

    Checked here rather than when the world is built, so that `validate`
    refuses a directory, FIFO or missing file naming the scenario and its key.
    """
    files = data.get("world", {}).get("data") if isinstance(data.get("world"), dict) else None
    if isinstance(files, dict):
        for key, value in files.items():
            if key in DataFiles.model_fields and isinstance(value, str) and value:
                where = f"world.data.{key}"
                check_input_file(base / value, DATA_FILE, named_in=file, key=where)
                files[key] = str(resolve_path(base / value, DATA_FILE, named_in=file, key=where))


def load_raw(path: str | Path, _depth: int = 0, _chain: tuple[Path, ...] = ()) -> dict[str, Any]:
    """The scenario mapping after `extends` is followed and merged."""
    path = Path(path)
    check_input_file(path, YAML_FILE)
    resolved = resolve_path(path, YAML_FILE)
    if resolved in _chain:
        raise InputError(path, "extends", "cycle in extends chain", "a chain that ends")
    if _depth > MAX_EXTENDS_DEPTH:
        raise InputError(path, "extends", "extends chain too deep", f"at most {MAX_EXTENDS_DEPTH}")
    data = read_yaml(path)
    refuse_foreign(data, path, Scenario, "scenario")
    _absolutise_data_paths(data, resolved.parent, path)
    parent_ref = data.pop("extends", None)
    if parent_ref is None:
        return data
    if not isinstance(parent_ref, str) or not parent_ref:
        raise InputError(
            path, "extends", f"{short(parent_ref)} is not a path", "a .yaml file path, relative to this file"
        )
    parent_path = resolved.parent / parent_ref
    check_input_file(parent_path, YAML_FILE, named_in=path, key="extends")
    parent = load_raw(parent_path, _depth + 1, (*_chain, resolved))
    # Check the parent on its own first, so that its mistakes are reported against its file.
    validate_mapping({"name": "parent", **parent}, parent_path)
    parent.pop("name", None)
    parent.pop("description", None)
    return _merge(parent, data)


def refuse_foreign(
    data: Mapping[Any, Any], path: str | Path, schema: type[BaseModel], what: str, extra: tuple[str, ...] = ()
) -> None:
    """Refuse a mapping with top-level keys `schema` does not have, echoing none of them (DESIGN §5).

    A file that is not a scenario (or experiment, or calibration) file, such as
    someone's secrets behind `extends: x.yaml`, is told apart by its keys before
    any of its values could reach a message; only a near miss of one allowed key
    (a typo) is named, by the allowed key it resembles.
    """
    allowed = (*schema.model_fields, *extra)
    unknown = [k for k in data if not (isinstance(k, str) and k in allowed)]
    if not unknown:
        return
    near = difflib.get_close_matches(unknown[0], allowed, n=1, cutoff=0.75) if isinstance(unknown[0], str) else []
    if len(unknown) == 1 and near:
        problem = f"a top-level key is not a {what} key (did you mean {near[0]!r}?)"
    else:
        article = "an" if what[:1] in "aeiou" else "a"
        problem = f"not {article} {what} file: {len(unknown)} of its {len(data)} top-level keys are not {what} keys"
    raise InputError(path, "", problem, ", ".join(allowed))


def load_scenario(path: str | Path, overrides: dict[str, Any] | None = None) -> Scenario:
    """Read, merge and validate a scenario file; overrides are dotted key paths."""
    return variant(load_raw(Path(path)), overrides or {}, path)


def variant(
    base: Scenario | Mapping[str, Any],
    values: Mapping[str, Any],
    source: str | Path | None,
    *,
    name: str | None = None,
    drop: Iterable[str] = (),
) -> Scenario:
    """A base scenario with dotted-key values set, validated: the one way every command makes a variant.

    `base` is a merged mapping (as `load_raw` reads it; it is copied, never
    changed) or a validated Scenario; `drop` removes dotted keys (a lever
    switched off) before the values are set; `name` renames the variant. An
    error names `source`, the file the values came from.
    """
    data = base.model_dump(mode="json") if isinstance(base, Scenario) else copy.deepcopy(dict(base))
    if name is not None:
        data["name"] = name
    for dotted in drop:
        *head, last = dotted.split(".")
        node: Any = data
        for key in head:
            node = node.get(key) if isinstance(node, dict) else None
        if isinstance(node, dict):
            node.pop(last, None)
    for dotted, value in values.items():
        set_path(data, dotted, value)
    return validate_mapping(data, source)


def set_path(data: dict[str, Any], dotted: str, value: Any) -> None:
    """Set `a.b.c` in nested mappings, creating levels as needed."""
    keys = dotted.split(".")
    node = data
    for key in keys[:-1]:
        child = node.get(key)
        if not isinstance(child, dict):
            child = {}
            node[key] = child
        node = child
    node[keys[-1]] = value


def validate_mapping(data: dict[str, Any], path: str | Path | None) -> Scenario:
    """Validate a merged mapping; the first problem becomes an InputError.

    The data files it names are checked too (regular .csv files), because a
    mapping may come from keyword arguments or overrides rather than a file
    that `load_raw` read.
    """
    try:
        payload = json.dumps(data, default=str, allow_nan=True)
    except (ValueError, TypeError, RecursionError) as exc:  # a 5,000-digit int, a cycle: from Python callers
        raise InputError(path, "", f"values cannot be validated ({type(exc).__name__})", "JSON-like values") from None
    try:
        scenario = Scenario.model_validate_json(payload, strict=True)
    except ValidationError as exc:
        raise to_input_error(exc, path) from None
    for key in DataFiles.model_fields:
        value = getattr(scenario.world.data, key)
        if value:
            check_input_file(value, DATA_FILE, named_in=path, key=f"world.data.{key}")
    return scenario


def _key_path(loc: tuple[Any, ...]) -> str:
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += ("." if text else "") + str(part)
    return text


def _model_at(loc: tuple[Any, ...], root: type[BaseModel] = Scenario) -> type[BaseModel] | None:
    """The schema class that holds the key at loc[-1], for listing allowed keys."""
    cls: type[BaseModel] = root
    for part in loc[:-1]:
        if isinstance(part, int):
            continue
        field = cls.model_fields.get(str(part))
        if field is None:
            return None
        sub = model_in(field.annotation)
        if sub is None:
            return None
        cls = sub
    return cls


_TYPE_WORDS = {
    "int_type": "a whole number",
    "int_from_float": "a whole number",
    "float_type": "a number",
    "finite_number": "a finite number",
    "string_type": "a text string",
    "bool_type": "true or false",
    "tuple_type": "a list",
    "list_type": "a list",
    "model_type": "a mapping of keys",
    "model_attributes_type": "a mapping of keys",
    "dict_type": "a mapping of keys",
    "none_required": "null",
}


def to_input_error(exc: ValidationError, path: str | Path | None, root: type[BaseModel] = Scenario) -> InputError:
    err = exc.errors()[0]
    loc = tuple(err["loc"])
    key = _key_path(loc) or "(top level)"
    kind = err["type"]
    value = err.get("input")
    ctx = err.get("ctx") or {}
    if kind == "extra_forbidden":
        cls = _model_at(loc, root)
        allowed = ", ".join(cls.model_fields) if cls else ""
        return InputError(path, key, "unknown key", allowed)
    if kind == "missing":
        return InputError(path, key, "required key is missing")
    bounds = [f"{word} {ctx[k]}" for k, word in (("ge", "≥"), ("gt", ">"), ("le", "≤"), ("lt", "<")) if k in ctx]
    if bounds:
        return InputError(path, key, f"{short(value)} is out of range", " and ".join(bounds))
    if kind == "string_pattern_mismatch":
        return InputError(path, key, f"{short(value)} is not allowed", "letters, digits, '_' and '-' (1-64 characters)")
    if kind in _TYPE_WORDS:
        return InputError(path, key, f"{short(value)} has the wrong type", _TYPE_WORDS[kind])
    message = err.get("msg", "invalid value").removeprefix("Value error, ")
    return InputError(path, key, f"{short(value)}: {message}")


def dump_resolved(scenario: Scenario) -> str:
    """The full scenario after extends and defaults, as YAML."""
    data = scenario.model_dump(mode="json", exclude={"extends"})
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
