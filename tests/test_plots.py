"""The figures of a run folder: the four PNGs, same bytes on redraw, one-line errors on bad tables."""

from __future__ import annotations

import csv
import shutil
import struct
import subprocess
import sys
import zlib
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from cli import main
from experiments.run.report import RunReport
from model.errors import InputError
from report.tables import read_results
from tests.conftest import HANG_GUARD_S

ROOT = Path(__file__).resolve().parent.parent
FIGURES = {"jobs_per_year.png", "cumulative_by_destination.png", "north_share.png", "flow_map.png"}
TABLES = ("timeseries.csv", "flows.csv", "places.csv", "summary.json")
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


YEARS = (2023, 2026)
BASELINE = ROOT / "scenarios" / "baseline.yaml"
SMALL = (
    f"name: plots_small\nextends: {BASELINE}\n"
    f"years: {{start: {YEARS[0]}, end: {YEARS[1]}, hindcast_end: null, report_start: null}}\n"
)


@pytest.fixture(scope="module")
def result_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny run written by the `run` command, figures and all."""
    base = tmp_path_factory.mktemp("plots")
    (base / "small.yaml").write_text(SMALL, encoding="utf-8")
    args = ["run", str(base / "small.yaml"), "--firms", "300", "--replications", "2", "--out", str(base), "-q"]
    assert main(args) == 0
    return base / "plots_small-r2-f300"  # run names its folder after the scenario and the overrides


def plot_results(folder: Path) -> list[Path]:
    """The figures the run's report draws into the folder (it also writes report.md, not checked here)."""
    return [p for p in RunReport().draw(folder) if p.suffix == ".png"]


def _tables_copy(src: Path, dst: Path) -> Path:
    """The result tables without plots/, to be edited by a test."""
    dst.mkdir()
    for name in TABLES:
        shutil.copyfile(src / name, dst / name)
    return dst


def _png_chunks(data: bytes) -> list[tuple[bytes, bytes]]:
    """(type, payload) of every chunk, checking each CRC: a truncated or garbled PNG fails here."""
    assert data[:8] == PNG_SIGNATURE
    chunks, pos = [], 8
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind, payload = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        (crc,) = struct.unpack(">I", data[pos + 8 + length : pos + 12 + length])
        assert zlib.crc32(kind + payload) == crc, f"bad CRC in {kind!r} chunk"
        chunks.append((kind, payload))
        pos += 12 + length
    return chunks


def _edit_csv(path: Path, edit: Callable[[list[list[str]]], list[list[str]]]) -> None:
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    rows = edit(rows)
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh, lineterminator="\n").writerows(rows)


# --- the figures ---------------------------------------------------------------------------------


def test_run_writes_the_four_figures_as_valid_pngs_of_sensible_size(result_folder: Path) -> None:
    plots = result_folder / "plots"
    assert {p.name for p in plots.iterdir()} == FIGURES
    for name in FIGURES:
        data = (plots / name).read_bytes()
        chunks = _png_chunks(data)
        assert chunks[0][0] == b"IHDR" and chunks[-1][0] == b"IEND"
        width, height = struct.unpack(">II", chunks[0][1][:8])
        assert 800 <= width <= 4000 and 500 <= height <= 4000, f"{name} is {width}x{height}"
        assert len(data) > 20_000, f"{name} is only {len(data)} bytes: an empty figure?"


def test_redrawing_a_folder_gives_identical_bytes(result_folder: Path) -> None:
    before = {p.name: p.read_bytes() for p in (result_folder / "plots").iterdir()}
    written = plot_results(result_folder)
    assert sorted(p.name for p in written) == sorted(FIGURES)
    assert all(p.parent == result_folder / "plots" for p in written)
    assert {p.name: p.read_bytes() for p in written} == before


def test_pngs_carry_no_software_or_time_stamp(result_folder: Path) -> None:
    for png in (result_folder / "plots").iterdir():
        for kind, payload in _png_chunks(png.read_bytes()):
            assert kind != b"tIME", f"{png.name} has a tIME chunk"
            if kind in (b"tEXt", b"iTXt", b"zTXt"):
                assert not payload.startswith((b"Software", b"Creation Time")), f"{png.name}: {payload[:40]!r}"


def test_figure_totals_match_the_timeseries(result_folder: Path) -> None:
    """Flows regrouped by destination (figures 2 and 4) add up to the yearly totals (figure 1)."""
    res = read_results(result_folder)
    assert res.replications == 2
    assert list(res.years) == list(range(YEARS[0], YEARS[1] + 1))
    kinds = (
        ("north_park", res.to_north_jobs),
        ("jiangsu_city", res.to_jiangsu_jobs),
        ("outside_city", res.to_outside_jobs),
    )
    for kind, series in kinds:
        by_dest = sum((v for d, v in res.jobs_by_destination.items() if res.places[d].kind == kind), start=np.zeros(2))
        np.testing.assert_allclose(by_dest, series.sum(axis=1))
    total = sum(series.sum() for _kind, series in kinds)
    assert sum(res.jobs_by_pair.values()) == pytest.approx(total)


def test_one_replication_no_flows_and_undefined_shares_still_plot(result_folder: Path, tmp_path: Path) -> None:
    """R = 1 (no band), a year without moves (NaN share) and an empty flows.csv must not break a figure."""
    folder = _tables_copy(result_folder, tmp_path / "edge")

    def one_replication_one_empty_year(rows: list[list[str]]) -> list[list[str]]:
        header, body = rows[0], [r for r in rows[1:] if r[0] == "0"]
        for col in ("to_north_jobs", "to_outside_jobs", "relocated_jobs"):
            body[1][header.index(col)] = "0"
        body[1][header.index("north_share_jobs")] = "nan"
        return [header, *body]

    _edit_csv(folder / "timeseries.csv", one_replication_one_empty_year)
    _edit_csv(folder / "flows.csv", lambda rows: rows[:1])
    res = read_results(folder)
    assert res.replications == 1 and np.isnan(res.north_share_jobs[0, 1])
    assert res.jobs_by_pair == {}
    written = plot_results(folder)
    assert {p.name for p in written} == FIGURES
    assert all(_png_chunks(p.read_bytes())[-1][0] == b"IEND" for p in written)


def test_importing_plots_leaves_matplotlib_global_state_alone() -> None:
    """No pyplot and no backend switch on import (read rcParams raw: get_backend() would itself import pyplot)."""
    code = (
        "import sys, matplotlib; raw = lambda: dict.__getitem__(matplotlib.rcParams, 'backend'); before = raw(); "
        "import experiments.run.figures, report.figures.flow_map, report.figures.style; "
        "assert 'matplotlib.pyplot' not in sys.modules, 'pyplot imported'; "
        "assert raw() == before, 'backend changed'"
    )
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=HANG_GUARD_S)
    assert proc.returncode == 0, proc.stderr


# --- bad folders ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", TABLES)
def test_a_missing_table_raises_input_error_naming_the_file(result_folder: Path, tmp_path: Path, name: str) -> None:
    folder = _tables_copy(result_folder, tmp_path / "missing")
    (folder / name).unlink()
    with pytest.raises(InputError) as exc:
        plot_results(folder)
    assert exc.value.file == str(folder / name)
    assert name in exc.value.message and "\n" not in exc.value.message
    assert not (folder / "plots").exists(), "plots/ written before the input was checked"


@pytest.mark.parametrize(
    ("name", "edit", "key"),
    [
        ("flows.csv", lambda rows: [rows[0], [*rows[1][:-1], "many"], *rows[2:]], "row 2, column jobs"),
        ("flows.csv", lambda rows: [rows[0], rows[1][:-2], *rows[2:]], "row 2"),
        ("flows.csv", lambda rows: [rows[0], [rows[1][0], rows[1][1], "atlantis", *rows[1][3:]]], "column origin"),
        ("timeseries.csv", lambda rows: [[c for c in rows[0] if c != "north_share_jobs"]], "header"),
        ("timeseries.csv", lambda rows: [rows[0], rows[1], rows[1]], "row 3"),
        ("timeseries.csv", lambda rows: rows[:1], ""),
        ("places.csv", lambda rows: [rows[0], [*rows[1][:6], "95", *rows[1][7:]]], "lat/lon"),
    ],
    ids=["bad-number", "short-row", "unknown-place", "missing-column", "repeated-row", "no-rows", "bad-lat"],
)
def test_a_malformed_table_raises_input_error_naming_file_and_key(
    result_folder: Path, tmp_path: Path, name: str, edit: Callable[[list[list[str]]], list[list[str]]], key: str
) -> None:
    folder = _tables_copy(result_folder, tmp_path / "bad")
    _edit_csv(folder / name, edit)
    with pytest.raises(InputError) as exc:
        plot_results(folder)
    assert exc.value.file == str(folder / name)
    assert key in exc.value.key


def test_a_broken_summary_raises_input_error(result_folder: Path, tmp_path: Path) -> None:
    folder = _tables_copy(result_folder, tmp_path / "bad")
    (folder / "summary.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(InputError, match=r"summary\.json"):
        plot_results(folder)


def test_plot_command_exits_2_with_one_line_on_a_bad_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "empty").mkdir()
    assert main(["plot", str(tmp_path / "empty")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "manifest.json" in err and "Traceback" not in err
