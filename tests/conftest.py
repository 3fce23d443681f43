"""Shared fixtures for the command-line tests: scenario files in tmp_path and in-process CLI calls."""

from __future__ import annotations

import csv
import io
import json
import resource
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

from cli import main
from experiments.engine.prestart import one_blas_thread

one_blas_thread()  # as a command does, so that what the tests run (and the workers they start) is what users run

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "scenarios"
SHIPPED_PLACES = ROOT / "model" / "data" / "places.csv"

# A run of this takes a few hundredths of a second.
SMALL_YAML = """\
name: small
seed: 20230101
replications: 2
years: {start: 2023, end: 2025}
firms: {count: 200}
"""

RESULT_FILES = {
    "manifest.json",
    "scenario.resolved.yaml",
    "places.csv",
    "timeseries.csv",
    "flows.csv",
    "stocks.csv",
    "mobility.csv",
    "summary.json",
    "scope.json",
    "report.md",
    "report.html",
    "plots",
    "runs",
}


@dataclass(frozen=True)
class CliResult:
    code: int
    out: str
    err: str

    @property
    def err_lines(self) -> list[str]:
        return self.err.splitlines()


@pytest.fixture
def write(tmp_path: Path) -> Callable[[str, str | bytes], Path]:
    """Write a file under tmp_path (creating folders) and return its path."""

    def _write(name: str, content: str | bytes) -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
        return path

    return _write


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> Callable[..., CliResult]:
    """Call `cli.main` in-process and return exit code, stdout and stderr."""

    def _cli(*args: str | Path) -> CliResult:
        capsys.readouterr()
        code = main([str(a) for a in args])
        captured = capsys.readouterr()
        return CliResult(code, captured.out, captured.err)

    return _cli


def _limit_memory() -> None:  # pragma: no cover - runs in the child process
    """Cap the child's address space so that a runaway expansion cannot exhaust the machine."""
    limit = 4 * 1024**3
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


# A subprocess or alarm limit in a test catches a hang; it never times the command. Minutes, not seconds, so that
# the suite passes on a machine whose cores are both busy with other work (issue: 90 min at load 15).
HANG_GUARD_S = 600.0


def run_py(args: Sequence[str | Path], timeout_s: float = HANG_GUARD_S) -> subprocess.CompletedProcess[str]:
    """`python run.py ARGS` from the repository root, as a user would type it."""
    try:
        return subprocess.run(
            [sys.executable, "run.py", *map(str, args)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=timeout_s,
            preexec_fn=_limit_memory,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"`python run.py {' '.join(map(str, args))}` hung: it did not finish within {timeout_s} s")


def places_with(edits: dict[tuple[int, str], str]) -> str:
    """The shipped places.csv as text with cells replaced; keys are (row number, header = 1; column)."""
    with SHIPPED_PLACES.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    for (row_no, column), value in edits.items():
        rows[row_no - 1][rows[0].index(column)] = value
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    return buf.getvalue()


def read_csv(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        rows = list(reader)
        return list(reader.fieldnames or []), rows


def read_json(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))
