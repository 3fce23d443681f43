"""The app's third page: an `optimise` folder read into the front, and a package loaded into the levers in one click.

The folder here is written by hand in the layout `optimise` writes (frontier.csv
and packages/<id>.yaml), so that the tests need no search run; the page's
components are rendered in-process (solara.render) and clicked as a browser would.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from app.inputs import initial_values
from app.serve import named_folders
from app.session import FOLDERS_ENV, RESULTS_ENV, SCENARIOS, load
from model.errors import InputError
from model.outcomes import metric

solara = pytest.importorskip("solara")
v = pytest.importorskip("ipyvuetify")

from app import page  # noqa: E402  (needs solara)
from app.results import front_chart, optimise_folders, read_results, table_rows  # noqa: E402

AID = "policies.relocation_aid"
DECISIONS = (f"{AID}.yuan_per_job", f"{AID}.annual_budget_yuan")
METRICS = ("to_north_jobs", "to_outside_jobs", "fiscal_cost_yuan")
# id, certified, yuan per job, budget, (north, outside, cost) as (change, low, high)
PACKAGES = (
    ("pa1", "true", 45000, 2.5e9, ((8000, 6000, 9500), (-4000, -6000, -1500), (4.0e8, 3.5e8, 4.6e8))),
    ("pb2", "false", 9000, 1.0e9, ((500, -300, 1200), (100, -900, 1000), (2.0e7, 1.5e7, 2.6e7))),
    ("pc3", "true", 12000, 5.0e9, ((2500, 1500, 3600), (-700, -2000, 900), (8.0e7, 7.0e7, 9.1e7))),
)


def write_optimise_folder(folder: Path) -> Path:
    """A small optimise result folder: frontier.csv with its columns, and each package's scenario file."""
    (folder / "packages").mkdir(parents=True)
    head = ["package", "certified", "feasible", *DECISIONS]
    for m in METRICS:
        head += [f"{m}_change", f"{m}_low", f"{m}_high", f"{m}_robust", f"{m}_robust_low", f"{m}_robust_high"]
    lines = [",".join([*head, "beaten_by", "violations"])]
    for key, certified, per_job, budget, changes in PACKAGES:
        cells = [key, certified, "true", str(per_job), str(budget)]
        for change in changes:
            cells += [str(x) for x in (*change, *change)]
        lines.append(",".join([*cells, "", ""]))
        (folder / "packages" / f"{key}.yaml").write_text(
            f"name: {key}\nextends: {SCENARIOS / 'baseline.yaml'}\nfirms: {{count: 3000}}\npolicies:\n"
            f"  relocation_aid: {{start_year: 2024, end_year: 2035, yuan_per_job: {per_job}, "
            f"annual_budget_yuan: {budget}}}\n",
            encoding="utf-8",
        )
    (folder / "frontier.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder


@pytest.fixture
def results_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A results root, as `app --results ROOT` names it to the server."""
    monkeypatch.delenv(FOLDERS_ENV, raising=False)
    monkeypatch.setenv(RESULTS_ENV, str(tmp_path / "results"))
    (tmp_path / "results").mkdir()
    return tmp_path / "results"


@pytest.fixture
def page_state() -> Iterator[None]:
    """The page's module-level state (scenario, open folder) back as it was after each test."""
    scenario, folder = page.scenario_path.value, page.results_path.value
    yield
    page.scenario_path.set(scenario)
    page.results_path.set(folder)


def test_an_optimise_folder_reads_certified_first_by_fiscal_cost(results_root: Path) -> None:
    folder = write_optimise_folder(results_root / "run" / "optimise-small")
    assert optimise_folders() == [folder]
    results = read_results(str(folder))
    assert results.error is None, results.error
    assert results.decisions == DECISIONS
    assert [p.key for p in results.packages] == ["pc3", "pa1", "pb2"]  # certified by cost, then the rest
    assert [p.file for p in results.packages] == [folder / "packages" / f"{k}.yaml" for k in ("pc3", "pa1", "pb2")]
    row = table_rows(results)[1]
    assert row["Package"] == "pa1" and row["Certified"] == "certified"
    assert (
        row["Levers"]
        == "Relocation aid: payment per relocated job CNY 45,000 per job, annual budget CNY 2.5 bn per year"
    )
    for column, name, change in zip(
        ("North-park jobs (change)", "Outside-province jobs (change)", "Fiscal cost (change)"),
        METRICS,
        PACKAGES[0][4],
        strict=True,
    ):
        assert row[column] == metric(name).interval_text(*change, change=True)
    assert row["North-park jobs (change)"] == "+8,000 (95% CI +6,000 to +9,500)"
    assert table_rows(results)[2]["Certified"] == "not certified"
    assert front_chart(results, results.packages[0].file).axes


def test_a_folder_that_is_not_an_optimise_folder_says_so_in_one_line(results_root: Path) -> None:
    plain = results_root / "plain"
    plain.mkdir()
    (plain / "packages").mkdir()  # packages/ but no frontier.csv
    assert optimise_folders() == []
    error = read_results(plain).error
    assert error is not None and "\n" not in error
    assert "not an optimise result folder" in error and "frontier.csv" in error
    bad = write_optimise_folder(results_root / "bad")
    (bad / "frontier.csv").write_text("certified,feasible\ntrue,true\n", encoding="utf-8")  # no package column
    error = read_results(bad).error
    assert error is not None and "\n" not in error and "frontier.csv" in error and "package" in error


def test_a_folder_outside_the_results_roots_gets_one_message_whether_or_not_it_exists(
    results_root: Path, tmp_path: Path
) -> None:
    outside = write_optimise_folder(tmp_path / "elsewhere")
    here, missing = read_results(outside).error, read_results(tmp_path / "absent").error
    assert here is not None and missing is not None and "--results" in here
    assert here.replace("elsewhere", "X") == missing.replace("absent", "X")
    assert load(outside / "packages" / "pa1.yaml").error is not None  # nor its packages


def test_only_the_package_files_of_a_results_folder_open_as_scenarios(results_root: Path) -> None:
    folder = write_optimise_folder(results_root / "optimise-small")
    assert load(folder / "packages" / "pa1.yaml").error is None
    (folder / "other.yaml").write_text((folder / "packages" / "pa1.yaml").read_text(), encoding="utf-8")
    assert load(folder / "other.yaml").error is not None  # a results root is not a scenario folder


def test_a_results_folder_on_the_command_line_must_be_a_folder(tmp_path: Path) -> None:
    assert named_folders([tmp_path], "--results") == [tmp_path.resolve()]
    with pytest.raises(InputError, match="app --results"):
        named_folders([tmp_path / "none"], "--results")


@solara.component
def WholePage() -> None:  # noqa: N802 (a component, named as solara's are)
    with solara.AppLayout():  # the sidebar (levers panel) is a portal of the app layout, as in the served page
        page.Page()


def _boxes(rc, label: str) -> list[str]:
    return [w.v_model for w in rc.find(v.TextField, label=label).widgets]


def test_load_into_levers_makes_the_package_the_scenario_and_the_levers_show_it(
    results_root: Path, page_state: None
) -> None:
    folder = write_optimise_folder(results_root / "optimise-small")
    page.scenario_path.set(str(SCENARIOS / "relocation_aid.yaml"))  # a scenario with relocation aid at 30,000 a job
    page.results_path.set(str(folder))
    _box, whole = solara.render(WholePage(), handle_error=False)
    per_job = "Payment per relocated job (CNY thousand per job)"
    assert "30.0" in _boxes(whole, per_job)

    _box, packages = solara.render(page.PackagesView(), handle_error=False)
    row = packages.find(v.Html, tag="tr").widgets[2]  # header, pc3, pa1, pb2
    assert "pa1" in str(row.children[0].children[0].children)
    button = packages.find(v.Btn, children=[page.LOAD_PACKAGE]).widgets[1]
    button.click()

    package = folder / "packages" / "pa1.yaml"
    assert page.scenario_path.value == str(package)
    values = initial_values(load(package))
    inputs = {i.name: i for i in load(package).inputs}
    for key, decided in zip(DECISIONS, PACKAGES[0][2:4], strict=True):
        name = "relocation_aid__" + key.rsplit(".", 1)[1]
        assert inputs[name].stored(values[name]) == pytest.approx(decided)
    assert values["relocation_aid__active"] is True
    # What the sidebar's boxes show now: the package's values, in their entry units (not the previous scenario's).
    assert "45.0" in _boxes(whole, per_job) and "30.0" not in _boxes(whole, per_job)
    assert "2.5" in _boxes(whole, "Annual budget (CNY bn per year)")
    assert _boxes(whole, "Simulated firms") == ["3000"]
    assert _boxes(whole, "Path of a scenario .yaml") == [str(package)]
    assert [w.children for w in packages.find(v.Btn).widgets][1] == ["Loaded"]  # its row's button, now disabled
