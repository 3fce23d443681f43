"""Seeded fuzzing of the shipped inputs: every mutation loads, or is refused with ONE line naming a file.

Each shipped scenario, experiment file and data CSV is copied into tmp_path
(keeping the folder layout, so `extends` and `base` still resolve) and
mutated a few hundred times: lines deleted, duplicated, swapped or
re-indented, values replaced by nasty tokens (huge ints, NaN, .inf, dates,
bad tags, lists, maps, long strings, control characters, paths to devices),
keys renamed, ids swapped for unknown or wrong-kind ids, anchors, aliases and
merge keys inserted, files truncated. Loading and validating a mutant must
either succeed or raise `InputError` whose message is one printable line
naming a file of the test tree; any other exception, a multi-line message or
a load slower than MUTANT_SECONDS is a failure. Deterministic: one fixed
seed, no clock in any decision (the alarm only guards against hangs).
"""

from __future__ import annotations

import contextlib
import io
import random
import re
import shutil
import signal
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from cli import main
from model.errors import InputError
from model.scenario import load_scenario
from model.world import DATA_DIR, load_world, world_for

ROOT = Path(__file__).resolve().parent.parent
SEED = 20240607
MUTANT_SECONDS = 120  # a hang guard per mutant (a load takes milliseconds; minutes so a loaded machine passes)
N_SCENARIO, N_EXPERIMENT, N_DATA = 400, 200, 200
CLI_EVERY, RUN_EVERY = 2, 10  # every 2nd scenario mutant also through `validate`, every 10th also `run`

NASTY = [
    "99999999999999999999999",
    "9" * 5000,
    "-" + "9" * 4400,
    "0x" + "f" * 60,
    "-1",
    "-1e308",
    "0",
    "1e400",
    "-1e400",
    ".nan",
    ".NaN",
    ".inf",
    "-.inf",
    "3e9",
    "1_000",
    "0o17",
    "+12",
    "2024-01-01",
    "2001-12-14t21:59:43.10-05:00",
    "!!int abc",
    "!!float xyz",
    "!!bool maybe",
    "!!binary aGVsbG8=",
    "!!binary '@@@'",
    "!!timestamp 2024-01-01",
    "!!set {a, b}",
    "!!omap [a: 1]",
    "!foo bar",
    "!!python/name:os.system",
    "!!python/object/apply:os.system [ls]",
    "!!str",
    "!!null x",
    "[]",
    "[1, 2, 3]",
    "{}",
    "{a: 1}",
    "{? [a] : 1}",
    "[" * 60 + "]" * 60,
    "{a: " * 60 + "1" + "}" * 60,
    "'" + "x" * 200_000 + "'",
    "x" * 5000,
    "~",
    "null",
    "yes",
    "no",
    "true",
    '"\\x1b[31mred"',
    '"\\0"',
    '"a\\nb"',
    '"\\u2028"',
    "ünïcødé",
    "北方园区",
    "🙂",
    "''",
    '""',
    "*undefined",
    "&anchor 5",
    "? a",
    "|",
    ">",
    "-",
    "- a",
    ":",
    "@x",
    "`x`",
    "%x",
    "\t5",
    "/etc/shadow",
    "../../../etc/passwd",
    "/dev/zero",
    "/tmp",
    "a" * 300 + ".yaml",
    "baseline.yaml",
    "../scenarios/baseline.yaml",
    "nowhere",
    "suzhou",
    "suzhou_suqian",
    "guiyang",
    "electronics",
    "[suzhou]",
    "[nowhere]",
    "[suzhou_suqian, guiyang]",
    "[electronics, nowhere]",
    "north_share_jobs",
    "[north_share_jobs, nonsense_metric]",
    "grid",
    "lhs",
    "sobol",
]
KEYS = [
    "nonsense",
    "name",
    "seed",
    "extends",
    "base",
    "policies",
    "factors",
    "<<",
    "2024",
    "~",
    "[a]",
    "ключ",
    "k" * 300,
    '"\\x1b"',
    "a.b.c",
    "policies.talent.annual_budget_yuan",
    "policies.nowhere.x",
    "years.start",
]
IDS = ["nowhere", "suzhou", "suzhou_suqian", "guiyang", "electronics", "textiles", "north_park", "origin"]
CSV_NASTY = ["", "nan", "inf", "-1", "1e400", "9" * 5000, "abc", "suzhou", "nowhere", "électronique", '"', '""', "a,b"]
CSV_NASTY += ["\x00", "\x1b", "\r", "x" * 200_000, "origin", "north_park", "outside_city", ";;", "electronics;nowhere"]


@dataclass(frozen=True)
class Mutant:
    source: Path  # the shipped file, relative to the copied tree
    steps: tuple[str, ...]  # what was done, for the failure message


def _value_lines(lines: list[str]) -> list[int]:
    return [i for i, line in enumerate(lines) if re.match(r"^\s*(-\s+)?[^#\s][^:]*:\s+\S", line)]


def _mutate_yaml(text: str, rng: random.Random) -> tuple[str, str]:
    """One random mutation of YAML text, and its description."""
    lines = text.split("\n")
    n = len(lines)
    op = rng.randrange(12)
    i, j = rng.randrange(n), rng.randrange(n)
    if op == 0:
        del lines[i]
        return "\n".join(lines), f"delete line {i + 1}"
    if op == 1:
        lines.insert(i, lines[i])
        return "\n".join(lines), f"duplicate line {i + 1}"
    if op == 2:
        lines[i], lines[j] = lines[j], lines[i]
        return "\n".join(lines), f"swap lines {i + 1} and {j + 1}"
    if op in (3, 4):
        candidates = _value_lines(lines) or [i]
        k = rng.choice(candidates)
        token = rng.choice(NASTY)
        head = lines[k].split(":", 1)[0]
        lines[k] = f"{head}: {token}"
        return "\n".join(lines), f"line {k + 1} value -> {token[:40]!r}"
    if op == 5:
        candidates = _value_lines(lines) or [i]
        k = rng.choice(candidates)
        indent = re.match(r"^\s*(-\s+)?", lines[k]).group(0)  # type: ignore[union-attr]
        key = rng.choice(KEYS)
        lines[k] = indent + key + ":" + lines[k].split(":", 1)[1] if ":" in lines[k] else lines[k]
        return "\n".join(lines), f"line {k + 1} key -> {key[:40]!r}"
    if op == 6:
        change = rng.choice([" ", "  ", "\t", "", "-"])
        lines[i] = change + lines[i] if change else lines[i].lstrip()
        return "\n".join(lines), f"line {i + 1} indentation {change!r}"
    if op == 7:
        cut = rng.randrange(len(text) + 1)
        return text[:cut], f"truncate at {cut}"
    if op == 8:
        return _alias_mutation(lines, rng)
    if op == 9:
        found = [(m.start(), m.end()) for m in re.finditer(r"\b[a-z]+(_[a-z]+)*\b", text)]
        if found:
            start, end = rng.choice(found)
            new = rng.choice(IDS)
            return text[:start] + new + text[end:], f"word at {start} -> {new}"
        return text, "no word"
    if op == 10:
        pos = rng.randrange(len(text) + 1)
        junk = rng.choice(
            ["\x00", "\x01", "\x1b[2J", "\ufeff", "\u2028", "\t", "\r", "'", '"', "{", "[", "&", "*", "!"]
        )
        return text[:pos] + junk + text[pos:], f"insert {junk!r} at {pos}"
    extra = rng.choice(
        [
            "seed: !!int abc",
            "? [a]\n: 1",
            "---\nname: y",
            "2024-01-01: x",
            "~: 1",
            "!!binary aGk=: 1",
            "<<: {seed: 1}",
            "<<: 5",
            "policies: {<<: *nowhere}",
            "deep: " + "[" * 45 + "]" * 45,
            "seed: " + "9" * 5000,
            "description: " + "y" * 100_000,
        ]
    )
    return text + "\n" + extra + "\n", f"append {extra[:40]!r}"


def _alias_mutation(lines: list[str], rng: random.Random) -> tuple[str, str]:
    """Anchor a mapping value and merge or alias it elsewhere (often valid, sometimes a cycle or a bad merge)."""
    maps = [k for k, line in enumerate(lines) if re.match(r"^\s*[\w.]+:\s*$", line)]
    values = _value_lines(lines)
    if not maps or not values:
        return "\n".join(lines), "no mapping to anchor"
    a = rng.choice(maps)
    lines[a] = lines[a].rstrip() + " &fz"
    b = rng.choice(values)
    indent = re.match(r"^\s*", lines[b]).group(0)  # type: ignore[union-attr]
    kind = rng.randrange(3)
    if kind == 0:
        lines.insert(b, f"{indent}<<: *fz")
    elif kind == 1:
        lines[b] = lines[b].split(":", 1)[0] + ": *fz"
    else:
        lines[b] = lines[b].split(":", 1)[0] + ": [*fz, *fz, *fz]"
    return "\n".join(lines), f"anchor line {a + 1}, alias ({kind}) at line {b + 1}"


def _mutate_csv(text: str, rng: random.Random) -> tuple[str, str]:
    lines = text.split("\n")
    op = rng.randrange(6)
    i = rng.randrange(len(lines))
    if op == 0:
        del lines[i]
        return "\n".join(lines), f"delete line {i + 1}"
    if op == 1:
        lines.insert(i, lines[i])
        return "\n".join(lines), f"duplicate line {i + 1}"
    if op in (2, 3):
        cells = lines[i].split(",")
        k = rng.randrange(len(cells))
        cells[k] = rng.choice(CSV_NASTY)
        lines[i] = ",".join(cells)
        return "\n".join(lines), f"line {i + 1} cell {k + 1} -> {cells[k][:30]!r}"
    if op == 4:
        cut = rng.randrange(len(text) + 1)
        return text[:cut], f"truncate at {cut}"
    return text.replace(",", rng.choice([";", ",,", "\t"]), rng.randrange(1, 4)), "separators"


@pytest.fixture
def tree(tmp_path: Path) -> Iterator[Path]:
    """A copy of scenarios/, experiments/examples/, experiments/reference.yaml and model/data/."""
    shutil.copytree(ROOT / "scenarios", tmp_path / "scenarios")
    shutil.copytree(ROOT / "experiments" / "examples", tmp_path / "experiments" / "examples")
    shutil.copy(ROOT / "experiments" / "reference.yaml", tmp_path / "experiments" / "reference.yaml")
    shutil.copytree(DATA_DIR, tmp_path / "data", ignore=shutil.ignore_patterns("*.md"))
    yield tmp_path


@pytest.fixture
def alarm() -> Iterator[Callable[[], None]]:
    """Arms a per-mutant timer; a load that hangs or takes too long raises TimeoutError."""

    def _timeout(_signum: int, _frame: object) -> None:
        raise TimeoutError(f"loading took more than {MUTANT_SECONDS} s")

    old = signal.signal(signal.SIGALRM, _timeout)
    yield lambda: signal.alarm(MUTANT_SECONDS)
    signal.alarm(0)
    signal.signal(signal.SIGALRM, old)


def _load_scenario(path: Path) -> None:
    scenario = load_scenario(path)
    world_for(scenario, path)


def _experiment_loader() -> Callable[[Path], object] | None:
    """experiments.design.experiment_file.load_experiment, if the experiments package provides it."""
    try:
        from experiments.design.experiment_file import load_experiment
    except ImportError:
        return None
    return load_experiment


def _check(load: Callable[[Path], object], path: Path, mutant: Mutant, tree: Path, arm: Callable[[], None]) -> str:
    """'' if the mutant loads or is refused properly, else what went wrong."""
    arm()
    try:
        load(path)
    except InputError as exc:
        return _one_line_naming_a_file(exc.message, tree)
    except Exception as exc:  # noqa: BLE001 - anything but InputError is the failure being looked for
        return f"{type(exc).__name__}: {str(exc)[:300]}"
    finally:
        signal.alarm(0)
    return ""


def _one_line_naming_a_file(line: str, tree: Path) -> str:
    if "\n" in line.strip() or "\r" in line or not line.strip().isprintable():
        return f"message is not one printable line: {line[:300]!r}"
    if str(tree) not in line:
        return f"message names no file: {line[:300]!r}"
    return ""


def _cli(argv: list[str], tree: Path, arm: Callable[[], None]) -> tuple[int, str]:
    """Exit status of `relocsim ARGV` in-process, and '' if its stderr is right for it, else what is wrong."""
    err = io.StringIO()
    arm()
    try:
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
            code = main(argv)
    finally:
        signal.alarm(0)
    text = err.getvalue()
    if code == 2:
        return code, _one_line_naming_a_file(text.removeprefix("relocsim: "), tree)
    if code != 0 or "Traceback" in text:
        return code, f"exit {code}: {text[-300:]!r}"
    return code, ""


def _through_the_command_line(path: Path, tree: Path, arm: Callable[[], None], run: list[str] | None) -> str:
    """`validate` exits 0 or 2 with one line; a valid mutant then also runs (`run` arguments) without a crash."""
    code, problem = _cli(["validate", str(path)], tree, arm)
    if problem or code != 0 or run is None:
        return problem
    return _cli([*run, str(path), "--out", str(tree / "out"), "--overwrite", "-q", "--no-plots"], tree, arm)[1]


def _run(
    sources: list[Path],
    count: int,
    mutate: Callable[[str, random.Random], tuple[str, str]],
    target: Callable[[Path], Path],
) -> Iterator[tuple[Path, Mutant]]:
    """`count` mutants of the sources, each written to target(source); yields (path, mutant) after writing."""
    rng = random.Random(SEED + count)
    for _ in range(count):
        source = rng.choice(sources)
        text = source.read_text(encoding="utf-8")
        steps = []
        for _ in range(rng.choice((1, 1, 2, 3))):
            text, step = mutate(text, rng)
            steps.append(step)
        path = target(source)
        path.write_text(text, encoding="utf-8", errors="surrogatepass", newline="")
        yield path, Mutant(source, tuple(steps))


def _report(failures: list[str]) -> str:
    return f"{len(failures)} mutants failed:\n" + "\n".join(failures[:15])


def test_fuzz_scenarios(tree: Path, alarm: Callable[[], None]) -> None:
    sources = sorted((tree / "scenarios").glob("*.yaml"))
    failures = []
    for i, (path, mutant) in enumerate(
        _run(sources, N_SCENARIO, _mutate_yaml, lambda s: s.parent / "fuzz_mutant.yaml")
    ):
        problem = _check(_load_scenario, path, mutant, tree, alarm)
        if not problem and i % CLI_EVERY == 0:
            run = ["run", "--firms", "40", "--replications", "1"] if i % RUN_EVERY == 0 else None
            problem = _through_the_command_line(path, tree, alarm, run)
        if problem:
            failures.append(f"{mutant.source.name} {list(mutant.steps)}: {problem}")
    assert not failures, _report(failures)


def test_fuzz_experiment_files(tree: Path, alarm: Callable[[], None]) -> None:
    load = _experiment_loader()
    if load is None:
        pytest.skip("experiments.design.experiment_file.load_experiment is not available")
    sources = [*sorted((tree / "experiments" / "examples").glob("*.yaml")), tree / "experiments" / "reference.yaml"]
    failures = []
    for path, mutant in _run(sources, N_EXPERIMENT, _mutate_yaml, lambda s: s.parent / "fuzz_mutant.yaml"):
        problem = _check(load, path, mutant, tree, alarm) or _through_the_command_line(path, tree, alarm, None)
        if problem:
            failures.append(f"{mutant.source.name} {list(mutant.steps)}: {problem}")
    assert not failures, _report(failures)


def test_fuzz_data_files(tree: Path, alarm: Callable[[], None]) -> None:
    """Each mutant data file is named by a scenario that otherwise uses the shipped data."""
    data = tree / "data"
    sources = sorted(p for p in data.glob("*.csv") if not p.name.startswith("fuzz_"))
    scenario = tree / "fuzz_data.yaml"
    failures = []
    for path, mutant in _run(sources, N_DATA, _mutate_csv, lambda s: data / f"fuzz_{s.name}"):
        files = {s.stem: f"data/{s.name}" for s in sources} | {mutant.source.stem: f"data/{path.name}"}
        entries = ", ".join(f"{key}: {name}" for key, name in files.items())
        scenario.write_text(f"name: fuzz\nworld: {{data: {{{entries}}}}}\n", encoding="utf-8")
        load_world.cache_clear()
        problem = _check(_load_scenario, scenario, mutant, tree, alarm)
        if problem:
            failures.append(f"{mutant.source.name} {list(mutant.steps)}: {problem}")
    load_world.cache_clear()
    assert not failures, _report(failures)
