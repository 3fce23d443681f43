"""`discover`: the box-finding layer on a known failure region, and the command end to end on a tiny world.

The closed-form check: worlds uniform on [0, 1]^4 fail exactly where x1 > 0.7
and x2 < 0.3; PRIM's box must restrict those two dimensions near those limits
(and nothing else much), with significant quasi-p values, and CART must agree.
End to end: the folder's files, the base and each package paired on the same
seed in every world and replication, the same seed giving byte-identical
tables with 1 or 2 workers, and bad input refused with one line (exit 2).
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest
import yaml

from experiments.design.experiment_file import Factor
from experiments.discover.boxes import Settings, discover
from experiments.discover.spec import DiscoverFile, Failure, load_discover
from tests.conftest import ROOT, run_py
from tests.test_reference import schema_paths, yaml_paths

pytest.importorskip("ema_workbench")

TABLES = ("worlds.csv", "outcomes.csv", "packages.csv", "boxes.csv", "trajectory.csv", "factors.csv")


# --------------------------------------------------------------------------- the box-finding layer


def _known_region(n: int = 600, seed: int = 1) -> tuple[dict[str, np.ndarray], np.ndarray]:
    rng = np.random.default_rng(seed)
    x = {f"x{i}": rng.random(n) for i in range(1, 5)}
    return x, (x["x1"] > 0.7) & (x["x2"] < 0.3)


def test_prim_finds_a_known_failure_region_and_cart_agrees() -> None:
    x, failed = _known_region()
    d = discover(x, failed, Settings(resamples=4), seed=3)
    box = d.prim[0]
    limits = {r.dimension: r for r in box.restrictions}
    assert {"x1", "x2"} <= set(limits)
    assert limits["x1"].low_restricted and not limits["x1"].high_restricted
    assert limits["x2"].high_restricted and not limits["x2"].low_restricted
    assert abs(limits["x1"].low - 0.7) < 0.05 and abs(limits["x2"].high - 0.3) < 0.08
    for other in set(limits) - {"x1", "x2"}:  # anything else is barely restricted
        assert limits[other].kept_share(0.0, 1.0) > 0.8
    assert box.coverage > 0.9 and box.density > 0.8 and box.meets_density
    assert limits["x1"].qp_low < 1e-6 and limits["x2"].qp_high < 1e-6
    assert 0 <= limits["x1"].reproduce_density_pct <= 100
    chosen = [s for s in d.trajectory if s.chosen and s.box == 1]
    assert len(chosen) == 1 and chosen[0].coverage == box.coverage
    leaf = d.cart[0]
    cart_limits = {r.dimension: r for r in leaf.restrictions}
    assert set(cart_limits) == {"x1", "x2"}
    assert abs(cart_limits["x1"].low - 0.7) < 0.05 and abs(cart_limits["x2"].high - 0.3) < 0.05
    assert leaf.density == 1.0 and leaf.coverage > 0.95
    again = discover(x, failed, Settings(resamples=4), seed=3)
    assert again == d  # seeded: the same worlds give the same boxes, resamples and tree


def test_boxes_need_both_outcomes() -> None:
    x, failed = _known_region(50)
    with pytest.raises(ValueError, match="both"):
        discover(x, np.zeros_like(failed), Settings(), seed=1)


def test_without_ema_workbench_the_command_says_which_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    from experiments.discover import boxes
    from model.errors import InputError

    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    with pytest.raises(InputError, match=r"package ema_workbench \(extra \"ema\"\).*pip install -e '\.\[ema\]'"):
        boxes.require_ema()


def test_failure_rule() -> None:
    below = Failure(metric="to_north_jobs", change_below=10_000)
    assert below.fails(np.array([9_999.0, 10_000.0, np.nan])).tolist() == [True, False, False]
    above = Failure(metric="to_outside_jobs", change_above=0)
    assert above.fails(np.array([-1.0, 0.0, 1.0])).tolist() == [False, False, True]
    assert below.words() == "the change in jobs moved to north parks is below +10,000"


# --------------------------------------------------------------------------- the command


BASE = f"""\
name: tiny_base
extends: {ROOT / "scenarios" / "baseline.yaml"}
years: {{start: 2022, end: 2026, hindcast_end: 2023, report_start: 2024}}
firms: {{count: 1500}}
"""
AID = """\
name: aid
extends: base.yaml
policies:
  relocation_aid: {start_year: 2024, end_year: 2026, yuan_per_job: 100000, annual_budget_yuan: 1.0e10}
"""
TALENT = """\
name: talent
extends: base.yaml
policies:
  talent: {annual_budget_yuan: 2.0e9, start_year: 2024}
"""
DISCOVERY = """\
name: tiny
base: base.yaml
seed: 5
packages: [aid.yaml, talent.yaml]
worlds: 20
uncertainties:
  world.outside.subsidy_yuan_per_job: {range: [0, 100000]}
  behaviour.choice.subsidy: {range: [0.0, 1.5]}
  world.south.wage_per_year: {range: [0.03, 0.09]}
failure: {metric: to_north_jobs, change_below: 3000}
prim: {resamples: 3}
"""


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("discover")
    for name, text in (("base.yaml", BASE), ("aid.yaml", AID), ("talent.yaml", TALENT), ("d.yaml", DISCOVERY)):
        (folder / name).write_text(text, encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def result(files: Path) -> Path:
    done = run_py(["discover", files / "d.yaml", "--out", files / "out", "--workers", "1", "-q"])
    assert done.returncode == 0, done.stderr
    return files / "out" / "discover-tiny"


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def test_discover_writes_its_folder(result: Path) -> None:
    for name in (*TABLES, "discovery.md", "discovery.html", "manifest.json", "experiment.resolved.yaml"):
        assert (result / name).is_file(), name
    worlds = _rows(result / "worlds.csv")
    assert len(worlds) == 20
    subsidy = sorted(float(w["world.outside.subsidy_yuan_per_job"]) for w in worlds)
    strata = [int(v // 5000) for v in subsidy]  # a Latin hypercube: one world in each twentieth of the range
    assert strata == list(range(20))
    packages = {p["package"]: p for p in _rows(result / "packages.csv")}
    assert set(packages) == {"aid", "talent"}
    text = (result / "discovery.md").read_text(encoding="utf-8")
    for name, p in packages.items():
        assert f"## {name}" in text
        if p["verdict"] == "boxes":
            assert (result / "plots" / f"tradeoff_{name}.png").is_file()
            assert (result / "plots" / f"scatter_{name}.png").is_file()
            assert any(b["package"] == name and b["method"] == "prim" for b in _rows(result / "boxes.csv"))
        else:
            assert p["verdict"] in ("never fails", "always fails", "no box")
    assert any(p["verdict"] == "boxes" for p in packages.values())  # the seed gives a package with a box
    assert (result / "plots" / "changes.png").is_file()
    assert "fails when" in text


def test_outcomes_pair_base_and_package_on_one_seed(result: Path) -> None:
    manifest = json.loads((result / "manifest.json").read_text(encoding="utf-8"))
    seeds = manifest["world_seeds"]
    rows = _rows(result / "outcomes.csv")
    assert len(rows) == 2 * 20 * 1
    base_of: dict[tuple[str, str], str] = {}
    for row in rows:
        w, r = int(row["world"]), int(row["replication"])
        assert int(row["seed"]) == seeds[w][r]
        for m in ("to_north_jobs", "to_outside_jobs", "fiscal_cost_yuan"):
            assert float(row[f"change_{m}"]) == pytest.approx(float(row[f"package_{m}"]) - float(row[f"base_{m}"]))
        # the base's values in a world are the same whichever package they are paired with
        assert (
            base_of.setdefault((row["world"], row["replication"]), row["base_to_north_jobs"])
            == row["base_to_north_jobs"]
        )
        assert (row["failed"] == "true") == (float(row["world_mean_change"]) < 3000)
    stored = {}
    for path in (result / "runs").glob("w*.json"):
        rec = json.loads(path.read_text(encoding="utf-8"))
        stored[rec["task_id"]] = rec["seed"]
    assert len(stored) == 20 * 3
    for w in range(20):
        assert stored[f"w{w:05d}-base-r0000"] == stored[f"w{w:05d}-p00-r0000"] == stored[f"w{w:05d}-p01-r0000"]
    assert len({stored[f"w{w:05d}-base-r0000"] for w in range(20)}) == 20  # worlds draw independent seeds


def test_same_seed_same_tables_with_two_workers(files: Path, result: Path) -> None:
    done = run_py(["discover", files / "d.yaml", "--out", files / "again", "--workers", "2", "-q", "--no-plots"])
    assert done.returncode == 0, done.stderr
    for name in TABLES:
        assert (files / "again" / "discover-tiny" / name).read_bytes() == (result / name).read_bytes(), name


def test_plot_redraws_a_discovery(result: Path) -> None:
    done = run_py(["plot", result, "-q"])
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize(
    ("change", "where"),
    [
        (("metric: to_north_jobs", "metric: north_jobs"),
         "failure.metric"),
        (("range: [0.0, 1.5]", "range: [0.5, 0.5]"), "uncertainties"),
        (("[aid.yaml, talent.yaml]", "[aid.yaml, missing.yaml]"), "packages[1]"),
        (("worlds: 20", "worlds: 1"), "worlds"),
        (("world.south.wage_per_year: {range: [0.03, 0.09]}", "policies.talent.annual_budget_yuan: {range: [0, 1]}"),
         "uncertainties"),
        (("world.south.wage_per_year: {range: [0.03, 0.09]}", "world.south.wage_per_year: {range: [0.03, 5]}"),
         "uncertainties.world.south.wage_per_year"),
    ],
)  # fmt: skip
def test_bad_input_is_one_line_and_exit_2(files: Path, change: tuple[str, str], where: str) -> None:
    text = DISCOVERY.replace(*change)
    assert text != DISCOVERY
    bad = files / "bad.yaml"
    bad.write_text(text, encoding="utf-8")
    done = run_py(["discover", bad, "--out", files / "bad_out", "-q"])
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in done.stderr
    assert str(bad) in lines[0] and where in lines[0]
    assert not (files / "bad_out").exists() or not any((files / "bad_out").iterdir())


def test_a_package_with_other_years_is_refused(files: Path) -> None:
    other = files / "other_years.yaml"
    other.write_text(AID.replace("name: aid", "name: later") + "years: {start: 2022, end: 2027}\n", encoding="utf-8")
    bad = files / "bad_years.yaml"
    bad.write_text(DISCOVERY.replace("[aid.yaml, talent.yaml]", "[aid.yaml, other_years.yaml]"), encoding="utf-8")
    done = run_py(["discover", bad, "--out", files / "bad_out", "-q"])
    assert done.returncode == 2
    (line,) = done.stderr.strip().splitlines()
    assert str(other) in line and "years" in line and "2022-2026" in line


def test_shipped_example_validates() -> None:
    done = run_py(["validate", ROOT / "experiments" / "examples" / "discover_aid.yaml"])
    assert done.returncode == 0, done.stderr
    assert "discovery discover_aid" in done.stdout


REFERENCE = ROOT / "experiments" / "discover.reference.yaml"


def test_reference_documents_exactly_the_discovery_schema() -> None:
    data = yaml.safe_load(REFERENCE.read_text(encoding="utf-8"))
    uncertainties = data.pop("uncertainties")
    documented = yaml_paths(data) | {"uncertainties"}
    for spec in uncertainties.values():
        documented |= {f"uncertainties.*.{key}" for key in spec}
    sampled_only = {"uncertainties.*.values", "uncertainties.*.levels"}  # refused: worlds are sampled from ranges
    schema = (schema_paths(DiscoverFile) | schema_paths(Factor, "uncertainties.*.")) - sampled_only
    assert documented - schema == set(), "keys in discover.reference.yaml that the schema does not know"
    assert schema - documented == set(), "schema keys missing from discover.reference.yaml"
    lines = REFERENCE.read_text(encoding="utf-8").splitlines()
    assert [ln for ln in lines if ln.strip() and not ln.lstrip().startswith("#") and "#" not in ln] == []
    spec = load_discover(REFERENCE).spec  # a valid file, every default key at its default
    assert spec.prim == DiscoverFile.model_fields["prim"].default and spec.worlds == 1000
