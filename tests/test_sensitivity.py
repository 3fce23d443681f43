"""`sensitivity`: Morris screening and Sobol' indices (SALib) over named factor ranges.

What is checked: on common random numbers a factor whose term is always 0 in
the base scenario (the guidance choice coefficient with no guidance lever) has
Morris μ* and Sobol' indices of exactly 0, while the push intercept and the
outside-province subsidy are detected with the sign the model implies; the
design stays on SALib's grid and inside the ranges; each point's outcome is
the replication mean; same seed ⇒ same bytes; --resume refuses runs of another
design; SALib missing or a wrong design ⇒ exit 2 with one line.
"""

from __future__ import annotations

import itertools
import json
import shutil
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import SCENARIOS, CliResult, read_csv, read_json

pytest.importorskip("SALib")

INERT = "behaviour.choice.guidance"  # x_ijk is 0 for every firm unless industry_guidance encourages something
PUSH = "behaviour.push.intercept"
OUTSIDE = "world.outside.subsidy_yuan_per_job"
INTEGER = "behaviour.batches_per_year"

BASE_YAML = f"""\
name: sens_base
extends: {SCENARIOS / "baseline.yaml"}
years: {{start: 2023, end: 2027}}
firms: {{count: 800}}
"""

MORRIS_YAML = f"""\
name: morris_test
base: base.yaml
seed: 5
replications: 2
design: {{method: morris, samples: 6, levels: 4}}
factors:
  {INERT}: {{range: [0, 2]}}
  {PUSH}: {{range: [-5.0, -3.5]}}
  {OUTSIDE}: {{range: [0, 80000]}}
outcomes: [relocated_jobs, north_share_jobs]
"""

SOBOL_YAML = f"""\
name: sobol_test
base: base.yaml
seed: 9
replications: 1
firms: 400
design: {{method: sobol, samples: 16}}
factors:
  {INERT}: {{range: [0, 2]}}
  {PUSH}: {{range: [-5.0, -3.5]}}
  {INTEGER}: {{range: [1, 20], integer: true}}
outcomes: [relocated_jobs, north_share_jobs]
"""

DETERMINISTIC = ("indices.csv", "indices.md", "points.csv", "plots/indices_relocated_jobs.png")


def _indices(folder: Path) -> dict[tuple[str, str, str], tuple[float, float | None]]:
    header, rows = read_csv(folder / "indices.csv")
    assert header == ["outcome", "factor", "index", "value", "conf"]
    return {
        (r["outcome"], r["factor"], r["index"]): (float(r["value"]), float(r["conf"]) if r["conf"] else None)
        for r in rows
    }


@pytest.fixture(scope="module")
def morris(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One Morris analysis (6 trajectories × 4 points × 2 replications = 48 runs of 800 firms, 5 years)."""
    from experiments.cli import main

    root = tmp_path_factory.mktemp("morris")
    (root / "base.yaml").write_text(BASE_YAML, encoding="utf-8")
    (root / "morris.yaml").write_text(MORRIS_YAML, encoding="utf-8")
    assert main(["sensitivity", str(root / "morris.yaml"), "--out", str(root / "out"), "-q"]) == 0
    return root / "out" / "morris_test"


@pytest.fixture
def experiment(write: Callable[[str, str], Path]) -> Callable[[str], Path]:
    """Write base.yaml and an experiment file in tmp_path; return the experiment's path."""

    def _experiment(text: str) -> Path:
        write("base.yaml", BASE_YAML)
        return write("experiment.yaml", text)

    return _experiment


def test_morris_inert_factor_is_exactly_zero_and_influential_factors_stand_out(morris: Path) -> None:
    ix = _indices(morris)
    assert len(ix) == 2 * 3 * 3  # outcomes × factors × (mu_star, mu, sigma)
    for outcome in ("relocated_jobs", "north_share_jobs"):
        # Common random numbers: moving only an inert factor reproduces the run bit for bit.
        assert ix[(outcome, INERT, "mu_star")] == (0.0, 0.0)
        assert ix[(outcome, INERT, "sigma")][0] == 0.0
    mu_star, conf = ix[("relocated_jobs", PUSH, "mu_star")]
    assert conf is not None and mu_star > conf > 0
    assert ix[("relocated_jobs", PUSH, "mu")][0] > 0  # a higher push intercept moves more jobs
    mu_star, conf = ix[("north_share_jobs", OUTSIDE, "mu_star")]
    assert conf is not None and mu_star > conf > 0
    assert ix[("north_share_jobs", OUTSIDE, "mu")][0] < 0  # richer outside offers draw movers away from the north
    assert ix[("relocated_jobs", PUSH, "mu")][1] is None  # SALib gives a CI for mu_star only


def test_morris_design_is_on_the_grid_and_points_are_replication_means(morris: Path) -> None:
    header, points = read_csv(morris / "points.csv")
    assert header == ["point", INERT, PUSH, OUTSIDE, "relocated_jobs", "north_share_jobs"]
    assert len(points) == 6 * (3 + 1)
    ranges = {INERT: (0.0, 2.0), PUSH: (-5.0, -3.5), OUTSIDE: (0.0, 80000.0)}
    for row in points:
        for name, (lo, hi) in ranges.items():
            level = (float(row[name]) - lo) / (hi - lo) * 3  # 4 levels: 0, 1/3, 2/3, 1 of the range
            assert level == pytest.approx(round(level), abs=1e-8) and 0 <= round(level) <= 3
    # A trajectory changes one factor per step.
    for t in range(6):
        rows = points[4 * t : 4 * t + 4]
        for a, b in itertools.pairwise(rows):
            assert sum(a[n] != b[n] for n in ranges) == 1
    # Each point's outcome is the mean of its replications' run files.
    runs = [read_json(morris / "runs" / f"p00005-r{r:04d}.json") for r in range(2)]
    assert runs[0]["seed"] != runs[1]["seed"]
    mean = sum(r["metrics"]["relocated_jobs"] for r in runs) / 2
    assert float(points[5]["relocated_jobs"]) == pytest.approx(mean, rel=1e-9)
    # Replication r has the same seed at every point (common random numbers).
    assert read_json(morris / "runs" / "p00000-r0001.json")["seed"] == runs[1]["seed"]


def test_morris_outputs_and_manifest(morris: Path) -> None:
    manifest = read_json(morris / "manifest.json")
    assert (manifest["method"], manifest["points"], manifest["replications"], manifest["runs"]) == ("morris", 24, 2, 48)
    assert manifest["seed"] == 5 and len(manifest["replication_seeds"]) == 2
    assert manifest["outcomes_analysed"] == ["relocated_jobs", "north_share_jobs"]
    assert sorted(p.name for p in (morris / "plots").iterdir()) == [
        "indices_north_share_jobs.png",
        "indices_relocated_jobs.png",
    ]
    report = (morris / "indices.md").read_text(encoding="utf-8")
    assert f"μ* = 0 exactly): `{INERT}`" in report
    assert not [p for p in morris.iterdir() if p.name.startswith(".")]  # no temporary folder left behind


def test_resume_keeps_finished_runs_and_refuses_another_design(
    morris: Path, tmp_path: Path, cli: Callable[..., CliResult]
) -> None:
    shutil.copytree(morris.parent.parent, tmp_path / "copy")
    folder = tmp_path / "copy" / "out" / "morris_test"
    expected = (folder / "indices.csv").read_bytes()
    lost = sorted((folder / "runs").glob("p0001*.json"))
    for path in lost:
        path.unlink()  # as if killed mid-way
    (folder / "indices.csv").unlink()
    res = cli("sensitivity", tmp_path / "copy" / "morris.yaml", "--out", folder.parent, "--resume")
    assert res.code == 0, res.err
    assert f"({len(lost)} run now)" in res.out
    assert (folder / "indices.csv").read_bytes() == expected

    changed = tmp_path / "copy" / "morris.yaml"
    changed.write_text(MORRIS_YAML.replace("seed: 5", "seed: 6"), encoding="utf-8")
    res = cli("sensitivity", changed, "--out", folder.parent, "--resume", "-q")
    assert res.code == 2
    assert len(res.err_lines) == 1 and "--resume" in res.err and "different design" in res.err


def test_sobol_indices_shape_bounds_and_reproducible_bytes(
    experiment: Callable[[str], Path], tmp_path: Path, cli: Callable[..., CliResult]
) -> None:
    path = experiment(SOBOL_YAML)
    for out in ("a", "b"):
        res = cli("sensitivity", path, "--out", tmp_path / out, "-q")
        assert res.code == 0, res.err
    a, b = tmp_path / "a" / "sobol_test", tmp_path / "b" / "sobol_test"
    for name in DETERMINISTIC:
        assert (a / name).read_bytes() == (b / name).read_bytes(), name

    ix = _indices(a)
    assert len(ix) == 2 * 3 * 2  # outcomes × factors × (S1, ST)
    assert {key[2] for key in ix} == {"S1", "ST"}
    for outcome in ("relocated_jobs", "north_share_jobs"):
        assert ix[(outcome, INERT, "S1")] == (0.0, 0.0)
        assert ix[(outcome, INERT, "ST")] == (0.0, 0.0)
    (s1, s1_conf), (st, st_conf) = ix[("relocated_jobs", PUSH, "S1")], ix[("relocated_jobs", PUSH, "ST")]
    assert s1_conf is not None and st_conf is not None
    assert s1 - s1_conf <= st + st_conf  # S1 ≤ ST up to sampling error
    assert st - st_conf > 0  # the push intercept explains a share of the variance that is surely above 0

    _, points = read_csv(a / "points.csv")
    assert len(points) == 16 * (3 + 2)
    assert all(float(r[INTEGER]) == int(r[INTEGER]) and 1 <= int(r[INTEGER]) <= 20 for r in points)
    assert all(-5.0 <= float(r[PUSH]) <= -3.5 for r in points)
    assert read_json(a / "manifest.json")["runs"] == 80


def test_salib_missing_exits_2_with_how_to_install(
    experiment: Callable[[str], Path], tmp_path: Path, cli: Callable[..., CliResult], monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in [m for m in sys.modules if m == "SALib" or m.startswith("SALib.")]:
        monkeypatch.setitem(sys.modules, name, None)
    monkeypatch.setitem(sys.modules, "SALib", None)  # `import SALib…` now raises ImportError
    res = cli("sensitivity", experiment(MORRIS_YAML), "--out", tmp_path / "out")
    assert res.code == 2
    assert len(res.err_lines) == 1
    assert "SALib is not installed" in res.err and "pip install" in res.err
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("edit", "key"),
    [
        (("method: morris", "method: lhs"), "design.method"),
        (("levels: 4", "levels: 5"), "design.levels"),
        (("samples: 6", "samples: 1"), "design.samples"),
        ((f"{PUSH}: {{range: [-5.0, -3.5]}}", f"{PUSH}: {{values: [-5.0, -3.5]}}"), "range"),
    ],
)
def test_bad_design_exits_2_naming_the_key(
    edit: tuple[str, str],
    key: str,
    experiment: Callable[[str], Path],
    tmp_path: Path,
    cli: Callable[..., CliResult],
) -> None:
    path = experiment(MORRIS_YAML.replace(*edit))
    res = cli("sensitivity", path, "--out", tmp_path / "out")
    assert res.code == 2
    assert len(res.err_lines) == 1 and key in res.err and str(path) in res.err
    assert not (tmp_path / "out").exists()


def test_points_are_rounded_for_integer_factors() -> None:
    from experiments.sensitivity import _point

    assert _point(["a", "b"], [True, False], np.array([3.5000001, 3.5])) == {"a": 4, "b": 3.5}
    assert json.dumps(_point(["a"], [True], np.array([2.4]))) == '{"a": 2}'


def test_design_depends_on_the_seed(experiment: Callable[[str], Path]) -> None:
    from experiments.design import load_experiment
    from experiments.sensitivity import build_design, require_salib

    loaded = load_experiment(experiment(SOBOL_YAML))
    salib = require_salib()
    a, b, c = (build_design(loaded, seed, salib) for seed in (1, 1, 2))
    assert np.array_equal(a.x, b.x) and a.points == b.points
    assert not np.array_equal(a.x, c.x)
    assert a.analysis_seed != 0  # SALib's Sobol' analysis treats seed 0 as "no seed"


def test_failed_runs_write_no_indices_and_resume_completes(
    experiment: Callable[[str], Path], tmp_path: Path, cli: Callable[..., CliResult], monkeypatch: pytest.MonkeyPatch
) -> None:
    import experiments.engine

    real = experiments.engine.simulate

    def flaky(scenario, seed, data=None):  # one worker runs tasks in this process
        if scenario.behaviour.push.intercept > -4.75:  # the upper levels of its range
            raise RuntimeError("boom")
        return real(scenario, seed, data)

    path = experiment(MORRIS_YAML.replace("replications: 2", "replications: 1"))
    folder = tmp_path / "out" / "morris_test"
    monkeypatch.setattr(experiments.engine, "simulate", flaky)
    res = cli("sensitivity", path, "--out", tmp_path / "out", "-q")
    assert res.code == 1
    assert "runs failed" in res.err and "boom" in res.err and "--resume" in res.err
    assert list((folder / "runs").glob("*.error.json"))
    assert not (folder / "indices.csv").exists() and not (folder / "manifest.json").exists()

    monkeypatch.setattr(experiments.engine, "simulate", real)
    res = cli("sensitivity", path, "--out", tmp_path / "out", "--resume", "-q")
    assert res.code == 0, res.err
    assert not list((folder / "runs").glob("*.error.json"))
    assert read_json(folder / "manifest.json")["runs_executed_now"] == len(
        [p for p in read_csv(folder / "points.csv")[1] if float(p[PUSH]) > -4.75]
    )
