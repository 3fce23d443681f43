"""What a command's report is: it reads a result folder's tables, writes its Markdown and yields its figures.

Every command names one `Report` subclass in its registry entry
(experiments.registry, "module:Class", imported only when a folder is drawn or
summarised). The subclass says what it reads (`read`: the tables into the
command's data object, checked), what it writes (`markdown`: the text of
`document`; `figures`: (file name, Figure) pairs, in the order they are
drawn) and what the terminal shows (`summary`); `replications` says over how
many replications its intervals are, so that the report and the terminal
warn in one line when they are too few (experiments.analysis.replications:
`with_warning` puts the line after the first line of the summary, `draw`
after the Markdown's title). `draw` is here once: read,
save every figure into `out/plots/` with the one save helper
(report.figures.style.save_png: same DPI, no software stamp, so the same
tables give the same bytes), then write the Markdown, which may mention only
the figures that were drawn, with the window and the firms it stands for
under its title (report.scope); `summary_lines` puts the same sentence under
the first line of the terminal summary. The pipeline (experiments.engine.pipeline) turns
each Markdown file into its HTML page (report/html.py) and lists in `drawn`
what `plot DIR` replaces.

This module imports no plotting library: matplotlib is imported by the
command's figure modules, and the save helper only when a report is drawn.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from report.scope import Window, scope_lines, with_scope

if TYPE_CHECKING:
    from matplotlib.figure import Figure


class Report[Data](ABC):
    """One command's report; see the module docstring."""

    document: ClassVar[str]  # the Markdown file it writes (report.md, comparison.md, …)
    scope_window: ClassVar[Window] = "report"  # the window its totals are over, said under its title (report.scope)

    @property
    def drawn(self) -> tuple[str, ...]:
        """The folder entries a draw writes, which `plot DIR` replaces: plots/, the Markdown, and its HTML page
        (written by the pipeline, report/html.py)."""
        return ("plots", self.document, str(Path(self.document).with_suffix(".html")))

    @abstractmethod
    def read(self, folder: Path) -> Data:
        """The folder's tables as the command's data object, checked (InputError naming the file)."""

    def figures(self, data: Data) -> Iterable[tuple[str, Figure]]:
        """The figures as (file name in plots/, Figure), drawn one at a time as they are saved; none by default."""
        return ()

    @abstractmethod
    def markdown(self, data: Data, figures: Sequence[Path]) -> str:
        """The text of `document`; `figures` are the files just saved (a figure with no data is not drawn)."""

    @abstractmethod
    def summary(self, folder: Path) -> list[str]:
        """The lines the command prints when it finishes."""

    def replications(self, folder: Path) -> int | None:
        """How many replications the intervals it reports are over (None: it reports no such interval)."""
        return None

    def with_warning(self, folder: Path) -> list[str]:
        """The summary, with the one-line replications warning after its first line where they are too few."""
        from experiments.analysis.replications import warning

        lines = self.summary(folder)
        text = warning(self.replications(folder))
        return [*lines[:1], f"  warning — {text}", *lines[1:]] if text else lines

    def summary_lines(self, folder: Path) -> list[str]:
        """`with_warning`, with the window and the firms simulated (report.scope) under its first line."""
        lines = self.with_warning(folder)
        scope = [f"  {line}" for line in scope_lines(folder, self.scope_window)]
        return [*lines[:1], *scope, *lines[1:]]

    def draw(self, folder: Path, out: Path | None = None) -> list[Path]:
        """The Markdown report and every figure, read from `folder` and written into `out` (default: `folder`).

        Returns the Markdown file first, then the figures in the order drawn.
        `plots/` is made even when there is no figure, so a folder always has it.
        """
        from report.figures.style import PLOTS_DIR, save_png

        out = out or folder
        data = self.read(folder)
        plots = out / PLOTS_DIR
        plots.mkdir(parents=True, exist_ok=True)
        saved = [save_png(fig, plots / name) for name, fig in self.figures(data)]
        path = out / self.document
        markdown = _warned(self.markdown(data, saved), self.replications(folder))
        path.write_text(with_scope(markdown, folder, self.scope_window), encoding="utf-8")
        return [path, *saved]


def _warned(text: str, replications: int | None) -> str:
    """The Markdown with the replications warning as the paragraph after its title (first line), if any."""
    from experiments.analysis.replications import markdown_warning

    warning = markdown_warning(replications)
    if not warning:
        return text
    title, _, rest = text.partition("\n")
    return "\n".join([title, "", *warning]) + rest
