"""Command-line pieces shared by the experiment commands (compare, sweep, …)."""

from __future__ import annotations

import argparse
import re
from collections.abc import Callable
from pathlib import Path

from experiments.engine import EngineOptions
from model.config import MAX_FIRMS, MAX_REPLICATIONS, NAME_PATTERN

MAX_WORKERS = 256


def int_in(lo: int, hi: int, what: str) -> Callable[[str], int]:
    """An argparse type: a whole number in [lo, hi], with a one-line message otherwise."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number ({what}: {lo} to {hi})") from None
        if not lo <= value <= hi:
            raise argparse.ArgumentTypeError(f"{value} is out of range ({what}: {lo} to {hi})")
        return value

    parse.__name__ = what
    return parse


def positive_float(what: str) -> Callable[[str], float]:
    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number ({what}: > 0)") from None
        if not value > 0 or value != value or value == float("inf"):
            raise argparse.ArgumentTypeError(f"{value} is out of range ({what}: a finite number > 0)")
        return value

    parse.__name__ = what
    return parse


def is_name(text: str) -> bool:
    """A name that can be an output folder: it cannot escape DIR."""
    return re.fullmatch(NAME_PATTERN, text) is not None


def output_name(text: str) -> str:
    """An argparse type for --name."""
    if not is_name(text):
        raise argparse.ArgumentTypeError(f"{text!r} is not allowed (letters, digits, '_' and '-', 1-64 characters)")
    return text


def add_run_overrides(parser: argparse.ArgumentParser, *, replications: str, seed: str, firms: str) -> None:
    """--replications R, --seed S, --firms N, with the help text each command gives them."""
    parser.add_argument(
        "--replications", type=int_in(1, MAX_REPLICATIONS, "replications"), metavar="R", help=replications
    )
    parser.add_argument("--seed", type=int_in(0, 2**63 - 1, "seed"), metavar="S", help=seed)
    parser.add_argument("--firms", type=int_in(1, MAX_FIRMS, "firms"), metavar="N", help=firms)


def add_engine_options(parser: argparse.ArgumentParser) -> None:
    """--out, --workers, --engine, --scheduler, --resume, --quiet."""
    parser.add_argument("--out", type=Path, default=Path("outputs"), metavar="DIR", help="results go to DIR/<name>/")
    parser.add_argument(
        "--workers", type=int_in(1, MAX_WORKERS, "workers"), default=1, metavar="W", help="local processes (default 1)"
    )
    parser.add_argument(
        "--engine", choices=("local", "dask"), default="local", help="local process pool (default) or a Dask cluster"
    )
    parser.add_argument("--scheduler", metavar="ADDRESS", help="Dask scheduler address, e.g. tcp://127.0.0.1:8786")
    parser.add_argument("--resume", action="store_true", help="keep finished runs in DIR/<name>/runs/ and do the rest")
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress bar and no summary")


def engine_options(args: argparse.Namespace) -> EngineOptions:
    return EngineOptions(
        workers=args.workers,
        engine=args.engine,
        scheduler=args.scheduler,
        resume=args.resume,
        progress=not args.quiet,
    )
