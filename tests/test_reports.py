"""The reports of compare, attribute, sweep and sensitivity, drawn from the tables of real (small) result folders.

Each folder is made once per module by the in-process CLI; every property is
one parametrised test over the folders it concerns: the decision table leads
and matches decision.csv in the catalogue's format; no dotted key path or raw
metric id in an axis title, a Markdown table header or the terminal summary;
within-noise heatmap cells are grey (and nothing is with one replication);
`plot DIR` redraws the same bytes; a damaged table is one line and exit 2.
"""

from __future__ import annotations

import csv
import math
import re
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure

import experiments.sweep.figures
import experiments.sweep.read
from cli import main
from experiments.attribute.report import AttributeReport
from experiments.compare.report import CompareReport
from experiments.engine.report import Report
from experiments.registry import report_of
from experiments.sensitivity.report import SensitivityReport
from experiments.sweep.report import SweepReport
from model.outcomes import CATALOGUE, COST_EFFECTIVENESS, DECISION, metric
from report.figures.style import NEUTRAL_COLOUR

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "scenarios"
NOT_DEFINED = "(95% CI not defined: the change in north jobs is not distinguishable from 0)"
DOTTED = re.compile(r"\b[a-z_]+\.[a-z_]+(\.[a-z_]+)*\b")

SMALL_GRID = """\
name: small_grid
base: {base}
seed: 7
replications: {replications}
firms: 300
design: {{method: grid}}
factors:
  policies.talent.annual_budget_yuan: {{values: [0, 2e9, 4e9]}}
  behaviour.choice.talent: {{values: [0.5, 1.5]}}
outcomes: [north_share_jobs, fiscal_cost_yuan]
"""
SMALL_MORRIS = """\
name: small_morris
base: {base}
seed: 11
replications: 1
firms: 200
design: {{method: morris, samples: 2, levels: 4}}
factors:
  behaviour.push.intercept: {{range: [-5.0, -3.6]}}
  world.outside.subsidy_yuan_per_job: {{range: [0, 60000]}}
  behaviour.choice.pairing: {{range: [0.4, 1.6]}}
outcomes: [north_share_jobs, relocated_jobs, fiscal_cost_yuan]
"""
SMALL_PACKAGE = """\
name: small_package
description: Relocation aid and pairing together.
extends: {base}
policies:
  pairing:
    start_year: 2024
    end_year: 2035
    strength_gain: 1.0
    environment_gain: 0.05
    annual_budget_yuan: 2.0e8
"""


def _run(*argv: str | Path) -> None:
    code = main([str(a) for a in argv])
    assert code == 0, f"{argv} exited {code}"


def _only_folder(out: Path) -> Path:
    (folder,) = [p for p in out.iterdir() if p.is_dir()]
    return folder


@pytest.fixture(scope="module")
def folders(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """One result folder per command (and a one-replication sweep), each made by the real command."""
    tmp = tmp_path_factory.mktemp("reports")
    made: dict[str, Path] = {}

    def make(key: str, *argv: str | Path) -> None:
        out = tmp / key
        _run(*argv, "--out", out, "-q")
        made[key] = _only_folder(out)

    others = (SCENARIOS / "talent.yaml", SCENARIOS / "article_package.yaml")
    make("compare", "compare", SCENARIOS / "baseline.yaml", *others, "--firms", "300", "--replications", "3")
    make("sweep", "sweep", ROOT / "experiments/examples/talent_budget.yaml", "--firms", "300")
    one = tmp / "grid1.yaml"
    one.write_text(SMALL_GRID.format(base=SCENARIOS / "talent.yaml", replications=1), encoding="utf-8")
    make("sweep_1rep", "sweep", one)
    morris = tmp / "morris.yaml"
    morris.write_text(SMALL_MORRIS.format(base=SCENARIOS / "article_package.yaml"), encoding="utf-8")
    make("sensitivity", "sensitivity", morris)
    package = tmp / "package.yaml"
    package.write_text(SMALL_PACKAGE.format(base=SCENARIOS / "relocation_aid.yaml"), encoding="utf-8")
    make("attribute", "attribute", package, "--firms", "200", "--replications", "2")
    return made


FAMILIES: dict[str, Report[Any]] = {  # each folder's report: what it reads, its figures, its Markdown file
    "compare": CompareReport(),
    "attribute": AttributeReport(),
    "sweep": SweepReport(),
    "sweep_1rep": SweepReport(),
    "sensitivity": SensitivityReport(),
}


@pytest.mark.parametrize("key", list(FAMILIES))
def test_the_registry_names_the_report_and_it_draws_its_markdown(key: str) -> None:
    report = report_of(key.removesuffix("_1rep"))
    assert type(report) is type(FAMILIES[key])
    assert report.drawn == ("plots", report.document, report.document.removesuffix(".md") + ".html")


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _tables(markdown: str) -> list[list[list[str]]]:
    """Every Markdown table as rows of cells (header first, the rule dropped)."""
    tables, current = [], []
    for line in [*markdown.splitlines(), ""]:
        if line.startswith("|"):
            cells = [c.strip() for c in line.strip("|").split(" | ")]
            if not all(set(c) <= set("-: ") for c in cells):
                current.append(cells)
        elif current:
            tables.append(current)
            current = []
    return tables


def _catalogue_cell(name: str, row: dict[str, str], replications: int) -> str:
    """What a decision.csv row must read as: the catalogue's interval text, or why there is no interval."""
    m = metric(name)
    mean, low, high = (float(row[c]) for c in ("value", "ci_low", "ci_high"))
    if name == COST_EFFECTIVENESS:
        if math.isfinite(low):
            return m.interval_text(mean, low, high)
        if replications < 2 or not math.isfinite(mean):  # no ratio at all (e.g. no change in north jobs)
            return m.text(mean)
        return f"{m.text(mean)} {NOT_DEFINED}"
    if low == high == mean:
        return f"{m.text(mean, change=True)} (same in every replication)"
    return m.interval_text(mean, low, high, change=True)


@pytest.mark.parametrize(("key", "who"), [("compare", "scenario"), ("attribute", "lever")])
def test_the_report_leads_with_the_decision_table_in_the_catalogues_format(
    folders: dict[str, Path], key: str, who: str
) -> None:
    folder = folders[key]
    text = (folder / FAMILIES[key].document).read_text(encoding="utf-8")
    before_first_table = text[: text.index("\n|")]
    assert before_first_table.count("\n## ") == 1 and "## Decision table" in before_first_table
    first = _tables(text)[0]
    decision = _rows(folder / "decision.csv")
    reps = min(int(r["replications"]) for r in decision)
    names = list(dict.fromkeys(r[who] for r in decision))
    quantities = [*DECISION, COST_EFFECTIVENESS]
    expected = {
        n: [_catalogue_cell(q, r, reps) for q in quantities for r in decision if (r[who], r["quantity"]) == (n, q)]
        for n in names
    }
    body = first[1:]
    if key == "attribute":
        assert body[-1][0] == "**Whole package**"
        body = body[:-1]
        north = {r[who]: float(r["value"]) for r in decision if r["quantity"] == "to_north_jobs"}
        names = sorted(names, key=lambda n: -north[n])  # ranked by the change in north-park jobs
        got = {n: cells[2 : 2 + len(quantities)] for n, cells in zip(names, body, strict=True)}
    else:
        got = {cells[0].strip("`"): cells[1 : 1 + len(quantities)] for cells in body}
    assert got == expected
    assert len(first[0]) == len(body[0])


def test_compare_says_when_the_outside_share_falls_while_outside_jobs_rise(folders: dict[str, Path]) -> None:
    folder = folders["compare"]
    text = (folder / "comparison.md").read_text(encoding="utf-8")
    share = {
        r["scenario"]: float(r["diff"]) for r in _rows(folder / "comparison.csv") if r["metric"] == "outside_share_jobs"
    }
    jobs = {
        r["scenario"]: float(r["value"]) for r in _rows(folder / "decision.csv") if r["quantity"] == "to_outside_jobs"
    }
    said = {s for s in jobs if f"**`{s}` lowers the outside-province share" in text}
    assert said == {s for s in jobs if share[s] < 0 < jobs[s]}
    assert said, "the shipped article package should show it at these settings"


def _axis_titles(fig: Figure) -> list[str]:
    return [t for ax in fig.axes for t in (ax.get_xlabel(), ax.get_ylabel()) if t]


@pytest.mark.parametrize("key", list(FAMILIES))
def test_no_key_path_or_metric_id_in_axis_titles_table_headers_or_summary(folders: dict[str, Path], key: str) -> None:
    folder, family = folders[key], FAMILIES[key]
    texts = [t for _name, fig in family.figures(family.read(folder)) for t in _axis_titles(fig)]
    assert texts, "the figures have axis titles"
    markdown = (folder / family.document).read_text(encoding="utf-8")
    texts += [cell for table in _tables(markdown) for cell in table[0]]
    texts += family.summary(folder)[1:]
    forbidden = set(CATALOGUE)
    for table in ("factors.csv", "levers.csv"):
        if (folder / table).is_file():
            forbidden |= {r.get("key") or r["lever"] for r in _rows(folder / table)}
    for text in texts:
        assert not DOTTED.search(text), text
        assert not [f for f in forbidden if re.search(rf"\b{re.escape(f)}\b", text)], text


@pytest.mark.parametrize("key", ["sweep", "sweep_1rep"])
def test_heatmap_cells_within_noise_are_grey_and_nothing_is_with_one_replication(
    folders: dict[str, Path], key: str
) -> None:
    folder = folders[key]
    s = experiments.sweep.read.read_sweep(folder)
    assert s.figure_kind() == "heatmap"
    grey = np.array(to_rgba(NEUTRAL_COLOUR))
    points = _rows(folder / "points.csv")
    keys = [r["key"] for r in _rows(folder / "factors.csv")]
    greyed = 0
    for name in s.outcomes:
        fig = experiments.sweep.figures.plot_heatmap(s, name)
        xs, ys = s.distinct(0), s.distinct(1)
        mesh = fig.axes[0].collections[0]
        colours = np.asarray(mesh.get_array()).reshape(len(ys), len(xs), 4)
        # numeric factors at their true spacing: ticks at the values, unequal steps give unequal cells
        assert list(fig.axes[0].get_xticks()) == pytest.approx([float(x) for x in xs])
        widths = np.diff(mesh.get_coordinates()[0, :, 0])
        steps = np.diff([float(x) for x in xs])
        assert (np.ptp(widths) > 0) == (np.ptp(steps) > 0)
        for row in (r for r in points if r["outcome"] == name):
            i, j = xs.index(float(row[keys[0]])), ys.index(float(row[keys[1]]))
            is_grey = bool(np.allclose(colours[j, i], grey))
            assert is_grey == (row["within_noise"] == "true"), (name, row)
            greyed += is_grey
        labels = [t.get_text() for t in fig.axes[0].texts]
        assert sum("≈ base" in t for t in labels) == sum(
            r["outcome"] == name and r["within_noise"] == "true" for r in points
        )
        assert len(labels) == len(xs) * len(ys)  # the value in every cell
        if key == "sweep_1rep":
            assert "One replication" in fig.get_supxlabel()
    if key == "sweep":
        assert 0 < greyed < len(points), "the talent budget sweep has cells within noise and cells beyond it"
    else:
        assert greyed == 0 and all(r["within_noise"] == "" for r in points)


def _drawn(folder: Path, family: Report[Any]) -> dict[str, bytes]:
    files = [folder / family.document, *sorted((folder / "plots").glob("*.png"))]
    return {p.name: p.read_bytes() for p in files}


@pytest.mark.parametrize("key", list(FAMILIES))
def test_plot_redraws_the_same_markdown_and_png_bytes(folders: dict[str, Path], key: str) -> None:
    folder, family = folders[key], FAMILIES[key]
    before = _drawn(folder, family)
    assert len(before) >= 2, "a report and at least one figure"
    linked = re.findall(r"!\[[^]]*\]\((plots/[^)]+)\)", before[family.document].decode())
    assert linked and all((folder / p).is_file() for p in linked), linked
    assert main(["plot", str(folder)]) == 0
    assert _drawn(folder, family) == before


DAMAGES = [
    ("compare", "decision.csv", "value", "12x"),
    ("compare", "comparison.csv", "metric", "north_share"),
    ("attribute", "attribution.csv", "shapley", "lots"),
    ("attribute", "levers.csv", "lever", ""),
    ("sweep", "points.csv", "mean", "abc"),
    ("sweep", "points.csv", "within_noise", "maybe"),
    ("sweep", "base.csv", "ci_high", "inf"),
    ("sensitivity", "indices.csv", "value", "n/a"),
    ("sensitivity", "indices.csv", "factor", "behaviour.push.nothing"),
]


@pytest.mark.parametrize(("key", "table", "column", "bad"), DAMAGES)
def test_a_damaged_table_is_one_line_and_exit_2(
    folders: dict[str, Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    key: str,
    table: str,
    column: str,
    bad: str,
) -> None:
    folder = tmp_path / folders[key].name
    shutil.copytree(folders[key], folder, ignore=shutil.ignore_patterns("runs"))
    with (folder / table).open(encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    rows[1][rows[0].index(column)] = bad
    with (folder / table).open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh, lineterminator="\n").writerows(rows)
    report_before = (folder / FAMILIES[key].document).read_bytes()
    capsys.readouterr()
    assert main(["plot", str(folder)]) == 2
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    assert table in err and "row 2" in err and column in err
    assert (folder / FAMILIES[key].document).read_bytes() == report_before  # nothing half-redrawn
