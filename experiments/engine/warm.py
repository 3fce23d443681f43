"""A command's report made ready while its runs happen elsewhere, on the command's otherwise idle core.

When the runs leave the command's process (more than one local worker, or
Dask), the command first waits for the pool (the fork server imports the
model, about 0.8 s), then mostly for records; after the last run it writes its
tables, draws its report and figures and reads its terminal summary, alone.
Part of that depends on nothing the runs produce: importing the command's
report module (every report imports its figure module, so matplotlib: about
0.3 s, paid by the summary even with `--no-plots`) and, when figures are
drawn, the HTML page's modules and finding the fonts. `ReportAhead` does that
part in a thread while the command waits, so it is not paid after the runs.
It writes nothing and changes no figure: the same modules are imported and the
same fonts found, only earlier. The pipeline joins it before its analysis, so
no import runs in two threads at once, and a failure here is left for the draw
or the summary to report in the command's own thread. With one local worker
the command runs the model itself, on the one core asked for, and nothing is
done ahead.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import threading

from experiments.registry import report_of

logger = logging.getLogger(__name__)

DRAWING_MODULES = ("report.figures.style", "report.html")  # what every report's draw imports


class ReportAhead:
    """Import what the command's report needs, in a daemon thread, from construction until `join`."""

    def __init__(self, command: str, figures: bool) -> None:
        self.command = command
        self.figures = figures
        self._thread = threading.Thread(target=self._prepare, name="relocsim-report-ahead", daemon=True)
        self._thread.start()

    @classmethod
    def of(cls, command: str, runs_elsewhere: bool, args: argparse.Namespace) -> ReportAhead | None:
        """One for a command whose runs go to other processes and that draws or prints a summary; else None."""
        figures = not getattr(args, "no_plots", False)
        summary = not getattr(args, "quiet", False)
        return cls(command, figures) if runs_elsewhere and (figures or summary) else None

    def _prepare(self) -> None:
        try:
            report_of(self.command)
            if not self.figures:
                return
            for name in DRAWING_MODULES:
                importlib.import_module(name)
            from report.figures.names import font_families

            font_families()
        except Exception as exc:  # noqa: BLE001 - the draw or summary reports it, in the command's thread
            logger.debug("report not prepared ahead: %s", exc)

    def join(self) -> None:
        """Wait until the preparation is over (normally it ended during the runs)."""
        self._thread.join()
