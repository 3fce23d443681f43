"""The YAML loader and the file checks in isolation: every refusal is one InputError line, every accepted input loads.

model/yamlfile.py and model/files.py state the rules; each test here is one
rule, so a failure names the rule that broke.
"""

from __future__ import annotations

import errno
import json
import os
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

from model.errors import InputError
from model.files import DATA_FILE, YAML_FILE, check_input_file, read_text
from model.scenario import load_raw, load_scenario
from model.yamlfile import MAX_DEPTH, read_yaml
from tests.conftest import HANG_GUARD_S


@pytest.fixture(autouse=True)
def _no_hang() -> Iterator[None]:
    """A FIFO opened by mistake would block forever: a hang guard (minutes, so a loaded machine passes)."""

    def _timeout(_signum: int, _frame: object) -> None:
        raise TimeoutError("the loader blocked")

    old = signal.signal(signal.SIGALRM, _timeout)
    signal.alarm(int(HANG_GUARD_S))
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, old)


def _refused(path: Path, *fragments: str) -> str:
    with pytest.raises(InputError) as info:
        read_yaml(path)
    line = info.value.message
    assert "\n" not in line and "\r" not in line, line
    assert str(path) in line, line
    for fragment in fragments:
        assert fragment.lower() in line.lower(), f"{fragment!r} not in {line!r}"
    return line


def _file(tmp_path: Path, text: str | bytes, name: str = "s.yaml") -> Path:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


REFUSED = {
    # tags with bad values: problem, key path, line and column
    "int-tag": ("seed: !!int abc\n", ("seed", "'abc' is not a whole number", "line 1, column 7")),
    "float-tag": ("seed: !!float xyz\n", ("seed", "'xyz' is not a number", "line 1")),
    "bool-tag": ("seed: !!bool maybe\n", ("seed", "'maybe' is not true or false", "line 1")),
    "int-tag-on-list": ("seed: !!int [1]\n", ("seed", "!!int", "not allowed")),
    "str-tag-on-map": ("a: !!str {b: 1}\n", ("a", "!!str", "not allowed")),
    "timestamp-tag": ("seed: !!timestamp nope\n", ("seed", "!!timestamp", "not allowed")),
    "timestamp-tag-valid-date": ("description: !!timestamp 2024-01-01\n", ("description", "!!timestamp")),
    "binary-tag": ("seed: !!binary '@@@'\n", ("seed", "!!binary", "not allowed")),
    "binary-tag-valid": ("description: !!binary aGVsbG8=\n", ("description", "!!binary")),
    "set-tag": ("description: !!set {a, b}\n", ("description", "!!set")),
    "omap-tag": ("description: !!omap [a: 1]\n", ("description", "!!omap")),
    "unknown-tag": ("seed: !foo 1\n", ("seed", "!foo", "not allowed")),
    "python-tag": ("seed: !!python/name:os.system\n", ("seed", "!!python/name:os.system")),
    "python-object": ("seed: !!python/object/apply:os.system [ls]\n", ("seed", "python/object")),
    "nested-tag-path": ("policies: {talent: {places: [a, !!binary aGk=]}}\n", ("policies.talent.places[1]",)),
    # keys that are not text
    "list-key": ("? [a, b]\n: 1\n", ("a list used as a key", "keys must be text", "line 1")),
    "map-key": ("? {a: 1}\n: 1\n", ("a mapping used as a key", "keys must be text")),
    "number-key": ("years: {2023: 1}\n", ("years", "a number used as a key", "keys must be text")),
    "null-key": ("~: 1\n", ("null used as a key",)),
    "bool-key": ("true: 1\n", ("true/false used as a key",)),
    "binary-key": ("!!binary aGk=: 1\n", ("!!binary", "used as a key")),
    "nested-list-key": ("policies: {talent: {? [x] : 1}}\n", ("policies.talent", "keys must be text")),
    "control-char-key": ('"\\e[31mred": 1\n', ("control characters", "\\x1b")),
    "very-long-key": ("k" * 500 + ": 1\n", ("a key of 500 characters", "at most 200")),
    # numbers
    "5000-digit-int": ("seed: " + "9" * 5000 + "\n", ("seed", "5,000 characters", "at most 40")),
    "5000-digit-negative-int": ("seed: -" + "9" * 5000 + "\n", ("seed", "characters")),
    # nesting and aliases
    "500-brackets": ("seed: " + "[" * 500 + "]" * 500 + "\n", (f"nested more than {MAX_DEPTH} levels", "line 1")),
    "500-maps": ("a: " + "{a: " * 500 + "1" + "}" * 500 + "\n", ("nested more than",)),
    "block-nesting": ("".join(" " * i + "a:\n" for i in range(60)) + " " * 60 + "a: 1\n", ("nested more than",)),
    "alias-chain-depth": (
        "a0: &a0 [1]\n" + "".join(f"a{i}: &a{i} [*a{i - 1}]\n" for i in range(1, 60)),
        ("nested more than", "through aliases"),
    ),
    "wide-list": ("seed: [" + ",".join(["1"] * 25_000) + "]\n", ("more than 20,000 values", "line 1")),
    "many-keys": ("".join(f"k{i}: 1\n" for i in range(12_000)), ("more than 20,000 values",)),
    "alias-bomb": (
        "a0: &a0 ["
        + ",".join(["1"] * 10)
        + "]\n"
        + "".join(f"a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * 10) + "]\n" for i in range(1, 9)),
        ("expands to more than 20,000 values through aliases",),
    ),
    "self-alias": ("loop: &loop [*loop]\n", ("loop", "refers to itself")),
    "self-alias-map": ("loop: &loop {a: *loop}\n", ("loop.a", "refers to itself")),
    "undefined-alias": ("a: *nothing\n", ("not valid yaml", "undefined alias", "line 1")),
    # duplicates and merges
    "duplicate-key": ("seed: 1\nseed: 2\n", ("seed", "duplicate key", "first at line 1", "line 2")),
    "duplicate-key-after-merge": ("a: &d {x: 1}\nb: {<<: *d, y: 1, y: 2}\n", ("b.y", "duplicate")),
    "duplicate-merge-key": ("a: &d {x: 1}\nb: {<<: *d, <<: *d}\n", ("b", "duplicate merge key")),
    "merge-of-scalar": ("a: {<<: 5}\n", ("merging", "line 1")),
    # syntax and text
    "tab-indent": ("years:\n\tstart: 2023\n", ("not valid yaml", "line 2, column 1")),
    "two-documents": ("name: x\n---\nname: y\n", ("single document", "line 2")),
    "unclosed-flow": ("years: {start: 2023\n", ("not valid yaml", "line")),
    "raw-control-char": ("description: a\x01b\n", ("U+0001", "line 1, column 15")),
    "raw-escape-char": ("description: \x1b[31m\n", ("U+001B",)),
    "nul-byte": (b"name: x\x00\n", ("NUL",)),
    "not-utf8": (b"name: x\ndescription: caf\xe9\n", ("line 2", "not utf-8")),
    "utf16": ("name: x\n".encode("utf-16"), ("not utf-8",)),
    # top level
    "empty-file": ("", ("no content",)),
    "only-comment": ("# nothing here\n", ("no content",)),
    "only-document-marker": ("---\n...\n", ("no content",)),
    "top-level-list": ("- a\n- b\n", ("top level is a list", "mapping")),
    "top-level-text": ("hello\n", ("top level is text",)),
    "top-level-number": ("42\n", ("top level is a number",)),
    # size
    "too-large": ("name: x\n" + "# " + "p" * 1_000_000 + "\n", ("bytes", "at most 256,000")),
}


@pytest.mark.parametrize("case", list(REFUSED), ids=list(REFUSED))
def test_refused_with_one_line(case: str, tmp_path: Path) -> None:
    text, fragments = REFUSED[case]
    _refused(_file(tmp_path, text), *fragments)


def test_syntax_errors_never_echo_the_file(tmp_path: Path) -> None:
    """PyYAML prints the offending line under its messages; ours are problem + line + column only."""
    secret = "root:$6$SECRETHASH:19000:0:99999:7:::"
    for text in (f"{secret}\nbin: x: y\n", f"a: b\n{secret}: [\n", f"'{secret}\n", f"{secret}\n\t- x\n"):
        line = _refused(_file(tmp_path, text), "line")
        assert "SECRETHASH" not in line, line


def test_messages_escape_control_characters(tmp_path: Path) -> None:
    line = _refused(_file(tmp_path, 'name: x\n"a\\u0007\\u009bb": 1\n'))
    assert line.isprintable(), line


def test_dates_are_text(tmp_path: Path) -> None:
    data = read_yaml(_file(tmp_path, "d: 2024-01-01\nt: 2001-12-14 21:59:43.10 -5\ne: =\n"))
    assert data == {"d": "2024-01-01", "t": "2001-12-14 21:59:43.10 -5", "e": "="}


def test_a_date_description_is_a_valid_scenario(tmp_path: Path) -> None:
    scenario = load_scenario(_file(tmp_path, "name: x\ndescription: 2024-01-01\n"))
    assert scenario.description == "2024-01-01"


def test_numbers_follow_yaml_1_2_in_plain_decimal(tmp_path: Path) -> None:
    """Floats as in YAML 1.2 (`3e9` is a number); numbers in plain decimal only: YAML 1.1's `0x1F`, `1_000`,
    `1:30` and `0o17` are text, so a scenario key that needs a number refuses them instead of reading 31."""
    text = "a: 3e9\nb: 1.5e9\nc: .inf\nd: 1e400\ne: 0x1F\nf: 1_000\ng: !!int '7'\nh: !!str 5\ni: 1:30\nj: -12\n"
    data = read_yaml(_file(tmp_path, text))
    assert data["a"] == 3e9 and data["b"] == 1.5e9
    assert data["c"] == data["d"] == float("inf")
    assert (data["e"], data["f"], data["g"], data["h"], data["i"], data["j"]) == ("0x1F", "1_000", 7, "5", "1:30", -12)
    assert read_yaml(_file(tmp_path, "k: 1_0.5\nl: .5\nm: -.5e1\n")) == {"k": "1_0.5", "l": 0.5, "m": -5.0}


def test_merge_keys_work_and_local_keys_win(tmp_path: Path) -> None:
    text = "a: &d {x: 1, y: 2}\nb: {<<: *d, y: 3}\nc:\n  <<: [*d, {z: 9}]\n  x: 0\n"
    assert read_yaml(_file(tmp_path, text)) == {
        "a": {"x": 1, "y": 2},
        "b": {"x": 1, "y": 3},
        "c": {"x": 0, "y": 2, "z": 9},
    }


def test_merge_keys_in_a_scenario(tmp_path: Path) -> None:
    path = _file(
        tmp_path,
        "name: merged\nyears: {start: 2023, end: 2040}\npolicies:\n"
        "  talent: &window {start_year: 2025, end_year: 2030}\n"
        "  infrastructure: {<<: *window, end_year: 2032}\n",
    )
    scenario = load_scenario(path)
    assert scenario.policies.infrastructure is not None
    assert (scenario.policies.infrastructure.start_year, scenario.policies.infrastructure.end_year) == (2025, 2032)


def test_bom_and_crlf_are_accepted(tmp_path: Path) -> None:
    assert read_yaml(_file(tmp_path, b"\xef\xbb\xbfname: x\r\nseed: 1\r\n")) == {"name": "x", "seed": 1}


def test_shallow_nesting_and_a_long_description_load(tmp_path: Path) -> None:
    nested = "a: " + "[" * (MAX_DEPTH - 1) + "]" * (MAX_DEPTH - 1) + "\n"
    assert "a" in read_yaml(_file(tmp_path, nested))
    scenario = load_scenario(_file(tmp_path, "name: x\ndescription: '" + "d" * 200_000 + "'\n", "long.yaml"))
    assert len(scenario.description) == 200_000


# --- the file checks ---------------------------------------------------------


def _check_refused(path: str | Path, *fragments: str, kind: object = YAML_FILE) -> str:
    with pytest.raises(InputError) as info:
        check_input_file(path, kind)  # type: ignore[arg-type]
    line = info.value.message
    assert "\n" not in line
    for fragment in fragments:
        assert fragment.lower() in line.lower(), f"{fragment!r} not in {line!r}"
    return line


def test_directory_fifo_device_refused_without_opening(tmp_path: Path) -> None:
    (tmp_path / "dir.yaml").mkdir()
    os.mkfifo(tmp_path / "pipe.yaml")
    _check_refused(tmp_path / "dir.yaml", "is a directory", "regular")
    _check_refused(tmp_path, "is a directory")
    _check_refused(tmp_path / "pipe.yaml", "FIFO")
    _check_refused("/dev/zero", "character device")
    _check_refused("/dev/null", "character device")
    with pytest.raises(InputError, match="FIFO"):
        read_text(tmp_path / "pipe.yaml")


def test_path_problems(tmp_path: Path) -> None:
    (tmp_path / "loop1.yaml").symlink_to(tmp_path / "loop2.yaml")
    (tmp_path / "loop2.yaml").symlink_to(tmp_path / "loop1.yaml")
    _check_refused(tmp_path / "loop1.yaml", "symbolic link loop")
    _check_refused(tmp_path / "nothing.yaml", "not found")
    _check_refused(tmp_path / ("a" * 300 + ".yaml"), "path too long")
    _check_refused("x" * 5000 + ".yaml", "5005 characters", "at most 4096")
    _check_refused(f"{tmp_path}/a\x00b.yaml", "NUL")
    _check_refused("", "empty path")
    (tmp_path / "file.txt").write_text("x")
    _check_refused(tmp_path / "file.txt" / "below.yaml", "not found")


def test_permission_denied(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Simulated, because the tests may run as root, who may read anything."""
    path = _file(tmp_path, "name: x\n")

    def _denied(*_args: object, **_kwargs: object) -> int:
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(os, "open", _denied)
    with pytest.raises(InputError, match="permission denied"):
        read_yaml(path)


def test_suffix_rule_keeps_other_files_unread(tmp_path: Path) -> None:
    _check_refused("/etc/passwd", "not a .yaml or .yml file")
    _check_refused(_file(tmp_path, "name: x\n", "s.txt"), "not a .yaml")
    _check_refused(_file(tmp_path, "a\n", "d.yaml"), "not a .csv", kind=DATA_FILE)
    assert check_input_file(_file(tmp_path, "name: x\n", "UPPER.YML")).st_size == 8


def test_extends_reports_against_the_child(tmp_path: Path) -> None:
    (tmp_path / "dir.yaml").mkdir()
    os.mkfifo(tmp_path / "pipe.yaml")
    cases = {
        "dir.yaml": "is a directory",
        "pipe.yaml": "FIFO",
        "/etc/shadow": "not a .yaml",
        "/dev/zero": "character device",
        "a" * 300 + ".yaml": "path too long",
        "a\x00b.yaml": "NUL",
        "missing.yaml": "not found",
    }
    for target, fragment in cases.items():
        child = tmp_path / "child.yaml"
        child.write_text(f"name: c\nextends: {json.dumps(target)}\n", encoding="utf-8")
        with pytest.raises(InputError) as info:
            load_raw(child)
        line = info.value.message
        assert line.startswith(f"{child}: extends: "), line
        assert fragment.lower() in line.lower(), line
        assert "root:" not in line
