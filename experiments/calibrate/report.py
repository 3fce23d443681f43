"""The report of a `calibrate` folder: report.md, the figures and the terminal summary, from its tables.

report.md says what was fitted (facts, sources, window), the priors and why,
the posterior (mean, sd, 5–95 %, the calibrated point, the default), the fit
of every fact (the posterior predictive value and interval, the share of
draws meeting the rule, and the same for the calibrated point, the defaults,
the null model, the gravity yardstick and random picks), whether each fact
counts as evidence, the held-out checks, convergence, the budget and the
command that reproduces it. The headline counts the facts that count as
evidence (DESIGN §7, experiments.facts.yardsticks.evidence): met by the
posterior predictive runs and by neither the null model nor the gravity
yardstick; a fact a yardstick also meets is met, but no evidence.
Everything is read from the folder's tables (experiments.calibrate.read); drawing
twice gives the same bytes. `CalibrateReport` is the command's report
(experiments.engine.report).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from experiments.calibrate import figures
from experiments.calibrate.ensemble import THIN_ESS, ensemble_words, seeds_words
from experiments.calibrate.figures import PAIRWISE_MAX
from experiments.calibrate.fit_table import count, fact_words, fit_table, summary_line
from experiments.calibrate.read import Calibration, read_calibration
from experiments.engine.report import Report
from experiments.facts.catalogue import NOT_EXPRESSIBLE
from experiments.facts.gravity import FittedGravity
from report.markdown import document, image, table

if TYPE_CHECKING:
    from matplotlib.figure import Figure

LOW_ESS = 0.25  # an effective size below this share of the population is said to be poor


def _num(value: float) -> str:
    return "–" if not math.isfinite(value) else f"{value:.4g}"


def _intro(c: Calibration) -> list[str]:
    s, fin, post = c.settings, c.final, c.posterior
    fitted = c.role("fit")
    window = ", ".join(sorted({f.window for f in fitted}))
    lines = [
        f"{len(c.parameters)} behaviour parameter(s) of `{s.base}` fitted by ABC-SMC (pyabc) to {len(fitted)} "
        f"fact(s) of {window}, {seeds_words(c)}. Posterior: {ensemble_words(c)}, after {len(c.trace)} "
        f"generation(s) and {fin.simulations:,} model evaluations; final epsilon {fin.epsilon:.4g} "
        + (
            "(on pyabc's adaptively rescaled distance).",
            f"(a weighted sum of the fitted facts' distances, each 0 to 1: at most {c.max_distance:g}).",
        )[s.distance != "adaptive"],
        "",
        f"- **Fitted facts: {count(fitted)}.**",
    ]
    if c.gravity is None:
        lines.append(
            "- **No gravity yardstick in this folder (written before it existed): evidence is judged against the "
            "null model only.**"
        )
    if c.role("held_out"):
        lines.append(f"- **Held-out facts (never used in fitting): {count(c.role('held_out'))}.**")
    if post.effective_size < THIN_ESS:
        lines.append(
            f"- **The posterior is thin: {post.effective_size:.1f} effective draws, below {THIN_ESS}** "
            f"({post.distinct_sets} distinct parameter sets); `compare --posterior` refuses it without --allow-thin."
        )
    if post.effective_size < LOW_ESS * len(post.weights):
        lines.append(
            f"- **The final population is poor: its effective size ({post.effective_size:.0f}) is below "
            f"{LOW_ESS:.0%} of its {len(post.weights)} particles.**"
        )
    if fin.simulations >= s.max_simulations and len(c.trace) < s.max_generations:
        lines.append(
            f"- **The fit stopped on the simulation budget ({s.max_simulations:,}) after {len(c.trace)} of "
            f"{s.max_generations} generations, not because it converged.**"
        )
    return lines


def _fitted(c: Calibration) -> list[str]:
    rows = [
        [f.label, f.observed, f.rule, f.source, f.window, f"{c.settings.weights.get(f.name, 1.0):g}"]
        for f in c.role("fit")
    ]
    return [
        "## What was fitted",
        "",
        *table(["Fact", "Observed", "Rule", "Source", "Window", "Weight"], rows, "lllllr"),
        "",
        "The distance of a parameter set is Σ weight × the fact's distance (0 = the fact holds as well as it can, "
        "1 = as badly), measured on the same seeds for every parameter set.",
        "",
    ]


def _priors(c: Calibration) -> list[str]:
    rows = [
        [p.title, f"`{p.key}`", p.unit or "–", f"{p.prior_low:g} to {p.prior_high:g}", _num(p.default), p.reason]
        for p in c.parameters
    ]
    return [
        "## Priors",
        "",
        *table(["Parameter", "Key", "Unit", "Prior (uniform)", "Default", "Reason"], rows, "lllrrl"),
        "",
    ]


def _posterior(c: Calibration) -> list[str]:
    rows = [
        [
            p.title,
            *(_num(v) for v in (p.posterior_mean, p.posterior_sd)),
            f"{_num(p.q05)} to {_num(p.q95)}",
            _num(p.calibrated),
            _num(p.default),
            f"{p.shrinkage:.0%}",
        ]
        for p in c.parameters
    ]
    weak = [p.title for p in c.parameters if p.shrinkage < 0.2]
    lines = [
        "## Posterior",
        "",
        *table(["Parameter", "Mean", "SD", "5–95%", "Calibrated", "Default", "Shrinkage"], rows),
        "",
        "Weighted over the final population. Calibrated = the final population's particle nearest the weighted "
        "marginal medians (in posterior sd units) among those with every parameter inside its 5–95% interval: "
        "one parameter set the fit ran, not a patchwork of medians; "
        "the values in `calibrated.yaml`. Shrinkage = 1 − posterior sd ÷ prior sd.",
        "",
    ]
    if weak:
        lines += [f"The facts barely constrain (shrinkage under 20%): {', '.join(weak)}.", ""]
    return lines


def _facts_section(c: Calibration, role: str, heading: str, intro: str) -> list[str]:
    facts = c.role(role)
    if not facts:
        return []
    return [f"## {heading}", "", intro, "", *fit_table(facts, c.gravity), *(fact_words(f) for f in facts), ""]


def _not_expressible() -> list[str]:
    lines = ["Park facts of domain.md the model cannot express, and why:", ""]
    return lines + [f"- {fact}: {why}." for fact, why in NOT_EXPRESSIBLE.items()] + [""]


def _convergence(c: Calibration) -> list[str]:
    rows = [
        [
            str(s.generation),
            f"{s.epsilon:.4g}",
            str(s.particles),
            f"{s.simulations:,}",
            f"{s.acceptance_rate:.1%}",
            f"{s.effective_size:.0f}",
        ]
        for s in c.trace
    ]
    headers = ["Generation", "Epsilon", "Particles", "Evaluations (cumulative)", "Acceptance rate", "Effective size"]
    return ["## Convergence", "", *table(headers, rows), ""]


def _budget(c: Calibration) -> list[str]:
    s = c.settings
    firms = f"{s.firms:,} firms" if s.firms is not None else "the base scenario's firms (`firms.count`)"
    runs = c.final.simulations * s.replications
    pred = (s.predictive_draws + 4) * s.predictive_replications
    return [
        "## Budget",
        "",
        f"- ABC-SMC: {s.population} particles per generation, at most {s.max_generations} generations and "
        f"{s.max_simulations:,} evaluations, epsilon = the {s.epsilon_quantile:g} quantile of the last "
        f"generation's distances, stop below {s.min_epsilon:g}.",
        f"- One evaluation = {s.replications} run(s) of {firms} over the fit window on the same seeds for every "
        f"parameter set. Used: {c.final.simulations:,} evaluations = {runs:,} runs in {len(c.trace)} generation(s).",
        f"- Predictive check: {s.predictive_draws} posterior draws × {s.predictive_replications} fresh seed(s), and "
        f"the calibrated point, the defaults, the null model and the gravity yardstick on the same seeds: "
        f"{pred:,} runs.",
        _gravity_budget(c),
        "- Wall time, workers and versions are in `manifest.json`.",
        "",
    ]


def _gravity_budget(c: Calibration) -> str:
    g, s = c.gravity, c.settings
    if g is None:
        return "- Gravity yardstick: not run (a folder written before it existed)."
    return (
        f"- Gravity yardstick (P(j) ∝ GDP^a · km^b, the point estimate's push): a and b fitted to the fitted facts "
        f"with their weights on a grid of {g.points} points × {s.replications} run(s) on the fit seeds "
        f"(`gravity.csv`, experiments/facts/gravity.py): a = {g.a:g}, b = {g.b:g}, distance {g.distance:.4g}"
        f"{ties(g)}; its facts then on the predictive check's seeds with the others."
    )


def ties(g: FittedGravity) -> str:
    if g.tied <= 1:
        return ""
    return (
        f" ({g.tied} of the {g.points} points share it: the fitted facts do not tell them apart, and the first in "
        "grid order is taken)"
    )


def _reproduce(c: Calibration) -> list[str]:
    s = c.settings
    flags = [f"--replications {s.replications}"]
    if s.seed is not None:
        flags.insert(0, f"--seed {s.seed}")
    if s.firms is not None:
        flags.append(f"--firms {s.firms}")
    return [
        "## Reproduce",
        "",
        "```",
        f"{c.command} {' '.join(flags)} --workers 2",
        "```",
        "",
        "Any number of workers gives the same files. `calibrated.yaml` is a scenario that extends the base with "
        "the calibrated values: run it as any other (`python run.py calibrated.yaml`, from this folder).",
        "",
    ]


FIGURES = (
    ("marginals", "Posterior marginals", "Per parameter: the weighted posterior over the flat prior band; solid "
     "line the calibrated value, dashed the default."),
    ("pairwise", "Posterior pairs", "The final population two parameters at a time (weight as opacity and size), "
     "histograms on the diagonal: a ridge means two parameters trade off against each other."),
    ("fit", "Fit per fact", "Per fact, fitted then held out: the posterior predictive interval and mean, the "
     "calibrated point, the defaults, the null model and random picks; green the values where the rule holds."),
    ("convergence", "Convergence", "Epsilon and acceptance rate per generation, and each parameter's weighted "
     "mean ± sd per generation."),
)  # fmt: skip


def _figures(c: Calibration) -> list[str]:
    lines = ["## Figures", ""]
    for stem, alt, caption in FIGURES:
        lines += image(f"plots/{stem}.png", alt, caption)
    if len(c.parameters) > PAIRWISE_MAX:
        lines += [f"The pairwise figure shows the {PAIRWISE_MAX} parameters with the largest shrinkage.", ""]
    return lines


def _meaning() -> list[str]:
    return [
        "## What the numbers do and do not mean",
        "",
        "- The posterior depends on the priors, the facts chosen, their distances and weights, and the budget; "
        "it is an ABC approximation, not the exact posterior.",
        "- Predictive intervals include both the parameter uncertainty (the draws) and the Monte-Carlo noise (the "
        "fresh seeds); the others' intervals are Monte-Carlo noise only.",
        "- A fact the null model (every choice coefficient 0, every nest λ 1) also reproduces follows from the "
        "model's structure and data, not from the fitted choice rule: it is no evidence for it. A fact the gravity "
        "yardstick (destinations weighted by GDP^a · km^b alone, a and b fitted to the same facts) also reproduces "
        "needs nothing of the choice rule but size and distance: no evidence for the rest of it either.",
        "- The calibrated model is for comparing policies on common random numbers; it is not a forecast.",
        "- Files: `posterior.csv`, `populations.csv`, `trace.csv`, `parameters.csv`, `fit.csv`, `predictive.csv`, "
        "`gravity.csv`, `calibrated.yaml`, `calibration.resolved.yaml`, `abc.db` (pyabc's history).",
        "",
    ]


def markdown(c: Calibration) -> str:
    sections = [
        _intro(c),
        _fitted(c),
        _priors(c),
        _posterior(c),
        _facts_section(c, "fit", "Fit", "The fitted facts, on the posterior predictive check's fresh seeds."),
        _facts_section(
            c,
            "held_out",
            "Held-out checks",
            "Facts never used in fitting: how well the calibrated model reproduces what it was not fitted to.",
        ),
        _not_expressible() if c.role("held_out") else [],
        _facts_section(c, "other", "Other facts", "Neither fitted nor held out; shown for completeness."),
        _convergence(c),
        _budget(c),
        _reproduce(c),
        _figures(c),
        _meaning(),
    ]
    return document(f"Calibration `{c.settings.name}`", *sections)


def _manifest(folder: Path) -> dict[str, Any]:
    try:
        doc = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    cal = doc.get("calibration") if isinstance(doc, dict) else None
    return cal if isinstance(cal, dict) else {}


class CalibrateReport(Report[Calibration]):
    """report.md and plots/*.png of a calibration folder, and the terminal summary."""

    document = "report.md"
    scope_window = "hindcast"  # the facts it fits are over the years of the article's lists

    def read(self, folder: Path) -> Calibration:
        return read_calibration(folder)

    def figures(self, data: Calibration) -> Iterator[tuple[str, Figure]]:
        return figures.figures(data)

    def markdown(self, data: Calibration, figures: Sequence[Path]) -> str:
        return markdown(data)

    def summary(self, folder: Path) -> list[str]:
        """The terminal lines: posterior size, budget used, final epsilon, every fitted and held-out fact."""
        c = read_calibration(folder)
        fin = c.final
        firms = _manifest(folder).get("firms")
        runs = f" of {firms:,} firms" if isinstance(firms, int) else ""
        lines = [
            f"calibrate: {c.settings.name} -> {folder}",
            f"  posterior: {ensemble_words(c)}; "
            f"{fin.simulations:,} simulations{runs} in {len(c.trace)} generation(s); final epsilon {fin.epsilon:.4g} "
            f"(at most {c.max_distance:g})",
        ]
        facts = [f for role in ("fit", "held_out") for f in c.role(role)]
        width = max(len(f.label) for f in facts)
        for role, words in (("fit", "fitted"), ("held_out", "held out")):
            if c.role(role):
                lines.append(f"  {words} ({count(c.role(role))}):")
                lines += [summary_line(f, width) for f in c.role(role)]
        lines.append(f"  calibrated scenario: {folder / 'calibrated.yaml'}")
        return lines
