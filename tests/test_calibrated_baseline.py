"""scenarios/baseline.yaml's calibrated block is the shipped calibration's point, written by a tool."""

from __future__ import annotations

from pathlib import Path

import pytest

from model.scenario import load_scenario
from tools import calibrated_baseline as cb

ROOT = Path(__file__).resolve().parents[1]


def test_the_shipped_baseline_is_the_shipped_calibrations_point() -> None:
    assert cb.main(["--check"]) == 0


def test_every_calibrated_parameter_reaches_the_loaded_baseline() -> None:
    """The baseline as the model loads it has each parameter at the folder's point (4 significant digits)."""
    import csv

    scenario = load_scenario(ROOT / "scenarios" / "baseline.yaml").model_dump()
    with (cb.SHIPPED / "parameters.csv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) >= 12
    for r in rows:
        node = scenario
        for part in r["key"].split("."):
            node = node[part]
        assert node == pytest.approx(float(r["calibrated"]), rel=5e-4), r["key"]


def test_the_block_nests_dotted_keys_and_states_interval_and_default(tmp_path: Path) -> None:
    (tmp_path / "parameters.csv").write_text(
        "key,default,q05,q95,calibrated\n"
        "behaviour.push.intercept,-4.3,-5.9,-4.1,-5.123456\n"
        "behaviour.nests.north_park,0.5,0.2,0.9,0.61\n"
        "world.outside.subsidy_yuan_per_job,20000,1000,90000,35123.4\n",
        encoding="utf-8",
    )
    assert cb.block(tmp_path) == [
        "behaviour:",
        "  push:",
        "    intercept: -5.123  # calibrated (90% -5.9 to -4.1; was -4.3)",
        "  nests:",
        "    north_park: 0.61  # calibrated (90% 0.2 to 0.9; was 0.5)",
        "world:",
        "  outside:",
        "    subsidy_yuan_per_job: 35120  # calibrated (90% 1000 to 90000; was 20000)",
    ]


def test_a_bad_folder_exits_2_with_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "parameters.csv").write_text("key,default,q05,q95,calibrated\nx.y,1,0,2,abc\n", encoding="utf-8")
    assert cb.main(["--calibration", str(tmp_path), "--check"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "parameters.csv" in err[0]
