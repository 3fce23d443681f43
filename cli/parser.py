"""argparse for every command, built without importing the simulation (Mesa) or the figures (matplotlib).

Each experiment command's own arguments, and those of the capabilities it opts into (--posterior, --ci-width), come
from its registry entry (experiments.registry, declared as experiments.engine.protocol.Arg); the options every
experiment shares (output folder, engine, resume, run overrides) are added here, once.
"""

from __future__ import annotations

import argparse
import math
import re
from collections.abc import Callable
from pathlib import Path
from typing import NoReturn

from experiments.engine.protocol import Arg
from experiments.registry import EXPERIMENTS
from model.errors import InputError
from model.limits import MAX_FIRMS, MAX_REPLICATIONS, NAME_PATTERN

MAX_WORKERS = 256
PROG = "relocsim"
OTHER_COMMANDS = {
    "validate": "check scenario and experiment files (and the data they name) without running them",
    "plot": "redraw the report and figures of a result folder",
    "app": "serve the interactive browser app (Mesa SolaraViz; needs the app extra)",
}
MAX_PORT = 65535
PLAIN_INTEGER = re.compile(r"[+-]?[0-9]+", re.ASCII)
PLAIN_NUMBER = re.compile(r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?", re.ASCII)


class Parser(argparse.ArgumentParser):
    """argparse that reports a usage error as one line (exit status 2) and never exits by itself."""

    def error(self, message: str) -> NoReturn:
        command = self.prog.removeprefix(PROG).strip()
        raise InputError("command line", command, message, f"see `{self.prog} --help`")


def int_in(lo: int, hi: int, what: str) -> Callable[[str], int]:
    """An argparse type: a whole number in [lo, hi]."""

    def parse(text: str) -> int:
        if not PLAIN_INTEGER.fullmatch(text):  # int() would also take "1_000", " 12 " and "١٢"
            raise argparse.ArgumentTypeError(f"{text[:40]!r} is not a whole number in plain digits ({lo} to {hi})")
        value = int(text, 10)
        if not lo <= value <= hi:
            raise argparse.ArgumentTypeError(f"{value} is out of range ({lo} to {hi})")
        return value

    parse.__name__ = what
    return parse


def float_in(lo: float, hi: float, what: str, *, open_low: bool = True) -> Callable[[str], float]:
    """An argparse type: a finite number in (lo, hi] (or [lo, hi]), written in plain ASCII decimal notation."""

    def parse(text: str) -> float:
        if not PLAIN_NUMBER.fullmatch(text):  # float() would also take "1_0", "inf" and " 0.5 "
            raise argparse.ArgumentTypeError(f"{text[:40]!r} is not a number in plain decimal notation")
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text[:40]!r} is not a number") from None
        below = value <= lo if open_low else value < lo
        if not math.isfinite(value) or below or value > hi:
            lo_text = f"> {lo:g}" if open_low else f"≥ {lo:g}"
            raise argparse.ArgumentTypeError(f"{value} is out of range ({lo_text} and ≤ {hi:g})")
        return value

    parse.__name__ = what
    return parse


def name_type(text: str) -> str:
    import re

    if re.fullmatch(NAME_PATTERN, text) is None:
        raise argparse.ArgumentTypeError(
            f"{text[:70]!r} is not allowed (letters, digits, '_' and '-', 1-64 characters)"
        )
    return text


def _escaped(text: str) -> str:
    """argparse formats help with %: a literal percent sign must be doubled."""
    return text.replace("%", "%%")


def _add(parser: argparse.ArgumentParser, arg: Arg) -> None:
    """One experiment argument, from its declaration."""
    kw: dict[str, object] = {"help": _escaped(arg.help)}
    if arg.metavar:
        kw["metavar"] = arg.metavar
    if arg.kind == "flag":
        kw["action"] = "store_true"
    elif arg.kind == "path":
        kw["type"] = Path
    elif arg.kind == "paths":
        kw.update(type=Path, nargs="+")
    elif arg.kind == "texts":
        kw.update(action="extend", nargs="+")
    elif arg.kind == "int":
        lo, hi = arg.bounds or (0, 2**63 - 1)
        kw["type"] = int_in(int(lo), int(hi), arg.flags[-1].lstrip("-"))
    elif arg.kind == "float":
        lo, hi = arg.bounds or (0.0, math.inf)
        kw["type"] = float_in(lo, hi, arg.flags[-1].lstrip("-"))
    if arg.default is not None:
        kw["default"] = arg.default
        if not arg.flags[0].startswith("-") and arg.kind == "path":
            kw["nargs"] = "?"  # a positional argument with a default may be left out
    parser.add_argument(*arg.flags, **kw)  # type: ignore[arg-type]


def add_shared_options(parser: argparse.ArgumentParser) -> None:
    """What every experiment command takes: run overrides, output folder, engine, resume."""
    runs = parser.add_argument_group("runs")
    runs.add_argument(
        "--replications", type=int_in(1, MAX_REPLICATIONS, "replications"), metavar="R", help="replications"
    )
    runs.add_argument("--seed", type=int_in(0, 2**63 - 1, "seed"), metavar="S", help="master seed (recorded)")
    runs.add_argument("--firms", type=int_in(1, MAX_FIRMS, "firms"), metavar="N", help="simulated firms per run")
    out = parser.add_argument_group("output")
    out.add_argument("--out", type=Path, default=Path("outputs"), metavar="DIR", help="results go to DIR/NAME/")
    out.add_argument("--name", type=name_type, metavar="NAME", help="result folder name (default: from the inputs)")
    out.add_argument("--overwrite", action="store_true", help="replace a folder holding other results")
    out.add_argument("--resume", action="store_true", help="keep the finished runs of the same inputs, do the rest")
    out.add_argument("--no-plots", action="store_true", help="write tables and reports without figures")
    out.add_argument("-q", "--quiet", action="store_true", help="no progress bar and no summary")
    eng = parser.add_argument_group("engine")
    eng.add_argument("--workers", type=int_in(1, MAX_WORKERS, "workers"), default=1, metavar="W", help="processes")
    eng.add_argument("--engine", choices=("local", "dask"), default="local", help="local pool or a Dask cluster")
    eng.add_argument("--scheduler", metavar="ADDRESS", help="Dask scheduler address, e.g. tcp://127.0.0.1:8786")


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser of every command (`command`, the one named on the line, gets its arguments; the others their help)."""
    parser = Parser(
        prog=PROG,
        description="Agent-based simulation of industry relocation from southern Jiangsu.",
        epilog=f"`{PROG} SCENARIO.yaml` is short for `{PROG} run SCENARIO.yaml`. Exit status: 0 done, "
        "2 bad input (one line naming the file, key and what is allowed), 1 anything else.",
    )
    parser.add_argument("--version", action="store_true", help="print the version and exit")
    parser.add_argument("-v", "--verbose", action="store_true", help="log what the model does")
    parser.add_argument("--debug", action="store_true", help="show the traceback of an unexpected error")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    for name in EXPERIMENTS:
        spec = EXPERIMENTS[name]
        p = sub.add_parser(name, help=_escaped(spec.help), description=_escaped(spec.help))
        if name == command:
            for arg in spec.all_arguments:
                _add(p, arg)
            add_shared_options(p)
    val = sub.add_parser("validate", help=OTHER_COMMANDS["validate"], description=OTHER_COMMANDS["validate"])
    val.add_argument("files", nargs="+", type=Path, metavar="FILE")
    plot = sub.add_parser("plot", help=OTHER_COMMANDS["plot"], description=OTHER_COMMANDS["plot"])
    plot.add_argument("results", type=Path, metavar="RESULTS_DIR")
    plot.add_argument("-q", "--quiet", action="store_true", help="print nothing")
    app = sub.add_parser("app", help=OTHER_COMMANDS["app"], description=OTHER_COMMANDS["app"])
    app.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1: this machine only)")
    app.add_argument("--port", type=int_in(1, MAX_PORT, "a TCP port"), default=8765, help="TCP port (default 8765)")
    app.add_argument(
        "--scenarios",
        nargs="+",
        type=Path,
        default=[],
        metavar="DIR",
        help="more folders whose scenario files the page may open (always: the repository's scenarios/)",
    )
    app.add_argument(
        "--results",
        nargs="+",
        type=Path,
        default=[],
        metavar="DIR",
        help="more folders whose optimise result folders the page lists and opens (always: the repository's outputs/)",
    )
    return parser


def commands() -> tuple[str, ...]:
    return (*EXPERIMENTS, *OTHER_COMMANDS)
