"""The --ci-width rounds of a `compare` folder (stopping.csv), as a paragraph and a table of its report."""

from __future__ import annotations

from pathlib import Path

from experiments.engine.capabilities.adaptive import STOPPING_COLUMNS, STOPPING_FILE
from model.outcomes import metric
from report.markdown import magnitude_text, table
from report.read import read_table


def stopping(folder: Path) -> list[str]:
    """The --ci-width rounds (stopping.csv), if the comparison was run that way."""
    if not (folder / STOPPING_FILE).is_file():
        return []
    rows = read_table(folder, STOPPING_FILE, STOPPING_COLUMNS)
    share = metric("north_share_jobs")
    width = rows[-1].number("ci_width")
    cells = [
        [
            str(r.integer("round")),
            str(r.integer("replications")),
            magnitude_text(share, r.number("widest_half_width")),
            r.text("at"),
            "yes" if r.text("met") == "true" else "no",
        ]
        for r in rows
    ]
    met = rows[-1].text("met") == "true"
    verdict = (
        f"met with {rows[-1].integer('replications')} replications"
        if met
        else f"**not met**: stopped at {rows[-1].integer('replications')} replications (--max-replications)"
    )
    return [
        f"Replications were added in rounds until every share interval's half-width (scenario means and paired "
        f"differences) was at most {magnitude_text(share, width)}: {verdict}.",
        "",
        *table(["Round", "Replications", "Widest half-width (pp)", "Where", "Met"], cells, "rrrll"),
        "",
    ]
