"""The command line: parse arguments, call the library, map every error to an exit status and one line.

Exit status: 0 success; 2 bad input (usage, scenario, experiment or data file,
output folder), one line naming the file, the key path, the bad value and what
is allowed; 1 anything else — a fault of the machine (read-only or full disk,
unreachable scheduler), failed runs, an interrupt or a bug — also one line,
with the traceback only under `--debug`.

Only argparse and the light schema modules are imported before the arguments
are parsed; the model (Mesa) is imported when runs happen, matplotlib when
figures are drawn.
"""

from __future__ import annotations

import logging
import signal
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path
from types import FrameType

from experiments.engine.prestart import one_blas_thread
from model.errors import InputError

# Warnings read as sentences of relocsim (`relocsim: …`); --verbose also names the module that logged them.
LOG_FORMAT = {False: "relocsim: %(message)s", True: "%(name)s: %(message)s"}

EXIT_OK, EXIT_ERROR, EXIT_BAD_INPUT = 0, 1, 2
PREFIX = "relocsim: "


def _say(text: str) -> None:
    print(PREFIX + " ".join(str(text).split()), file=sys.stderr)


def _interrupt(signum: int, _frame: FrameType | None) -> None:
    """SIGTERM and SIGHUP end a command like Ctrl-C: workers are stopped, nothing half-written is left."""
    raise KeyboardInterrupt(signal.Signals(signum).name)


def _with_run(argv: list[str], commands: Sequence[str]) -> tuple[list[str], str | None]:
    """`relocsim X.yaml ...` (or any existing path) is `relocsim run X.yaml ...`; also returns the command named."""
    first = next((a for a in argv if not a.startswith("-")), None)
    if first is not None and first not in commands and (first.endswith((".yaml", ".yml")) or Path(first).exists()):
        argv = list(argv)
        argv.insert(argv.index(first), "run")
        first = "run"
    return argv, first


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in argv
    one_blas_thread()  # before numpy is imported (experiments.engine.prestart says why)
    for sig in (signal.SIGTERM, signal.SIGHUP):
        try:
            signal.signal(sig, _interrupt)
        except ValueError:  # not the main thread (e.g. called from a test thread): leave signals alone
            break
    try:
        from cli.commands import dispatch
        from cli.parser import build_parser, commands
        from experiments.registry import ALIASES

        argv, command = _with_run(argv, commands())
        if command in ALIASES:  # `optimize` is `optimise`
            argv[argv.index(command)] = command = ALIASES[command]
        parser = build_parser(command)
        args = parser.parse_args(argv)
        logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format=LOG_FORMAT[args.verbose])
        return dispatch(parser, args)
    except InputError as exc:
        _say(exc.message)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt as exc:
        folder = getattr(exc, "folder", None)  # set by the pipeline once the result folder is known
        runs = len(list(Path(folder, "runs").glob("*.json"))) - 1 if folder is not None else 0  # less state.json
        if runs <= 0:
            _say("interrupted before any run finished; no results were written")
        else:
            kept = f"{runs} finished runs are kept in {folder}/runs/"
            _say(f"interrupted; {kept} (rerun with --resume), no results were written")
        return EXIT_ERROR
    except Exception as exc:  # noqa: BLE001 - the last line of defence: one line, exit 1
        from experiments.engine.pool import Fault

        if debug:
            traceback.print_exc()
        if isinstance(exc, Fault):
            _say(str(exc))
        elif isinstance(exc, OSError):
            where = f"{exc.filename}: " if exc.filename else ""
            _say(f"{where}{exc.strerror or exc}")
        else:
            hint = "" if debug else " (rerun with --debug for the traceback)"
            _say(f"internal error: {type(exc).__name__}: {exc}{hint}; this is a bug, please report it")
        return EXIT_ERROR
