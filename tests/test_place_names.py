"""One place-name style in every table and report, whatever fonts are installed.

Tables, Markdown and HTML name a place "Ningbo 宁波" (English, then the Chinese
short name without 市/区/县); only a figure drops the Chinese, when no CJK font
can draw it. So the report of a folder is the same text with the font
detection forced either way.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from cli import main
from experiments.run.report import RunReport
from report.figures import names
from report.tables import Place
from tests.conftest import SCENARIOS

NINGBO = Place("ningbo", "Ningbo", "outside_city", 29.87, 121.55, "宁波市")
PARK = Place("cz_yc", "Changzhou–Yancheng Industrial Park", "north_park", 33.3, 120.1, "常州盐城工业园区")


@pytest.fixture(scope="module")
def run_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shipped baseline (with its hindcast tables of destinations), tiny and without figures."""
    out = tmp_path_factory.mktemp("names")
    argv = ["run", str(SCENARIOS / "baseline.yaml"), "--firms", "300", "--replications", "2", "--no-plots", "-q"]
    assert main([*argv, "--out", str(out)]) == 0
    (folder,) = [p for p in out.iterdir() if p.is_dir()]
    return folder


def _markdown_with_font(folder: Path, family: str | None, monkeypatch: pytest.MonkeyPatch) -> bytes:
    monkeypatch.setattr(names, "cjk_family", lambda: family)
    report = RunReport()
    return report.markdown(report.read(folder), []).encode("utf-8")


def test_a_reports_tables_are_the_same_bytes_with_and_without_a_cjk_font(
    run_folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    without = _markdown_with_font(run_folder, None, monkeypatch)
    with_font = _markdown_with_font(run_folder, "Noto Sans CJK SC", monkeypatch)
    assert without == with_font
    text = without.decode("utf-8")
    assert "Top 5 outside destinations" in text, "the hindcast table of named places is in the report"
    assert any("\u4e00" <= ch <= "\u9fff" for ch in text), "tables carry the Chinese names even without a CJK font"
    assert "市" not in text, "one style: Chinese short names, without the administrative suffix"


def test_text_names_are_bilingual_and_figure_labels_fall_back_to_the_same_english(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert names.place_name(NINGBO) == "Ningbo 宁波"
    assert names.place_name(PARK, short=True, lines=True) == "Changzhou–Yancheng\n常州盐城"
    monkeypatch.setattr(names, "cjk_family", lambda: None)
    assert names.place_name(NINGBO) == "Ningbo 宁波", "text never depends on the fonts"
    assert names.place_label(NINGBO) == "Ningbo"
    monkeypatch.setattr(names, "cjk_family", lambda: "Noto Sans CJK SC")
    assert names.place_label(NINGBO) == names.place_name(NINGBO)
