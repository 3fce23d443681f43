"""`compare ... --posterior DIR` and `attribute ... --posterior DIR`: parameter uncertainty carried into policy results.

A synthetic calibration folder (posterior.csv with 4 particles over the push
intercept and the distance coefficient, parameters.csv with every column)
is written in tmp_path; with equal weights, 3 draws by systematic resampling
take particles 0, 2 and 3, and particle 3 has a much higher push intercept.
The tests check that the draws reach the runs, common random numbers inside a
draw (a scenario against a copy of the baseline: exactly 0, no Monte-Carlo
part), independent seeds across draws, the law-of-total-variance split and
the interval (the draws' empirical quantiles) computed from the per-draw
table, a posterior of identical particles (no parameter part beyond noise),
the rankings' shares (not robust-tested over 3 draws), 1 worker = 2 workers,
the fingerprint of the posterior in the inputs, the report, and bad input
(exit 2, one line, nothing written). The 4 particles are a thin ensemble
(effective size 4), so every run here passes --allow-thin, and the tests
check that every table and figure title is marked so
(tests/test_posterior_intervals.py checks the refusal without it).
"""

from __future__ import annotations

import csv
import math
from pathlib import Path

import numpy as np
import pytest

from cli import main
from experiments.analysis.posterior import PARAMETER_COLUMNS
from experiments.attribute.report import AttributeReport
from experiments.compare.columns import DECISION_COLUMNS
from experiments.compare.report import CompareReport
from experiments.engine.report import Report
from experiments.engine.seeds import draw_seeds
from model.outcomes import COST_EFFECTIVENESS, DECISION, HORIZON
from tests.conftest import read_csv, read_json
from tests.tables import run_record

BASE_YAML = """\
name: base
seed: 77
replications: 2
years: {start: 2023, end: 2026}
firms: {count: 12000}  # every run moves some jobs north with the industry bases by rule (2,000 did with the hand list)
"""
COPY_YAML = "name: copy\nextends: base.yaml\n"
LEVER_YAML = """\
name: lever
extends: base.yaml
policies:
  relocation_aid: {start_year: 2024, yuan_per_job: 80000, annual_budget_yuan: 2.0e9}
"""
PACKAGE_YAML = """\
name: pkg
extends: base.yaml
policies:
  relocation_aid: {start_year: 2024, yuan_per_job: 80000, annual_budget_yuan: 2.0e9}
  pairing: {start_year: 2024, strength_gain: 2.0, environment_gain: 0.1, annual_budget_yuan: 1.0e9}
"""
KEYS = ("behaviour.push.intercept", "behaviour.choice.distance")
# particle: push intercept, distance coefficient; particle 3 moves far more firms (the baseline's intercept is -4.3)
PARTICLES = ((-4.3, -0.6), (-4.0, -0.5), (-4.6, -0.7), (-2.0, -0.6))
DRAWN = (0, 2, 3)  # systematic resampling of 3 from 4 equal weights (offset 1/2)
SAME = ((-4.3, -0.6),) * 4
POSTERIOR_ARGS = ("--draws", "3", "--replications", "2", "--allow-thin", "-q")  # 4 particles: a thin ensemble
FOLDER = "compare-base-vs-copy-lever-r2-pcal-k3"


def write_calibration(folder: Path, particles: tuple[tuple[float, float], ...]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / "posterior.csv").open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(("draw", "weight", "distance", *KEYS))
        w.writerows([i, 1.0, 0.1, *p] for i, p in enumerate(particles))
    with (folder / "parameters.csv").open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(PARAMETER_COLUMNS)
        w.writerow((KEYS[0], "Push intercept", "utility", -6, -1, -4.3, "test prior", -3.8, 1, -4.6, -4.3, -2, -4.3))
        w.writerow((KEYS[1], "Distance coefficient", "utility per 100 km", -2, 0, -0.6, "test prior", -0.6, 0.1, -0.7,
                    -0.6, -0.5, -0.6))  # fmt: skip
    return folder


def scenarios(root: Path) -> dict[str, Path]:
    files = {"base": BASE_YAML, "copy": COPY_YAML, "lever": LEVER_YAML, "pkg": PACKAGE_YAML}
    for name, text in files.items():
        (root / f"{name}.yaml").write_text(text, encoding="utf-8")
    return {name: root / f"{name}.yaml" for name in files}


@pytest.fixture(scope="module")
def done(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Path], Path]:
    """base vs copy vs lever over 3 draws of the synthetic posterior, 2 replications each, with the report."""
    root = tmp_path_factory.mktemp("posterior")
    files = scenarios(root)
    cal = write_calibration(root / "cal", PARTICLES)
    args = ["compare", files["base"], files["copy"], files["lever"], "--posterior", cal, *POSTERIOR_ARGS]
    assert main([str(a) for a in [*args, "--out", root / "out"]]) == 0
    return root / "out" / FOLDER, files, cal


def _effects(folder: Path, group: str = "scenario") -> dict[tuple[str, str], dict[str, str]]:
    return {(r[group], r["metric"]): r for r in read_csv(folder / "posterior_effects.csv")[1]}


def _draws(folder: Path, group: str = "scenario") -> dict[tuple[str, str], list[dict[str, str]]]:
    out: dict[tuple[str, str], list[dict[str, str]]] = {}
    for r in read_csv(folder / "posterior_draws.csv")[1]:
        out.setdefault((r[group], r["metric"]), []).append(r)
    return out


def test_each_draw_applies_its_parameter_set_to_every_scenario(done) -> None:
    folder, _, _ = done
    header, rows = read_csv(folder / "draws.csv")
    assert header == ["draw", "particle", "weight", "distance", *KEYS]
    assert [int(r["particle"]) for r in rows] == list(DRAWN)
    assert [float(r[KEYS[0]]) for r in rows] == [PARTICLES[i][0] for i in DRAWN]
    for name in ("base", "lever"):
        moved = [run_record(folder, f"d{k:04d}-{name}-r0000")["metrics"]["relocated_jobs"] for k in range(3)]
        assert moved[2] > 2 * max(moved[:2]), (name, moved)  # intercept -2 against -4.3 and -4.6
    assert moved[1] < moved[0]  # -4.6 moves fewer than -4.3


def test_scenarios_share_seeds_inside_a_draw_and_not_across_draws(done) -> None:
    folder, _, _ = done
    manifest = read_json(folder / "manifest.json")
    seeds = manifest["posterior"]["draw_seeds"]
    assert seeds == draw_seeds(manifest["seed"], 3, 2)
    assert manifest["posterior"]["draw_particles"] == list(DRAWN) and manifest["posterior"]["parameters"] == list(KEYS)
    for k in range(3):
        for r in range(2):
            assert {run_record(folder, f"d{k:04d}-{s}-r{r:04d}")["seed"] for s in ("base", "copy", "lever")} == {
                seeds[k][r]
            }
    assert len({s for draw in seeds for s in draw}) == 6


def test_a_copy_of_the_baseline_differs_by_exactly_zero_with_no_monte_carlo_part(done) -> None:
    folder, _, _ = done
    effects, draws = _effects(folder), _draws(folder)
    for m in HORIZON:
        row = effects[("copy", m)]
        cells = [row[c] for c in ("mean", "ci_low", "ci_high", "sd_parameter", "sd_monte_carlo")]
        assert cells == ["0"] * 5, m
        assert {(d["mean"], d["sd_monte_carlo"]) for d in draws[("copy", m)]} == {("0", "0")}, m
    assert effects[("copy", COST_EFFECTIVENESS)]["mean"] == "nan"  # 0 yuan for 0 north jobs: no ratio
    lever = effects[("lever", "to_north_jobs")]
    assert float(lever["sd_monte_carlo"]) > 0 and float(lever["mean"]) > 0


def test_parameter_and_monte_carlo_parts_follow_the_law_of_total_variance(done) -> None:
    folder, _, _ = done
    effects, draws = _effects(folder), _draws(folder)
    for m in ("to_north_jobs", "to_outside_jobs", "relocated_jobs", "fiscal_cost_yuan"):
        rows = draws[("lever", m)]
        means = np.array([float(d["mean"]) for d in rows])
        mc = np.array([float(d["sd_monte_carlo"]) for d in rows]) ** 2
        for k, d in enumerate(rows):  # a draw mean is the mean of its paired differences
            diffs = [
                run_record(folder, f"d{k:04d}-lever-r{r:04d}")["metrics"][m]
                - run_record(folder, f"d{k:04d}-base-r{r:04d}")["metrics"][m]
                for r in range(2)
            ]
            assert float(d["mean"]) == pytest.approx(np.mean(diffs), rel=1e-9, abs=1e-6)
            assert float(d["sd_monte_carlo"]) == pytest.approx(np.std(diffs, ddof=1) / math.sqrt(2), rel=1e-9, abs=1e-6)
        row = effects[("lever", m)]
        between = means.var(ddof=1)
        assert float(row["mean"]) == pytest.approx(means.mean(), rel=1e-9)
        assert float(row["sd_monte_carlo"]) == pytest.approx(math.sqrt(mc.mean()), rel=1e-8)
        assert float(row["sd_parameter"]) == pytest.approx(math.sqrt(max(0.0, between - mc.mean())), rel=1e-8, abs=1e-6)
        assert float(row["se_monte_carlo"]) == pytest.approx(math.sqrt(mc.mean() / 3), rel=1e-8)
        # the interval: the draws' 2.5% and 97.5% quantiles (midpoint rule), with 3 draws their smallest and largest
        low, high = np.quantile(means, (0.025, 0.975), method="hazen")
        assert (float(row["ci_low"]), float(row["ci_high"])) == pytest.approx((means.min(), means.max()), rel=1e-9)
        assert (low, high) == pytest.approx((means.min(), means.max()), rel=1e-9)
        assert row["draws"] == "3" and row["distinct_draws"] == "3" and float(row["effective_draws"]) == 3
        assert row["replications"] == "2" and row["ensemble"] == "thin ensemble (ESS 4.0 of 4)"
    # the draws differ in their parameters, so the parameter part dominates where the push moves the effect
    north = effects[("lever", "to_north_jobs")]
    assert float(north["sd_parameter"]) > 3 * float(north["sd_monte_carlo"])


def test_shares_and_their_changes_stay_in_bounds(done) -> None:
    folder, _, _ = done
    for (s, m), row in _effects(folder).items():
        if m.endswith("_share_jobs"):
            assert -1 <= float(row["ci_low"]) <= float(row["mean"]) <= float(row["ci_high"]) <= 1, (s, m)
    for row in read_csv(folder / "comparison.csv")[1]:
        if row["metric"].endswith("_share_jobs"):
            assert 0 <= float(row["ci_low"]) <= float(row["mean"]) <= float(row["ci_high"]) <= 1, row


def test_decision_table_keeps_its_columns_and_adds_the_parts(done) -> None:
    folder, _, _ = done
    header, rows = read_csv(folder / "decision.csv")
    assert tuple(header[: len(DECISION_COLUMNS)]) == DECISION_COLUMNS
    assert header[len(DECISION_COLUMNS) :] == [
        "sd_parameter",
        "sd_monte_carlo",
        "draws",
        "distinct_draws",
        "effective_draws",
        "ensemble",
    ]
    effects = _effects(folder)
    assert [(r["scenario"], r["quantity"]) for r in rows] == [
        (s, q) for s in ("copy", "lever") for q in (*DECISION, COST_EFFECTIVENESS)
    ]
    for r in rows:
        e = effects[(r["scenario"], r["quantity"])]
        assert [r["value"], r["ci_low"], r["ci_high"], r["sd_parameter"]] == [
            e["mean"],
            e["ci_low"],
            e["ci_high"],
            e["sd_parameter"],
        ]
    comparison = read_csv(folder / "comparison.csv")[1]
    assert {r["unpaired_diff_ci_low"] for r in comparison} == {"nan"}  # needs independent seeds


def test_rankings_give_shares_of_draws_that_add_up(done) -> None:
    folder, _, _ = done
    pairs = read_csv(folder / "ranking.csv")[1]
    assert {r["quantity"] for r in pairs} == {"to_north_jobs", "to_outside_jobs", COST_EFFECTIVENESS}
    for r in pairs:
        a, b, ties = (float(r[c]) for c in ("a_beats_b", "b_beats_a", "ties"))
        assert 0 <= a <= 1 and 0 <= b <= 1 and a + b <= 1 + 1e-12
        assert a + b + ties == pytest.approx(1)
        assert r["robust"] == "" and float(r["effective_draws"]) == 3  # 3 draws: not robust-tested
    # recomputed from the per-draw table: lever moves more jobs north than the copy in every draw
    north = next(r for r in pairs if r["quantity"] == "to_north_jobs")
    assert (north["a"], north["b"], north["a_beats_b"]) == ("lever", "copy", "1")
    orders = read_csv(folder / "ranking_orders.csv")[1]
    for q in {r["quantity"] for r in orders}:
        rows = [r for r in orders if r["quantity"] == q]
        assert sum(int(r["draws_with_order"]) for r in rows) == 3
        assert [r["mean_order"] for r in rows].count("true") == 1 and rows[0]["mean_order"] == "true"
        assert rows[0]["robust"] == ""


def test_the_report_names_the_parameters_and_says_which_ranking_is_robust(done) -> None:
    folder, _, _ = done
    text = (folder / "comparison.md").read_text(encoding="utf-8")
    assert "## Parameter uncertainty: 3 draws from the posterior" in text
    assert all(f"`{k}`" in text for k in KEYS) and "Push intercept" in text
    assert "Parameter part (SD)" in text and "Monte-Carlo part (SD)" in text
    assert "Distinct draws" in text and "Effective draws" in text
    assert "**not robust-tested**" in text and "**robust**" not in text
    assert "What pairing gained" not in text  # no unpaired interval over a posterior
    assert (folder / "plots" / "posterior_effects.png").stat().st_size > 10_000


MARK = "thin ensemble (ESS 4.0 of 4)"  # the 4 equally weighted particles of PARTICLES


def _titles(report: Report, folder: Path) -> dict[str, list[str]]:
    """Each figure's suptitle and axes titles, drawn from the folder's tables."""
    import matplotlib.pyplot as plt

    out = {}
    for name, fig in report.figures(report.read(folder)):
        out[name] = [fig.get_suptitle(), *(ax.get_title() for ax in fig.axes)]
        plt.close(fig)
    return out


def test_allow_thin_marks_every_table_and_figure_title(done) -> None:
    folder, _, _ = done
    lines = (folder / "comparison.md").read_text(encoding="utf-8").splitlines()
    titles = [line for line in lines if line.startswith(("#", "!["))]
    assert len(titles) >= 8 and all(MARK in t for t in titles), [t for t in titles if MARK not in t]
    assert "**Thin ensemble**: the posterior's effective size is 4.0 of 4 particles" in "\n".join(lines)
    for name in ("comparison.csv", "decision.csv", "posterior_effects.csv"):
        header, rows = read_csv(folder / name)
        assert header[-1] == "ensemble" and {r["ensemble"] for r in rows} == {MARK}, name
    figures = _titles(CompareReport(), folder)
    assert set(figures) == {"forest.png", "timeseries.png", "posterior_effects.png"}
    assert all(any(MARK in t for t in ts) for ts in figures.values()), figures
    assert MARK in CompareReport().summary(folder)[0]
    posterior = read_json(folder / "posterior.json")
    assert (posterior["thin"], posterior["mark"], posterior["effective_size"]) == (True, MARK, pytest.approx(4))
    assert (posterior["distinct_draws"], posterior["effective_draws"]) == (3, pytest.approx(3))


def test_one_worker_and_two_write_the_same_tables(done, tmp_path: Path) -> None:
    folder, files, cal = done
    args = ["compare", files["base"], files["copy"], files["lever"], "--posterior", cal, *POSTERIOR_ARGS]
    assert main([str(a) for a in [*args, "--out", tmp_path, "--workers", "2", "--no-plots"]]) == 0
    for path in [*sorted(folder.glob("*.csv")), folder / "posterior.json"]:
        assert (tmp_path / FOLDER / path.name).read_bytes() == path.read_bytes(), path.name


def test_identical_particles_give_no_parameter_part_beyond_noise(done, tmp_path: Path) -> None:
    _, files, _ = done
    cal = write_calibration(tmp_path / "same", SAME)
    args = ["compare", files["base"], files["lever"], "--posterior", cal, "--draws", "6", "--replications", "2"]
    args += ["--allow-thin", "-q"]
    assert main([str(a) for a in [*args, "--out", tmp_path / "out", "--no-plots"]]) == 0
    effects = _effects(tmp_path / "out" / "compare-base-vs-lever-r2-psame-k6")
    parts = {
        m: (float(effects[("lever", m)]["sd_parameter"]), float(effects[("lever", m)]["sd_monte_carlo"]))
        for m in HORIZON
        if m != "cost_per_north_job_yuan"  # undefined in a run that moves no job north: its parts can be too
    }
    assert all(math.isfinite(p) and p <= 3 * mc for p, mc in parts.values()), parts
    assert any(p == 0 for p, _ in parts.values()), parts  # floored where the draws vary less than their noise


def test_a_changed_posterior_is_other_inputs(done, tmp_path: Path, cli) -> None:
    _, files, _ = done
    cal = write_calibration(tmp_path / "cal", PARTICLES)
    args = ("compare", files["base"], files["lever"], "--posterior", cal, *POSTERIOR_ARGS, "--no-plots")
    assert cli(*args, "--out", tmp_path / "out").code == 0
    write_calibration(cal, SAME)
    res = cli(*args, "--out", tmp_path / "out")
    assert res.code == 2 and len(res.err_lines) == 1 and "other inputs" in res.err
    assert cli(*args, "--out", tmp_path / "out", "--overwrite").code == 0


def test_without_posterior_the_folder_has_no_posterior_tables(done, tmp_path: Path) -> None:
    _, files, _ = done
    args = ["compare", files["base"], files["lever"], "--out", tmp_path, "-q", "--no-plots"]
    assert main([str(a) for a in args]) == 0
    folder = tmp_path / "compare-base-vs-lever"
    assert tuple(read_csv(folder / "decision.csv")[0]) == DECISION_COLUMNS
    assert not list(folder.glob("posterior*")) and not (folder / "ranking.csv").exists()
    assert "posterior" not in read_json(folder / "manifest.json")


def test_attribute_over_the_posterior(done, tmp_path: Path) -> None:
    _, files, cal = done
    args = ["attribute", files["pkg"], "--posterior", cal, *POSTERIOR_ARGS, "--out", tmp_path]
    assert main([str(a) for a in args]) == 0
    folder = tmp_path / "attribute-pkg-r2-pcal-k3"
    draws = _draws(folder, "lever")
    for m in DECISION:  # efficiency holds draw by draw: the levers' Shapley values add up to the package's change
        total = [float(d["mean"]) for d in draws[("whole_package", m)]]
        parts = np.sum([[float(d["mean"]) for d in draws[(lv, m)]] for lv in ("relocation_aid", "pairing")], axis=0)
        assert parts == pytest.approx(total, rel=1e-9, abs=1e-3), m
    seeds = read_json(folder / "manifest.json")["posterior"]["draw_seeds"]
    for k in range(3):
        assert {run_record(folder, f"d{k:04d}-s{s:03d}-r0001")["seed"] for s in range(4)} == {seeds[k][1]}
    header, _ = read_csv(folder / "decision.csv")
    assert header[-6:] == ["sd_parameter", "sd_monte_carlo", "draws", "distinct_draws", "effective_draws", "ensemble"]
    pairs = read_csv(folder / "ranking.csv")[1]
    assert len(pairs) == 3 and all({r["a"], r["b"]} == {"relocation_aid", "pairing"} for r in pairs)  # one pair each
    text = (folder / "attribution.md").read_text(encoding="utf-8")
    assert "Rankings across the posterior" in text and f"`{KEYS[0]}`" in text
    assert (folder / "plots" / "posterior_effects.png").is_file()
    titles = [line for line in text.splitlines() if line.startswith(("#", "!["))]
    assert all(MARK in t for t in titles), [t for t in titles if MARK not in t]
    for name in ("attribution.csv", "totals.csv", "decision.csv", "posterior_effects.csv"):
        header, rows = read_csv(folder / name)
        assert header[-1] == "ensemble" and {r["ensemble"] for r in rows} == {MARK}, name
    assert all(any(MARK in t for t in ts) for ts in _titles(AttributeReport(), folder).values())
    # a lever's own spending within [0, its budget × its 3 active years]; the package's cost change within [0, both]
    caps = {"relocation_aid": 3 * 2.0e9, "pairing": 3 * 1.0e9}
    for r in read_csv(folder / "decision.csv")[1]:
        if r["quantity"] == "own_spend_yuan":
            assert 0 <= float(r["ci_low"]) <= float(r["ci_high"]) <= caps[r["lever"]], r
    total = next(r for r in read_csv(folder / "totals.csv")[1] if r["metric"] == "fiscal_cost_yuan")
    assert 0 <= float(total["change_ci_low"]) <= float(total["change_ci_high"]) <= sum(caps.values())


@pytest.mark.parametrize(
    ("extra", "key"),
    [
        (["--posterior", "{tmp}/nowhere"], "not a folder"),
        (["--posterior", "{tmp}/empty"], "no posterior.csv"),
        (["--posterior", "{tmp}/badkey"], "posterior.csv"),
        (["--draws", "4"], "--draws: given without --posterior"),
        (["--posterior", "{tmp}/cal", "--draws", "1"], "--draws"),
        (["--posterior", "{tmp}/cal", "--replications", "1"], "--posterior"),
        (["--posterior", "{tmp}/cal", "--ci-width", "0.01"], "--ci-width"),
    ],
    ids=["missing", "empty", "not-a-scenario-key", "draws-alone", "one-draw", "one-replication", "ci-width"],
)
def test_bad_posterior_input_exits_2_with_one_line_and_writes_nothing(done, tmp_path: Path, cli, extra, key) -> None:
    _, files, _ = done
    write_calibration(tmp_path / "cal", PARTICLES)
    (tmp_path / "empty").mkdir()
    bad = write_calibration(tmp_path / "badkey", PARTICLES)
    for name in ("posterior.csv", "parameters.csv"):
        path = bad / name
        path.write_text(
            path.read_text(encoding="utf-8").replace(KEYS[1], "behaviour.choice.nonsense"), encoding="utf-8"
        )
    extra = [e.format(tmp=tmp_path) for e in extra]
    res = cli("compare", files["base"], files["lever"], *extra, "--out", tmp_path / "out")
    assert res.code == 2, res.err
    assert len(res.err_lines) == 1 and key in res.err, res.err
    assert not (tmp_path / "out").exists()


def test_the_posterior_forest_legend_names_only_what_it_draws(done) -> None:
    """Over a posterior there is no unpaired (Welch) interval: the legend does not promise one."""
    import matplotlib.pyplot as plt

    folder, _, _ = done
    report = CompareReport()
    figures = dict(report.figures(report.read(folder)))
    forest = figures["forest.png"]
    legends = [t.get_text() for ax in forest.axes if ax.get_legend() for t in ax.get_legend().get_texts()]
    assert legends and not any("Welch" in t for t in legends), legends
    assert any("draws" in t for t in legends)
    for fig in figures.values():
        plt.close(fig)
