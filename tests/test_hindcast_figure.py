"""The hindcast's top destinations per origin beside the article's lists (report/figures/hindcast.py).

On hand-made rankings: the bars are the model's top 8 in rank order with bilingual names, the article's
cities on them are marked, every article city is listed with its model rank (or why it has none), and
the axis is the catalogue's % of a share. On real (tiny) folders: a run folder reads hindcast.csv in its
order, a validation folder's model fact runs give the same top 5 as its facts table, and both reports
show the figure from the command itself (not only after a redraw).
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure

from cli import main
from experiments.facts.hindcast_figure import OFF_LIST_COLOUR, TOP_SHOWN, place_label, plot_destinations
from experiments.facts.hindcast_report import FIGURE, Destination, OriginTop, origin_tops, places_of
from experiments.facts.patterns import read_targets
from report.figures.style import OUTSIDE_COLOUR
from report.read import Estimate
from report.tables import Place
from tests.conftest import SCENARIOS


def _place(pid: str, name: str, zh: str, kind: str = "outside_city") -> Place:
    chinese = {"name_zh": zh} if "name_zh" in Place.__dataclass_fields__ else {}
    return Place(pid, name, kind, 30.0, 120.0, **chinese)


PLACES = {
    p.id: p
    for p in (
        _place("suzhou", "Suzhou", "苏州市", "origin"),
        _place("ningbo", "Ningbo", "宁波市"),
        _place("hangzhou", "Hangzhou", "杭州市"),
        _place("hefei", "Hefei", "合肥市"),
        _place("luzhou", "Luzhou", "泸州市"),
        _place("guiyang", "Guiyang", "贵阳市"),
        _place("maoming", "Maoming", "茂名市"),
        _place("xianyang", "Xianyang", "咸阳市"),
        *(_place(f"city{i}", f"City {i}", "") for i in range(8)),
    )
}


def _origin(kept: int | None = None) -> OriginTop:
    order = ["hangzhou", "ningbo", "hefei", *(f"city{i}" for i in range(6)), "luzhou"]  # luzhou ranks 10th
    ranking = [
        Destination(p, Estimate(0.3 / (i + 1), 0.2 / (i + 1), 0.4 / (i + 1)), i + 1) for i, p in enumerate(order)
    ]
    article = ["guiyang", "luzhou", "maoming", "ningbo", "xianyang"]
    return OriginTop("Suzhou", ranking, article, False, (2019, 2022), 5, kept)


def _texts(fig: Figure) -> list[str]:
    fig.canvas.draw()
    return [t.get_text() for ax in fig.axes for t in ax.texts]


def test_the_bars_are_the_model_top_8_in_rank_order_with_bilingual_names_and_the_list_marked() -> None:
    o = _origin()
    fig = plot_destinations([o], PLACES)
    bars = fig.axes[0]
    fig.canvas.draw()
    ticks = [t.get_text() for t in bars.get_yticklabels()]
    assert len(ticks) == TOP_SHOWN
    expected = [f"{d.rank}. {place_label(PLACES[d.place])}" for d in o.ranking[:TOP_SHOWN]]
    assert ticks == expected
    assert "2. Ningbo" in ticks[1] and ("宁波" in ticks[1]) == ("宁波" in place_label(PLACES["ningbo"]))
    colours = {t.get_text(): t.get_color() for t in bars.get_yticklabels()}
    assert colours[ticks[1]] == OUTSIDE_COLOUR and colours[ticks[0]] != OUTSIDE_COLOUR
    faces = [p.get_facecolor() for p in bars.patches]
    assert len(faces) == TOP_SHOWN
    assert faces[1] == to_rgba(OUTSIDE_COLOUR) and faces[0] == to_rgba(OFF_LIST_COLOUR)  # ningbo is on the list
    assert bars.get_xlabel() == "Share of the group's outside-bound jobs (%)"
    ticks_x = [float(t.get_text().replace(",", "")) for t in bars.get_xticklabels() if t.get_text()]
    assert ticks_x and max(ticks_x) > 1 and all(0 <= v <= 100 for v in ticks_x)  # in %, not a fraction of 1


def test_every_article_city_is_listed_with_its_model_rank_or_why_it_has_none() -> None:
    texts = _texts(plot_destinations([_origin()], PLACES))
    assert "model rank 2" in texts  # ningbo
    assert "model rank 10" in texts  # luzhou: beyond the bars, still ranked
    assert texts.count("no jobs in the model") == 3  # guiyang, maoming, xianyang
    assert any("pinyin order" in t for t in texts)  # Suzhou's list is a set, not a ranking
    kept = _texts(plot_destinations([_origin(kept=20)], PLACES))
    assert kept.count("not in any replication's top 20") == 3
    for pid in ("guiyang", "maoming", "xianyang"):
        assert place_label(PLACES[pid]) in texts


def test_the_title_names_the_origin_in_both_languages_and_the_window() -> None:
    fig = plot_destinations([_origin()], PLACES)
    heading = fig.axes[0].get_title()
    assert heading.startswith(f"Firms leaving {place_label(PLACES['suzhou'])}") and "2019–2022" in heading


# --- real folders ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def folders(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    tmp = tmp_path_factory.mktemp("hindcast")
    small = ("--firms", "300", "--replications", "2", "-q")
    made = {}
    for key, argv in {
        "run": ("run", SCENARIOS / "baseline.yaml", *small),
        "report": ("report", SCENARIOS / "baseline.yaml", "--sobol-samples", "0", *small),
    }.items():
        assert main([str(a) for a in (*argv, "--out", tmp / key)]) == 0
        (made[key],) = list((tmp / key).iterdir())
    return made


def test_a_run_folder_reads_the_ranking_of_its_hindcast_table(folders: dict[str, Path]) -> None:
    folder = folders["run"]
    with (folder / "hindcast.csv").open(encoding="utf-8", newline="") as fh:
        rows = [r for r in csv.DictReader(fh) if r["statistic"] == "outside_destination"]
    tops = {o.group: o for o in origin_tops(folder)}
    targets = read_targets()
    assert set(tops) == set(targets.top_destinations)
    for group, o in tops.items():
        listed = [r["item"] for r in rows if r["group"] == group and float(r["mean"]) > 0]
        assert [d.place for d in o.ranking] == listed
        assert [d.rank for d in o.ranking] == list(range(1, len(listed) + 1))
        assert o.article == targets.top_destinations[group] and o.replications == 2 and o.kept is None


def test_a_validation_folder_ranks_as_its_facts_table(folders: dict[str, Path]) -> None:
    folder = folders["report"]
    with (folder / "facts.csv").open(encoding="utf-8", newline="") as fh:
        facts = {r["fact"]: r for r in csv.DictReader(fh)}
    for o in origin_tops(folder):
        top5 = facts[f"top5_{o.group.lower()}"]["detail"].split(" (")[0].split()
        assert [d.place for d in o.ranking[:5]] == top5
        assert o.kept == 20 and o.replications == 2
        assert all(0.0 <= d.share.mean <= 1.0 for d in o.ranking)
        assert all(not d.share.defined or d.share.low <= d.share.mean <= d.share.high for d in o.ranking)
        shares = [d.share.mean for d in o.ranking]
        assert shares == sorted(shares, reverse=True) and 0.5 < sum(shares) <= 1.0 + 1e-6


@pytest.mark.parametrize("key", ["run", "report"])
def test_the_command_itself_draws_the_figure_into_its_report(folders: dict[str, Path], key: str) -> None:
    """The command builds its reports in a hidden work folder; the validation figure still finds the runs."""
    folder = folders[key]
    assert (folder / "plots" / FIGURE).is_file()
    text = (folder / "report.md").read_text(encoding="utf-8")
    assert f"](plots/{FIGURE})" in text
    assert places_of(folder)["ningbo"].name == "Ningbo"


def test_the_run_reports_destination_tables_name_places_not_ids(folders: dict[str, Path]) -> None:
    text = (folders["run"] / "report.md").read_text(encoding="utf-8")
    section = text.split("## Hindcast", 1)[1]
    top = places_of(folders["run"])
    tables = [line for line in section.splitlines() if line.startswith("| Suzhou 苏州 |")]  # groups named as places
    assert tables, section[:500]
    for line in tables:
        last = line.rstrip(" |").rsplit("|", 1)[-1]
        assert not re.search(r"\b[a-z]+(_[a-z]+)*\b", last.replace("(Zhejiang)", "")), last  # no place id
        assert any(p.name in last for p in top.values()), last
