"""Write scenarios/baseline.yaml's calibrated block from a calibration folder, or check that it matches.

Run from the repository root:

    python -m tools.calibrated_baseline                 # rewrite the block from docs/calibration/<shipped>/
    python -m tools.calibrated_baseline --check         # exit 1 if scenarios/baseline.yaml is out of date
    python -m tools.calibrated_baseline --calibration outputs/my_fit

The block is everything between `# calibrated:start` and `# calibrated:end` in the baseline: one line per
calibrated parameter (the folder's `parameters.csv`: its `calibrated` point to 4 significant digits, as in
calibrated.yaml, its 90% posterior interval and the default it replaces), nested by the dotted key. The rest of
the file is hand-written. So the shipped baseline is the shipped calibration's point, never copied by hand.
Exit status: 0 done (or up to date), 1 out of date (`--check`), 2 bad input (one line).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from experiments.analysis.posterior import PARAMETERS_FILE
from model.csvfile import read_rows
from model.errors import InputError

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "scenarios" / "baseline.yaml"
SHIPPED = ROOT / "docs" / "calibration" / "article_suzhou_levers"
START, END = "# calibrated:start", "# calibrated:end"
NEEDED = ("key", "default", "q05", "q95", "calibrated")


def _num(x: float) -> str:
    """4 significant digits, never in exponent form (YAML would read `9e+04` as text)."""
    return f"{float(f'{x:.4g}'):.15g}"


def block(folder: Path) -> list[str]:
    """The baseline's calibrated lines for the calibration folder's parameters.csv."""
    path = folder / PARAMETERS_FILE
    rows = read_rows(path, NEEDED, max_rows=1000)
    tree: dict[str, object] = {}
    for i, r in enumerate(rows):
        try:
            point, low, high, was = (float(r[c]) for c in ("calibrated", "q05", "q95", "default"))
        except ValueError:
            raise InputError(path, f"row {i + 2}", "a value that is not a number", "numbers") from None
        node = tree
        *head, last = r["key"].split(".")
        for part in head:
            node = node.setdefault(part, {})  # type: ignore[assignment]
        node[last] = f"{_num(point)}  # calibrated (90% {_num(low)} to {_num(high)}; was {_num(was)})"
    lines: list[str] = []

    def emit(node: dict[str, object], depth: int) -> None:
        for key, value in node.items():
            if isinstance(value, dict):
                lines.append(f"{'  ' * depth}{key}:")
                emit(value, depth + 1)
            else:
                lines.append(f"{'  ' * depth}{key}: {value}")

    emit(tree, 0)
    return lines


def rewritten(text: str, lines: list[str], name: str) -> str:
    """The baseline text with its block replaced."""
    all_lines = text.splitlines()
    try:
        a, b = all_lines.index(START), all_lines.index(END)
    except ValueError:
        raise InputError(BASELINE, "file", f"no '{START}' ... '{END}' lines", "the block markers") from None
    note = f"# from docs/calibration/{name}/parameters.csv by `python -m tools.calibrated_baseline`; do not edit"
    return "\n".join([*all_lines[: a + 1], note, *lines, *all_lines[b:]]) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m tools.calibrated_baseline", description=__doc__.splitlines()[0])
    p.add_argument("--calibration", type=Path, default=SHIPPED, help="a calibration result folder")
    p.add_argument("--check", action="store_true", help="exit 1 if the baseline is out of date")
    args = p.parse_args(argv)
    try:
        text = BASELINE.read_text(encoding="utf-8")
        new = rewritten(text, block(args.calibration), args.calibration.resolve().name)
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.check:
        if new != text:
            print(f"{BASELINE.relative_to(ROOT)} is out of date: run python -m tools.calibrated_baseline")
            return 1
        print("up to date")
        return 0
    BASELINE.write_text(new, encoding="utf-8")
    print(f"wrote {BASELINE.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
