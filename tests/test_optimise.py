"""`optimise`: the search machinery on objectives whose front is known, certification, and the command end to end."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml

from experiments.optimise.certify import certify
from experiments.optimise.experiment import select
from experiments.optimise.outcomes import Robustness
from experiments.optimise.search import Constraint, Decision, Objective, Package, Scoring, Search, nondominated
from model.outcomes import HORIZON

pytest.importorskip("pymoo")

ROOT = Path(__file__).resolve().parents[1]
SMALL = ROOT / "experiments" / "examples" / "optimise_small.yaml"
NORTH, OUTSIDE, COST = (HORIZON.index(m) for m in ("to_north_jobs", "to_outside_jobs", "fiscal_cost_yuan"))
SCORING = Scoring(
    HORIZON, (Objective("to_north_jobs", "higher"), Objective("fiscal_cost_yuan", "lower")), (), Robustness("mean")
)
NOISE_SD = 20.0
SCORING_CAP = Constraint("fiscal_cost_yuan", "max", 1e9)


def truth(package: Package) -> tuple[float, float]:
    """(north change, cost) of a synthetic package: north = 1000·√x, cost = 100·x + 50·waste.

    `waste` spends without moving a job, so the true front is waste = 0, x over [0, 1].
    """
    x, waste = float(package["x"]), float(package["waste"])
    return 1000.0 * np.sqrt(x), 100.0 * x + 50.0 * waste


def synthetic(worlds: int, reps: int, lucky: dict[str, float] | None = None):
    """An `evaluate` callback: each run's north change is the truth plus N(0, 20²) noise seeded by (package, block)."""

    def evaluate(packages: list[tuple[str, Package]], block: int) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        out = {}
        for key, package in packages:
            rng = np.random.default_rng([int(key[1:], 16), block])
            change = np.zeros((worlds, reps, len(HORIZON)))
            north, cost = truth(package) if "x" in package else (package["north"], package["cost"])
            change[:, :, NORTH] = north + rng.normal(0.0, NOISE_SD, (worlds, reps))
            if lucky and block == 0 and package.get("name") in lucky:
                change[:, :, NORTH] += lucky[str(package["name"])]
            change[:, :, COST] = cost
            out[key] = (change, change.copy())
        return out

    return evaluate


def test_search_finds_the_known_front_within_its_intervals() -> None:
    """Closed form: the certified packages lie near the true front and their confirmed north change is the truth.

    The true front is waste = 0: north = 1000·√(cost / 100) up to cost 100. Each certified package's true north
    change is within 30 jobs (3 % of the range) of the front's at its true cost, most carry no waste (the
    extreme end may keep some: above cost 100 no north job is left to win, so waste there is within noise of
    none), and the confirmation's estimate of its north change agrees with its truth within 4 standard errors.
    """
    decisions = (Decision("x", "range", 0.0, 1.0), Decision("waste", "range", 0.0, 1.0))
    search = Search(decisions, SCORING, synthetic(4, 3), population=16, generations=25, reevaluate=2)
    search.run(seed=1)
    assert {"x": 0.0, "waste": 0.0} in search.packages.values()  # the first generation holds the cheapest corner
    front = select(search, 12)
    confirmed = synthetic(4, 10)([(k, search.packages[k]) for k in front], 1000)
    verdicts = certify(front, confirmed, SCORING, seed=5)
    certified = [v.key for v in verdicts if v.certified]
    assert len(certified) >= 6
    wasteless = 0
    for key in certified:
        package = search.packages[key]
        north, cost = truth(package)
        assert 1000.0 * np.sqrt(min(cost, 100.0) / 100.0) - north <= 30.0, package
        wasteless += float(package["waste"]) < 0.06
        values = confirmed[key][0][:, :, NORTH].ravel()
        se = values.std(ddof=1) / np.sqrt(values.size)
        assert abs(values.mean() - north) < 4 * se
    assert wasteless >= 0.8 * len(certified)


def test_a_package_that_wins_only_by_a_lucky_block_is_dropped_at_confirmation() -> None:
    """'lucky' is truly worse than 'good' (90 against 100 jobs at the same cost) but its first block adds +300."""
    options = {
        "good": {"north": 100.0, "cost": 10.0},
        "lucky": {"north": 90.0, "cost": 10.0},
        "bad": {"north": 50.0, "cost": 10.0},
    }
    decisions = (Decision("name", "values", values=tuple(options)),)

    def evaluate(packages, block):  # type: ignore[no-untyped-def]
        full = [(k, {**p, **options[str(p["name"])]}) for k, p in packages]
        return synthetic(3, 4, lucky={"lucky": 300.0})(full, block)

    search = Search(decisions, SCORING, evaluate, population=8, generations=3, reevaluate=2)
    search.run(seed=2)
    keys = {str(p["name"]): k for k, p in search.packages.items()}
    assert search.front() == [keys["lucky"]]  # the search itself is fooled: 2 blocks still average (390 + 90) / 2
    front = select(search, 6)
    assert keys["good"] in front  # the next layer is confirmed too
    confirmed = evaluate([(k, search.packages[k]) for k in front], 1000)
    verdicts = {v.key: v for v in certify(front, confirmed, SCORING, seed=3)}
    assert not verdicts[keys["lucky"]].certified
    assert verdicts[keys["lucky"]].beaten_by == [keys["good"]]
    assert verdicts[keys["good"]].certified


def test_equal_packages_both_stay_and_constraints_drop() -> None:
    """Two packages the confirmation cannot tell apart both stay; a broken constraint drops a package."""
    change = np.zeros((2, 5, len(HORIZON)))
    change[:, :, NORTH] = np.arange(10).reshape(2, 5)
    twin = change.copy()
    costly = change.copy()
    costly[:, :, COST] = 1e12
    scoring = Scoring(HORIZON, SCORING.objectives, (SCORING_CAP,), Robustness("mean"))
    verdicts = certify(["a", "b", "c"], {"a": (change, change), "b": (twin, twin), "c": (costly, costly)}, scoring, 1)
    assert [v.certified for v in verdicts] == [True, True, False]
    assert verdicts[2].violations and not verdicts[2].feasible


def test_nondominated_prefers_feasible_rows() -> None:
    f = np.array([[0.0, 0.0], [1.0, 1.0], [0.5, 2.0]])
    g = np.array([[1.0], [0.0], [-1.0]])
    assert nondominated(f, g) == [1, 2]
    assert nondominated(f, np.array([[3.0], [1.0], [1.0]])) == [1, 2]


def test_probability_robustness_is_the_share_of_worlds_meeting_the_target() -> None:
    stat = Robustness("probability", "to_north_jobs", change_min=5.0)
    assert stat.of(np.array([1.0, 5.0, 9.0, 7.0]), "to_north_jobs") == 0.75
    assert stat.of(np.array([1.0, 5.0]), "fiscal_cost_yuan") == 3.0  # other metrics: the mean


def _small(tmp_path: Path, **changes: object) -> Path:
    problem = yaml.safe_load(SMALL.read_text(encoding="utf-8"))
    problem["base"] = str(ROOT / "scenarios" / "baseline.yaml")
    problem.update({"firms": 600, "search": {"evaluations": 16, "population": 8, "seeds": [1]}})
    problem["confirm"] = {"replications": 4, "max_packages": 6}
    problem.update(changes)
    path = tmp_path / "problem.yaml"
    path.write_text(yaml.safe_dump(problem), encoding="utf-8")
    return path


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(ROOT / "run.py"), *args], capture_output=True, text=True, timeout=900, cwd=ROOT
    )


def test_command_end_to_end_is_the_same_with_one_or_two_workers(tmp_path: Path) -> None:
    problem = _small(tmp_path)
    one = _run("optimize", str(problem), "--out", str(tmp_path / "one"), "--workers", "1", "-q")
    assert one.returncode == 0, one.stderr
    two = _run("optimise", str(problem), "--out", str(tmp_path / "two"), "--workers", "2", "--no-plots", "-q")
    assert two.returncode == 0, two.stderr
    a, b = tmp_path / "one" / "optimise-optimise_small", tmp_path / "two" / "optimise-optimise_small"
    for name in ("frontier.csv", "frontier_worlds.csv", "evaluations.csv", "convergence.csv", "worlds.csv"):
        assert (a / name).read_bytes() == (b / name).read_bytes(), name
    assert (a / "frontier.md").is_file() and (a / "plots" / "frontier.png").is_file()
    header = (a / "frontier.csv").read_text(encoding="utf-8").splitlines()[0].split(",")
    assert header[:3] == ["package", "certified", "feasible"]
    assert "to_north_jobs_low" in header and "fiscal_cost_yuan_robust" in header
    # --resume replays the search from the stored runs: nothing is run again, the same front comes out.
    before = (a / "frontier.csv").read_bytes()
    again = _run("optimise", str(problem), "--out", str(tmp_path / "one"), "--resume", "--no-plots", "-q")
    assert again.returncode == 0, again.stderr
    manifest = json.loads((a / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["runs_executed"] == 0 and manifest["runs"] > 0
    assert (a / "frontier.csv").read_bytes() == before
    # Every confirmed package is a scenario `run` loads as it is.
    first = sorted((a / "packages").glob("p*.yaml"))[0]
    shutil.copy(first, tmp_path / "package.yaml")
    run = _run("validate", str(tmp_path / "package.yaml"))
    assert run.returncode == 0, run.stdout + run.stderr
    # Every package is paired with the base on the same seeds: block 0's runs share seeds across packages.
    evaluations = (a / "evaluations.csv").read_text(encoding="utf-8")
    assert evaluations.count("\n") > 8


@pytest.mark.parametrize(
    ("changes", "where"),
    [
        ({"objectives": ["to_north_jobs", "closed_jobs"]}, "objective"),
        ({"decisions": {"world.outside.subsidy_yuan_per_job": {"range": [0, 1]}}}, "decisions.world.outside"),
        ({"decisions": {"policies.relocation_aid.yuan_per_job": {"range": [5, 1]}}}, "low < high"),
        ({"decisions": {"policies.relocation_aid.yuan_per_job": {"range": [-5, 1]}}}, "decisions.policies"),
        ({"constraints": [{"metric": "fiscal_cost_yuan"}]}, "exactly one of"),
        (
            {
                "worlds": {
                    "posterior": {"dir": str(ROOT / "docs" / "calibration" / "article_suzhou_levers"), "draws": 2},
                    "uncertainties": {"world.outside.subsidy_yuan_per_job": {"range": [0, 1000]}},
                    "samples": 2,
                }
            },
            "also a parameter of the posterior",
        ),
    ],
)
def test_bad_problem_is_refused_in_one_line(tmp_path: Path, changes: dict[str, object], where: str) -> None:
    problem = _small(tmp_path, **changes)
    out = _run("optimise", str(problem), "--out", str(tmp_path / "out"))
    assert out.returncode == 2, out.stderr
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and "problem.yaml" in lines[0] and where in lines[0], lines
    assert not (tmp_path / "out").exists()


def test_the_reference_file_is_a_valid_problem_naming_every_key() -> None:
    from experiments.optimise.problem import ProblemFile, load_problem

    reference = ROOT / "experiments" / "optimise.reference.yaml"
    loaded = load_problem(reference)
    raw = yaml.safe_load(reference.read_text(encoding="utf-8"))
    assert set(raw) == set(ProblemFile.model_fields)
    for section in ("worlds", "search", "confirm"):
        model = ProblemFile.model_fields[section].annotation
        assert set(raw[section]) == set(model.model_fields), section  # type: ignore[union-attr]
    assert loaded.problem.search.generations == 20
