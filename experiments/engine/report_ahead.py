"""A command's report made ready while its local pool starts, in the command's otherwise idle thread.

With more than one local worker the command waits about 0.8 s for its pool
(the fork server imports the model) before it can send the first run, its own
core idle; after the last run it writes its tables, draws its report and
figures and reads its terminal summary, alone. Part of that depends on
nothing the runs produce: importing the command's report module (every report
imports its figure module, so matplotlib: about 0.3 s, paid by the summary
even with `--no-plots`) and, when figures are drawn, the HTML page's modules
and finding the fonts. `report_ahead` returns that part as a function, which
the engine calls while it waits for the pool to start
(experiments.engine.pool.Engine, `while_starting`), so it is not paid after
the runs. It runs in the command's own thread, never beside another import
(the pool's start-up thread waits on the fork server meanwhile), writes
nothing and changes no figure: the same modules are imported and the same
fonts found, only earlier. A failure here is left for the draw or the summary
to report. With one local worker the command runs the model itself, on the
one core asked for, and with Dask it sends runs at once: nothing is done
ahead then.
"""

from __future__ import annotations

import argparse
import importlib
import logging
from collections.abc import Callable
from functools import partial

from experiments.registry import report_of

logger = logging.getLogger(__name__)

DRAWING_MODULES = ("report.figures.style", "report.html")  # what every report's draw imports


def prepare_report(command: str, figures: bool) -> None:
    """Import the command's report module and, with `figures`, what drawing needs, and find the fonts."""
    try:
        report_of(command)
        if not figures:
            return
        for name in DRAWING_MODULES:
            importlib.import_module(name)
        from report.figures.names import font_families

        font_families()
    except Exception as exc:  # noqa: BLE001 - the draw or summary reports it, when it happens again
        logger.debug("report not prepared ahead: %s", exc)


def report_ahead(command: str, args: argparse.Namespace) -> Callable[[], None] | None:
    """What to prepare while the pool starts: the report, if the command draws figures or prints a summary."""
    figures = not getattr(args, "no_plots", False)
    summary = not getattr(args, "quiet", False)
    return partial(prepare_report, command, figures) if figures or summary else None
