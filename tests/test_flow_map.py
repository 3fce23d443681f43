"""The flow map: every label on its own marker, no overlapping labels, boundaries in both panels, fonts.

Drawn from a synthetic Results on the shipped places.csv, with flows to every
kind of place and the crowded neighbours (Wuhu and Anqing, the parks of
Changshu–Sihong and Changzhou–Yancheng) among the labelled ones.
"""

from __future__ import annotations

import io
import itertools
import logging
import math
import re
import warnings
from pathlib import Path

import matplotlib
import numpy as np
import pytest
from matplotlib.axes import Axes
from matplotlib.collections import PathCollection
from matplotlib.figure import Figure
from matplotlib.text import Text

from report.figures import names
from report.figures.flow_map import FlowMap, Panel, draw_flow_map, flow_map_figure, plot_flow_map
from report.figures.labels import box_distance
from report.figures.style import DPI
from report.tables import Place, Results, read_places

ROOT = Path(__file__).resolve().parent.parent
PLACES = read_places(ROOT / "model" / "data" / "places.csv")
CJK = re.compile(r"[\u3400-\u9fff]")
BIG = ("wuhu", "anqing", "ningbo", "hangzhou", "guiyang", "chongqing", "baotou")


def synthetic(places: dict[str, Place] = PLACES, replications: int = 2, flows: bool = True) -> Results:
    """Flows from every origin to every other place: parks and Jiangsu places some, outside cities by rank."""
    origins = sorted(p for p, v in places.items() if v.kind == "origin")
    pairs: dict[tuple[str, str], float] = {}
    by_dest: dict[str, np.ndarray] = {}
    for rank, (pid, place) in enumerate(sorted(places.items())):
        if place.kind == "origin" or not flows:
            continue
        if place.kind == "north_park":
            jobs = 1500.0
        elif place.kind == "jiangsu_city":
            jobs = 800.0
        else:
            jobs = 40000.0 / (1 + BIG.index(pid)) if pid in BIG else 30.0 + (rank * 37) % 400
        for i, o in enumerate(origins):
            pairs[(o, pid)] = jobs * (1 + i % 3) * replications
        total = sum(pairs[(o, pid)] for o in origins)
        by_dest[pid] = np.full(replications, total / replications)
    years = np.arange(2024, 2028)
    zeros = np.zeros((replications, len(years)))
    return Results(
        scenario="synthetic",
        replications=replications,
        years=years,
        to_north_jobs=zeros,
        to_outside_jobs=zeros,
        to_jiangsu_jobs=zeros,
        north_share_jobs=zeros,
        horizon_north_share=None,
        places=places,
        jobs_by_destination=by_dest,
        jobs_by_pair=pairs,
    )


@pytest.fixture(scope="module")
def drawn() -> FlowMap:
    fm = draw_flow_map(synthetic())
    fm.figure.canvas.draw()
    return fm


def _renderer(fm: FlowMap):
    return fm.figure.canvas.get_renderer()


MARKERS: dict[Axes, dict[str, tuple[float, float]]] = {}


def _markers(panel: Panel) -> dict[str, tuple[float, float]]:
    """Every marker drawn in the panel's frame, in display pixels (read once per panel)."""
    if panel.ax not in MARKERS:
        MARKERS[panel.ax] = _read_markers(panel)
    return MARKERS[panel.ax]


def _read_markers(panel: Panel) -> dict[str, tuple[float, float]]:
    """Every marker drawn in the panel's frame, in display pixels, read from the scatter collections."""
    out: dict[str, tuple[float, float]] = {}
    for collection in panel.ax.collections:
        gid = collection.get_gid() or ""
        if not gid.startswith("markers:"):
            continue
        kind = gid.split(":", 1)[1]
        ids = sorted(pid for pid, p in PLACES.items() if p.kind == kind)
        offsets = collection.get_offsets()
        assert len(offsets) == len(ids), kind
        for pid, xy in zip(ids, offsets, strict=True):
            assert tuple(xy) == pytest.approx(panel.positions[pid]), pid
            x, y = panel.ax.transData.transform(xy)
            out[pid] = (float(x), float(y))
    assert set(out) == set(PLACES)
    e = panel.extent
    return {
        pid: xy
        for pid, xy in out.items()
        if e.lon0 <= panel.positions[pid][0] <= e.lon1 and e.lat0 <= panel.positions[pid][1] <= e.lat1
    }


def _box(fm: FlowMap, text) -> tuple[float, float, float, float]:
    bb = text.get_bbox_patch().get_window_extent(_renderer(fm))
    return (bb.x0, bb.y0, bb.x1, bb.y1)


def _anchor_owner(fm: FlowMap, panel: Panel, key: str) -> tuple[str, float, float]:
    """The marker nearest the label's anchor, that distance and the next marker's distance.

    The anchor is the end of the leader line away from the label box, or, with
    no leader, the label box itself (its nearest edge to each marker).
    """
    placed = panel.labels[key]
    markers = _markers(panel)
    box = _box(fm, placed.text)
    if placed.leader is None:
        dist = {pid: box_distance(box, xy) for pid, xy in markers.items()}
    else:
        ends = [tuple(map(float, panel.ax.transData.transform(xy))) for xy in placed.leader.get_xydata()]
        ends.sort(key=lambda p: box_distance(box, p))
        assert box_distance(box, ends[0]) <= 1.5, f"{key}: the leader does not start at its label"
        anchor = ends[1]
        dist = {pid: math.dist(anchor, xy) for pid, xy in markers.items()}
    ranked = sorted(dist.items(), key=lambda kv: kv[1])
    return ranked[0][0], ranked[0][1], ranked[1][1]


def test_every_label_is_attached_to_its_own_marker(drawn: FlowMap) -> None:
    assert sum(len(p.labels) for p in drawn.panels) >= 40
    for panel in drawn.panels:
        for key, placed in panel.labels.items():
            assert placed.text.get_gid() == f"label:{key}"
            assert placed.leader is None or placed.leader.get_gid() == f"leader:{key}"
            owner, near, second = _anchor_owner(drawn, panel, key)
            assert owner == key, f"{panel.name}: the label of {key} is nearest the marker of {owner}"
            assert second > near + 2, f"{panel.name}: the label of {key} is as near another marker"


def test_no_two_labels_overlap_and_none_covers_a_marker(drawn: FlowMap) -> None:
    for panel in drawn.panels:
        boxes = {key: _box(drawn, placed.text) for key, placed in panel.labels.items()}
        for (a, ba), (b, bb) in itertools.combinations(sorted(boxes.items()), 2):
            overlap = min(ba[2], bb[2]) - max(ba[0], bb[0]), min(ba[3], bb[3]) - max(ba[1], bb[1])
            assert min(overlap) <= 0, f"{panel.name}: the labels of {a} and {b} overlap"
        frame = panel.ax.get_window_extent(_renderer(drawn))
        for key, box in boxes.items():
            assert frame.x0 <= box[0] and box[2] <= frame.x1 and frame.y0 <= box[1] and box[3] <= frame.y1, key
            for pid, xy in _markers(panel).items():
                assert box_distance(box, xy) > 0, f"{panel.name}: the label of {key} covers the marker of {pid}"


def test_every_jiangsu_place_and_the_top_outside_cities_are_labelled(drawn: FlowMap) -> None:
    overview, zoom = drawn.panels
    home = {pid for pid, p in PLACES.items() if p.kind in ("origin", "north_park", "jiangsu_city")}
    assert home <= set(zoom.labels)
    assert len(drawn.labelled_outside) == 20
    assert set(drawn.labelled_outside) == set(overview.labels) | (set(zoom.labels) - home)
    assert {"guiyang", "chongqing", "baotou"} <= set(overview.labels)


@pytest.mark.parametrize("key", ["changshu_sihong", "changzhou_yancheng", "wuhu", "anqing", "yancheng", "suqian"])
def test_crowded_neighbours_are_labelled_at_their_own_markers(drawn: FlowMap, key: str) -> None:
    zoom = drawn.panels[1]
    assert key in zoom.labels
    owner, _near, _second = _anchor_owner(drawn, zoom, key)
    assert owner == key


def test_a_park_at_its_host_city_is_drawn_beside_it(drawn: FlowMap) -> None:
    zoom = drawn.panels[1]
    markers = _markers(zoom)
    for park, host in (("changzhou_yancheng", "yancheng"), ("wuxi_xuzhou", "xuzhou"), ("suzhou_suqian", "suqian")):
        assert (PLACES[park].lat, PLACES[park].lon) == (PLACES[host].lat, PLACES[host].lon)
        assert markers[park][0] - markers[host][0] > 8  # east of it, apart by more than a marker
        assert markers[park][1] == pytest.approx(markers[host][1])


def test_both_panels_draw_the_shipped_boundaries(drawn: FlowMap) -> None:
    overview, zoom = drawn.panels
    gids = {p.name: {c.get_gid(): c for c in p.ax.collections if isinstance(c, PathCollection)} for p in drawn.panels}
    assert len(gids["overview"]["boundaries:provinces"].get_paths()) >= 30
    assert len(gids["overview"]["boundaries:jiangsu"].get_paths()) == 1
    assert len(gids["jiangsu"]["boundaries:prefectures"].get_paths()) == 13
    assert len(gids["jiangsu"]["boundaries:provinces"].get_paths()) >= 5
    for panel in (overview, zoom):
        for collection in gids[panel.name].values():
            if (collection.get_gid() or "").startswith("boundaries:"):
                assert all(len(path.vertices) >= 4 for path in collection.get_paths())


def test_labels_name_places_in_english_and_chinese(drawn: FlowMap) -> None:
    zoom = drawn.panels[1]
    text = zoom.labels["changzhou_yancheng"].text.get_text()
    if names.cjk_family():
        assert text == "Changzhou–Yancheng\n常州盐城"
        assert zoom.labels["nanjing"].text.get_text() == "Nanjing 南京"
    else:
        assert text == "Changzhou–Yancheng"
    assert zoom.labels["nanjing"].text.get_fontfamily() == names.font_families()


def _draw_clean(res: Results, caplog: pytest.LogCaptureFixture) -> Figure:
    """Draw and write the map with every warning an error; no warning may be logged, no rcParam changed."""
    rc = dict(matplotlib.rcParams)
    with warnings.catch_warnings(), caplog.at_level(logging.WARNING):
        warnings.simplefilter("error")
        fig = flow_map_figure(res)
        fig.savefig(io.BytesIO(), format="png", dpi=DPI)
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING], [r.getMessage() for r in caplog.records]
    assert dict(matplotlib.rcParams) == rc, "drawing changed the global rcParams"
    return fig


def _texts(fig: Figure) -> list[str]:
    return [t.get_text() for t in fig.findobj(Text)]


@pytest.mark.skipif(names.cjk_family() is None, reason="no CJK font installed (apt-get install fonts-noto-cjk)")
def test_chinese_labels_draw_without_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    fig = _draw_clean(synthetic(), caplog)
    assert "Ningbo 宁波" in _texts(fig)


def test_without_a_cjk_font_labels_are_english_and_nothing_warns(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(names, "cjk_family", lambda: None)
    assert names.font_families() == ["DejaVu Sans"]
    texts = _texts(_draw_clean(synthetic(), caplog))
    assert not [t for t in texts if CJK.search(t)]
    assert "Ningbo" in texts


def test_the_same_tables_give_the_same_png_bytes(tmp_path: Path) -> None:
    a = plot_flow_map(synthetic(), tmp_path / "a.png").read_bytes()
    b = plot_flow_map(synthetic(), tmp_path / "b.png").read_bytes()
    assert a == b


def test_a_run_without_flows_or_with_few_places_still_draws(tmp_path: Path) -> None:
    few = {k: v for k, v in PLACES.items() if k in ("suzhou", "wuxi", "changshu_sihong", "ningbo", "urumqi")}
    for res in (synthetic(flows=False), synthetic(few), synthetic(few, replications=1)):
        fm = draw_flow_map(res)
        assert plot_flow_map(res, tmp_path / "m.png").stat().st_size > 10_000
        assert all(panel.labels or panel.name == "overview" for panel in fm.panels)


def test_place_labels_in_both_languages(monkeypatch: pytest.MonkeyPatch) -> None:
    ningbo, wujiang, park = PLACES["ningbo"], PLACES["wujiang"], PLACES["yixing_peixian"]
    monkeypatch.setattr(names, "cjk_family", lambda: "Noto Sans CJK SC")
    assert names.font_families() == ["DejaVu Sans", "Noto Sans CJK SC"]
    assert names.place_label(ningbo) == "Ningbo 宁波"
    assert names.place_label(ningbo, lines=True) == "Ningbo\n宁波"
    assert names.place_label(wujiang) == "Wujiang 吴江"
    assert names.place_label(park) == "Yixing–Peixian Industrial Park 宜兴沛县工业园区"
    assert names.place_label(park, short=True, lines=True) == "Yixing–Peixian\n宜兴沛县"
    assert names.place_label(PLACES["nanjing_huaian"], short=True) == "Nanjing–Huai'an 宁淮"
    assert names.place_label(Place("x", "Nowhere", "outside_city", 30.0, 110.0)) == "Nowhere"
    monkeypatch.setattr(names, "cjk_family", lambda: None)
    assert names.place_label(ningbo, lines=True) == "Ningbo"


def test_places_without_a_chinese_name_column_read_as_empty(tmp_path: Path) -> None:
    old = tmp_path / "places.csv"
    old.write_text("id,name,kind,lat,lon\nningbo,Ningbo,outside_city,29.76,121.53\n", encoding="utf-8")
    assert read_places(old)["ningbo"].name_zh == ""
    assert PLACES["ningbo"].name_zh == "宁波市"


def test_cjk_family_is_an_installed_family_and_warns_nothing(caplog: pytest.LogCaptureFixture) -> None:
    from matplotlib import font_manager

    with warnings.catch_warnings(), caplog.at_level(logging.WARNING):
        warnings.simplefilter("error")
        names.cjk_family.cache_clear()
        family = names.cjk_family()
    assert not caplog.records
    installed = {f.name for f in font_manager.fontManager.ttflist}
    assert family is None or (family in installed and family in names.CJK_FAMILIES)
    assert names.font_families()[0] == "DejaVu Sans"


def test_a_cjk_font_installed_after_matplotlibs_font_cache_is_found(monkeypatch: pytest.MonkeyPatch) -> None:
    """matplotlib caches its font list; a font installed later is found among the system's font files."""
    from matplotlib import font_manager

    files = [f for f in font_manager.findSystemFonts() if names.CJK_FILE.search(Path(f).name)]
    if not files:
        pytest.skip("no CJK font file on this machine (apt-get install fonts-noto-cjk)")
    stale = [f for f in font_manager.fontManager.ttflist if f.name not in names.CJK_FAMILIES]
    monkeypatch.setattr(font_manager.fontManager, "ttflist", stale)
    names.cjk_family.cache_clear()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            assert names.cjk_family() in names.CJK_FAMILIES
    finally:
        names.cjk_family.cache_clear()
