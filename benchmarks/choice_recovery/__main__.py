"""`python -m benchmarks.choice_recovery`: run the recovery check, print the table, write the Markdown and JSON."""

from __future__ import annotations

import argparse
import shlex
import sys
import time
from collections.abc import Sequence
from importlib.metadata import version
from pathlib import Path

from benchmarks.choice_recovery import recover
from benchmarks.choice_recovery.estimate import MissingEstimatorError, larch_module
from benchmarks.choice_recovery.report import as_json, control_line, markdown, table

ROOT = Path(__file__).resolve().parents[2]
BASELINE = ROOT / "scenarios" / "baseline.yaml"
OUT = ROOT / "docs" / "validation" / "choice_recovery.md"
DEFAULT_SEED = 20240617


def _command(args: argparse.Namespace, scenario: Path) -> str:
    """The command line that gives these results, whatever the working directory it was typed in."""
    shown = scenario.relative_to(ROOT) if scenario.is_relative_to(ROOT) else scenario
    words = ["python", "-m", "benchmarks.choice_recovery", "--scenario", str(shown), "--choices", str(args.choices)]
    words += [] if args.firms is None else ["--firms", str(args.firms)]
    words += ["--seed", str(args.seed)] + (["--no-control"] if args.no_control else [])
    return shlex.join(words)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the check on a scenario; exit 2 (one line) if larch is missing."""
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.choice_recovery",
        description="The model's nested logit re-estimated by larch from choices simulated at known values.",
    )
    parser.add_argument("--scenario", type=Path, default=BASELINE, help="default scenarios/baseline.yaml")
    parser.add_argument("--choices", type=int, default=20_000, help="choice situations drawn (default 20000)")
    parser.add_argument("--firms", type=int, default=None, help="firms.count of the run (default: the scenario's)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="seeds the model run and every draw")
    parser.add_argument("--no-control", action="store_true", help="skip the negative control (every λ = 1)")
    parser.add_argument("--out", type=Path, default=OUT, help="the Markdown file (the JSON is written beside it)")
    args = parser.parse_args(argv)
    try:
        larch_module()
    except MissingEstimatorError as exc:
        print(f"choice_recovery: {exc}", file=sys.stderr)
        return 2
    scenario = args.scenario.resolve()
    start = time.perf_counter()
    s, r, negative = recover(scenario, args.choices, args.seed, args.firms, control=not args.no_control)
    seconds = time.perf_counter() - start
    command = _command(args, scenario)
    versions = {name: version(name) for name in ("larch", "numpy", "scipy")}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(markdown(s, r, negative, command, versions), encoding="utf-8")
    args.out.with_suffix(".json").write_text(as_json(s, r, negative, command, versions), encoding="utf-8")
    print("\n".join(table(r)))
    if negative is not None:
        print("\n" + control_line(negative))
    print(f"\n{r.choices:,} choices in {r.cases:,} cases; {seconds:.0f} s after importing larch; wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
