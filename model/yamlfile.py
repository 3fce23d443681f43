"""Reading one YAML mapping safely (scenario and experiment files) with one-line errors.

PyYAML's SafeLoader is safe against code execution, but not against input
that crashes or floods the reader, so this loader adds, before anything is
constructed:

- nesting at most MAX_DEPTH levels, checked while composing and again after
  aliases are expanded (500 nested brackets exhaust Python's stack otherwise;
  an alias cycle has infinite depth);
- at most MAX_NODES values, counted while composing (so a huge flat list is
  refused before it is all parsed) and again after alias expansion (the
  "billion laughs");
- only JSON-like values: text, numbers, true/false, null, lists, mappings and
  `<<` merge keys. Explicit `!!timestamp`, `!!binary`, `!!set`, `!!omap`,
  `!!pairs`, `!!python/...` and unknown `!tags` are refused. A plain date
  (`description: 2024-01-01`) is read as TEXT: there is no date-valued key,
  and a date object would pass validation and crash whatever writes JSON;
- keys that are printable text of at most MAX_KEY_CHARS characters, each at
  most once per mapping (keys brought in by `<<` may be overridden locally);
- whole numbers of at most MAX_INT_CHARS characters (Python refuses to
  convert a 5,000-digit string, and nothing here needs more than 19 digits).

Syntax errors are reported as problem + line + column only, never with the
snippet of the offending line PyYAML would print, so a message cannot echo
the content of a file that is not a valid scenario.
"""

from __future__ import annotations

import binascii
import re
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from model.errors import InputError, short
from model.files import YAML_FILE, read_text

MAX_NODES = 20_000  # values, also after alias expansion; scenarios/reference.yaml has 269
MAX_DEPTH = 40  # nesting levels; the deepest shipped key (policies.x.places[i]) is 4
MAX_KEY_CHARS = 200  # the longest real keys are dotted factor paths of ~50 characters
MAX_INT_CHARS = 40  # seeds are at most 19 digits (a sign and plain digits only)

_T = "tag:yaml.org,2002:"
STR, INT, FLOAT, BOOL, NULL, SEQ, MAP, MERGE = (
    _T + name for name in ("str", "int", "float", "bool", "null", "seq", "map", "merge")
)
_SCALAR_TAGS = {STR: "text", INT: "a whole number", FLOAT: "a number", BOOL: "true or false", NULL: "null"}
_KEY_WORDS = {SEQ: "a list", MAP: "a mapping", INT: "a number", FLOAT: "a number", BOOL: "true/false", NULL: "null"}
ALLOWED_VALUES = "text, numbers, true/false, null, lists and mappings"


class RefusedError(Exception):
    """A problem found inside the loader, turned into an InputError by `read_yaml`."""

    def __init__(self, key: str, problem: str, allowed: str = "", mark: Any = None) -> None:
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark is not None else ""
        super().__init__(problem + where)
        self.key, self.problem, self.allowed = key, problem + where, allowed


def _tag_name(tag: str) -> str:
    return "!!" + tag.removeprefix(_T) if tag.startswith(_T) else tag


def _child(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


class _Loader(yaml.SafeLoader):
    """SafeLoader with depth, size, tag and key rules (see the module docstring)."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0
        self._nodes = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        if not self.check_event(yaml.AliasEvent):
            self._nodes += 1
            if self._nodes > MAX_NODES:
                mark = self.peek_event().start_mark
                raise RefusedError("", f"more than {MAX_NODES:,} values", f"at most {MAX_NODES:,}", mark)
        return super().compose_node(parent, index)

    def _enter(self) -> None:
        self._depth += 1
        if self._depth > MAX_DEPTH:
            mark = self.peek_event().start_mark
            raise RefusedError("", f"nested more than {MAX_DEPTH} levels deep", f"at most {MAX_DEPTH} levels", mark)

    def compose_sequence_node(self, anchor: Any) -> Any:
        self._enter()
        try:
            return super().compose_sequence_node(anchor)
        finally:
            self._depth -= 1

    def compose_mapping_node(self, anchor: Any) -> Any:
        self._enter()
        try:
            return super().compose_mapping_node(anchor)
        finally:
            self._depth -= 1

    def get_single_node(self) -> Any:
        root = super().get_single_node()
        if root is not None:
            self._check_graph(root)
        return root

    def _check_graph(self, root: Node) -> None:
        """Walk the node graph as it will be expanded, refusing what must not be constructed."""
        stack: list[tuple[Node, str, tuple[int, ...]]] = [(root, "", ())]
        count = 0
        while stack:
            node, path, ancestors = stack.pop()
            count += 1
            if count > MAX_NODES:
                raise RefusedError(
                    "",
                    f"expands to more than {MAX_NODES:,} values through aliases",
                    f"at most {MAX_NODES:,}",
                    node.start_mark,
                )
            if id(node) in ancestors:
                raise RefusedError(path, "refers to itself through an alias", "a value that ends", node.start_mark)
            if len(ancestors) >= MAX_DEPTH:
                raise RefusedError(
                    path, f"nested more than {MAX_DEPTH} levels deep (through aliases?)", "", node.start_mark
                )
            inner = (*ancestors, id(node))
            if isinstance(node, ScalarNode):
                self._check_scalar(node, path)
            elif isinstance(node, SequenceNode):
                self._check_tag(node, SEQ, path)
                stack.extend((item, f"{path}[{i}]", inner) for i, item in enumerate(node.value))
            elif isinstance(node, MappingNode):
                self._check_tag(node, MAP, path)
                stack.extend((value, key, inner) for value, key in self._checked_pairs(node, path))

    @staticmethod
    def _check_tag(node: Node, expected: str, path: str) -> None:
        if node.tag != expected:
            raise RefusedError(
                path or "(top level)",
                f"tag {short(_tag_name(node.tag))} is not allowed",
                ALLOWED_VALUES,
                node.start_mark,
            )

    def _check_scalar(self, node: ScalarNode, path: str) -> None:
        where = path or "(top level)"
        if node.tag not in _SCALAR_TAGS:
            raise RefusedError(
                where, f"tag {short(_tag_name(node.tag))} is not allowed", ALLOWED_VALUES, node.start_mark
            )
        if node.tag == INT and len(node.value) > MAX_INT_CHARS:
            raise RefusedError(
                where, f"a whole number of {len(node.value):,} characters", f"at most {MAX_INT_CHARS}", node.start_mark
            )
        try:  # scalars are constructed (and cached) here, where their key path is known
            self.construct_object(node)
        except yaml.MarkedYAMLError:
            raise
        except (ValueError, TypeError, KeyError, OverflowError, AttributeError, binascii.Error):
            raise RefusedError(
                where, f"{short(node.value)} is not {_SCALAR_TAGS[node.tag]}", _SCALAR_TAGS[node.tag], node.start_mark
            ) from None

    def _checked_pairs(self, node: MappingNode, path: str) -> list[tuple[Node, str]]:
        """(value, key path) of each pair, after the key rules; merged mappings keep the parent path."""
        pairs: list[tuple[Node, str]] = []
        seen: dict[str, int] = {}
        for key_node, value_node in node.value:
            mark = key_node.start_mark
            if isinstance(key_node, ScalarNode) and key_node.tag == MERGE:
                if "<<" in seen:
                    raise RefusedError(path or "(top level)", "duplicate merge key '<<'", "one '<<' per mapping", mark)
                seen["<<"] = mark.line
                pairs.append((value_node, path))
                continue
            if not isinstance(key_node, ScalarNode) or key_node.tag != STR:
                raise RefusedError(
                    path or "(top level)",
                    f"{_KEY_WORDS.get(key_node.tag, 'a ' + short(_tag_name(key_node.tag)) + ' value')} used as a key;"
                    " keys must be text",
                    "text keys (quote numbers, dates and null: '2024')",
                    mark,
                )
            key = key_node.value
            if len(key) > MAX_KEY_CHARS:
                raise RefusedError(
                    path or "(top level)", f"a key of {len(key):,} characters", f"at most {MAX_KEY_CHARS}", mark
                )
            if not key.isprintable():
                raise RefusedError(
                    path or "(top level)", f"key {short(key)} has control characters", "printable text", mark
                )
            if key in seen:
                raise RefusedError(
                    _child(path, key),
                    f"duplicate key {short(key)} (first at line {seen[key] + 1})",
                    "each key once",
                    mark,
                )
            seen[key] = mark.line
            pairs.append((value_node, _child(path, key)))
        return pairs


# PyYAML follows YAML 1.1, where `3e9` or `1.5e9` are strings; analysts write
# budgets that way, so floats follow the YAML 1.2 core schema here. Plain
# dates and `=` are text (see the module docstring). Numbers are plain decimal:
# YAML 1.1 would also read `1_000` as 1000, `0x10` as 16 and `1:30` as 90, so a
# typo could pass as a number; here they are text, which the schema refuses.
_Loader.yaml_implicit_resolvers = {
    key: [(tag, rx) for tag, rx in resolvers if tag not in (INT, FLOAT, _T + "timestamp", _T + "value")]
    for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(INT, re.compile(r"^[-+]?[0-9]+$"), list("-+0123456789"))
_Loader.add_implicit_resolver(
    FLOAT,
    re.compile(
        r"""^(?:[-+]?[0-9]+\.[0-9]*(?:[eE][-+]?[0-9]+)?
        |[-+]?[0-9]+(?:[eE][-+]?[0-9]+)
        |[-+]?\.[0-9]+(?:[eE][-+]?[0-9]+)?
        |[-+]?\.(?:inf|Inf|INF)
        |\.(?:nan|NaN|NAN))$""",
        re.VERBOSE,
    ),
    list("-+0123456789."),
)


def _syntax_problem(exc: yaml.YAMLError, text: str) -> str:
    """Problem, context and position of a PyYAML error, without its snippet of the file."""
    if isinstance(exc, yaml.reader.ReaderError):
        line = text.count("\n", 0, exc.position) + 1
        column = exc.position - (text.rfind("\n", 0, exc.position) + 1) + 1
        return f"character U+{exc.character:04X} is not allowed (line {line}, column {column})"
    if isinstance(exc, yaml.MarkedYAMLError):
        words = ", ".join(w for w in (exc.context, exc.problem) if w)
        mark = exc.problem_mark or exc.context_mark
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark is not None else ""
        words = words if len(words) <= 160 else words[:157] + "..."
        return f"{words}{where}"
    return type(exc).__name__


def parse_yaml(text: str, path: str | Path) -> Any:
    """The one document in `text` as plain Python data; every problem is an InputError on `path`."""
    try:
        loader = _Loader(text)
    except yaml.YAMLError as exc:  # the reader checks every character up front
        raise InputError(path, "", f"not valid YAML: {_syntax_problem(exc, text)}") from None
    try:
        return loader.get_single_data()
    except RefusedError as exc:
        raise InputError(path, exc.key, exc.problem, exc.allowed) from None
    except yaml.YAMLError as exc:
        raise InputError(path, "", f"not valid YAML: {_syntax_problem(exc, text)}") from None
    except (ValueError, TypeError, KeyError, OverflowError, AttributeError, RecursionError, binascii.Error) as exc:
        # Every scalar was constructed in _check_graph; this is a safety net, not a path we expect.
        raise InputError(path, "", f"a value cannot be read ({type(exc).__name__})", ALLOWED_VALUES) from None
    finally:
        loader.dispose()


def read_yaml(path: str | Path) -> dict[str, Any]:
    """Read one YAML mapping from a regular .yaml/.yml file, with errors as InputError."""
    data = parse_yaml(read_text(path, YAML_FILE), path)
    if data is None:
        raise InputError(path, "", "file has no content (empty, or only comments)", "a mapping of keys")
    if not isinstance(data, dict):
        raise InputError(path, "", f"top level is {_kind(data)}", "a mapping of keys")
    return data


def _kind(value: object) -> str:
    return {list: "a list", str: "text", int: "a number", float: "a number", bool: "true/false"}.get(
        type(value), type(value).__name__
    )
