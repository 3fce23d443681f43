"""The recovery check's files: four CSVs (deterministic) and a Markdown summary (with the time).

The CSVs hold nothing that --workers changes: a batch of evaluations may run a
few parameter sets pyabc does not use (experiments.calibrate.abc), so the
number of model runs, like the time, is only in recovery.md.
"""

from __future__ import annotations

import csv
import io
import math
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import astuple, fields
from pathlib import Path
from typing import Any

from benchmarks.calibration_recovery import Recovery
from benchmarks.calibration_recovery.draw import PLACEBO
from benchmarks.calibration_recovery.summary import (
    COVERAGE_ALPHA,
    IDENTIFIED_SHRINKAGE,
    LEVEL,
    NOT_IDENTIFIED_SHRINKAGE,
    Marginal,
    Row,
)
from experiments.engine.capabilities import THIN_ESS

RECOVERY_COLUMNS = tuple(f.name for f in fields(Row))
DRAW_COLUMNS = tuple(f.name for f in fields(Marginal))
POSTERIOR_COLUMNS = ("draw", "generations", "simulations", "final_epsilon", "effective_size", "distinct_sets")
TARGET_COLUMNS = ("draw", "fact", "value", "cities")
FILES = ("recovery.csv", "draws.csv", "posteriors.csv", "targets.csv", "recovery.md")


def _cell(x: Any) -> str:
    if x is None:
        return ""
    if isinstance(x, bool):
        return str(x).lower()
    if isinstance(x, float):
        return repr(x) if math.isfinite(x) else ""
    return str(x)


def _csv(columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    buf = io.StringIO()
    out = csv.writer(buf, lineterminator="\n")
    out.writerow(columns)
    out.writerows([_cell(x) for x in row] for row in rows)
    return buf.getvalue()


def tables(rec: Recovery) -> dict[str, str]:
    """Every CSV's text, by file name."""
    posteriors = [(r.index, r.generations, r.simulations, r.epsilon, r.effective_size, r.distinct) for r in rec.results]
    targets = [(r.index, t.fact, t.value, " ".join(t.cities or ())) for r in rec.results for t in r.targets.values()]
    return {
        "recovery.csv": _csv(RECOVERY_COLUMNS, (astuple(row) for row in rec.rows)),
        "draws.csv": _csv(DRAW_COLUMNS, (astuple(m) for m in rec.marginals)),
        "posteriors.csv": _csv(POSTERIOR_COLUMNS, posteriors),
        "targets.csv": _csv(TARGET_COLUMNS, targets),
    }


def table(rows: Sequence[Row]) -> list[str]:
    """The per-parameter table, Markdown."""
    out = [
        f"| parameter | prior | {LEVEL:.0%} interval covers θ* | shrinkage, median [quartiles] | above placebo"
        " | verdict | r(θ*, mean) | error ÷ prior sd |",
        "|---|---|---|---|---|---|---:|---:|",
    ]
    for r in rows:
        cover = f"{r.covered} of {r.draws} ({r.coverage:.2f} ± {r.coverage_se:.2f}; p {r.coverage_p:.2g})"
        shrink = f"{r.shrinkage_median:.2f} [{r.shrinkage_q25:.2f}, {r.shrinkage_q75:.2f}]"
        name = f"{r.parameter} (read by no scenario)" if r.parameter == PLACEBO else r.parameter
        above = "" if r.above_placebo is None else f"{r.above_placebo} of {r.draws} (p {r.placebo_p:.2g})"
        prior = f"[{r.prior_low:g}, {r.prior_high:g}]"
        corr = "" if math.isnan(r.recovery_corr) else f"{r.recovery_corr:+.2f}"
        out.append(f"| {name} | {prior} | {cover} | {shrink} | {above} | {r.verdict} | {corr} | {r.error_ratio:.2f} |")
    return out


def ess_line(rec: Recovery) -> str:
    ess = [r.effective_size for r in rec.results]
    particles = rec.budget.population
    gens = sorted({r.generations for r in rec.results})
    sims = [r.simulations for r in rec.results]
    thin = sum(e < THIN_ESS for e in ess)
    return (
        f"Posterior effective sample size (Σw)²/Σw²: median {statistics.median(ess):.1f} "
        f"(min {min(ess):.1f}, max {max(ess):.1f}) of {particles} particles, {thin} of {len(ess)} thin (below "
        f"{THIN_ESS}); generations "
        f"{'/'.join(map(str, gens))}; evaluated parameter sets per draw median {statistics.median(sims):.0f}"
    )


def draws_line(rec: Recovery) -> str:
    """How many draws, how long, and whether the time limit stopped the check or draws were read back."""
    n = len(rec.results)
    text = f"{n} of {rec.requested} draws in {rec.seconds / 60:.1f} min"
    if n < rec.requested:
        text += " (stopped by --time-limit: rerun with --resume to add the rest)"
    if rec.resumed:
        computed = math.fsum(r.seconds for r in rec.results if math.isfinite(r.seconds)) / 60
        text += f", {rec.resumed} read back from an earlier run (computing all {n} took {computed:.1f} min)"
    return text


def markdown(rec: Recovery, command: str) -> str:
    p, b = rec.problem, rec.budget
    cal = p.loaded.calibration
    firms = p.loaded.scenario({}, "defaults").firms.count
    n = len(rec.results)
    nominal = math.sqrt(LEVEL * (1 - LEVEL) / n) * n if n else math.nan
    lines = [
        f"# Calibration recovery: {cal.name}",
        "",
        f"`{command}`",
        "",
        f"{n} parameter sets θ* drawn from the priors of `{p.loaded.path.name}` (seed {rec.seed}); each one's fitted "
        f"facts ({', '.join(p.fit)}) simulated on {p.replications} fresh seeds and made the observed facts, then "
        f"calibrated by pyabc ABC-SMC with {b.population} particles, at most {b.generations} generations and "
        f"{b.max_simulations} evaluated parameter sets, {p.replications} runs of {firms:,} firms per set on its own "
        f"seeds, epsilon quantile {cal.abc.epsilon_quantile}, distance {cal.abc.distance} "
        f"(the file's own fit: {cal.abc.population} particles, {cal.abc.generations} generations, "
        f"{cal.abc.max_simulations} sets, seeds {cal.seeds}).",
        "",
        *table(rec.rows),
        "",
        ess_line(rec) + ".",
        "",
        f"A correct {LEVEL:.0%} interval covers θ* in {LEVEL * n:.0f} ± {nominal:.1f} of {n} draws (binomial "
        f"standard error); p is the exact two-sided binomial test of {LEVEL:.0%}. Shrinkage = 1 − posterior "
        "variance ÷ prior variance. Verdict: identified = median shrinkage ≥ "
        f"{IDENTIFIED_SHRINKAGE} and p ≥ {COVERAGE_ALPHA}; not identified = median shrinkage < "
        f"{NOT_IDENTIFIED_SHRINKAGE} or (with --placebo) shrinking more than the placebo in no more draws than "
        f"chance gives (one-sided sign test p ≥ {COVERAGE_ALPHA}); else weakly identified. The verdicts are "
        "those of posteriors at this budget, not of the shipped calibration's. "
        "r(θ*, mean) and error ÷ prior sd read the posterior means (1: no better than the prior's mean; √2: a "
        "guess from the prior); a thin posterior's spread is mostly chance, its mean less so.",
        "",
        f"{draws_line(rec)}, {sum(r.runs for r in rec.results):,} model runs, with {b.workers} worker(s).",
        "",
    ]
    return "\n".join(lines)


def write(rec: Recovery, folder: Path, command: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in tables(rec).items():
        (folder / name).write_text(text, encoding="utf-8")
    (folder / "recovery.md").write_text(markdown(rec, command), encoding="utf-8")
