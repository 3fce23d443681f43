"""Bad input ⇒ exit status 2, one line on stderr naming file, key path and bad value, nothing written.

DESIGN §5: "2 bad input (usage, scenario, data file), with a one-line message
naming the file, the key path and what is allowed, and no traceback". Each
case below is one distinct way a user gets a scenario, a data file or a
command line wrong.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.conftest import CliResult, places_with, run_py

Content = str | bytes | Callable[[], str | bytes]
RUN = ("run", "{s}", "--out", "{out}", "-q")


def _billion_laughs(levels: int = 9, width: int = 9) -> str:
    """Nested anchors: few aliases (levels × width < 100), width**levels strings once expanded."""
    lines = ["name: laughs", "l0: &l0 [" + ", ".join(['"lol"'] * width) + "]"]
    for i in range(1, levels):
        lines.append(f"l{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * width) + "]")
    return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class Broken:
    """One broken input: files to write, the command line, what the one error line must say."""

    id: str
    files: dict[str, Content]
    expect: tuple[str, ...] = ()
    names_file: tuple[str, ...] | None = ("s.yaml",)  # one of these paths must appear; None: no file
    argv: tuple[str, ...] = RUN
    extra: tuple[str, ...] = field(default=())


def _s(text: str) -> dict[str, Content]:
    return {"s.yaml": text}


def _about_3000_rows(text: str) -> str:
    """The shipped places repeated to about 3,000 rows (over the 500-row limit, under the 5 MB file limit)."""
    header, *body = text.splitlines(keepends=True)
    return header + "".join(body * (3000 // len(body) + 1))


CASES: list[Broken] = [
    # a top-level key the schema lacks: not a scenario file, and none of its keys or values is echoed
    Broken("unknown-top-level-key", _s("name: x\ncolour: red\n"), ("not a scenario file", "replications", "policies")),
    Broken("top-level-typo", _s("name: x\npolices: {}\n"), ("did you mean 'policies'",)),
    Broken(
        "unknown-nested-key",
        _s("name: x\npolicies: {talent: {budget: 5}}\n"),
        ("policies.talent.budget", "unknown", "annual_budget_yuan", "places"),
    ),
    Broken(
        "unknown-lever",
        _s("name: x\npolicies: {tax_holiday: {annual_budget_yuan: 1}}\n"),
        ("policies.tax_holiday", "talent", "pairing"),
    ),
    Broken(
        "string-for-number",
        _s('name: x\npolicies: {talent: {annual_budget_yuan: "lots"}}\n'),
        ("policies.talent.annual_budget_yuan", "lots"),
    ),
    Broken(
        "negative-budget",
        _s("name: x\npolicies: {talent: {annual_budget_yuan: -5}}\n"),
        ("policies.talent.annual_budget_yuan", "-5"),
    ),
    Broken(
        "probability-above-one",
        _s("name: x\npolicies: {labour_resettlement: {worker_retention: 1.5}}\n"),
        ("policies.labour_resettlement.worker_retention", "1.5"),
    ),
    Broken(
        "years-end-before-start", _s("name: x\nyears: {start: 2025, end: 2023}\n"), ("years", "end", "2023", "2025")
    ),
    Broken(
        "lever-window-reversed",
        _s("name: x\npolicies: {talent: {start_year: 2030, end_year: 2025}}\n"),
        ("policies.talent", "2030", "2025"),
    ),
    Broken("name-with-slash", _s("name: a/b\n"), ("name", "a/b")),
    Broken("name-with-dotdot", _s("name: ../escape\n"), ("name", "../escape")),
    Broken("name-missing", _s("description: no name\nseed: 1\n"), ("name", "missing")),
    Broken("yaml-syntax-error", _s("name: x\nyears: {start: 2023, end: 2025\n"), ("yaml", "line")),
    Broken("duplicate-key", _s("name: x\nseed: 1\nseed: 2\n"), ("duplicate", "seed", "line 3")),
    Broken("recursive-alias", _s("name: x\nloop: &loop [*loop]\n"), ()),
    Broken("file-too-large", _s("name: big\n" + "# padding padding padding\n" * 50_000), ("bytes",)),
    Broken("top-level-list", _s("- name: x\n- seed: 1\n"), ("list", "mapping")),
    Broken("not-utf8", {"s.yaml": b"name: x\ndescription: caf\xe9\n"}, ("utf-8",)),
    Broken("extends-missing-file", _s("name: x\nextends: nope.yaml\n"), ("extends", "nope.yaml")),
    Broken(
        "extends-cycle",
        {"s.yaml": "name: a\nextends: b.yaml\n", "b.yaml": "name: b\nextends: s.yaml\n"},
        ("extends", "cycle"),
        names_file=("s.yaml", "b.yaml"),
    ),
    Broken(
        "bad-value-in-parent",
        {
            "s.yaml": "name: child\nextends: parent.yaml\n",
            "parent.yaml": "name: parent\nbehaviour: {batches_per_year: -3}\n",
        },
        ("behaviour.batches_per_year", "-3"),
        names_file=("s.yaml", "parent.yaml"),
    ),
    Broken(
        "unknown-place-in-lever",
        _s("name: x\npolicies: {talent: {places: [nowhere]}}\n"),
        ("policies.talent.places", "nowhere", "suzhou_suqian"),
    ),
    Broken(
        "unknown-industry-encouraged",
        _s("name: x\npolicies: {industry_guidance: {encouraged: [spaceships]}}\n"),
        ("policies.industry_guidance.encouraged", "spaceships", "electronics"),
    ),
    Broken(
        "unknown-destination-kind",
        _s("name: x\nworld: {destination_kinds: [moon]}\n"),
        ("world.destination_kinds", "moon"),
    ),
    Broken("firms-beyond-maximum", _s("name: x\nfirms: {count: 5000000}\n"), ("firms.count", "5000000")),
    Broken(
        "nan-coefficient", _s("name: x\nbehaviour: {push: {intercept: .nan}}\n"), ("behaviour.push.intercept", "nan")
    ),
    Broken(
        "inf-budget",
        _s("name: x\npolicies: {talent: {annual_budget_yuan: .inf}}\n"),
        ("policies.talent.annual_budget_yuan", "inf"),
    ),
    Broken(
        "batches-per-year-zero", _s("name: x\nbehaviour: {batches_per_year: 0}\n"), ("behaviour.batches_per_year", "0")
    ),
    Broken("bool-seed", _s("name: x\nseed: true\n"), ("seed", "true")),
    Broken("yes-replications", _s("name: x\nreplications: yes\n"), ("replications", "true")),
    Broken(
        "data-file-non-numeric-cell",
        {
            "s.yaml": "name: x\nworld: {data: {places: data/bad_places.csv}}\n",
            "data/bad_places.csv": lambda: places_with({(5, "wage_index"): "cheap"}),
        },
        ("row 5", "wage_index", "cheap"),
        names_file=("data/bad_places.csv",),
    ),
    Broken(
        "data-file-missing",
        _s("name: x\nworld: {data: {places: nothing.csv}}\n"),
        (),
        names_file=("nothing.csv",),
    ),
    Broken("scenario-file-missing", {}, ()),
    Broken("cli-replications-zero", _s("name: x\n"), ("--replications", "0"), None, (*RUN, "--replications", "0")),
    Broken("cli-firms-not-a-number", _s("name: x\n"), ("--firms", "abc"), None, (*RUN, "--firms", "abc")),
    Broken("cli-negative-seed", _s("name: x\n"), ("--seed", "-1"), None, (*RUN, "--seed", "-1")),
    Broken("cli-workers-zero", _s("name: x\n"), ("--workers", "0"), None, (*RUN, "--workers", "0")),
    Broken("cli-unknown-command", _s("name: x\n"), ("frobnicate", "run", "validate"), None, ("frobnicate", "{s}")),
    # YAML tags with bad values, and tags that are not JSON-like values
    Broken("int-tag-abc", _s("name: x\nseed: !!int abc\n"), ("seed", "abc", "whole number", "line 2")),
    Broken("float-tag-xyz", _s("name: x\nseed: !!float xyz\n"), ("seed", "xyz", "line 2")),
    Broken("bool-tag-maybe", _s("name: x\nseed: !!bool maybe\n"), ("seed", "maybe", "true or false")),
    Broken("timestamp-tag", _s("name: x\ndescription: !!timestamp nope\n"), ("description", "!!timestamp")),
    Broken("binary-tag", _s("name: x\nseed: !!binary '@@@'\n"), ("seed", "!!binary", "not allowed")),
    Broken("set-tag", _s("name: x\ndescription: !!set {a, b}\n"), ("description", "!!set")),
    Broken("unknown-tag", _s("name: x\nseed: !foo 1\n"), ("seed", "!foo")),
    Broken("python-tag", _s("name: x\nseed: !!python/object/apply:os.system [ls]\n"), ("seed", "python")),
    # keys that are not text
    Broken("list-as-key", _s("name: x\n? [a, b]\n: 1\n"), ("a list used as a key", "keys must be text")),
    Broken("map-as-key", _s("name: x\nyears: {? {a: 1} : 2}\n"), ("years", "a mapping used as a key")),
    Broken("date-as-key", _s("name: x\nyears: {2024-01-01: 1}\n"), ("years.2024-01-01", "unknown key")),
    Broken("number-as-key", _s("name: x\nyears: {2023: 1}\n"), ("years", "number used as a key")),
    Broken("null-as-key", _s("name: x\n~: 1\n"), ("null used as a key",)),
    Broken("binary-as-key", _s("name: x\n!!binary aGk=: 1\n"), ("!!binary", "keys must be text")),
    # numbers and nesting
    Broken("5000-digit-int", _s("name: x\nseed: " + "9" * 5000 + "\n"), ("seed", "5,000 characters")),
    Broken("1e400-budget", _s("name: x\npolicies: {talent: {annual_budget_yuan: 1e400}}\n"), ("annual_budget_yuan",)),
    Broken("nan-seed", _s("name: x\nseed: .nan\n"), ("seed", "nan")),
    Broken("500-brackets", _s("name: x\nseed: " + "[" * 500 + "]" * 500 + "\n"), ("nested more than 40",)),
    Broken("500-maps", _s("name: x\nyears: " + "{a: " * 500 + "1" + "}" * 500 + "\n"), ("nested more than 40",)),
    Broken(
        "alias-chain-depth",
        _s("name: x\na0: &a0 [1]\n" + "".join(f"a{i}: &a{i} [*a{i - 1}]\n" for i in range(1, 3000))),
        ("nested more than 40", "aliases"),
    ),
    # merge keys: a duplicated local key is still an error
    Broken(
        "merge-then-duplicate",
        _s(
            "name: x\npolicies:\n  talent: &t {start_year: 2025}\n"
            "  infrastructure: {<<: *t, end_year: 1, end_year: 2}\n"
        ),
        ("policies.infrastructure.end_year", "duplicate"),
    ),
    # text and documents
    Broken("empty-file", _s(""), ("no content",)),
    Broken("only-a-comment", _s("# just a comment\n"), ("no content",)),
    Broken("two-documents", _s("name: x\n---\nname: y\n"), ("single document", "line 2")),
    Broken("tab-indentation", _s("name: x\nyears:\n\tstart: 2023\n"), ("line 3",)),
    Broken("raw-control-character", _s("name: x\ndescription: a\x07b\n"), ("U+0007", "line 2")),
    Broken("nul-byte-in-yaml", {"s.yaml": b"name: x\x00\n"}, ("NUL",)),
    Broken("escaped-control-in-key", _s('name: x\n"\\e[2Jwipe": 1\n'), ("control characters",)),
    # paths named in a scenario
    Broken("extends-etc-shadow", _s("name: x\nextends: /etc/shadow\n"), ("extends", "/etc/shadow", "not a .yaml")),
    Broken("extends-too-long", _s("name: x\nextends: " + "a" * 300 + ".yaml\n"), ("extends", "path too long")),
    Broken("extends-nul", _s('name: x\nextends: "a\\0b.yaml"\n'), ("extends", "NUL")),
    Broken("extends-directory", {"s.yaml": "name: x\nextends: sub.yaml/\n", "sub.yaml/k": "x"}, ("is a directory",)),
    Broken("extends-dev-zero", _s("name: x\nextends: /dev/zero\n"), ("extends", "character device")),
    Broken("data-file-etc-passwd", _s("name: x\nworld: {data: {places: /etc/passwd}}\n"), ("world.data.places",)),
    Broken(
        "data-file-not-utf8",
        {"s.yaml": "name: x\nworld: {data: {places: p.csv}}\n", "p.csv": b"id,name\ncaf\xe9,x\n"},
        ("line 2", "utf-8"),
        names_file=("p.csv",),
    ),
    Broken(
        "data-file-3000-places",
        {
            "s.yaml": "name: x\nworld: {data: {places: p.csv}}\n",
            "p.csv": lambda: _about_3000_rows(places_with({})),
        },
        ("more than 500 rows", "places × places × industries"),
        names_file=("p.csv",),
    ),
]
FILE_CASES = [c for c in CASES if c.names_file is not None]


def _materialise(case: Broken, tmp_path: Path) -> tuple[list[str], Path]:
    for name, content in case.files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        data = content() if callable(content) else content
        if isinstance(data, bytes):
            path.write_bytes(data)
        else:
            path.write_text(data, encoding="utf-8")
    out = tmp_path / "out"
    argv = [a.replace("{s}", str(tmp_path / "s.yaml")).replace("{out}", str(out)) for a in case.argv]
    return argv, out


def _check_one_line(result: CliResult, case: Broken, tmp_path: Path) -> str:
    assert result.code == 2, f"exit status {result.code}, stderr: {result.err}"
    assert "Traceback" not in result.err
    assert len(result.err_lines) == 1, f"want one stderr line, got: {result.err!r}"
    line = result.err_lines[0]
    if case.names_file is not None:
        paths = {s for n in case.names_file for s in (str(tmp_path / n), str((tmp_path / n).resolve()))}
        assert any(p in line for p in paths), f"no file of {case.names_file} named in: {line}"
    for fragment in case.expect:
        assert fragment.lower() in line.lower(), f"{fragment!r} not in: {line}"
    return line


def test_cases_are_many_and_distinct() -> None:
    assert len({c.id for c in CASES}) == len(CASES) >= 20
    assert len({(tuple(sorted(map(str, c.files.values()))), c.argv) for c in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_run_rejects_bad_input(case: Broken, tmp_path: Path, cli: Callable[..., CliResult]) -> None:
    argv, out = _materialise(case, tmp_path)
    t0 = time.perf_counter()
    result = cli(*argv)
    assert time.perf_counter() - t0 < 5.0, "bad input must be rejected quickly"
    _check_one_line(result, case, tmp_path)
    assert result.out == ""
    assert not out.exists() or not any(out.iterdir()), f"something was written under --out: {list(out.iterdir())}"


@pytest.mark.parametrize("case", FILE_CASES, ids=[c.id for c in FILE_CASES])
def test_validate_rejects_bad_input(case: Broken, tmp_path: Path, cli: Callable[..., CliResult]) -> None:
    argv, _ = _materialise(case, tmp_path)
    result = cli("validate", argv[1])
    _check_one_line(result, case, tmp_path)
    assert "ok:" not in result.out


def test_validate_reports_each_bad_file_and_still_checks_the_good_ones(
    tmp_path: Path, cli: Callable[..., CliResult], write: Callable[[str, str], Path]
) -> None:
    good = write("good.yaml", "name: good\n")
    bad = write("bad.yaml", "name: bad\nseed: -1\n")
    result = cli("validate", bad, good)
    assert result.code == 2
    assert len(result.err_lines) == 1 and str(bad) in result.err and "seed" in result.err
    assert f"ok: {good}" in result.out


def test_bad_name_cannot_escape_output_folder(tmp_path: Path, cli: Callable[..., CliResult]) -> None:
    """A `..` or `/` name is refused before anything is written, inside or beside --out."""
    for i, name in enumerate(("..", "../../outside", "/abs", "a/../../b", ".")):
        scenario = tmp_path / f"s{i}.yaml"
        scenario.write_text(f"name: {name!r}\nfirms: {{count: 200}}\nyears: {{start: 2023, end: 2023}}\n")
        result = cli("run", scenario, "--out", tmp_path / "a" / "out", "-q", "--no-plots")
        assert result.code == 2, name
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(f"s{i}.yaml" for i in range(5))


def test_python_run_py_shorthand_bad_input_is_one_line(tmp_path: Path) -> None:
    scenario = tmp_path / "broken.yaml"
    scenario.write_text("name: broken\npolicies: {talent: {annual_budget_yuan: -1}}\n", encoding="utf-8")
    proc = run_py([scenario, "--out", tmp_path / "out"])
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    assert len(proc.stderr.splitlines()) == 1, proc.stderr
    assert str(scenario) in proc.stderr and "policies.talent.annual_budget_yuan" in proc.stderr
    assert not (tmp_path / "out").exists()


def test_alias_bomb_fails_fast(tmp_path: Path) -> None:
    """Billion laughs: 72 aliases expand to 9**9 strings; it must be refused, not expanded."""
    scenario = tmp_path / "laughs.yaml"
    scenario.write_text(_billion_laughs(), encoding="utf-8")
    t0 = time.perf_counter()
    proc = run_py(["run", scenario, "--out", tmp_path / "out", "-q"])
    assert time.perf_counter() - t0 < 10.0
    assert proc.returncode == 2, proc.stderr[-2000:]
    assert "Traceback" not in proc.stderr
    assert len(proc.stderr.splitlines()) == 1 and str(scenario) in proc.stderr
    assert not (tmp_path / "out").exists()


def _not_files(tmp_path: Path) -> dict[str, tuple[Path, str]]:
    """Paths that are not regular files, and what the one line must call them."""
    os.mkfifo(tmp_path / "pipe.yaml")
    os.mkfifo(tmp_path / "pipe.csv")
    (tmp_path / "folder.yaml").mkdir()
    (tmp_path / "loop.yaml").symlink_to(tmp_path / "loop.yaml")
    return {
        "fifo": (tmp_path / "pipe.yaml", "FIFO"),
        "directory": (tmp_path / "folder.yaml", "is a directory"),
        "plain-directory": (tmp_path, "is a directory"),
        "dev-zero": (Path("/dev/zero"), "character device"),
        "symlink-loop": (tmp_path / "loop.yaml", "symbolic link loop"),
    }


@pytest.mark.parametrize("command", ["validate", "run"])
def test_scenario_that_is_not_a_file_is_refused_at_once(command: str, tmp_path: Path) -> None:
    """A FIFO used to hang `run` and `validate` forever, /dev/zero to read without end: now one line each."""
    for name, (path, fragment) in _not_files(tmp_path).items():
        argv = (
            [command, path] if command == "validate" else ["run", path, "--firms", "100", "-q", "--out", tmp_path / "o"]
        )
        proc = run_py(argv)
        assert proc.returncode == 2, (name, proc.stderr)
        assert "Traceback" not in proc.stderr and len(proc.stderr.splitlines()) == 1, (name, proc.stderr)
        assert str(path) in proc.stderr and fragment.lower() in proc.stderr.lower(), (name, proc.stderr)
        assert not (tmp_path / "o").exists()


def test_paths_named_in_a_scenario_that_are_not_files(tmp_path: Path) -> None:
    """`extends` and `world.data.*` naming a FIFO, a directory or a device: one line naming the scenario and key."""
    not_files = _not_files(tmp_path)
    scenario = tmp_path / "s.yaml"
    for key in ("extends", "world.data.places"):
        for name, (path, fragment) in not_files.items():
            target = str(path).replace(".yaml", ".csv") if key != "extends" and name == "fifo" else str(path)
            body = f"extends: '{target}'" if key == "extends" else f"world: {{data: {{places: '{target}'}}}}"
            scenario.write_text(f"name: x\n{body}\n", encoding="utf-8")
            proc = run_py(["validate", scenario])
            assert proc.returncode == 2, (key, name, proc.stderr)
            assert len(proc.stderr.splitlines()) == 1, (key, name, proc.stderr)
            assert f"{scenario}: {key}: " in proc.stderr, (key, name, proc.stderr)
            assert fragment.lower() in proc.stderr.lower(), (key, name, proc.stderr)


def test_merge_keys_and_date_text_validate(tmp_path: Path, cli: Callable[..., CliResult]) -> None:
    """`<<: *anchor` works (local keys win), and an unquoted date in `description` is text, not a crash."""
    scenario = tmp_path / "merge.yaml"
    scenario.write_text(
        "name: merge\ndescription: 2024-01-01\nyears: {start: 2023, end: 2035}\npolicies:\n"
        "  talent: &window {start_year: 2025, end_year: 2030}\n"
        "  infrastructure: {<<: *window, end_year: 2032}\n",
        encoding="utf-8",
    )
    result = cli("validate", scenario)
    assert result.code == 0, result.err
    assert f"ok: {scenario}" in result.out
