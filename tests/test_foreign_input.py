"""Nothing of a file that is not a scenario, experiment or calibration file reaches a message (DESIGN §5).

Each case plants a marker in a file that is not a relocsim input (a secret behind
a link named like a scenario, or a YAML file with other keys) and names it where
a user names files: a FILE argument, `extends:`, an experiment's or a
calibration's `base:`, and `report FILE`. Every case must end with exit 2 and
one line, and the marker must not appear in stdout or stderr.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import ROOT, CliResult

MARKER = "PLANTEDMARKER"
SECRET = f"root:{MARKER}hash:19000:0:99999:7:::\n"
FOREIGN_YAML = f"name: {MARKER}name\nseed: {MARKER}seed\n{MARKER}key: 1\ndescription: {MARKER}text\n"


def _experiment(base: str) -> str:
    return f"name: e\nbase: {base}\nfactors: {{seed: {{values: [1, 2]}}}}\n"


def _calibration(base: str) -> str:
    return (
        f"name: c\nbase: {base}\nparameters:\n  behaviour.push.intercept: {{range: [-6.0, -3.0], reason: test}}\n"
        "fit: [outside_majority]\n"
    )


@pytest.fixture
def planted(tmp_path: Path) -> Path:
    """secret.txt (not YAML), link.yaml -> secret.txt, foreign.yaml (YAML, not a scenario)."""
    (tmp_path / "secret.txt").write_text(SECRET, encoding="utf-8")
    (tmp_path / "link.yaml").symlink_to(tmp_path / "secret.txt")
    (tmp_path / "foreign.yaml").write_text(FOREIGN_YAML, encoding="utf-8")
    return tmp_path


@pytest.mark.parametrize("target", ["link.yaml", "foreign.yaml"])
@pytest.mark.parametrize(
    ("command", "content"),
    [
        ("validate", None),
        ("run", None),
        ("validate", "name: x\nextends: {target}\n"),
        ("run", "name: x\nextends: {target}\n"),
        ("validate", _experiment("{target}")),
        ("sweep", _experiment("{target}")),
        ("validate", _calibration("{target}")),
        ("calibrate", _calibration("{target}")),
        ("report", None),
        ("compare", None),
    ],
)
def test_no_marker_of_a_foreign_file_reaches_a_message(
    planted: Path, cli: Callable[..., CliResult], command: str, content: str | None, target: str
) -> None:
    if content is None:
        named = planted / target
    else:
        named = planted / "naming.yaml"
        named.write_text(content.replace("{target}", target), encoding="utf-8")
    args = [command, named] if command != "compare" else [command, ROOT / "scenarios" / "baseline.yaml", named]
    res = cli(*args, "--out", planted / "out", "--quiet") if command != "validate" else cli(*args)
    assert res.code == 2, res
    assert MARKER not in res.out + res.err
    assert len(res.err_lines) == 1, res.err
    assert not (planted / "out").exists() or not any((planted / "out").iterdir())


def test_a_link_named_yaml_is_refused_for_its_target_and_a_link_to_a_scenario_is_read(
    planted: Path, cli: Callable[..., CliResult]
) -> None:
    res = cli("validate", planted / "link.yaml")
    assert "symbolic link to a file that is not a .yaml or .yml file" in res.err
    (planted / "base.yaml").symlink_to(ROOT / "scenarios" / "baseline.yaml")
    (planted / "child.yaml").write_text("name: child\nextends: base.yaml\n", encoding="utf-8")
    ok = cli("validate", planted / "child.yaml")
    assert ok.code == 0, ok.err


def test_a_typo_in_a_top_level_key_is_named_by_the_key_it_resembles(tmp_path: Path, cli) -> None:
    path = tmp_path / "typo.yaml"
    path.write_text("name: x\npolices: {}\n", encoding="utf-8")
    res = cli("validate", path)
    assert res.code == 2
    assert "did you mean 'policies'" in res.err
    assert "polices" not in res.err


def test_the_shipped_calibration_files_validate(cli: Callable[..., CliResult]) -> None:
    res = cli("validate", *sorted((ROOT / "calibrations").glob("*.yaml")))
    assert res.code == 0, res.err
    assert res.out.count("ok: ") == 3 and "calibration article_suzhou_levers" in res.out
