"""The validation folder's destinations table: each origin group's outside destinations over the hindcast.

`destinations.csv` has a row per (origin group with an article list, outside
city): the city's share of the group's outside-bound jobs over the hindcast
window, mean and 95% interval across the model's fact replications. A run's
summary keeps only each group's top `FLAT_TOP` cities, so a city a replication
does not list counts 0 there (`kept` says so). The hindcast destinations figure
(experiments.facts.hindcast_figure) is drawn from this table, as a run folder's is from
its hindcast.csv.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from experiments.analysis.stats import Interval
from experiments.facts.hindcast import FLAT_TOP
from experiments.facts.hindcast import SHARE as SHARE_BOUNDS

FILE = "destinations.csv"
COLUMNS = ("group", "place", "replications", "kept", "mean", "ci_low", "ci_high")
OUTSIDE = "outside_destination"  # the summary key part of an outside city's share (experiments.facts.hindcast)


def destination_rows(summaries: Sequence[Mapping[str, float]], groups: Iterable[str]) -> list[list[Any]]:
    """Rows of destinations.csv from the model's fact runs' summaries (one per replication), groups in order."""
    rows: list[list[Any]] = []
    for g in groups:
        prefix = f"{g}|{OUTSIDE}|"
        places = sorted({k[len(prefix) :] for s in summaries for k in s if k.startswith(prefix)})
        for p in places:
            values = [float(s.get(prefix + p, 0.0)) for s in summaries]
            iv = Interval.of([v for v in values if math.isfinite(v)], SHARE_BOUNDS)
            rows.append([g, p, len(summaries), FLAT_TOP, iv.mean, iv.low, iv.high])
    return rows
