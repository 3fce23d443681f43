"""Write docs/ODD.md's generated parts: the parameter table and the patterns (facts) table.

Run from the repository root:

    python -m tools.odd_table                      # rewrite the two blocks of docs/ODD.md
    python -m tools.odd_table --check              # exit 1 if docs/ODD.md is out of date
    python -m tools.odd_table --calibration calibrations/article_wuxi.yaml --posterior outputs/article_wuxi

The parameter table lists every parameter of the scenario schema (tools/odd_sources.py: keys,
defaults, ranges, labels, units, meanings, sources), with the prior of the calibration file
that fits it (default `calibrations/article_suzhou_levers.yaml`, format experiments/design/calibration_file.py)
and the posterior summary of a calibration folder's `parameters.csv` (default
`docs/calibration/article_suzhou_levers/`, the shipped calibration's result). Either may be absent: priors then read
"—", posterior columns "not calibrated". The facts table is experiments/facts/catalogue.py's FACTS with
their role (fitted, held out) in the same calibration file.

The blocks sit between `<!-- parameters:start -->` / `<!-- parameters:end -->` and
`<!-- facts:start -->` / `<!-- facts:end -->`; everything else in docs/ODD.md is hand-written.
Exit status: 0 done (or up to date), 1 out of date (`--check`), 2 bad input (one line).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from experiments.analysis.posterior import PARAMETER_COLUMNS, PARAMETERS_FILE
from experiments.design.calibration_file import CalibrationFile, Prior
from experiments.facts.catalogue import FACTS, FIT_DEFAULT, HELD_OUT_DEFAULT, NOT_EXPRESSIBLE
from model.csvfile import read_rows
from model.errors import InputError
from model.scenario import read_yaml, to_input_error
from tools.odd_sources import NOT_STATED, ROOT, Parameter, parameters

DOC = ROOT / "docs" / "ODD.md"
CALIBRATION = ROOT / "calibrations" / "article_suzhou_levers.yaml"
POSTERIOR = ROOT / "docs" / "calibration" / "article_suzhou_levers"
BLOCKS = ("parameters", "facts")
DASH = "—"
NOT_CALIBRATED = "not calibrated"
COLUMNS = (
    "key",
    "label",
    "meaning",
    "default",
    "unit",
    "range",
    "source",
    "prior",
    "posterior mean",
    "90 % interval",
    "calibrated",
)
SECTION_TITLES = {
    "firms": "Firms (`firms`)",
    "world": "World: cost trends, other provinces, congestion, settlement, industry intensities (`world`)",
    "behaviour": "Behaviour: push, choice, nests (`behaviour`)",
    "policies": "Policy levers (`policies`; a lever's keys apply when its section is present)",
}


@dataclass(frozen=True)
class Posterior:
    """A row of parameters.csv: the posterior summary of one fitted parameter."""

    mean: float
    q05: float
    q95: float
    calibrated: float
    prior: tuple[float, float]


def shown(path: Path) -> str:
    """A path as the document shows it: relative to the repository when inside it."""
    try:
        return path.resolve().relative_to(ROOT).as_posix()
    except ValueError:
        return path.as_posix()


def number(x: float) -> str:
    """A value as the table prints it: up to 6 significant digits, `2e9` for large powers."""
    if x == 0:
        return "0"
    text = f"{x:.6g}"
    if "e" in text:
        mantissa, exponent = text.split("e")
        text = f"{mantissa}e{int(exponent)}"
    return text


def short(x: float) -> str:
    return number(float(f"{x:.3g}"))


def value_range(p: Parameter) -> str:
    low = DASH if p.low is None else number(p.low)
    high = DASH if p.high is None else number(p.high)
    return f"{'(' if p.low_open else '['}{low}, {high}{')' if p.high_open else ']'}"


def cell(text: str) -> str:
    return " ".join(text.replace("|", "\\|").split()) or DASH


def read_calibration(path: Path) -> CalibrationFile:
    """A calibration file, validated as `calibrate` validates it (its base scenario is not loaded)."""
    raw = read_yaml(path)
    try:
        return CalibrationFile.model_validate_json(json.dumps(raw), strict=True)
    except ValidationError as exc:
        raise to_input_error(exc, path, CalibrationFile) from None


def read_posterior(path: Path) -> dict[str, Posterior]:
    """Key -> posterior summary, from a calibration folder's parameters.csv."""
    rows = read_rows(path, PARAMETER_COLUMNS, max_rows=1000, why=" parameters")
    out: dict[str, Posterior] = {}
    for line, row in enumerate(rows, start=2):
        values = {}
        for column in ("posterior_mean", "q05", "q95", "calibrated", "prior_low", "prior_high"):
            try:
                values[column] = float(row[column])
            except ValueError:
                raise InputError(path, f"row {line}.{column}", f"{row[column]!r} is not a number", "a number") from None
            if not math.isfinite(values[column]):
                raise InputError(path, f"row {line}.{column}", "not finite", "a finite number")
        if row["key"] in out:
            raise InputError(path, f"row {line}.key", f"{row['key']} is listed twice", "each key once")
        out[row["key"]] = Posterior(
            values["posterior_mean"],
            values["q05"],
            values["q95"],
            values["calibrated"],
            (values["prior_low"], values["prior_high"]),
        )
    return out


def _unknown(keys: Sequence[str], known: set[str], path: Path, what: str) -> None:
    stray = [k for k in keys if k not in known]
    if stray:
        raise InputError(path, stray[0], f"{what} a key that is not a parameter of the table", "see docs/ODD.md")


def _prior(prior: Prior | None, calibration: CalibrationFile | None) -> str:
    if calibration is None or prior is None:
        return DASH
    lo, hi = prior.range
    return f"[{number(lo)}, {number(hi)}]: {prior.reason}"


def _posterior(
    key: str, posterior: dict[str, Posterior] | None, calibration: CalibrationFile | None, prior: Prior | None
) -> list[str]:
    if posterior is None:
        fitted = calibration is None or prior is not None
        return [NOT_CALIBRATED if fitted else DASH] * 3
    post = posterior.get(key)
    if post is None:
        return [DASH] * 3
    mark = ""
    if prior is not None and tuple(prior.range) != post.prior:
        mark = f" (fitted with the prior [{number(post.prior[0])}, {number(post.prior[1])}])"
    return [short(post.mean) + mark, f"{short(post.q05)} to {short(post.q95)}", short(post.calibrated)]


def parameter_rows(
    params: Sequence[Parameter], calibration: CalibrationFile | None, posterior: dict[str, Posterior] | None
) -> list[list[str]]:
    """One table row per parameter, the cells in the order of COLUMNS."""
    rows = []
    for p in params:
        prior = calibration.parameters.get(p.key) if calibration is not None else None
        rows.append(
            [
                f"`{p.key}`",
                p.label,
                p.meaning,
                number(p.default),
                p.unit,
                value_range(p),
                p.source,
                _prior(prior, calibration),
                *_posterior(p.key, posterior, calibration, prior),
            ]
        )
    return rows


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cell(c) for c in row) + " |" for row in rows]
    return lines


def parameters_block(
    params: Sequence[Parameter],
    calibration: CalibrationFile | None,
    calibration_path: Path,
    posterior: dict[str, Posterior] | None,
    posterior_path: Path,
) -> str:
    """The Markdown between the parameters markers."""
    counts = Counter(p.basis for p in params)
    unstated = [f"`{p.key}`" for p in params if p.basis == NOT_STATED]
    if calibration is None:
        priors = f"none ({shown(calibration_path)} absent)"
    else:
        priors = f"`{shown(calibration_path)}` (calibration `{calibration.name}`, {len(calibration.parameters)} fitted)"
    post = f"`{shown(posterior_path)}`" if posterior is not None else f"none yet ({shown(posterior_path)} absent)"
    lines = [
        "_Generated by `python -m tools.odd_table` (do not edit by hand; `python -m tools.odd_table --check`,"
        " run by tests/test_odd.py, fails when this block is out of date)._",
        "",
        "Defaults and allowed ranges: the schema (`model/config.py`, the lever modules); labels and units:"
        " `model/keys.py`; meaning and source: the key's comment in `scenarios/reference.yaml`;"
        f" priors: {priors}; posterior: {post}. Range: [a, b] closed, (a, b] open at a."
        " Prior: the calibration file's uniform range and its reason; \u2014 = not fitted."
        " Posterior: weighted mean, 5\u201395 % quantiles and the calibrated value (the weighted median);"
        " \u2014 = not fitted.",
        "",
        f"{len(params)} parameters: {counts['assumption']} with an assumption as source,"
        f" {counts['calibrated']} calibrated (by hand, before a recorded calibration),"
        f" {counts['reference']} from a reference or stylized fact,"
        f" {counts[NOT_STATED]} with no source stated in `scenarios/reference.yaml`: {', '.join(unstated)}.",
    ]
    rows = parameter_rows(params, calibration, posterior)
    for section, title in SECTION_TITLES.items():
        chosen = [r for p, r in zip(params, rows, strict=True) if p.section == section]
        if chosen:
            lines += ["", f"#### {title}", "", *_table(COLUMNS, chosen)]
    return "\n".join(lines)


def facts_block(calibration: CalibrationFile | None, calibration_path: Path) -> str:
    """The Markdown between the facts markers: every fact, its rule, source and role."""
    if calibration is None:
        fit, held = FIT_DEFAULT, HELD_OUT_DEFAULT
        whose = f"the defaults of `experiments/facts/catalogue.py` ({shown(calibration_path)} absent)"
    else:
        fit, held = calibration.fit, calibration.held_out
        whose = f"`{shown(calibration_path)}`"
    windows = sorted({f.window for f in FACTS.values()})
    role = {**{n: "fitted" for n in fit}, **{n: "held out" for n in held}}
    rows = [
        [f"`{f.name}`", f.label, f.statistic, f.observed, f.rule, f.source, role.get(f.name, "reported only")]
        for f in FACTS.values()
    ]
    lines = [
        "_Generated by `python -m tools.odd_table` from `experiments/facts/catalogue.py` (FACTS, NOT_EXPRESSIBLE)._",
        "",
        f"Window: {', '.join(windows)} (the hindcast window) for every fact. Roles: {whose}.",
        "",
        *_table(("fact", "pattern", "statistic", "observed", "met when", "source", "role"), rows),
        "",
        "Park facts of domain.md the model cannot express:",
        "",
        *[f"- {fact}: {why}." for fact, why in NOT_EXPRESSIBLE.items()],
    ]
    return "\n".join(lines)


def replace_block(text: str, name: str, body: str, doc: Path) -> str:
    start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    i, j = text.find(start), text.find(end)
    if i < 0 or j < i:
        raise InputError(doc, name, f"no {start} ... {end} markers", "the two markers, in this order")
    return text[: i + len(start)] + "\n" + body + "\n" + text[j:]


def render(
    doc_text: str,
    calibration_path: Path,
    posterior_dir: Path,
    doc: Path = DOC,
) -> str:
    """docs/ODD.md's text with both generated blocks rewritten."""
    calibration = read_calibration(calibration_path) if calibration_path.is_file() else None
    post_file = posterior_dir / PARAMETERS_FILE
    posterior = read_posterior(post_file) if post_file.is_file() else None
    params = parameters()
    known = {p.key for p in params}
    if calibration is not None:
        _unknown(list(calibration.parameters), known, calibration_path, "parameters names")
    if posterior is not None:
        _unknown(list(posterior), known, post_file, "lists")
    text = replace_block(
        doc_text, "parameters", parameters_block(params, calibration, calibration_path, posterior, post_file), doc
    )
    return replace_block(text, "facts", facts_block(calibration, calibration_path), doc)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.odd_table", description=__doc__.splitlines()[0])
    parser.add_argument("--calibration", type=Path, help=f"calibration file: the priors (default {shown(CALIBRATION)})")
    parser.add_argument("--posterior", type=Path, help=f"folder with parameters.csv (default {shown(POSTERIOR)})")
    parser.add_argument("--doc", type=Path, default=DOC, help=f"the ODD document (default {shown(DOC)})")
    parser.add_argument("--check", action="store_true", help="exit 1 if the document is out of date; write nothing")
    args = parser.parse_args(argv)
    try:
        for flag in ("calibration", "posterior"):
            given = getattr(args, flag)
            wanted = given if flag == "calibration" else (given / PARAMETERS_FILE if given else None)
            if wanted is not None and not wanted.is_file():
                raise InputError(wanted, f"--{flag}", "no such file", "an existing file")
        if not args.doc.is_file():
            raise InputError(args.doc, "--doc", "no such file", "docs/ODD.md with the generated-block markers")
        old = args.doc.read_text(encoding="utf-8")
        new = render(old, args.calibration or CALIBRATION, args.posterior or POSTERIOR, args.doc)
    except InputError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 2
    if args.check:
        if new != old:
            print(f"{shown(args.doc)} is out of date: run `python -m tools.odd_table`", file=sys.stderr)
            return 1
        print(f"{shown(args.doc)} is up to date")
        return 0
    if new != old:
        args.doc.write_text(new, encoding="utf-8")
        print(f"wrote {shown(args.doc)}")
    else:
        print(f"{shown(args.doc)} is up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())
