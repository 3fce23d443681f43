"""A command's drawing made ready while its runs happen elsewhere, on the command's otherwise idle core.

When the runs leave the command's process (more than one local worker, or
Dask), the command first waits for the pool (the fork server imports the
model, about 0.8 s), then mostly for records; after the last run it draws its
report and figures, alone. Part of that draw depends on nothing the runs
produce: importing the command's report and figure modules (matplotlib, about
0.3 s), the HTML page's Markdown, and finding the fonts. `DrawAhead` does that
part in a thread while the command waits, so it is not paid after the runs.
It writes nothing and changes no figure: the same modules are imported and
the same fonts found, only earlier. The pipeline joins it before its analysis
and draw, so no import runs in two threads at once, and a failure here is
left for the draw to report in the command's own thread. With one local
worker the command runs the model itself, on the one core asked for, and
nothing is done ahead.
"""

from __future__ import annotations

import importlib
import logging
import threading

from experiments.registry import report_of

logger = logging.getLogger(__name__)

DRAWING_MODULES = ("report.figures.style", "report.html")  # what every report's draw imports


class DrawAhead:
    """Import what the command's draw needs, in a daemon thread, from construction until `join`."""

    def __init__(self, command: str) -> None:
        self.command = command
        self._thread = threading.Thread(target=self._prepare, name="relocsim-draw-ahead", daemon=True)
        self._thread.start()

    def _prepare(self) -> None:
        try:
            report_of(self.command)
            for name in DRAWING_MODULES:
                importlib.import_module(name)
            from report.figures.names import font_families

            font_families()
        except Exception as exc:  # noqa: BLE001 - the draw itself reports it, in the command's thread
            logger.debug("drawing not prepared ahead: %s", exc)

    def join(self) -> None:
        """Wait until the preparation is over (normally it ended during the runs)."""
        self._thread.join()
