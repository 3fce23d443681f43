"""Every command's Markdown report also as one self-contained HTML page (report/html.py, the pipeline's hook).

One tiny result folder per command (run, compare, sweep, sensitivity, attribute, report by the in-process
CLI; calibrate as the hand-written folder of tests/test_report_calibrate.py, drawn through `plot DIR`):
the page is beside its Markdown and in its report's `drawn`, its title is the report's first heading, it
embeds every figure the Markdown links (the same bytes), it references nothing outside itself, and `plot
DIR` writes the same bytes again. The converter on its own: raw HTML is text, local links become text,
web links stay, a missing figure is a one-line error.
"""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path
from typing import Any

import pytest

from cli import main
from experiments.engine.pipeline import redraw
from experiments.engine.report import Report
from experiments.registry import EXPERIMENTS, report_of
from model.errors import InputError
from report.html import html_name, render, write_html
from report.scope import scope_lines
from tests.conftest import SCENARIOS
from tests.test_report_calibrate import make_folder

ROOT = Path(__file__).resolve().parent.parent
YEARS = "years: {start: 2023, end: 2026, hindcast_end: null, report_start: null}"
IMAGE_LINK = re.compile(r"!\[[^\]]*\]\(([^)\s]+)\)")
ATTRIBUTE = re.compile(r"""\b(src|href|srcset|action|poster|data)\s*=\s*["']([^"']*)["']""", re.IGNORECASE)
DATA_PNG = "data:image/png;base64,"


def _run(*argv: str | Path) -> None:
    assert main([str(a) for a in argv]) == 0, argv


@pytest.fixture(scope="module")
def folders(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """One small result folder per command, keyed by the command."""
    tmp = tmp_path_factory.mktemp("html")
    base, talent = tmp / "base.yaml", tmp / "talent.yaml"
    base.write_text(f"name: html_base\nextends: {SCENARIOS / 'baseline.yaml'}\n{YEARS}\n", encoding="utf-8")
    talent.write_text(
        f"name: html_talent\nextends: {base}\npolicies:\n  talent: {{start_year: 2024, end_year: 2026, "
        "annual_budget_yuan: 2.0e9}\n",
        encoding="utf-8",
    )
    package = tmp / "package.yaml"
    package.write_text(
        f"name: html_package\nextends: {talent}\npolicies:\n  pairing: {{start_year: 2024, end_year: 2026, "
        "strength_gain: 1.0, annual_budget_yuan: 2.0e8}\n",
        encoding="utf-8",
    )
    sweep, morris = tmp / "sweep.yaml", tmp / "morris.yaml"
    sweep.write_text(
        f"name: html_sweep\nbase: {talent}\nseed: 3\nreplications: 2\nfirms: 200\ndesign: {{method: grid}}\n"
        "factors:\n  policies.talent.annual_budget_yuan: {values: [0, 2e9]}\n"
        "outcomes: [north_share_jobs, fiscal_cost_yuan]\n",
        encoding="utf-8",
    )
    morris.write_text(
        f"name: html_morris\nbase: {talent}\nseed: 5\nreplications: 1\nfirms: 200\n"
        "design: {method: morris, samples: 2, levels: 4}\nfactors:\n"
        "  behaviour.push.intercept: {range: [-5.0, -3.6]}\n  behaviour.choice.talent: {range: [0.5, 1.5]}\n"
        "outcomes: [north_share_jobs, relocated_jobs]\n",
        encoding="utf-8",
    )
    discovery = tmp / "discover.yaml"
    discovery.write_text(
        f"name: html_discover\nbase: {base}\npackages: [{talent}]\nseed: 3\nfirms: 200\nworlds: 8\n"
        "uncertainties:\n  behaviour.choice.talent: {range: [0.5, 1.5]}\n"
        "failure: {metric: to_north_jobs, change_below: 0}\nprim: {resamples: 0}\n",
        encoding="utf-8",
    )
    problem = tmp / "optimise.yaml"
    problem.write_text(
        f"name: html_optimise\nbase: {base}\nseed: 3\nfirms: 200\nreplications: 2\n"
        "levers: {talent: {start_year: 2024, end_year: 2026, annual_budget_yuan: 1.0e9}}\n"
        "decisions: {policies.talent.annual_budget_yuan: {range: [0, 4.0e9]}}\n"
        "objectives: [to_north_jobs, fiscal_cost_yuan]\nsearch: {evaluations: 8, population: 4}\n"
        "confirm: {replications: 2, max_packages: 3}\n",
        encoding="utf-8",
    )
    small = ("--firms", "200", "--replications", "2", "-q")
    argv: dict[str, tuple[str | Path, ...]] = {
        "run": ("run", SCENARIOS / "baseline.yaml", *small),  # the whole baseline: with its hindcast figure
        "compare": ("compare", base, talent, *small),
        "sweep": ("sweep", sweep, "-q"),
        "sensitivity": ("sensitivity", morris, "-q"),
        "attribute": ("attribute", package, *small),
        "report": ("report", SCENARIOS / "baseline.yaml", "--sobol-samples", "0", "--firms", "400", *small[2:]),
        "discover": ("discover", discovery, "-q"),
        "optimise": ("optimise", problem, "-q"),
    }
    made = {}
    for key, args in argv.items():
        out = tmp / key
        _run(*args, "--out", out)
        (made[key],) = [p for p in out.iterdir() if p.is_dir()]
    made["calibrate"] = make_folder(tmp / "calibrate")
    redraw(made["calibrate"])
    return made


def _report(folder: Path) -> Report[Any]:
    command = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))["command"]
    return report_of(command)


def _markdown(folder: Path) -> Path:
    (name,) = [n for n in _report(folder).drawn if n.endswith(".md")]
    assert name == _report(folder).document
    return folder / name


def _drawn(folder: Path) -> dict[str, bytes]:
    files = [p for p in folder.rglob("*") if p.is_file() and p.suffix in (".md", ".html", ".png")]
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(files)}


COMMANDS = ["run", "compare", "sweep", "sensitivity", "attribute", "report", "calibrate", "discover", "optimise"]


def test_every_command_is_covered() -> None:
    assert sorted(COMMANDS) == sorted(EXPERIMENTS)


@pytest.mark.parametrize("key", COMMANDS)
def test_the_page_is_beside_its_markdown_and_redrawn_with_it(folders: dict[str, Path], key: str) -> None:
    folder = folders[key]
    md = _markdown(folder)
    page = folder / html_name(md.name)
    assert page.is_file() and page.stem == md.stem
    assert page.name in _report(folder).drawn
    if key != "calibrate":  # the hand-written calibration folder's manifest lists what it held
        files = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))["files"]
        assert page.name in files


@pytest.mark.parametrize("key", COMMANDS)
def test_the_title_is_the_first_heading(folders: dict[str, Path], key: str) -> None:
    md = _markdown(folders[key])
    first = next(line for line in md.read_text(encoding="utf-8").splitlines() if line.startswith("#"))
    heading = first.lstrip("#").strip().replace("`", "")
    text = md.with_suffix(".html").read_text(encoding="utf-8")
    (title,) = re.findall(r"<title>(.*?)</title>", text)
    assert title == heading.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


@pytest.mark.parametrize("key", COMMANDS)
def test_the_page_embeds_every_figure_the_markdown_links(folders: dict[str, Path], key: str) -> None:
    folder = folders[key]
    md = _markdown(folder)
    linked = IMAGE_LINK.findall(md.read_text(encoding="utf-8"))
    assert linked, "every report links at least one figure"
    sources = re.findall(r'<img [^>]*src="([^"]*)"', md.with_suffix(".html").read_text(encoding="utf-8"))
    assert len(sources) == len(linked)
    for src, path in zip(sources, linked, strict=True):
        assert src.startswith(DATA_PNG), path
        assert base64.b64decode(src.removeprefix(DATA_PNG)) == (folder / path).read_bytes(), path


@pytest.mark.parametrize("key", COMMANDS)
def test_the_page_references_nothing_outside_itself(folders: dict[str, Path], key: str) -> None:
    text = _markdown(folders[key]).with_suffix(".html").read_text(encoding="utf-8")
    assert not re.search(r"<(script|link|iframe|object|embed|base)\b", text, re.IGNORECASE)
    assert "@import" not in text and "url(" not in text
    for attribute, value in ATTRIBUTE.findall(text):
        if attribute.lower() == "href":
            assert value.startswith(("https://", "http://", "mailto:", "#")), value  # a plain link, not a resource
        else:
            assert value.startswith("data:"), (attribute, value[:60])
    assert not re.search(r"""\bsrc\s*=\s*["']?https?:""", text, re.IGNORECASE)
    assert "plots/" not in re.sub(r"<(pre|code)>.*?</\1>", "", text, flags=re.DOTALL)  # no relative figure left


@pytest.mark.parametrize("key", COMMANDS)
def test_plot_redraws_the_same_page_bytes(folders: dict[str, Path], key: str) -> None:
    folder = folders[key]
    before = _drawn(folder)
    assert any(name.endswith(".html") for name in before)
    assert main(["plot", str(folder)]) == 0
    assert _drawn(folder) == before


# --- the converter on its own --------------------------------------------------------------------


def test_raw_html_is_text_local_links_are_text_web_links_stay(tmp_path: Path) -> None:
    page = render(
        "# A <b>title</b> `code`\n\nA description <script src='https://x.org/a.js'></script> with "
        "[the table](results.csv), [a page](https://example.org/a) and [an anchor](#a).\n\n"
        "| a | b \\| c |\n| --- | ---: |\n| 1 | 2 |\n",
        tmp_path,
        tmp_path / "report.md",
    )
    assert "<title>A &lt;b&gt;title&lt;/b&gt; code</title>" in page
    assert "<script" not in page and "&lt;script" in page
    assert '<a href="https://example.org/a">a page</a>' in page and '<a href="#a">an anchor</a>' in page
    assert "<span>the table</span>" in page and "results.csv" not in page
    assert '<th style="text-align: right;">b | c</th>' in page


def test_the_same_markdown_and_figures_give_the_same_bytes(tmp_path: Path) -> None:
    png = (ROOT / "docs/calibration/article_suzhou_levers/plots/fit.png").read_bytes()
    pages = []
    for name in ("a", "b"):
        folder = tmp_path / name
        (folder / "plots").mkdir(parents=True)
        (folder / "plots" / "fit.png").write_bytes(png)
        (folder / "x.md").write_text("# Fit\n\n![fit](plots/fit.png)\n", encoding="utf-8")
        pages.append(write_html(folder / "x.md").read_bytes())
    assert pages[0] == pages[1] and DATA_PNG.encode() in pages[0]


@pytest.mark.parametrize("link", ["plots/missing.png", "../outside.png", "https://example.org/x.png"])
def test_a_figure_that_is_not_beside_the_report_is_a_one_line_error(tmp_path: Path, link: str) -> None:
    (tmp_path / "outside.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    folder = tmp_path / "folder"
    folder.mkdir()
    (folder / "report.md").write_text(f"# R\n\n![x]({link})\n", encoding="utf-8")
    with pytest.raises(InputError) as caught:
        write_html(folder / "report.md")
    assert link in str(caught.value) and "\n" not in str(caught.value)
    assert not (folder / "report.html").exists()


SCOPE = re.compile(
    r"Totals over (\d{4}–\d{4}) unless stated; ([\d,]+) simulated firms \(each a sampled firm whose jobs count "
    r"×[\d.,]+\) stand for the 9 southern origins' 30,000 manufacturers \(~[\d,]+ jobs\)\."
)


@pytest.mark.parametrize("key", [c for c in COMMANDS if c != "calibrate"])  # calibrate's folder is hand-written
def test_every_report_and_summary_says_the_window_and_what_the_simulated_firms_stand_for(
    folders: dict[str, Path], key: str
) -> None:
    folder = folders[key]
    (sentence,) = scope_lines(folder)
    match = SCOPE.fullmatch(sentence)
    assert match, sentence
    firms = json.loads((folder / "scope.json").read_text(encoding="utf-8"))["firms"]
    assert match.group(2) == f"{firms:,}"
    shipped = key in ("run", "report")  # the whole shipped baseline; the others extend it with YEARS
    assert match.group(1) == ("2024–2035" if shipped else "2023–2026"), "the report window, not the hindcast's"
    text = _markdown(folder).read_text(encoding="utf-8")
    title, scope = text.split("\n\n")[:2]
    assert title.startswith("# ") and scope == f"_{sentence}_", "the sentence opens the report, under its title"
    lines = _report(folder).summary_lines(folder)
    assert lines[1] == f"  {sentence}", "and comes second in the terminal, under the command's first line"
