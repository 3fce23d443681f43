"""The hindcast section of a run's report: 2019–2022 per origin group, and the article's lists.

Read from hindcast.csv and patterns.csv (experiments.facts.hindcast); nothing is
computed here but formatting. `origin_tops` reads, for each origin group the
article lists destinations for, the model's ranking of outside destinations
(`destinations_of` with the places; experiments.facts.hindcast_figure draws it
beside the article's list and imports this module, never the other way): from
hindcast.csv in a run folder, or from destinations.csv in a validation folder
(experiments.facts.destinations, from its model fact runs).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from experiments.facts import destinations
from experiments.facts.hindcast import HINDCAST_COLUMNS, HINDCAST_FILE, PATTERN_COLUMNS, PATTERNS_FILE
from experiments.facts.patterns import read_targets
from model.csvfile import without
from model.outcomes import metric
from model.world import DATA_DIR
from model.yamlfile import read_yaml
from report.figures.names import place_label
from report.figures.names import place_name as bilingual_name
from report.markdown import image, table
from report.read import Estimate, Row, read_table
from report.tables import Place, read_places

SHARE = metric("north_share_jobs")  # any share metric: the format of a share in %
TOP = 5
GROUP_ORDER = ("Suzhou", "Wuxi", "all origins")
FIGURE = "hindcast_destinations.png"
OUTSIDE = "outside_destination"

HINDCAST_NEEDED = without(HINDCAST_COLUMNS, "unit", "replications")
PATTERNS_NEEDED = without(PATTERN_COLUMNS, "ci_low", "ci_high", "p_value")  # p_value: absent in older folders


@dataclass(frozen=True)
class Destination:
    """One outside city in an origin group's ranking: its share of the group's outside-bound jobs."""

    place: str
    share: Estimate
    rank: int  # 1 = most of the group's outside-bound jobs


@dataclass(frozen=True)
class OriginTop:
    """An origin group's outside destinations as the model ranks them, and the article's list for it."""

    group: str
    ranking: list[Destination]  # every city that received jobs, largest mean share first (ties by id)
    article: list[str]
    article_ranked: bool  # False: the article's list is a set (in pinyin order), not a ranking
    window: tuple[int, int]
    replications: int
    kept: int | None = None  # runs kept only each replication's top `kept` cities (validation summaries)

    def rank_of(self, place: str) -> int | None:
        return next((d.rank for d in self.ranking if d.place == place), None)


def _ranked(estimates: Mapping[str, Estimate]) -> list[Destination]:
    order = sorted((p for p, e in estimates.items() if e.mean > 0), key=lambda p: (-estimates[p].mean, p))
    return [Destination(p, estimates[p], i) for i, p in enumerate(order, start=1)]


def origin_tops(folder: Path) -> list[OriginTop]:
    """The model's outside destinations per origin group with an article list, or none without a hindcast."""
    if (folder / HINDCAST_FILE).is_file():
        return _from_hindcast(folder)
    if (folder / destinations.FILE).is_file():
        return _from_destinations(folder)
    return []


def _from_hindcast(folder: Path) -> list[OriginTop]:
    rows = read_table(folder, HINDCAST_FILE, HINDCAST_NEEDED)
    targets = read_targets()
    per_group: dict[str, dict[str, Estimate]] = defaultdict(dict)
    reps = 0
    for r in rows:
        if r.text("statistic") == OUTSIDE:
            per_group[r.text("group")][r.name("item")] = r.estimate("mean", "ci_low", "ci_high")
        if "replications" in r.cells and r.text("replications"):
            reps = max(reps, r.integer("replications"))
    return [
        OriginTop(g, _ranked(per_group.get(g, {})), list(cities), targets.is_ranked(g), targets.window, reps)
        for g, cities in targets.top_destinations.items()
    ]


def _from_destinations(folder: Path) -> list[OriginTop]:
    """A validation folder's destinations.csv (experiments.facts.destinations): its model fact runs' shares."""
    rows = read_table(folder, destinations.FILE, destinations.COLUMNS)
    targets = read_targets()
    per_group: dict[str, dict[str, Estimate]] = defaultdict(dict)
    reps = kept = 0
    for r in rows:
        per_group[r.text("group")][r.name("place")] = r.estimate("mean", "ci_low", "ci_high")
        reps, kept = max(reps, r.integer("replications")), max(kept, r.integer("kept"))
    return [
        OriginTop(g, _ranked(per_group.get(g, {})), list(cities), targets.is_ranked(g), targets.window, reps, kept)
        for g, cities in targets.top_destinations.items()
    ]


def _pct(mean: float, low: float, high: float) -> str:
    return SHARE.interval_text(mean, low, high)


def destinations_of(folder: Path) -> tuple[list[OriginTop], dict[str, Place]]:
    """What the destinations figure is drawn from: the origin groups' tops and, when there are any, the places."""
    origins = origin_tops(folder)
    return origins, (places_of(folder) if origins else {})


def places_of(folder: Path) -> dict[str, Place]:
    """The place table a folder's runs used: its places.csv, else the one its resolved scenario names."""
    if (folder / "places.csv").is_file():
        return read_places(folder / "places.csv")
    named = None
    if (folder / "scenario.resolved.yaml").is_file():
        doc = read_yaml(folder / "scenario.resolved.yaml")
        data = ((doc.get("world") or {}).get("data") or {}) if isinstance(doc, dict) else {}
        named = data.get("places") if isinstance(data, dict) else None
    path = Path(named) if isinstance(named, str) and named else DATA_DIR / "places.csv"
    return read_places(path) if path.is_file() else {}


def figure_lines(shown: bool) -> list[str]:
    """The hindcast destinations figure and how to read it, if it was drawn."""
    if not shown:
        return []
    return [
        *image(
            f"plots/{FIGURE}",
            "top destinations against the article",
            "The model's top outside destinations of each origin group the article lists (bars: mean share of the "
            "group's outside-bound jobs over the hindcast window, 95% interval across replications; orange: on the "
            "article's list), beside the article's list with each city's rank in the model.",
        ),
    ]


def section(folder: Path, figure: bool = False) -> list[str]:
    """The Markdown lines of the hindcast section, or none for a run without a hindcast window.

    `figure`: the destinations figure (experiments.facts.hindcast_figure) was drawn and is shown after the lists.
    """
    if not (folder / HINDCAST_FILE).is_file():
        return []
    rows = read_table(folder, HINDCAST_FILE, HINDCAST_NEEDED)
    stats: dict[tuple[str, str, str], tuple[float, float, float]] = {}
    ranking: dict[str, list[tuple[str, float]]] = defaultdict(list)
    for r in rows:
        key = (r.text("group"), r.text("statistic"), r.text("item"))
        stats[key] = (r.number("mean"), r.number("ci_low"), r.number("ci_high"))
        if key[1] == "outside_destination":
            ranking[key[0]].append((key[2], r.number("mean")))
    groups = [g for g in GROUP_ORDER if (g, "move_rate", "") in stats] + sorted(
        {g for g, _s, _i in stats} - set(GROUP_ORDER)
    )
    places = places_of(folder)
    name = place_names(folder)
    cells = []
    for g in groups:
        top = ", ".join(f"{name(c)} {SHARE.text(v)}" for c, v in ranking[g][:TOP])
        cells.append(
            [
                group_name(places, g),
                _pct(*stats[(g, "move_rate", "")]),
                _pct(*stats[(g, "share", "north_park")]),
                _pct(*stats.get((g, "share", "jiangsu_city"), (0.0, 0.0, 0.0))),
                _pct(*stats[(g, "share", "outside_city")]),
                _pct(*stats[(g, "north_jiangsu_share", "")]),
                top,
            ]
        )
    headers = [
        "Origin group",
        "Firms moving a year",
        "To north parks",
        "To other Jiangsu places",
        "Outside the province",
        "To northern Jiangsu",
        f"Top {TOP} outside destinations (share of outside-bound jobs)",
    ]
    lines = [
        "## Hindcast: the years of the article's facts",
        "",
        "Per origin group (the prefecture of the southern origins), over the hindcast window: mean over "
        "replications with the 95% interval. Shares are of the jobs moved from the group.",
        "",
        *table(headers, cells, "lrrrrrl"),
    ]
    return [*lines, *_patterns(folder), *(["", *figure_lines(figure)] if figure else [])]


def place_name(places: Mapping[str, Place], pid: str) -> str:
    """A place id as figures label it (report.figures.names.place_label), or the id in words where the table
    lacks it."""
    place = places.get(pid)
    return place_label(place) if place is not None else pid.replace("_", " ").title()


def text_name(places: Mapping[str, Place], pid: str) -> str:
    """A place id as tables show it: "Ningbo 宁波" whatever fonts are installed, or the id in words where the table
    lacks it."""
    place = places.get(pid)
    return bilingual_name(place) if place is not None else pid.replace("_", " ").title()


def group_name(places: Mapping[str, Place], group: str) -> str:
    """An origin group as tables show it, by its prefecture's place ("Suzhou 苏州"), else as the tables name it."""
    origin = next((p for p in places.values() if p.kind == "origin" and p.name == group), None)
    return bilingual_name(origin) if origin is not None else group


def place_names(folder: Path) -> Callable[[str], str]:
    """Place id -> its name in a table (`text_name`) from the folder's place table (`places_of`)."""
    places = places_of(folder)
    return lambda pid: text_name(places, pid)


def _chance(r: Row) -> str:
    """Random picks' mean and 95% quantile; a count of cities as a whole number."""
    q95 = r.number("chance_q95")
    text = f"{q95:.0f}" if r.text("measure") == "overlap_at_5" else f"{q95:.2f}"
    return f"{r.number('chance_mean'):.2f} (95% of picks ≤ {text})"


def _p(r: Row) -> str:
    if "p_value" not in r.cells or not r.text("p_value"):
        return "–"
    return f"{r.number('p_value'):.2g}"


def _patterns(folder: Path) -> list[str]:
    if not (folder / PATTERNS_FILE).is_file():
        return []
    rows = read_table(folder, PATTERNS_FILE, PATTERNS_NEEDED)
    words = {"overlap_at_5": "Cities in common (of 5)", "rank_biased_overlap": "Rank-biased overlap (0–1)"}
    places = places_of(folder)
    name = place_names(folder)
    cells = [
        [
            group_name(places, r.text("group")),
            words.get(r.text("measure"), r.text("measure")),
            f"{r.number('value'):.2f}" if r.text("measure") != "overlap_at_5" else f"{r.number('value'):.0f}",
            _p(r),
            _chance(r),
            ", ".join(name(c) for c in r.text("detail").split()),
        ]
        for r in rows
    ]
    headers = [
        "Origin group",
        "Measure",
        "Model",
        "Chance of random picks scoring as much",
        "Random picks: mean",
        "Model's top 5",
    ]
    return [
        "",
        "The groups' top outside destinations against the article's 2019–2022 lists "
        "(experiments/targets/article.yaml). Suzhou's list is in pinyin order, so it is compared as a set (cities "
        "in common, with the exact hypergeometric chance that 5 cities picked at random from the candidates share "
        "as many); Wuxi's is taken as a ranking and is also compared rank by rank (rank-biased overlap, p 0.9, with "
        "the chance from 10,000 random picks). Beating random picks is not yet evidence: a fact counts only where "
        "neither the null model nor the gravity yardstick also meets it, and those run in `python run.py report` "
        "and `calibrate`, not in a single run.",
        "",
        *table(headers, cells, "llrrrl"),
    ]
