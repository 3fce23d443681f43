"""`report SCENARIO.yaml` through the command line at a tiny size: files, facts, checks, statics, determinism.

One report (1,500 firms, 2 replications, no Sobol' design) is made once for the module and again with 2
workers for the determinism test; the Sobol' part and the power of the simulated closed-form check are tested
on their own, small.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

import experiments.validation.closed_form as closed_form
from experiments.engine.store import RunStore
from experiments.engine.task_pool import TaskPool
from experiments.engine.worker import execute
from experiments.facts import yardsticks as y
from experiments.facts.catalogue import FACTS, FIT_DEFAULT, LIST_FACTS
from experiments.facts.gravity import GRAVITY_COLUMNS, coarse_points
from experiments.facts.yardsticks import evidence
from experiments.validation.facts import NO_EVIDENCE, NOT_REPRODUCED, REPRODUCED, UNDEFINED
from experiments.validation.global_sensitivity import HEADLINE, GlobalSensitivity
from experiments.validation.inputs import Range, load_target
from model.scenario import load_scenario
from model.world import world_for
from tests.conftest import ROOT, SCENARIOS, CliResult, read_csv, read_json

TINY = ("--firms", "1500", "--replications", "2", "--sobol-samples", "0", "-q")
TABLES = (
    "facts.csv",
    "coverage.csv",
    "closed_form.csv",
    "statics.csv",
    "returns.csv",
    "validation.json",
    "gravity.csv",
)
DETERMINISTIC = (*TABLES, "scenario.resolved.yaml", "report.md")


def _main(*args: str | Path) -> int:
    from cli import main

    return main([str(a) for a in args])


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("report")
    assert _main("report", SCENARIOS / "baseline.yaml", *TINY, "--out", out) == 0
    (made,) = list(out.iterdir())
    return made


def test_the_folder_has_every_table_report_and_figure(folder: Path) -> None:
    assert folder.name == "report-baseline-r2-f1500-n0"
    for name in (*TABLES, "report.md", "manifest.json", "scenario.resolved.yaml"):
        assert (folder / name).is_file(), name
    for name in ("facts.png", "statics.png", "returns.png"):
        assert (folder / "plots" / name).is_file(), name
    assert not (folder / "sobol.csv").exists()  # --sobol-samples 0 skips it
    manifest = read_json(folder / "manifest.json")
    assert manifest["command"] == "report" and manifest["validation"]["sobol"] is None


def test_every_fact_is_in_the_table_beside_both_yardsticks(folder: Path) -> None:
    columns, rows = read_csv(folder / "facts.csv")
    assert {"null_value", "null_ci_low", "null_ci_high", "null_met", "random_q95", "verdict"} <= set(columns)
    added = ["gravity_value", "gravity_ci_low", "gravity_ci_high", "gravity_met", "gravity_met_share"]
    hand = ["without_hand_value", "without_hand_ci_low", "without_hand_ci_high", "without_hand_met"]
    assert columns[-12:] == [*added, "gravity_detail", "p_value", "evidence", *hand]  # after the columns it had
    assert sorted(r["fact"] for r in rows) == sorted(FACTS)
    flag = {"true": True, "false": False, "": None}
    for r in rows:
        assert {r["met"], r["null_met"], r["gravity_met"]} <= {"true", "false", ""}
        expected = evidence(flag[r["met"]], flag[r["null_met"]], flag[r["gravity_met"]])
        assert r["evidence"] == expected, r["fact"]
        words = {y.EVIDENCE: REPRODUCED, y.NOT_MET: NOT_REPRODUCED, y.UNDEFINED: UNDEFINED}.get(expected, NO_EVIDENCE)
        assert r["verdict"] == words, r["fact"]
        assert (r["random_q95"] != "nan") == (r["fact"] in LIST_FACTS) == (r["p_value"] != "nan")
    text = (folder / "report.md").read_text(encoding="utf-8")
    assert "null model" in text and "gravity yardstick" in text and all(f"`{name}`" in text for name in FACTS)
    assert "| Evidence |" in text and "count as evidence" in text


def test_every_fact_is_shown_again_without_the_hand_seeded_rows(folder: Path) -> None:
    """DESIGN §7: the facts with and without every row of data set by hand; the count is the file's."""
    from model.scenario import load_scenario
    from model.world import hand_seeded_rows

    n = hand_seeded_rows(load_scenario(SCENARIOS / "baseline.yaml"))
    assert n > 0
    assert read_json(folder / "validation.json")["hand_seeded_rows"] == n
    _columns, rows = read_csv(folder / "facts.csv")
    assert all(r["without_hand_met"] in {"true", "false", ""} for r in rows)
    assert any(r["without_hand_value"] not in {"", "nan"} for r in rows)
    # the parks' hand rows are north-park jobs: without them the runs differ, so some fact's value moves
    assert any(r["without_hand_value"] != r["value"] for r in rows)
    text = (folder / "report.md").read_text(encoding="utf-8")
    assert f"### The facts without the {n} rows of data set by hand" in text
    assert f"| Without the {n} hand rows |" in text


def test_the_gravity_yardstick_is_fitted_on_its_grid_and_named_in_the_report(folder: Path) -> None:
    columns, rows = read_csv(folder / "gravity.csv")
    assert tuple(columns) == GRAVITY_COLUMNS
    assert {r["fact"] for r in rows} == set(FIT_DEFAULT)
    points = {(float(r["a"]), float(r["b"])) for r in rows}
    assert set(coarse_points()) <= points and len(points) <= len(coarse_points()) + 8
    chosen = {(float(r["a"]), float(r["b"]), float(r["total"])) for r in rows if r["chosen"] == "true"}
    assert len(chosen) == 1
    (a, b, total) = chosen.pop()
    assert total == min(float(r["total"]) for r in rows)
    meta = read_json(folder / "validation.json")["gravity"]
    assert (meta["a"], meta["b"]) == (a, b) and meta["runs"] == 2 * len(points)
    text = (folder / "report.md").read_text(encoding="utf-8")
    assert f"Gravity (a = {a:g}, b = {b:g})" in text


def test_the_closed_form_checks_pass(folder: Path) -> None:
    columns, rows = read_csv(folder / "closed_form.csv")
    assert columns == ["check", "expected", "got", "tolerance", "passed"]
    assert len(rows) >= 20 and all(r["passed"] == "true" for r in rows)
    kinds = " ".join(r["check"] for r in rows)
    assert "conditional logit" in kinds and "nested logit" in kinds and "simulated year" in kinds


def _single_lever_files() -> set[str]:
    """Scenario names whose own file or parents turn on exactly one lever, read from the YAML here."""
    names = set()
    for path in SCENARIOS.glob("*.yaml"):
        chain, doc = [], yaml.safe_load(path.read_text(encoding="utf-8"))
        while True:
            chain.append(doc)
            parent = doc.get("extends")
            if not parent:
                break
            doc = yaml.safe_load((path.parent / parent).read_text(encoding="utf-8"))
        levers = {k for d in chain for k, v in (d.get("policies") or {}).items() if v is not None}
        if len(levers) == 1:
            names.add(chain[0]["name"])
    return names


def test_a_statics_row_for_each_single_lever_scenario(folder: Path) -> None:
    columns, rows = read_csv(folder / "statics.csv")
    assert "verdict" in columns and "to_north_jobs_low" in columns
    assert {r["scenario"] for r in rows} == _single_lever_files()
    for r in rows:
        assert r["verdict"] in ("as expected", "contrary", "inconclusive", "undefined")
        if "pull" in r["acts_on"].split():  # the north-park interval alone decides between the three states
            low, high = float(r["to_north_jobs_low"]), float(r["to_north_jobs_high"])
            if high < 0:
                assert r["verdict"] == "contrary"
            elif low <= 0 and r["verdict"] != "contrary":
                assert r["verdict"] in ("inconclusive", "undefined")
        acts_on = set(r["acts_on"].split())
        assert ("relocated jobs rise" in r["expected"]) == ("push" in acts_on)
        assert ("north-park jobs rise" in r["expected"]) == ("pull" in acts_on)
        assert ("outside-province jobs do not" in r["expected"]) == (acts_on == {"pull"})


def test_statics_are_counted_per_state_and_two_replications_are_warned_of(folder: Path) -> None:
    text = (folder / "report.md").read_text(encoding="utf-8")
    _columns, rows = read_csv(folder / "statics.csv")
    n = {v: sum(r["verdict"] == v for r in rows) for v in ("as expected", "contrary", "inconclusive")}
    assert (
        f"{n['as expected']} of {len(rows)} levers as expected, {n['contrary']} contrary, "
        f"{n['inconclusive']} inconclusive at 2 replications"
    ) in text
    title, scope, warning = text.split("\n\n")[:3]  # the title, what the totals stand for, then the warning
    assert title.startswith("# ") and scope.startswith("_Totals over ")
    assert warning.startswith("**Warning — replications: 2 — 95% intervals are very wide (t = 12.7")


def test_the_returns_sweep_has_at_least_five_levels(folder: Path) -> None:
    _columns, rows = read_csv(folder / "returns.csv")
    levels = [float(r["yuan_per_job"]) for r in rows]
    assert len(levels) >= 5 and levels == sorted(levels) and levels[0] == 0.0
    assert all(float(r["north_gain"]) == 0.0 for r in rows[:1])


def test_the_same_seed_gives_the_same_bytes_with_two_workers(folder: Path, tmp_path: Path) -> None:
    assert _main("report", SCENARIOS / "baseline.yaml", *TINY, "--out", tmp_path, "--workers", "2") == 0
    again = tmp_path / folder.name
    for name in DETERMINISTIC:
        assert (again / name).read_bytes() == (folder / name).read_bytes(), name


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("report", "no/such/scenario.yaml"), "no/such/scenario.yaml"),
        (("report", SCENARIOS / "baseline.yaml", "--draws", "5"), "--draws"),
        (("report", SCENARIOS / "baseline.yaml", "--sobol-samples", "-1"), "sobol"),
        (("report", ROOT / "tests"), "tests"),
    ],
    ids=["missing file", "draws without a calibration", "negative samples", "not a calibration folder"],
)
def test_a_bad_argument_exits_2_with_one_line(
    cli: Callable[..., CliResult], tmp_path: Path, args: tuple[str | Path, ...], says: str
) -> None:
    result = cli(*args, "--out", tmp_path, "-q")
    assert result.code == 2
    assert len(result.err_lines) == 1 and says in result.err and "Traceback" not in result.err
    assert not list(tmp_path.iterdir())


def test_sobol_indices_of_a_small_design(tmp_path: Path) -> None:
    target = load_target(SCENARIOS / "baseline.yaml", 1500)
    ranges = [
        Range("behaviour.push.intercept", "intercept", "", -5.0, -3.5, -4.3, "test"),
        Range("behaviour.choice.distance", "distance", "", -1.0, -0.2, -0.6, "test"),
    ]
    pool = TaskPool()
    gs = GlobalSensitivity(target, [], ranges, 4, 7, 11, pool)
    assert len(gs.x) == 4 * (2 + 2) == len(pool.tasks) and gs.runs == 16
    store = RunStore(tmp_path)
    for task in pool.tasks:
        store.write(execute(task))
    rows, points, notes = gs.rows(store)
    assert not notes and len(points) == 16
    got = {(r[0], r[2], r[3]) for r in rows}
    assert got == {(o, r.key, i) for o in HEADLINE for r in ranges for i in ("S1", "ST")}
    assert all(r[5] <= r[4] <= r[6] for r in rows)  # value inside its interval


def test_the_simulated_check_detects_probabilities_that_ignore_the_nests(monkeypatch: pytest.MonkeyPatch) -> None:
    scenario = load_scenario(SCENARIOS / "baseline.yaml")
    world = world_for(scenario)
    assert all(row[-1] for row in closed_form.simulated_rows(scenario, 5, world))
    right = closed_form.expected_counts

    def flat(sc: object, seed: int, w: object) -> object:
        data = sc.model_dump(mode="json")  # type: ignore[attr-defined]
        data["behaviour"]["nests"] = {k: 1.0 for k in data["behaviour"]["nests"]}
        from model.scenario import validate_mapping

        return right(validate_mapping(data, "test"), seed, w)  # type: ignore[arg-type]

    monkeypatch.setattr(closed_form, "expected_counts", flat)
    assert not all(row[-1] for row in closed_form.simulated_rows(scenario, 5, world))


def test_the_hindcast_runs_keep_only_the_levers_active_in_it() -> None:
    target = load_target(SCENARIOS / "relocation_aid.yaml", 1500)
    hindcast = target.variant("h", hindcast_only=True)
    assert hindcast.years.end == 2022 and hindcast.policies.relocation_aid is None  # starts in 2024
    early = {"relocation_aid": {"start_year": 2020, "end_year": 2030, "yuan_per_job": 1.0, "annual_budget_yuan": 1.0}}
    aid = target.variant("h", policies=early, hindcast_only=True).policies.relocation_aid
    assert aid is not None and (aid.start_year, aid.end_year) == (2020, 2022)
    assert target.variant("f", policies=early).policies.relocation_aid.end_year == 2030


def test_the_report_quotes_the_shipped_choice_recovery_and_says_when_it_is_missing(tmp_path: Path) -> None:
    """DESIGN §7: the report quotes the independent estimator's check (docs/validation/choice_recovery.json)."""
    import json

    from experiments.validation.recovery import RESULT, recovery_section

    shipped = json.loads(RESULT.read_text(encoding="utf-8"))
    text = "\n".join(recovery_section())
    assert f"LR = {shipped['lr']:.1f}" in text and f"p = {shipped['p_value']:.2f}" in text
    assert all(f"| {p['name']} |" in text for p in shipped["parameters"])
    assert "negative control" in text
    missing = "\n".join(recovery_section(tmp_path / "none.json"))
    assert "No recovery result" in missing and "python -m benchmarks.choice_recovery" in missing
