"""The report side imports one way: no loop between a report, its reader and its figures, deferred imports included.

tests/test_layout.py checks the imports made when a module is imported; a
report that imports its figures inside a function while the figures import
the report for its data class is a loop all the same, so here every import
counts: inside functions, and under TYPE_CHECKING too (a reader follows those
as well). A command's report is a class the registry names, with the one
`draw`; that the shared kit `report/` imports no command folder is
tests/test_layout.py's.
"""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

from experiments.engine.report import Report
from experiments.registry import EXPERIMENTS, report_of
from tests.test_layout import COMMANDS as COMMAND_FOLDERS
from tests.test_layout import MODULES, imported

REPORT_SIDE = ("report", "read", "figures", "fit_figures", "sections")  # a command folder's report modules


def _every_import(path: Path) -> set[str]:
    """Project modules a module imports anywhere in its code (functions and TYPE_CHECKING blocks included)."""
    return imported(ast.walk(ast.parse(path.read_text(encoding="utf-8"))))


GRAPH = {name: _every_import(path) for name, path in MODULES.items()}


def _on_the_report_side(name: str) -> bool:
    parts = name.split(".")
    if parts[0] == "report" or name == "experiments.engine.report":
        return True
    if name.startswith("experiments.facts.hindcast_"):
        return True
    return len(parts) == 3 and parts[1] in COMMAND_FOLDERS and parts[2] in REPORT_SIDE


def _loop_from(start: str) -> list[str] | None:
    """A path of imports from `start` back to itself, if there is one."""
    stack, seen = [(start, [start])], set()
    while stack:
        node, path = stack.pop()
        for nxt in sorted(GRAPH.get(node, ())):
            if nxt == start:
                return [*path, nxt]
            if nxt not in seen:
                seen.add(nxt)
                stack.append((nxt, [*path, nxt]))
    return None


@pytest.mark.parametrize("name", sorted(n for n in MODULES if _on_the_report_side(n)), ids=str)
def test_no_report_module_is_in_an_import_loop_even_through_deferred_imports(name: str) -> None:
    loop = _loop_from(name)
    assert loop is None, "import loop: " + " -> ".join(loop or [])


def test_figure_modules_never_import_their_report() -> None:
    for folder in COMMAND_FOLDERS:
        for name in (f"experiments.{folder}.figures", f"experiments.{folder}.fit_figures"):
            if name in GRAPH:
                assert f"experiments.{folder}.report" not in GRAPH[name], f"{name} imports its report"


@pytest.mark.parametrize("command", sorted(EXPERIMENTS))
def test_every_command_names_a_report_class_with_the_one_draw(command: str) -> None:
    report = report_of(command)
    assert isinstance(report, Report)
    assert type(report).draw is Report.draw, "draw is written once, in experiments.engine.report"
    assert report.document in report.drawn and "plots" in report.drawn
    module = importlib.import_module(type(report).__module__)
    assert not hasattr(module, "draw") and not hasattr(module, "DRAWN"), "no module-level draw or DRAWN left"
