"""Publishing a result folder is atomic for a reader: a kill -9 at any moment leaves the old results or the new.

A command is killed (SIGKILL, nothing of it runs after) at each named moment of
publishing, with the exchange of folders the system offers and with the
fallback of two renames; the folder must then hold one complete set (its
manifest and every file the manifest lists, the old set's bytes or the new
set's), and the next command must finish and leave no hidden work behind.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import HANG_GUARD_S, ROOT, SMALL_YAML

KILLER = """\
import os, sys
import experiments.engine.folders as folders
target, fallback = sys.argv[1], sys.argv[2] == "fallback"
def phase(name):
    if name == target:
        os.kill(os.getpid(), 9)
folders._phase = phase
if fallback:
    class NoExchange:
        def __init__(self, *a, **k):
            pass
    folders.ctypes.CDLL = NoExchange  # no renameat2: the two-rename fallback
from cli import main
sys.exit(main(sys.argv[3:]))
"""


def _killed(phase: str, mode: str, args: list[str]) -> int:
    proc = subprocess.run(
        [sys.executable, "-c", KILLER, phase, mode, *args], cwd=ROOT, capture_output=True, timeout=HANG_GUARD_S
    )
    return proc.returncode


def _complete_set(folder: Path) -> dict[str, bytes]:
    """Every file the manifest lists exists; the set's bytes (runs/ and the manifest's times left out)."""
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    for name in manifest["files"]:
        assert (folder / name.rstrip("/")).exists(), f"{name} of the manifest is missing"
    return {
        str(p.relative_to(folder)): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.name != "manifest.json" and "runs" not in p.relative_to(folder).parts
    }


@pytest.mark.parametrize("mode", ["exchange", "fallback"])
@pytest.mark.parametrize("phase", ["built", "aside", "exchanged"])
def test_a_kill_at_any_moment_of_publishing_leaves_the_old_results_or_the_new(
    tmp_path: Path, mode: str, phase: str
) -> None:
    if phase == "aside" and mode == "exchange":
        pytest.skip("the exchange has no moment between two renames")
    scenario = tmp_path / "small.yaml"
    scenario.write_text(SMALL_YAML, encoding="utf-8")
    out = tmp_path / "out"
    base = ["run", str(scenario), "--out", str(out), "-q", "--no-plots", "--name", "small"]  # one folder, any seed
    assert (
        subprocess.run([sys.executable, "run.py", *base, "--seed", "1"], cwd=ROOT, timeout=HANG_GUARD_S).returncode == 0
    )
    old = _complete_set(out / "small")
    assert (
        subprocess.run(
            [sys.executable, "run.py", *base, "--seed", "2", "--name", "new"], cwd=ROOT, timeout=HANG_GUARD_S
        ).returncode
        == 0
    )
    new = _complete_set(out / "new")
    assert old != new

    assert _killed(phase, mode, [*base, "--seed", "2", "--overwrite"]) == -9
    # What a reader finds now (the next command puts aside results back first: `recover` in ResultFolder.locked).
    folder = out / "small"
    if not folder.exists():
        assert mode == "fallback" and phase == "aside"
        aside = list(out.glob(".small.old-*"))
        assert len(aside) == 1 and _complete_set(aside[0]) == old
    else:
        assert _complete_set(folder) in (old, new)

    again = subprocess.run(
        [sys.executable, "run.py", *base, "--seed", "2", "--overwrite"], cwd=ROOT, timeout=HANG_GUARD_S
    )
    assert again.returncode == 0
    assert _complete_set(folder) == new
    assert sorted(p.name for p in out.iterdir()) == ["new", "small"], "no hidden work left beside the folders"
    assert not [p for p in folder.iterdir() if p.name.startswith(".")]


@pytest.mark.parametrize("phase", ["built", "exchanged"])
def test_a_kill_while_plot_redraws_leaves_a_complete_folder(tmp_path: Path, phase: str) -> None:
    scenario = tmp_path / "small.yaml"
    scenario.write_text(SMALL_YAML, encoding="utf-8")
    out = tmp_path / "out"
    run = [sys.executable, "run.py", "run", str(scenario), "--out", str(out), "-q", "--seed", "1", "--name", "small"]
    assert subprocess.run(run, cwd=ROOT, timeout=HANG_GUARD_S).returncode == 0
    before = _complete_set(out / "small")
    runs = sorted(p.name for p in (out / "small" / "runs").iterdir())
    assert _killed(phase, "exchange", ["plot", str(out / "small"), "-q"]) == -9
    assert _complete_set(out / "small") == before  # a redraw writes the same bytes: old or new, the same set
    assert sorted(p.name for p in (out / "small" / "runs").iterdir()) == runs, "no moment of a redraw loses a run"
    redraw = subprocess.run(
        [sys.executable, "run.py", "plot", str(out / "small"), "-q"], cwd=ROOT, timeout=HANG_GUARD_S
    )
    assert redraw.returncode == 0
    assert _complete_set(out / "small") == before
    assert sorted(p.name for p in (out / "small" / "runs").iterdir()) == runs, "plot keeps the runs"


def test_plot_carries_a_users_link_over_as_a_link_and_refuses_to_replace_one_in_plots(tmp_path: Path) -> None:
    scenario = tmp_path / "small.yaml"
    scenario.write_text(SMALL_YAML, encoding="utf-8")
    out = tmp_path / "out"
    run = [sys.executable, "run.py", "run", str(scenario), "--out", str(out), "-q", "--seed", "1", "--name", "small"]
    assert subprocess.run(run, cwd=ROOT, timeout=HANG_GUARD_S).returncode == 0
    big = tmp_path / "big"
    (big / "inner").mkdir(parents=True)
    (big / "inner" / "data.bin").write_bytes(b"x" * 1000)
    (out / "small" / "mine").symlink_to(big)  # beside what plot replaces: carried over as a link
    plot = [sys.executable, "run.py", "plot", str(out / "small"), "-q"]
    assert subprocess.run(plot, cwd=ROOT, timeout=HANG_GUARD_S).returncode == 0
    assert (out / "small" / "mine").is_symlink() and (out / "small" / "mine").resolve() == big.resolve()
    assert (big / "inner" / "data.bin").read_bytes() == b"x" * 1000
    (out / "small" / "plots" / "mine").symlink_to(big)  # inside what plot replaces: refused, kept
    refused = subprocess.run(plot, cwd=ROOT, capture_output=True, text=True, timeout=HANG_GUARD_S)
    assert refused.returncode == 2 and "plots/mine was not written by relocsim" in refused.stderr
    assert (out / "small" / "plots" / "mine").is_symlink()
