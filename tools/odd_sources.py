"""The parameters of docs/ODD.md's table, read from the places the project keeps them.

- Which keys, their defaults and allowed ranges: the pydantic schema (`model.config.Scenario`),
  every numeric field with a default under `firms`, `world`, `behaviour` and `policies`
  (lever windows, id lists, data files and run settings are not parameters). A default is
  the value in the default scenario; inside a section that is off by default (a lever,
  `world.outside.rise`) it is the field's own default, the value the section takes when on.
- Labels and units: `model.keys.describe`.
- What a key means and where its default comes from: the key's comment in
  `scenarios/reference.yaml` (`<meaning>; default <value> (<source>)<more>`), the one
  place the project states the source of every default.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from model.config import Scenario
from model.keys import describe
from model.scenario import model_in

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = ROOT / "scenarios" / "reference.yaml"
SECTIONS = ("firms", "world", "behaviour", "policies")
NOT_STATED = "not stated"

# `  key: value   # comment`; the value never holds a '#' in reference.yaml (quoted strings aside).
_KEY_LINE = re.compile(r'^(?P<indent> *)(?P<key>[A-Za-z_][A-Za-z0-9_]*):(?:"[^"]*"|[^#"])*#\s?(?P<comment>.*)$')
_DEFAULT = re.compile(r"(?:^|;\s*)default\s+(?P<value>[^\s;(]+)")


@dataclass(frozen=True)
class Note:
    """A key's comment in reference.yaml, split at `default <value>`."""

    meaning: str  # the text before "default" and any text after the source
    default_text: str  # the value the comment states
    source: str  # the parenthesis after the value ("" when there is none)


@dataclass(frozen=True)
class Parameter:
    key: str
    label: str
    unit: str
    default: float
    low: float | None
    high: float | None
    low_open: bool
    high_open: bool
    meaning: str
    source: str  # NOT_STATED when reference.yaml gives none

    @property
    def section(self) -> str:
        return self.key.split(".")[0]

    @property
    def basis(self) -> str:
        """assumption | calibrated | reference | not stated: the first word of the source decides."""
        text = self.source.lower()
        if self.source == NOT_STATED:
            return NOT_STATED
        for word in ("assumption", "calibrated"):
            if text.startswith(word):
                return word
        return "reference"


def _leaves(cls: type[BaseModel], prefix: str = "") -> Iterator[tuple[str, FieldInfo]]:
    for name, field in cls.model_fields.items():
        sub = model_in(field.annotation)
        if sub is not None:
            yield from _leaves(sub, f"{prefix}{name}.")
        else:
            yield f"{prefix}{name}", field


def is_parameter(key: str, field: FieldInfo) -> bool:
    """A number with a default (not optional, not required) in one of the sections."""
    return key.split(".")[0] in SECTIONS and field.annotation in (int, float) and not field.is_required()


def parameter_fields() -> list[tuple[str, FieldInfo]]:
    """(dotted key, field) of every parameter, in schema order."""
    return [(key, field) for key, field in _leaves(Scenario) if is_parameter(key, field)]


def schema_default(key: str, field: FieldInfo, defaults: dict[str, Any]) -> float:
    """The default scenario's value; the field's own default inside a section that is off by default."""
    node: Any = defaults
    for part in key.split("."):
        if not isinstance(node, dict) or node.get(part) is None:
            return float(field.default)
        node = node[part]
    return float(node)


_BOUND_NAMES = (("ge", True, False), ("gt", True, True), ("le", False, False), ("lt", False, True))


def _bounds(field: FieldInfo) -> tuple[float | None, float | None, bool, bool]:
    low = high = None
    low_open = high_open = False
    for meta in field.metadata:
        for name, is_low, is_open in _BOUND_NAMES:
            value = getattr(meta, name, None)
            if value is None:
                continue
            if is_low:
                low, low_open = float(value), is_open
            else:
                high, high_open = float(value), is_open
    return low, high, low_open, high_open


def _split_source(rest: str) -> tuple[str, str]:
    """'(source) more' -> ('source', 'more'): the balanced parenthesis at the start of `rest`."""
    text = rest.lstrip()
    if not text.startswith("("):
        return "", text
    depth = 0
    for i, char in enumerate(text):
        depth += {"(": 1, ")": -1}.get(char, 0)
        if depth == 0:
            return text[1:i].strip(), text[i + 1 :].strip()
    return text[1:].strip(), ""


def parse_note(comment: str) -> Note | None:
    """A comment's meaning, stated default and source; None if it states no default."""
    match = _DEFAULT.search(comment)
    if match is None:
        return None
    before = comment[: match.start()].strip().rstrip(";,").strip()
    source, after = _split_source(comment[match.end() :])
    after = after.lstrip(";,").strip()
    meaning = "; ".join(part for part in (before, after) if part)
    return Note(meaning, match.group("value"), source)


def reference_notes(path: Path = REFERENCE) -> dict[str, Note]:
    """Dotted key -> Note, for every key line of reference.yaml whose comment states a default."""
    notes: dict[str, Note] = {}
    stack: list[tuple[int, str]] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        match = _KEY_LINE.match(line)
        if match is None:
            continue
        indent = len(match.group("indent"))
        while stack and stack[-1][0] >= indent:
            stack.pop()
        stack.append((indent, match.group("key")))
        note = parse_note(match.group("comment"))
        if note is not None:
            notes[".".join(key for _, key in stack)] = note
    return notes


def parameters(reference: Path = REFERENCE) -> list[Parameter]:
    """Every parameter with its default, range, label, unit, meaning and source."""
    defaults = Scenario(name="defaults").model_dump(mode="json")
    notes = reference_notes(reference)
    out = []
    for key, field in parameter_fields():
        info = describe(key)
        note = notes.get(key)
        low, high, low_open, high_open = _bounds(field)
        out.append(
            Parameter(
                key=key,
                label=info.label,
                unit=info.unit,
                default=schema_default(key, field, defaults),
                low=low,
                high=high,
                low_open=low_open,
                high_open=high_open,
                meaning=note.meaning if note else "",
                source=(note.source or NOT_STATED) if note else NOT_STATED,
            )
        )
    return out
