"""The hindcast section of a run's report: 2019–2022 per origin group, and the article's lists.

Read from hindcast.csv and patterns.csv (experiments.hindcast); nothing is
computed here but formatting.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

from model.outcomes import metric
from report.markdown import table
from report.read import read_table

SHARE = metric("north_share_jobs")  # any share metric: the format of a share in %
TOP = 5
GROUP_ORDER = ("Suzhou", "Wuxi", "all origins")


def _pct(mean: float, low: float, high: float) -> str:
    return SHARE.interval_text(mean, low, high)


def section(folder: Path) -> list[str]:
    """The Markdown lines of the hindcast section, or none for a run without a hindcast window."""
    if not (folder / "hindcast.csv").is_file():
        return []
    rows = read_table(folder, "hindcast.csv", ("group", "statistic", "item", "mean", "ci_low", "ci_high"))
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
    cells = []
    for g in groups:
        top = ", ".join(f"{c} {SHARE.text(v)}" for c, v in ranking[g][:TOP])
        cells.append(
            [
                g,
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
    return lines + _patterns(folder)


def _patterns(folder: Path) -> list[str]:
    if not (folder / "patterns.csv").is_file():
        return []
    rows = read_table(folder, "patterns.csv", ("group", "measure", "value", "chance_mean", "chance_q95", "detail"))
    words = {"overlap_at_5": "Cities in common (of 5)", "rank_biased_overlap": "Rank-biased overlap (0–1)"}
    cells = [
        [
            r.text("group"),
            words.get(r.text("measure"), r.text("measure")),
            f"{r.number('value'):.2f}",
            f"{r.number('chance_mean'):.2f} (95% of picks ≤ {r.number('chance_q95'):.2f})",
            r.text("detail").replace(" ", ", "),
        ]
        for r in rows
    ]
    return [
        "",
        "The groups' top outside destinations against the article's 2019–2022 lists "
        "(experiments/targets/article.yaml). A score is evidence only if it beats what 5 cities picked at "
        "random from the candidate set get.",
        "",
        *table(["Origin group", "Measure", "Model", "Random picks: mean", "Model's top 5"], cells, "llrrl"),
    ]
