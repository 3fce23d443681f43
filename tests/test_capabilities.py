"""Capabilities (experiments.engine.capabilities): a command that opts in gets the arguments, the checks and the rounds.

--posterior and --ci-width are declared once; each command lists what it opts
into (its class and its registry entry, which must agree), and the CLI gives it
exactly those arguments. The --ci-width round loop is the engine's, driven
here by scripted samples so its round sizes, stopping.csv and manifest entry
can be pinned.
"""

from __future__ import annotations

import argparse
import csv
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pytest

from cli import main
from experiments.analysis.stats import Interval, replications_for
from experiments.engine.capabilities import ADAPTIVE_REPLICATIONS, POSTERIOR, arguments_of
from experiments.engine.capabilities.adaptive import (
    MAX_ROUND_GROWTH,
    MIN_ADAPTIVE_START,
    STOPPING_COLUMNS,
    AdaptiveRounds,
    Sample,
    next_round_size,
    widest_half_width,
)
from experiments.engine.store import RunStore, Task
from experiments.registry import EXPERIMENTS, experiment_class
from model.errors import InputError

POSTERIOR_FLAGS = ("--posterior", "--draws", "--allow-thin")
ADAPTIVE_FLAGS = ("--ci-width", "--max-replications")


def _help(capsys: pytest.CaptureFixture[str], command: str) -> str:
    with pytest.raises(SystemExit) as exc:
        main([command, "--help"])
    assert exc.value.code == 0
    return capsys.readouterr().out


@pytest.mark.parametrize(
    ("command", "present", "absent"),
    [
        ("attribute", POSTERIOR_FLAGS, ADAPTIVE_FLAGS),
        ("compare", POSTERIOR_FLAGS + ADAPTIVE_FLAGS, ()),
        ("run", (), POSTERIOR_FLAGS + ADAPTIVE_FLAGS),
        ("sweep", (), POSTERIOR_FLAGS + ADAPTIVE_FLAGS),
    ],
)
def test_a_command_gets_the_arguments_of_the_capabilities_it_opts_into(
    capsys: pytest.CaptureFixture[str], command: str, present: tuple[str, ...], absent: tuple[str, ...]
) -> None:
    out = _help(capsys, command)
    for flag in present:
        assert flag in out, f"{flag} missing from `{command} --help`"
    for flag in absent:
        assert flag not in out, f"{flag} in `{command} --help`, which does not opt into it"


def test_the_capability_arguments_keep_their_flags_defaults_and_bounds() -> None:
    posterior, draws, thin = POSTERIOR.arguments
    assert posterior.flags == ("--posterior",) and posterior.kind == "path" and posterior.metavar == "CALIBRATION_DIR"
    assert draws.flags == ("--draws",) and draws.default is None and draws.bounds == (2, 1000)
    assert "(default 20)" in draws.help
    assert thin.flags == ("--allow-thin",) and thin.kind == "flag" and "below 200" in thin.help
    width, cap = ADAPTIVE_REPLICATIONS.arguments
    assert width.flags == ("--ci-width",) and width.kind == "float" and width.bounds == (0.0, 1.0)
    assert cap.flags == ("--max-replications",) and cap.default == 200 and cap.bounds[0] == 2
    # compare: its own arguments first, then --ci-width, --max-replications, --posterior, --draws, --allow-thin
    flags = [a.flags[0] for a in EXPERIMENTS["compare"].all_arguments]
    assert flags == ["baseline", "others", "--ci-width", "--max-replications", "--posterior", "--draws", "--allow-thin"]
    assert EXPERIMENTS["attribute"].all_arguments[-3:] == arguments_of((POSTERIOR,))


def test_every_class_opts_into_what_its_registry_entry_says() -> None:
    for command, spec in EXPERIMENTS.items():
        assert experiment_class(command).capabilities == spec.capabilities
    assert EXPERIMENTS["compare"].capabilities == (ADAPTIVE_REPLICATIONS, POSTERIOR)
    assert EXPERIMENTS["attribute"].capabilities == (POSTERIOR,)


def test_a_class_that_disagrees_with_its_registry_entry_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    cls = experiment_class("attribute")
    monkeypatch.setattr(cls, "capabilities", (POSTERIOR, ADAPTIVE_REPLICATIONS))
    with pytest.raises(TypeError, match="capabilities"):
        experiment_class("attribute")


# --------------------------------------------------------------------------- the first round


def _args(**kw: Any) -> argparse.Namespace:
    return argparse.Namespace(**{"ci_width": None, "max_replications": 200, "replications": None, **kw})


def test_the_first_round_is_as_before() -> None:
    assert AdaptiveRounds.from_args(_args(), 7).first == 7, "no --ci-width: the scenario's replications"
    assert AdaptiveRounds.from_args(_args(replications=1), 7).first == 1
    assert AdaptiveRounds.from_args(_args(ci_width=0.01), 2).first == MIN_ADAPTIVE_START
    assert AdaptiveRounds.from_args(_args(ci_width=0.01, max_replications=2), 2).first == 2
    assert AdaptiveRounds.from_args(_args(ci_width=0.01, replications=1), 9).first == 2
    with pytest.raises(InputError, match="R ≤ M"):
        AdaptiveRounds.from_args(_args(ci_width=0.01, replications=9, max_replications=5), 2)


def test_the_folder_name_and_inputs_name_w_and_m() -> None:
    plain = AdaptiveRounds.from_args(_args(), 3)
    assert plain.name_tags() == [] and plain.inputs() == {"ci_width": None, "max_replications": None}
    capped = AdaptiveRounds.from_args(_args(ci_width=0.005, max_replications=50), 3)
    assert len(capped.name_tags()) == 2 and capped.inputs() == {"ci_width": 0.005, "max_replications": 50}
    assert len(AdaptiveRounds.from_args(_args(ci_width=0.005), 3).name_tags()) == 1, "the default M is not named"


# --------------------------------------------------------------------------- the round loop


@dataclass
class Stats:
    executed: int
    reused: int = 0
    failed: int = 0


class FakeEngine:
    """Runs nothing: remembers how many tasks each round asked for."""

    def __init__(self) -> None:
        self.rounds: list[int] = []

    def run(self, tasks: Sequence[Task], store: Any) -> Stats:
        self.rounds.append(len(tasks))
        return Stats(len(tasks))


class FakeStore:
    failed: ClassVar[list[Any]] = []

    def failures(self, tasks: Sequence[Task]) -> list[Any]:
        return self.failed


def _tasks(n: int) -> list[Task]:
    return [Task(f"r{r:04d}", None, r) for r in range(n)]  # type: ignore[arg-type] - never run


def _samples(store: RunStore, tasks: Sequence[Task]) -> list[Sample]:
    """Two samples whose spread does not shrink with n: the SD decides the round sizes."""
    n = len(tasks)
    spread = np.linspace(-1.0, 1.0, n)
    return [
        Sample("a: share, mean", 0.5 + 0.02 * spread, (0.0, 1.0)),
        Sample("a: share, paired difference", 0.05 * spread, (-1.0, 1.0)),
    ]


def _old_sizes(width: float, cap: int, first: int) -> list[int]:
    """The round sizes compare --ci-width always took: ×1.5, or what the SDs need (≤ 4× and ≤ cap)."""
    sizes, n = [first], first
    while n < cap:
        found = _samples(None, _tasks(n))  # type: ignore[arg-type]
        half = max(Interval.of(s.values, s.bounds).half_width for s in found)
        if half <= width:
            break
        needed = max([n + 1] + [replications_for(float(s.values.std(ddof=1)), width, cap) for s in found])
        n = min(cap, max(n + 1, max(math.ceil(n * 1.5), min(needed, n * MAX_ROUND_GROWTH))))
        sizes.append(n)
    return sizes


@pytest.mark.parametrize(("width", "cap"), [(0.02, 200), (0.0001, 40)], ids=["met", "capped"])
def test_rounds_grow_until_the_widest_half_width_is_within_w(tmp_path: Path, width: float, cap: int) -> None:
    rounds = AdaptiveRounds.from_args(_args(ci_width=width, max_replications=cap, replications=3), 3)
    engine, stats = FakeEngine(), []
    tasks = rounds.execute(engine, FakeStore(), _tasks(3), _tasks, _samples, stats)  # type: ignore[arg-type]
    sizes = _old_sizes(width, cap, 3)
    assert engine.rounds == sizes and len(tasks) == sizes[-1] and len(stats) == len(sizes)
    assert [r["replications"] for r in rounds.rounds] == sizes
    doc = rounds.write(tmp_path)
    assert doc is not None and doc["met"] is (width == 0.02) and doc["rounds"] == rounds.rounds
    assert doc["ci_width"] == width and doc["max_replications"] == cap
    if width != 0.02:
        assert sizes[-1] == cap and rounds.rounds[-1]["widest_half_width"] > width
    with (tmp_path / "stopping.csv").open(encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    assert tuple(rows[0]) == STOPPING_COLUMNS and len(rows) == len(sizes) + 1
    assert [int(r[1]) for r in rows[1:]] == sizes
    assert rows[-1][3] == "a: share, paired difference", "the widest interval is named"


def test_without_w_or_after_a_failure_there_is_one_round(tmp_path: Path) -> None:
    plain = AdaptiveRounds.from_args(_args(replications=3), 3)
    engine: FakeEngine = FakeEngine()
    plain.execute(engine, FakeStore(), _tasks(3), _tasks, _samples, [])  # type: ignore[arg-type]
    assert engine.rounds == [3] and plain.rounds == [] and plain.write(tmp_path) is None
    assert not (tmp_path / "stopping.csv").exists()

    class Failing(FakeStore):
        failed: ClassVar[list[Any]] = ["a failure"]

    adaptive = AdaptiveRounds.from_args(_args(ci_width=0.0001, replications=3), 3)
    engine = FakeEngine()
    adaptive.execute(engine, Failing(), _tasks(3), _tasks, _samples, [])  # type: ignore[arg-type]
    assert engine.rounds == [3] and adaptive.rounds == []


def test_the_widest_half_width_is_the_first_of_the_largest_and_inf_when_undefined() -> None:
    x = np.array([0.1, 0.2, 0.3])
    same = [Sample("first", x, (0.0, 1.0)), Sample("second", x.copy(), (0.0, 1.0))]
    assert widest_half_width(same)[1] == "first"
    undefined = [*same, Sample("one value", np.array([0.2, math.nan, math.nan]), (0.0, 1.0))]
    assert widest_half_width(undefined) == (math.inf, "one value")
    assert next_round_size(same, 3, 1e-9, 10) == 10, "never past the cap"
    assert next_round_size(same, 3, 10.0, 100) == 5, "at least half as many again"
