"""`sensitivity`: Morris screening and Sobol' indices (SALib) over named factor ranges.

What is checked: on common random numbers a factor whose term is always 0 in
the base scenario (the guidance choice coefficient with no guidance lever) has
Morris μ* and Sobol' indices of exactly 0, while the push intercept and the
outside-province subsidy are detected with the sign the model implies; the
design stays on SALib's grid and inside the ranges; each point's outcome is
the replication mean; the same runs give the same bytes (1 or 2 workers);
--resume continues the same inputs and refuses others; --firms/--replications/
--seed reach the runs; a failed run stops the command (exit 1) until --resume;
SALib missing or a wrong design ⇒ exit 2 with one line.
"""

from __future__ import annotations

import argparse
import itertools
import shutil
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from model import simulate
from model.scenario import load_scenario
from model.seeds import replication_seeds
from tests.conftest import SCENARIOS, CliResult, read_csv, read_json
from tests.tables import fail_runs, hidden, run_record

pytest.importorskip("SALib")

INERT = "behaviour.choice.guidance"  # x_ijk is 0 for every firm unless industry_guidance encourages something
PUSH = "behaviour.push.intercept"
OUTSIDE = "world.outside.subsidy_yuan_per_job"
INTEGER = "behaviour.batches_per_year"

BASE_YAML = f"""\
name: sens_base
extends: {SCENARIOS / "baseline.yaml"}
years: {{start: 2023, end: 2027, hindcast_end: null, report_start: null}}
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
firms: 2000  # enough movers that north_share_jobs is defined in every run (400 was, with the hand list of bases)
design: {{method: sobol, samples: 16}}
factors:
  {INERT}: {{range: [0, 2]}}
  {PUSH}: {{range: [-5.0, -3.5]}}
  {INTEGER}: {{range: [1, 20], integer: true}}
outcomes: [relocated_jobs, north_share_jobs]
"""

MORRIS = "sensitivity-morris_test"
SOBOL = "sensitivity-sobol_test"
TABLES = ("indices.csv", "points.csv", "factors.csv", "notes.csv")


def _indices(folder: Path) -> dict[tuple[str, str, str], tuple[float, float]]:
    header, rows = read_csv(folder / "indices.csv")
    assert header == ["outcome", "factor", "index", "value", "conf"]
    return {(r["outcome"], r["factor"], r["index"]): (float(r["value"]), float(r["conf"])) for r in rows}


def _sensitivity(*args: str | Path) -> int:
    from cli import main

    return main(["sensitivity", *map(str, args), "-q", "--no-plots"])


@pytest.fixture(scope="module")
def morris(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One Morris analysis (6 trajectories × 4 points × 2 replications = 48 runs of 800 firms, 5 years)."""
    root = tmp_path_factory.mktemp("morris")
    (root / "base.yaml").write_text(BASE_YAML, encoding="utf-8")
    (root / "morris.yaml").write_text(MORRIS_YAML, encoding="utf-8")
    assert _sensitivity(root / "morris.yaml", "--out", root / "out") == 0
    return root / "out" / MORRIS


@pytest.fixture(scope="module")
def sobol(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One Sobol' analysis (16 × (3 + 2) = 80 runs of 400 firms, 5 years)."""
    root = tmp_path_factory.mktemp("sobol")
    (root / "base.yaml").write_text(BASE_YAML, encoding="utf-8")
    (root / "sobol.yaml").write_text(SOBOL_YAML, encoding="utf-8")
    assert _sensitivity(root / "sobol.yaml", "--out", root / "out") == 0
    return root / "out" / SOBOL


@pytest.fixture
def experiment(write: Callable[[str, str], Path]) -> Callable[[str], Path]:
    """Write base.yaml and an experiment file in tmp_path; return the experiment's path."""

    def _experiment(text: str) -> Path:
        write("base.yaml", BASE_YAML)
        return write("experiment.yaml", text)

    return _experiment


# --------------------------------------------------------------------------- Morris


def test_morris_inert_factor_is_exactly_zero_and_influential_factors_stand_out(morris: Path) -> None:
    ix = _indices(morris)
    assert len(ix) == 2 * 3 * 3  # outcomes × factors × (mu_star, mu, sigma)
    for outcome in ("relocated_jobs", "north_share_jobs"):
        # Common random numbers: moving only an inert factor reproduces the run bit for bit.
        assert ix[(outcome, INERT, "mu_star")] == (0.0, 0.0)
        assert ix[(outcome, INERT, "mu")][0] == 0.0 and ix[(outcome, INERT, "sigma")][0] == 0.0
    mu_star, conf = ix[("relocated_jobs", PUSH, "mu_star")]
    assert mu_star > conf > 0
    assert ix[("relocated_jobs", PUSH, "mu")][0] > 0  # a higher push intercept moves more jobs
    mu_star, conf = ix[("north_share_jobs", OUTSIDE, "mu_star")]
    assert mu_star > conf > 0
    assert ix[("north_share_jobs", OUTSIDE, "mu")][0] < 0  # richer outside offers draw movers away from the north
    assert np.isnan(ix[("relocated_jobs", PUSH, "mu")][1])  # SALib gives a CI for mu_star only


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
    runs = [run_record(morris, f"p00005-r{r:04d}") for r in range(2)]
    assert runs[0]["seed"] != runs[1]["seed"]
    mean = sum(r["metrics"]["relocated_jobs"] for r in runs) / 2
    assert float(points[5]["relocated_jobs"]) == pytest.approx(mean, rel=1e-9)
    # Replication r has the same seed at every point (common random numbers).
    assert run_record(morris, "p00000-r0001")["seed"] == runs[1]["seed"]


def test_morris_tables_and_manifest(morris: Path) -> None:
    assert {*TABLES, "manifest.json", "runs"} <= {p.name for p in morris.iterdir()}
    manifest = read_json(morris / "manifest.json")
    assert manifest["command"] == "sensitivity" and manifest["method"] == "morris"
    assert (manifest["points"], manifest["replications"], manifest["runs"]) == (24, 2, 48)
    assert manifest["seed"] == 5 and manifest["replication_seeds"] == replication_seeds(5, 2)
    design = manifest["design"]
    assert design["samples"] == 6 and design["levels"] == 4 and design["analysis_seed"] != 0
    assert manifest["versions_extra"]["SALib"]
    assert read_csv(morris / "notes.csv") == (["outcome", "note"], [])
    _, factors = read_csv(morris / "factors.csv")
    assert [f["key"] for f in factors] == [INERT, PUSH, OUTSIDE] and all(f["label"] for f in factors)
    assert hidden(morris) == []  # no temporary files left behind


def test_resume_keeps_finished_runs_and_refuses_other_inputs(
    morris: Path, tmp_path: Path, cli: Callable[..., CliResult]
) -> None:
    shutil.copytree(morris.parent.parent, tmp_path / "copy")
    folder = tmp_path / "copy" / "out" / MORRIS
    expected = (folder / "indices.csv").read_bytes()
    lost = sorted((folder / "runs").glob("p0001*.json"))
    for path in lost:
        path.unlink()  # as if killed mid-way
    res = cli("sensitivity", tmp_path / "copy" / "morris.yaml", "--out", folder.parent, "--resume", "-q", "--no-plots")
    assert res.code == 0, res.err
    assert read_json(folder / "manifest.json")["runs_executed"] == len(lost) == 20
    assert (folder / "indices.csv").read_bytes() == expected

    changed = tmp_path / "copy" / "morris.yaml"
    changed.write_text(MORRIS_YAML.replace("seed: 5", "seed: 6"), encoding="utf-8")
    res = cli("sensitivity", changed, "--out", folder.parent, "--resume", "-q")
    assert res.code == 2
    assert len(res.err_lines) == 1 and "other inputs" in res.err and str(folder) in res.err
    assert (folder / "indices.csv").read_bytes() == expected


# --------------------------------------------------------------------------- Sobol'


def test_sobol_indices_shape_and_bounds(sobol: Path) -> None:
    ix = _indices(sobol)
    assert len(ix) == 2 * 3 * 2  # outcomes × factors × (S1, ST)
    assert {key[2] for key in ix} == {"S1", "ST"}
    for outcome in ("relocated_jobs", "north_share_jobs"):
        assert ix[(outcome, INERT, "S1")] == (0.0, 0.0)
        assert ix[(outcome, INERT, "ST")] == (0.0, 0.0)
    (s1, s1_conf), (st, st_conf) = ix[("relocated_jobs", PUSH, "S1")], ix[("relocated_jobs", PUSH, "ST")]
    assert s1 - s1_conf <= st + st_conf  # S1 ≤ ST up to sampling error
    assert st - st_conf > 0  # the push intercept explains a share of the variance that is surely above 0

    _, points = read_csv(sobol / "points.csv")
    assert len(points) == 16 * (3 + 2)
    assert all(float(r[INTEGER]) == int(r[INTEGER]) and 1 <= int(r[INTEGER]) <= 20 for r in points)
    assert all(-5.0 <= float(r[PUSH]) <= -3.5 and 0 <= float(r[INERT]) <= 2 for r in points)
    manifest = read_json(sobol / "manifest.json")
    assert manifest["runs"] == 80 and manifest["firms"] == 2000 and manifest["design"]["levels"] is None


def test_sobol_bytes_are_the_same_with_two_workers_after_a_resume(
    sobol: Path, tmp_path: Path, cli: Callable[..., CliResult]
) -> None:
    """Half the runs made again by two workers, the other half kept: the same tables, byte for byte."""
    shutil.copytree(sobol.parent.parent, tmp_path / "copy")
    folder = tmp_path / "copy" / "out" / SOBOL
    for path in sorted((folder / "runs").glob("p*.json"))[::2]:
        path.unlink()
    args = ("--out", folder.parent, "--resume", "--workers", "2", "-q", "--no-plots")
    res = cli("sensitivity", tmp_path / "copy" / "sobol.yaml", *args)
    assert res.code == 0, res.err
    assert read_json(folder / "manifest.json")["runs_executed"] == 40
    for name in TABLES:
        assert (folder / name).read_bytes() == (sobol / name).read_bytes(), name


def test_design_depends_on_the_seed(experiment: Callable[[str], Path]) -> None:
    from experiments.analysis.salib import analysis_seed
    from experiments.sensitivity.experiment import Sensitivity

    args = argparse.Namespace(experiment=experiment(SOBOL_YAML), replications=None, seed=None, firms=None)
    plans = []
    for seed in (1, 1, 2):
        exp = Sensitivity(args)
        tasks = exp.plan(seed)
        plans.append((exp.x, exp.points, exp.sample_seed, [t.seed for t in tasks]))
    (a, pa, sa, ta), (b, pb, sb, tb), (c, _pc, sc, tc) = plans
    assert np.array_equal(a, b) and pa == pb and sa == sb and ta == tb
    assert not np.array_equal(a, c) and sa != sc and ta != tc
    assert all(isinstance(p[INTEGER], int) for p in pa)
    assert analysis_seed(sa) != 0  # SALib's Sobol' analysis treats seed 0 as "no seed"


# --------------------------------------------------------------------------- overrides and failures


def test_failed_runs_stop_with_exit_1_and_resume_completes_with_the_overrides(
    experiment: Callable[[str], Path], tmp_path: Path, cli: Callable[..., CliResult], monkeypatch: pytest.MonkeyPatch
) -> None:
    """--firms/--replications/--seed override the experiment file, also on --resume after failed runs."""
    path = experiment(MORRIS_YAML)
    overrides = ("--firms", "300", "--replications", "1", "--seed", "7")
    args = ("sensitivity", path, *overrides, "--out", tmp_path / "out", "-q", "--no-plots")
    folder = tmp_path / "out" / f"{MORRIS}-r1-f300-s7"
    fail_runs(monkeypatch, lambda sc, _seed: sc.behaviour.push.intercept > -4.75)  # the upper levels of its range
    res = cli(*args)
    assert res.code == 1 and len(res.err_lines) == 1, res.err
    assert "runs failed" in res.err and "boom" in res.err and "--resume" in res.err
    failed = list((folder / "runs").glob("*.error.json"))
    assert failed
    assert not (folder / "indices.csv").exists() and not (folder / "manifest.json").exists()

    monkeypatch.undo()
    res = cli(*args, "--resume")
    assert res.code == 0, res.err
    assert not list((folder / "runs").glob("*.error.json"))
    manifest = read_json(folder / "manifest.json")
    assert (
        manifest["runs_executed"]
        == len(failed)
        == len([p for p in read_csv(folder / "points.csv")[1] if float(p[PUSH]) > -4.75])
    )
    assert (manifest["firms"], manifest["replications"], manifest["seed"]) == (300, 1, 7)
    assert manifest["seed_source"] == "--seed" and manifest["runs"] == 24
    # the runs are the model at the point's values with 300 firms and replication 0's seed of master seed 7
    from experiments.sensitivity.experiment import Sensitivity

    planned = Sensitivity(argparse.Namespace(experiment=path, replications=1, seed=7, firms=300))
    planned.plan(7)
    point = planned.points[3]
    assert [float(read_csv(folder / "points.csv")[1][3][k]) for k in point] == pytest.approx(list(point.values()))
    scenario = load_scenario(path.parent / "base.yaml", {"firms.count": 300, **point})
    expected = simulate(scenario, replication_seeds(7, 1)[0]).metrics
    assert run_record(folder, "p00003-r0000")["metrics"] == pytest.approx(expected, nan_ok=True)


# --------------------------------------------------------------------------- bad input


def test_salib_missing_exits_2_with_how_to_install(
    experiment: Callable[[str], Path], tmp_path: Path, cli: Callable[..., CliResult], monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in [m for m in sys.modules if m == "SALib" or m.startswith("SALib.")]:
        monkeypatch.setitem(sys.modules, name, None)
    monkeypatch.setitem(sys.modules, "SALib", None)  # `import SALib…` now raises ImportError
    res = cli("sensitivity", experiment(MORRIS_YAML), "--out", tmp_path / "out")
    assert res.code == 2
    assert len(res.err_lines) == 1
    assert 'needs the optional package SALib (extra "sensitivity"), which is not installed' in res.err
    assert "pip install -e '.[sensitivity]'" in res.err
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("edit", "key"),
    [
        (("method: morris", "method: lhs"), "design.method"),
        (("levels: 4", "levels: 5"), "design.levels"),
        (("samples: 6", "samples: 1"), "design.samples"),
        ((f"{PUSH}: {{range: [-5.0, -3.5]}}", f"{PUSH}: {{values: [-5.0, -3.5]}}"), "range"),
        (("replications: 2", "replications: 0"), "replications"),
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
