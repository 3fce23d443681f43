"""The code's shape: small modules, no import cycle (deferred imports included), one-way layers.

The model knows nothing of files, processes or plots; `report/` is the shared
kit and never imports a command; the engine (experiments/engine) reaches the
commands only through experiments.registry; a command folder does not import
another command's folder.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("model", "experiments", "cli", "report", "app", "benchmarks", "tools")
MAX_LINES = 400


def _modules() -> dict[str, Path]:
    out = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            rel = path.relative_to(ROOT).with_suffix("")
            parts = rel.parts[:-1] if rel.name == "__init__" else rel.parts
            out[".".join(parts)] = path
    return out


MODULES = _modules()


COMMANDS = ("run", "compare", "sweep", "sensitivity", "attribute", "calibrate", "validation", "discover", "optimise")
COMMAND_PACKAGES = tuple(f"experiments.{c}" for c in COMMANDS)


def _in(name: str, packages: tuple[str, ...]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in packages)


def imported(nodes: Iterable[ast.AST]) -> set[str]:
    """The project modules these nodes import (`import a.b`, `from a import b` gives a and a.b)."""
    found: set[str] = set()
    for sub in nodes:
        if isinstance(sub, ast.Import):
            found.update(a.name for a in sub.names)
        elif isinstance(sub, ast.ImportFrom) and sub.module and sub.level == 0:
            found.add(sub.module)
            found.update(f"{sub.module}.{a.name}" for a in sub.names)
    return {m for m in found if m in MODULES}


def _type_checking(node: ast.AST) -> bool:
    return isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)


def _all_imports(path: Path) -> set[str]:
    """Project modules the module imports anywhere, inside functions too (only TYPE_CHECKING blocks excepted):
    a deferred import runs when the function does, so a loop through it is a loop at run time."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skipped = {id(sub) for node in ast.walk(tree) if _type_checking(node) for sub in ast.walk(node)}
    return imported(sub for sub in ast.walk(tree) if id(sub) not in skipped)


def _strings_naming_modules(path: Path) -> set[str]:
    """Project modules named in string constants ("experiments.compare.experiment:Compare", import_module(...))."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            name = node.value.partition(":")[0]
            if name in MODULES:
                found.add(name)
    return found


def _top_level_imports(path: Path) -> set[str]:
    """Project modules imported when the module is imported (not inside functions or TYPE_CHECKING)."""
    nodes: list[ast.AST] = []
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if not _type_checking(node):
            nodes += ast.walk(node) if isinstance(node, ast.Try | ast.If) else [node]
    return imported(nodes)


@pytest.mark.parametrize("name", sorted(MODULES), ids=str)
def test_no_module_is_over_400_lines(name: str) -> None:
    lines = MODULES[name].read_text(encoding="utf-8").count("\n")
    assert lines <= MAX_LINES, f"{MODULES[name].relative_to(ROOT)} has {lines} lines"


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}  # 1 on the stack, 2 done
    found: list[str] | None = None

    def visit(node: str, stack: list[str]) -> None:
        nonlocal found
        state[node] = 1
        for nxt in sorted(graph.get(node, ())):
            if found is not None:
                return
            if state.get(nxt) == 1:
                found = [*stack[stack.index(nxt) :], nxt] if nxt in stack else [node, nxt]
                return
            if nxt not in state:
                visit(nxt, [*stack, nxt])
        state[node] = 2

    for name in sorted(graph):
        if name not in state and found is None:
            visit(name, [name])
    return found


def test_the_cycle_finder_finds_a_cycle_through_a_deferred_import(tmp_path) -> None:
    a = tmp_path / "a.py"
    a.write_text("import json\n\n\ndef f():\n    from model import config\n", encoding="utf-8")
    assert "model.config" in _all_imports(a)
    assert _cycle({"x": {"y"}, "y": {"z"}, "z": {"x"}}) == ["x", "y", "z", "x"]
    assert _cycle({"x": {"y"}, "y": set()}) is None


def test_there_is_no_import_cycle_at_run_time_deferred_imports_included() -> None:
    graph = {name: _all_imports(path) for name, path in MODULES.items()}
    cycle = _cycle(graph)
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


def test_report_is_the_shared_kit_and_never_imports_a_command() -> None:
    for name, path in MODULES.items():
        if name.startswith("report"):
            bad = sorted(m for m in _all_imports(path) | _strings_naming_modules(path) if _in(m, COMMAND_PACKAGES))
            assert not bad, f"{name} imports the command module(s) {bad}"


def test_the_engine_reaches_commands_only_through_the_registry() -> None:
    """No engine module imports (or names by string) a command folder, the facts or the design files: a command's
    class is found through experiments.registry, its reduction of a run is supplied by the experiment."""
    forbidden = (*COMMAND_PACKAGES, "experiments.facts", "experiments.design", "experiments.adapters")
    for name, path in MODULES.items():
        if _in(name, ("experiments.engine",)):
            bad = sorted(m for m in _all_imports(path) | _strings_naming_modules(path) if _in(m, forbidden))
            assert not bad, f"{name} reaches {bad} directly"


def test_a_command_folder_imports_no_other_command_folder() -> None:
    for name, path in MODULES.items():
        own = next((p for p in COMMAND_PACKAGES if _in(name, (p,))), None)
        if own is not None:
            others = tuple(p for p in COMMAND_PACKAGES if p != own)
            bad = sorted(m for m in _all_imports(path) if _in(m, others))
            assert not bad, f"{name} imports another command's module(s) {bad}"


def test_the_registry_names_every_command_folder_and_each_target_is_in_its_folder() -> None:
    from experiments.registry import EXPERIMENTS

    folders = {cmd: spec.target.partition(":")[0] for cmd, spec in EXPERIMENTS.items()}
    assert {".".join(t.split(".")[:2]) for t in folders.values()} == set(COMMAND_PACKAGES)
    for target in folders.values():
        assert target in MODULES, f"{target} is not a module"


def test_there_is_no_import_cycle_at_import_time() -> None:
    graph = {name: _top_level_imports(path) for name, path in MODULES.items()}
    state: dict[str, int] = {}  # 1 on the stack, 2 done

    def visit(node: str, stack: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                cycle = [*stack[stack.index(nxt) :], nxt] if nxt in stack else [node, nxt]
                pytest.fail("import cycle: " + " -> ".join(cycle))
            if nxt not in state:
                visit(nxt, [*stack, nxt])
        state[node] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])


def test_the_model_imports_nothing_of_experiments_reports_or_the_cli() -> None:
    for name, path in MODULES.items():
        if name.startswith("model"):
            text = path.read_text(encoding="utf-8")
            for other in ("experiments", "report", "cli", "matplotlib"):
                assert f"import {other}" not in text and f"from {other}" not in text, f"{name} imports {other}"
