"""The app's model and inputs without a browser: inputs from the registry, common random numbers, errors in the page."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from app.levers import ACTIVE, apply_inputs, numeric_fields, scenario_files
from app.session import FOLDERS_ENV, SCENARIOS, AppModel, load
from app.views import comparison_rows, cost_chart, jobs_chart, share_chart, top_destination_rows
from model.levers.registry import REGISTRY
from model.model import simulate
from model.scenario import load_scenario
from model.schema import unit_of
from tests.conftest import HANG_GUARD_S

ROOT = Path(__file__).resolve().parents[1]
FIRMS = 3000
RECORD_FIELDS = ("to_north_jobs", "to_jiangsu_jobs", "to_outside_jobs", "relocated_jobs", "closed_jobs", "born_jobs")


def entered(path: Path, **changes: object) -> dict[str, object]:
    values: dict[str, object] = {i.name: i.value for i in load(path).inputs}
    values.update({"firms": FIRMS, "seed": 7, **changes})
    return values


def test_every_numeric_key_of_every_lever_is_an_input_with_its_unit() -> None:
    loaded = load(SCENARIOS / "baseline.yaml")
    by_name = {i.name: i for i in loaded.inputs}
    for key, cls in REGISTRY.items():
        assert f"{key}__{ACTIVE}" in by_name
        fields = numeric_fields(cls.config_class)
        assert fields, key
        for field in fields:
            i = by_name[f"{key}__{field}"]
            declared = unit_of(cls.config_class, field)
            assert declared is not None
            if "yuan" in declared:
                assert "CNY" in i.unit and "yuan" not in i.unit, (i.name, i.unit)
            elif field not in ("start_year", "end_year"):
                assert i.unit == declared


@pytest.mark.parametrize("path", scenario_files(SCENARIOS), ids=lambda p: p.name)
def test_unchanged_inputs_give_the_files_scenario_exactly(path: Path) -> None:
    loaded = load(path)
    assert loaded.error is None, loaded.error
    raw = apply_inputs(loaded.raw, loaded.inputs, {i.name: i.value for i in loaded.inputs})
    from model.scenario import validate_mapping

    assert validate_mapping(raw, path).model_dump() == load_scenario(path).model_dump()


def test_money_is_entered_in_its_display_unit_and_stored_in_yuan() -> None:
    loaded = load(SCENARIOS / "relocation_aid.yaml")
    by_name = {i.name: i for i in loaded.inputs}
    aid = by_name["relocation_aid__annual_budget_yuan"]
    assert (aid.unit, aid.value) == ("CNY bn per year", 1.5)
    per_job = by_name["relocation_aid__yuan_per_job"]
    assert (per_job.unit, per_job.value) == ("CNY thousand per job", 30.0)
    raw = apply_inputs(loaded.raw, loaded.inputs, {aid.name: 2.5, per_job.name: 45})
    assert raw["policies"]["relocation_aid"]["annual_budget_yuan"] == 2.5e9
    assert raw["policies"]["relocation_aid"]["yuan_per_job"] == 45_000


def test_with_every_lever_off_the_two_runs_are_identical() -> None:
    """Common random numbers: the same seed and firms give the same moves when nothing differs."""
    m = AppModel(str(SCENARIOS / "baseline.yaml"), entered(SCENARIOS / "baseline.yaml"))
    m.run_to_end()
    assert m.error is None
    for field in RECORD_FIELDS:
        assert np.array_equal(m.series("current", field), m.series("baseline", field)), field
    assert len(m.years()) == m.settings.years.end - m.settings.years.start + 1


def test_the_current_run_is_the_models_own_run_with_that_seed() -> None:
    path = SCENARIOS / "article_package.yaml"
    m = AppModel(str(path), entered(path))
    m.run_to_end()
    scenario = load_scenario(path, {"firms.count": FIRMS, "seed": 7})
    ref = simulate(scenario, 7)
    yearly = np.array([row["to_north_jobs"] for row in ref.timeseries], dtype=float)
    assert np.array_equal(m.series("current", "to_north_jobs"), yearly)
    totals = m.totals("current")  # the side-by-side's sums are the run's own summary metrics
    for name in ("to_north_jobs", "to_outside_jobs", "relocated_jobs", "fiscal_cost_yuan", "north_share_jobs"):
        assert totals[name] == pytest.approx(ref.metrics[name], rel=1e-12), name


def test_relocation_aid_switched_on_moves_jobs_north_within_its_budget() -> None:
    path = SCENARIOS / "baseline.yaml"
    budget_bn = 0.05
    on = entered(
        path,
        relocation_aid__active=True,
        relocation_aid__start_year=2024,
        relocation_aid__yuan_per_job=80.0,
        relocation_aid__annual_budget_yuan=budget_bn,
    )
    m = AppModel(str(path), on)
    m.run_to_end()
    assert m.error is None, m.error
    cur, base = m.totals("current"), m.totals("baseline")
    assert cur["to_north_jobs"] > base["to_north_jobs"]
    spend = m.fiscal_by_lever()["relocation_aid"]
    years = m.years()
    assert np.all(spend[years < 2024] == 0)
    assert np.all(spend <= budget_bn * 1e9 + 1e-6), "a year's budget is never exceeded"
    assert base["fiscal_cost_yuan"] == 0
    rows = {r["Metric"].split(" (")[0]: r for r in comparison_rows(m)}
    assert rows["Jobs moved to north parks"]["Difference"].startswith("+")


def test_same_inputs_same_results() -> None:
    path = SCENARIOS / "talent.yaml"
    a, b = AppModel(str(path), entered(path)), AppModel(str(path), entered(path))
    a.run_to_end()
    b.run_to_end()
    for field in RECORD_FIELDS:
        assert np.array_equal(a.series("current", field), b.series("current", field))
    assert a.top_destinations() == b.top_destinations()


def test_a_bad_value_becomes_the_pages_message_not_an_exception() -> None:
    path = SCENARIOS / "relocation_aid.yaml"
    m = AppModel(str(path), entered(path, relocation_aid__yuan_per_job=-5.0))
    assert m.error is not None
    assert "policies.relocation_aid.yuan_per_job" in m.error and "relocation_aid.yaml" in m.error
    m.step()
    assert not m.running and m.year is None


def test_a_lever_year_outside_the_scenarios_years_becomes_the_pages_message() -> None:
    path = SCENARIOS / "relocation_aid.yaml"
    m = AppModel(str(path), entered(path, relocation_aid__start_year=1990))
    assert m.error is not None and "policies.relocation_aid.start_year" in m.error and "1990" in m.error
    assert m.current is None and not m.running


def test_a_broken_file_becomes_the_pages_message(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(FOLDERS_ENV, str(tmp_path))  # as `app --scenarios TMP` gives the server
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: bad\nyears: {start: 2030, end: 2020}\n")
    loaded = load(bad)
    assert loaded.error is not None and "years.end" in loaded.error and "bad.yaml" in loaded.error
    assert AppModel(str(bad)).error == loaded.error


def test_views_draw_before_and_after_the_first_year() -> None:
    path = SCENARIOS / "article_package.yaml"
    m = AppModel(str(path), entered(path))
    for draw in (jobs_chart, share_chart, cost_chart):
        assert draw(m).axes  # a placeholder before any year
    assert top_destination_rows(m) == []
    for _ in range(7):
        m.step()
    for draw in (jobs_chart, share_chart, cost_chart):
        assert draw(m).axes
    rows = top_destination_rows(m)
    assert len({r["Origin"] for r in rows}) == len(rows) == 9
    assert all(list(r)[2:] == ["#1", "#2", "#3", "#4", "#5"] for r in rows)
    suzhou = next(r for r in rows if r["Origin"].startswith("Suzhou"))
    assert "%)" in suzhou["#1"]


def test_app_command_line_errors_exit_2_in_one_line() -> None:
    proc = subprocess.run(
        [sys.executable, "run.py", "app", "--port", "70000"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=HANG_GUARD_S,
    )
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and "--port" in proc.stderr and "Traceback" not in proc.stderr


def test_an_address_the_server_cannot_listen_on_exits_2_in_one_line() -> None:
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        for args in (["--port", str(port)], ["--host", "999.1.1.1"]):
            proc = subprocess.run(
                [sys.executable, "run.py", "app", *args], cwd=ROOT, capture_output=True, text=True, timeout=HANG_GUARD_S
            )
            assert proc.returncode == 2, proc.stderr
            assert proc.stderr.count("\n") == 1 and "cannot listen on" in proc.stderr, proc.stderr
            assert proc.stdout == ""


def test_stopping_the_command_stops_its_server() -> None:
    """SIGTERM to `python run.py app` ends solara's server too (nothing keeps serving the port)."""
    import os
    import signal
    import socket
    import time
    import urllib.request

    pytest.importorskip("solara")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [sys.executable, "run.py", "app", "--port", str(port)], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + HANG_GUARD_S
        while True:
            try:
                with urllib.request.urlopen(url, timeout=5) as r:
                    assert r.status == 200
                    break
            except OSError:
                assert proc.poll() is None and time.monotonic() < deadline, "the app did not start"
                time.sleep(0.5)
        os.kill(proc.pid, signal.SIGTERM)
        assert proc.wait(timeout=HANG_GUARD_S) == 0
        with pytest.raises(OSError):
            urllib.request.urlopen(url, timeout=5)
    finally:
        if proc.poll() is None:
            proc.kill()


def test_a_lever_switched_on_runs_as_shown_from_the_report_window() -> None:
    """A lever the scenario lacks starts in the first policy year, and what the boxes show is what runs."""
    path = SCENARIOS / "baseline.yaml"
    loaded = load(path)
    shown = {i.name: i for i in loaded.inputs}
    assert shown["talent__start_year"].value == 2024 and shown["talent__end_year"].value == 2035
    raw = apply_inputs(loaded.raw, loaded.inputs, {"talent__active": True, "talent__annual_budget_yuan": 2.0})
    section = raw["policies"]["talent"]
    assert section["start_year"] == 2024 and section["end_year"] == 2035
    assert section["annual_budget_yuan"] == 2.0 * shown["talent__annual_budget_yuan"].scale
    assert section["yuan_per_talent"] == 150_000 and section["retention_per_year"] == 0.85
    m = AppModel(str(path), entered(path, talent__active=True, talent__annual_budget_yuan=2.0))
    m.run_to_end()
    spend = m.fiscal_by_lever()["talent"]
    assert np.all(spend[m.years() < 2024] == 0) and np.all(spend[m.years() >= 2024] > 0)


def test_running_ahead_shows_no_year_but_knows_the_windows_totals() -> None:
    """The page runs the model ahead in a worker thread: nothing is shown yet, the 2024–2035 totals are known."""
    path = SCENARIOS / "article_package.yaml"
    ahead, stepped = AppModel(str(path), entered(path)), AppModel(str(path), entered(path))
    ahead.run_ahead()
    assert ahead.year is None and len(ahead.years()) == 0 and ahead.ahead() and ahead.running
    assert ahead.totals("current")["to_north_jobs"] == 0  # nothing shown, nothing summed
    stepped.run_to_end()
    assert ahead.totals("current", ahead=True) == stepped.totals("current")
    assert ahead.totals("baseline", ahead=True) == stepped.totals("baseline")
    for _ in range(8):
        ahead.step()
    assert ahead.year == 2026 and list(ahead.years()) == list(range(2019, 2027))
    for field in RECORD_FIELDS:  # a year shown after running ahead is the year stepping alone gives
        assert np.array_equal(ahead.series("current", field), stepped.series("current", field)[:8]), field
    assert comparison_rows(ahead, ahead=True) == comparison_rows(stepped)


def test_the_controls_speak_in_years() -> None:
    from app.controls import year_words

    path = SCENARIOS / "baseline.yaml"
    m = AppModel(str(path), entered(path))
    assert year_words(m) == "Before 2019 (runs 2019–2035)"
    for _ in range(11):
        m.step()
    assert year_words(m) == "Year 2029 (runs 2019–2035)"
    m.run_to_end()
    assert year_words(m) == "Year 2035 (the last year)" and not m.running


def test_a_bad_budget_is_reported_against_its_box_in_the_boxs_unit() -> None:
    from app.checks import box_problem
    from app.session import settings_of
    from model.errors import InputError

    path = SCENARIOS / "relocation_aid.yaml"
    loaded = load(path)
    values = entered(path, relocation_aid__annual_budget_yuan=-5.0)
    with pytest.raises(InputError) as caught:
        settings_of(loaded, values)
    problem = box_problem(caught.value, loaded.inputs, values)
    assert problem is not None and problem.box == "relocation_aid__annual_budget_yuan"
    assert problem.text == "-5 CNY bn per year is out of range (allowed: ≥ 0 CNY bn per year)"
    per_job = entered(path, relocation_aid__yuan_per_job=-2.5)
    with pytest.raises(InputError) as caught:
        settings_of(loaded, per_job)
    problem = box_problem(caught.value, loaded.inputs, per_job)
    assert problem is not None and problem.text.startswith("-2.5 CNY thousand per job is out of range")
    firms = entered(path, firms=0)
    with pytest.raises(InputError) as caught:
        settings_of(loaded, firms)
    problem = box_problem(caught.value, loaded.inputs, firms)
    assert problem is not None and (problem.box, problem.text) == ("firms", "0 is out of range (allowed: ≥ 1)")


def test_destinations_are_named_as_the_report_figures_name_them() -> None:
    from report.figures.names import place_label

    path = SCENARIOS / "baseline.yaml"
    m = AppModel(str(path), entered(path))
    for _ in range(6):
        m.step()
    labels = {place_label(p) for p in m.places.values()}
    rows = top_destination_rows(m)
    assert rows and all(r["Origin"] in labels for r in rows)
    assert all(r["#1"].rsplit(" (", 1)[0] in labels for r in rows)


def test_the_page_names_its_pages_and_has_none_of_mesas_interval_controls() -> None:
    solara = pytest.importorskip("solara")
    v = pytest.importorskip("ipyvuetify")
    from app import page

    @solara.component
    def WholePage() -> None:  # noqa: N802 (a component, named as solara's are)
        with solara.AppLayout():
            page.Page()

    before = page.scenario_path.value
    try:
        page.scenario_path.set(str(SCENARIOS / "baseline.yaml"))
        _box, rc = solara.render(WholePage(), handle_error=False)
        assert [w.children[0] for w in rc.find(v.Tab).widgets] == list(page.PAGES)
        assert [w.children[0] for w in rc.find(v.Tab).widgets] == [
            "Jobs and costs",
            "Map and destinations",
            "Least-cost packages",
        ]
        assert not rc.find(v.Slider).widgets  # Mesa's play and render intervals
        assert not rc.find(v.Checkbox, label="Use Threads").widgets
        titles = [str(w.children) for w in rc.find(v.CardTitle).widgets]
        assert not any("Model Parameters" in t or "Information" in t for t in titles), titles
        assert any("Run and levers" in t for t in titles) and any("Scenario" in t for t in titles)
        assert [w.children for w in rc.find(v.Btn).widgets][:3] == [["Reset"], ["▶"], ["Step"]]
    finally:
        page.scenario_path.set(before)


def test_the_totals_say_so_far_until_the_model_has_run_ahead() -> None:
    pytest.importorskip("solara")
    from app.panels import totals_title

    path = SCENARIOS / "baseline.yaml"
    m = AppModel(str(path), entered(path))
    assert totals_title(m).endswith("so far (nothing yet of 2024–2035)")
    for _ in range(8):
        m.step()
    assert totals_title(m).endswith("so far (2024–2026 of 2024–2035)")
    while m.advance():  # as the page's worker thread runs it ahead
        pass
    assert m.year == 2026 and totals_title(m).endswith("totals 2024–2035")
