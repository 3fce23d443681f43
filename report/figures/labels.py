"""A deterministic placer of map labels: beside the marker when that is unambiguous, else away on a leader line.

Greedy, in the order the labels are given (the most important first). A label
sits right beside its marker only if no other marker is nearly as close to the
label box (any other marker at least twice as far, and BESIDE_CLEAR_PT
further); otherwise it moves out along one of DIRECTIONS directions at growing
distances (RADII_PT), and a thin leader line runs from the label box to the
marker's edge. A position is kept only if the box stays inside the axes and
overlaps no label and no marker, and its leader passes no other marker and
crosses no other leader nor label; how far the box and the leader keep from
other markers is relaxed step by step (CLEARANCES) where nothing fits. Labels
that fit nowhere are tried again first (REPLANS times) and the plan leaving
out the fewest is drawn. Everything is measured in display pixels with the
figure's renderer, so the axes must be laid out (the figure drawn once) first.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from matplotlib.axes import Axes
from matplotlib.lines import Line2D
from matplotlib.text import Annotation

Box = tuple[float, float, float, float]  # x0, y0, x1, y1 in display pixels
Point = tuple[float, float]

BOX_PAD = 0.15  # of the font size: the white box behind a label
LABEL_BOX = {"boxstyle": f"square,pad={BOX_PAD}", "fc": "white", "ec": "none", "alpha": 0.82}
LEADER_COLOUR = "#444444"
BESIDE_GAP_PT = 1.2  # between the marker's edge and a label beside it
BESIDE_CLEAR_PT = 8.0  # how much further than its own marker any other marker must be from a label beside it


@dataclass(frozen=True)
class Clearance:
    """How far (points) a label on a leader keeps from other markers: strict first, relaxed where nothing fits."""

    leader_pt: float  # between a leader and another marker's edge
    box_pt: float  # between the label box and another marker's edge


CLEARANCES = (Clearance(2.0, 5.0), Clearance(0.8, 2.0), Clearance(0.3, 0.8))
RADII_PT = (7.0, 10.0, 14.0, 19.0, 25.0, 32.0, 40.0, 50.0, 62.0, 76.0, 92.0, 110.0, 130.0, 155.0, 185.0)
DIRECTIONS = 24
REPLANS = 3


@dataclass(frozen=True)
class Wanted:
    """A label to place: its key (the place id), text and marker (data coordinates)."""

    key: str
    text: str
    xy: Point


@dataclass(frozen=True)
class Placed:
    """A label drawn: its text artist, its leader line (None beside the marker) and its box in pixels."""

    key: str
    text: Annotation
    leader: Line2D | None
    box: Box


def box_distance(box: Box, p: Point) -> float:
    """Distance from a point to a box (0 inside it)."""
    dx = max(box[0] - p[0], 0.0, p[0] - box[2])
    dy = max(box[1] - p[1], 0.0, p[1] - box[3])
    return math.hypot(dx, dy)


def box_gap(a: Box, b: Box) -> float:
    """Distance between two boxes (0 if they touch or overlap)."""
    return math.hypot(max(0.0, b[0] - a[2], a[0] - b[2]), max(0.0, b[1] - a[3], a[1] - b[3]))


def nearest_on_box(box: Box, p: Point) -> Point:
    return (min(max(p[0], box[0]), box[2]), min(max(p[1], box[1]), box[3]))


def overlaps(a: Box, b: Box, margin: float = 0.0) -> bool:
    return a[0] < b[2] + margin and b[0] < a[2] + margin and a[1] < b[3] + margin and b[1] < a[3] + margin


def segment_point_distance(a: Point, b: Point, c: Point) -> float:
    dx, dy = b[0] - a[0], b[1] - a[1]
    length2 = dx * dx + dy * dy
    t = 0.0 if length2 == 0 else max(0.0, min(1.0, ((c[0] - a[0]) * dx + (c[1] - a[1]) * dy) / length2))
    return math.hypot(a[0] + t * dx - c[0], a[1] + t * dy - c[1])


def segment_hits_box(a: Point, b: Point, box: Box) -> bool:
    """Whether the segment a–b passes through the box (Liang–Barsky clipping)."""
    t0, t1 = 0.0, 1.0
    dx, dy = b[0] - a[0], b[1] - a[1]
    for p, q in ((-dx, a[0] - box[0]), (dx, box[2] - a[0]), (-dy, a[1] - box[1]), (dy, box[3] - a[1])):
        if p == 0:
            if q < 0:
                return False
            continue
        t = q / p
        if p < 0:
            t0 = max(t0, t)
        else:
            t1 = min(t1, t)
        if t0 > t1:
            return False
    return True


def segments_cross(a: Point, b: Point, c: Point, d: Point) -> bool:
    def orient(p: Point, q: Point, r: Point) -> float:
        return (q[0] - p[0]) * (r[1] - p[1]) - (q[1] - p[1]) * (r[0] - p[0])

    return orient(a, b, c) * orient(a, b, d) < 0 and orient(c, d, a) * orient(c, d, b) < 0


class LabelPlacer:
    """Places labels on one axes among `markers` (every marker of the panel, data coordinates)."""

    def __init__(
        self,
        ax: Axes,
        markers: Sequence[Point],
        *,
        marker_pt: float,
        fontsize: float,
        families: list[str],
        obstacles: Sequence[Box] = (),
    ) -> None:
        self.ax, self.fontsize, self.families = ax, fontsize, families
        self.renderer = ax.figure.canvas.get_renderer()  # type: ignore[attr-defined]
        self.px = ax.figure.dpi / 72.0  # pixels per point
        self.r = marker_pt * self.px  # marker radius in pixels
        self.markers = [(float(x), float(y)) for x, y in ax.transData.transform(list(markers))] if markers else []
        frame = ax.get_window_extent(self.renderer)
        inset = 2.0 * self.px
        self.frame: Box = (frame.x0 + inset, frame.y0 + inset, frame.x1 - inset, frame.y1 - inset)
        self.obstacles: list[Box] = list(obstacles)
        self.boxes: list[Box] = list(obstacles)
        self.leaders: list[tuple[Point, Point]] = []
        self.sizes: dict[str, tuple[float, float]] = {}
        self.marker_boxes = [(x - self.r, y - self.r, x + self.r, y + self.r) for x, y in self.markers]

    # ---------------------------------------------------------------- measuring

    def size(self, text: str) -> tuple[float, float]:
        """Width and height of a label's box in pixels."""
        if text in self.sizes:
            return self.sizes[text]
        trial = self.ax.text(0, 0, text, fontsize=self.fontsize, fontfamily=self.families)
        extent = trial.get_window_extent(self.renderer)
        trial.remove()
        pad = BOX_PAD * self.fontsize * self.px
        self.sizes[text] = (extent.width + 2 * pad, extent.height + 2 * pad)
        return self.sizes[text]

    def _inside(self, box: Box) -> bool:
        f = self.frame
        return box[0] >= f[0] and box[1] >= f[1] and box[2] <= f[2] and box[3] <= f[3]

    def _free(self, box: Box) -> bool:
        margin = 1.0 * self.px
        return not any(overlaps(box, b, margin) for b in self.boxes) and not any(
            overlaps(box, b) for b in self.marker_boxes
        )

    def _others(self, own: Point) -> Iterator[Point]:
        """Every marker but the one at `own` (to within a hundredth of a pixel)."""
        return (m for m in self.markers if abs(m[0] - own[0]) + abs(m[1] - own[1]) > 0.01)

    # ---------------------------------------------------------------- candidates

    def _beside(self, m: Point, w: float, h: float) -> Box | None:
        """The first position right beside the marker that is free and unambiguous, or None."""
        g = self.r + BESIDE_GAP_PT * self.px
        d = g / math.sqrt(2)
        centres = (
            (m[0] + g + w / 2, m[1]),
            (m[0] - g - w / 2, m[1]),
            (m[0] + d + w / 2, m[1] + d + h / 2),
            (m[0] - d - w / 2, m[1] + d + h / 2),
            (m[0] + d + w / 2, m[1] - d - h / 2),
            (m[0] - d - w / 2, m[1] - d - h / 2),
            (m[0], m[1] + g + h / 2),
            (m[0], m[1] - g - h / 2),
        )
        for cx, cy in centres:
            box = (cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2)
            if not (self._inside(box) and self._free(box)) or any(segment_hits_box(a, b, box) for a, b in self.leaders):
                continue
            own = box_distance(box, m)
            need = max(2 * own, own + BESIDE_CLEAR_PT * self.px)
            if all(box_distance(box, o) >= need for o in self._others(m)):
                return box
        return None

    def _on_leader(self, m: Point, w: float, h: float) -> tuple[Box, Point, Point] | None:
        """The nearest free position on a leader line, or None.

        Distance first: at each distance the strict clearance, then the medium
        one (a short leader beats a long one that keeps further from other
        markers); the loose clearance only where nothing else fits at any
        distance. At one distance and clearance the most open direction wins.
        """
        strict, medium, loose = CLEARANCES
        for levels in ((strict, medium), (loose,)):
            for radius_pt in RADII_PT:
                for clear in levels:
                    found = self._around(m, w, h, radius_pt * self.px, clear)
                    if found is not None:
                        return found
        return None

    def _around(self, m: Point, w: float, h: float, radius: float, clear: Clearance) -> tuple[Box, Point, Point] | None:
        """The most open free position at `radius` from the marker, or None."""
        best: tuple[float, int, Box, Point, Point] | None = None
        for k in range(DIRECTIONS):
            angle = 2 * math.pi * k / DIRECTIONS
            ux, uy = math.cos(angle), math.sin(angle)
            half = min(w / 2 / abs(ux) if abs(ux) > 1e-9 else math.inf, h / 2 / abs(uy) if abs(uy) > 1e-9 else math.inf)
            cx, cy = m[0] + ux * (radius + half), m[1] + uy * (radius + half)
            box = (cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2)
            found = self._leader_ok(m, box, clear)
            if found is None:
                continue
            start, end, clearance = found
            candidate = (-clearance, k, box, start, end)
            if best is None or candidate[:2] < best[:2]:
                best = candidate
        return None if best is None else (best[2], best[3], best[4])

    def _leader_ok(self, m: Point, box: Box, clear: Clearance) -> tuple[Point, Point, float] | None:
        if not (self._inside(box) and self._free(box)):
            return None
        end = nearest_on_box(box, m)
        length = math.hypot(end[0] - m[0], end[1] - m[1])
        start = (
            m[0] + (end[0] - m[0]) / length * (self.r + 0.4 * self.px),
            m[1] + (end[1] - m[1]) / length * (self.r + 0.4 * self.px),
        )
        clearance = math.inf
        for o in self._others(m):
            if segment_point_distance(start, end, o) < self.r + clear.leader_pt * self.px:
                return None
            gap = box_distance(box, o)
            if gap < self.r + clear.box_pt * self.px:
                return None
            clearance = min(clearance, gap)
        if any(segment_hits_box(start, end, b) for b in self.boxes):
            return None
        if any(segments_cross(start, end, a, b) for a, b in self.leaders):
            return None
        if any(segment_hits_box(a, b, box) for a, b in self.leaders):
            return None
        clearance = min([clearance, *(box_gap(box, b) for b in self.boxes)])
        return start, end, min(clearance, 12 * self.px)

    # ---------------------------------------------------------------- drawing

    def _plan(self, order: Sequence[Wanted]) -> tuple[dict[str, tuple[Box, tuple[Point, Point] | None]], list[Wanted]]:
        """Positions for the labels in this order (greedy), and the labels that fit nowhere."""
        self.boxes, self.leaders = list(self.obstacles), []
        plan: dict[str, tuple[Box, tuple[Point, Point] | None]] = {}
        failed: list[Wanted] = []
        for label in order:
            m = self._display(label.xy)
            w, h = self.size(label.text)
            segment: tuple[Point, Point] | None = None
            box = self._beside(m, w, h)
            if box is None:
                found = self._on_leader(m, w, h)
                if found is None:
                    failed.append(label)
                    continue
                box, start, end = found
                segment = (start, end)
                self.leaders.append(segment)
            self.boxes.append(box)
            plan[label.key] = (box, segment)
        return plan, failed

    def _display(self, xy: Point) -> Point:
        mx, my = self.ax.transData.transform(xy)
        return (float(mx), float(my))

    def place(self, wanted: Sequence[Wanted]) -> list[Placed]:
        """Place the labels, the first given first; a label that fits nowhere is left out.

        When some fit nowhere, the placement is tried again with those first
        (up to REPLANS times) and the plan that leaves out fewest is drawn.
        """
        order = list(wanted)
        plan, failed = self._plan(order)
        for _ in range(REPLANS):
            if not failed:
                break
            first = {w.key for w in failed}
            order = [*failed, *(w for w in order if w.key not in first)]
            again, still = self._plan(order)
            if len(still) < len(failed):
                plan, failed = again, still
        return [self._draw(label, *plan[label.key]) for label in wanted if label.key in plan]

    def _draw(self, label: Wanted, box: Box, segment: tuple[Point, Point] | None) -> Placed:
        m = self._display(label.xy)
        leader: Line2D | None = None
        if segment is not None:
            (x0, y0), (x1, y1) = self.ax.transData.inverted().transform(list(segment))
            leader = Line2D([x0, x1], [y0, y1], color=LEADER_COLOUR, linewidth=0.6, zorder=5.5, solid_capstyle="round")
            leader.set_gid(f"leader:{label.key}")
            self.ax.add_line(leader)
        centre = ((box[0] + box[2]) / 2, (box[1] + box[3]) / 2)
        text = self.ax.annotate(
            label.text,
            label.xy,
            xytext=((centre[0] - m[0]) / self.px, (centre[1] - m[1]) / self.px),
            textcoords="offset points",
            ha="center",
            va="center",
            fontsize=self.fontsize,
            fontfamily=self.families,
            bbox=LABEL_BOX,
            zorder=6,
            annotation_clip=False,
        )
        text.set_gid(f"label:{label.key}")
        text.set_in_layout(False)
        return Placed(label.key, text, leader, box)
