"""The posterior part of a `compare` or `attribute` report, for a folder run with `--posterior DIR`.

`section(p, ...)` gives the Markdown: which calibration and parameters were
drawn, how thin the ensemble is, each decision quantity with its interval
(empirical quantiles of the draws), its distinct and effective draws and its
parameter and Monte-Carlo parts apart, and each ranking with the share of
draws in which it holds and whether it is robust — or, below the effective
draws a robust ranking needs, that it is not robust-tested and why; the other
functions the words the commands' reports use in its place (`cell_words`: an
interval cell reads "95% of draws" rather than "95% CI"). The tables are read by report.posterior; the
figure of the effects draw by draw is report.figures.uncertainty, which the
commands' reports add to their figures.
"""

from __future__ import annotations

import math

from model.outcomes import COST_EFFECTIVENESS, Metric, metric
from report.markdown import image, lower_first, magnitude_text, table, with_ci
from report.posterior import QUANTITIES, PosteriorReport, marked

FIGURE = "plots/posterior_effects.png"
CELL_WORDS = {"label": "95% of draws", "same": "same in every draw"}  # an interval cell over a posterior


def cell_words(p: PosteriorReport | None) -> dict[str, str]:
    """How a table cell names its interval: "95% CI" over replications, "95% of draws" over a posterior."""
    return dict(CELL_WORDS) if p is not None else {}


def _count(value: float) -> str:
    """A count of draws (whole) or an effective size (one decimal below 10, as the ensemble's mark prints it)."""
    if not math.isfinite(value):
        return "–"
    return f"{value:.1f}" if value < 10 else f"{value:,.0f}"


def thin_words(p: PosteriorReport) -> str:
    """The warning a report over a thin ensemble gives (empty for one that is not thin)."""
    e = p.ensemble
    if not e.thin:
        return ""
    return (
        f"**Thin ensemble**: the posterior's effective size is {_count(e.effective_size)} of {e.particles:,} "
        f"particles ({e.distinct_sets:,} distinct parameter sets), below the {e.thin_below:,.0f} a usable "
        "posterior needs (DESIGN §7); it was used because `--allow-thin` was given. The intervals describe this "
        "ensemble; a posterior with more effective draws may give other ones."
    )


def interval_words(p: PosteriorReport, *, thin: bool = True) -> str:
    """What every interval of the report is, said once where the Monte-Carlo wording would be (`thin`: with the
    thin-ensemble warning, for the report's first paragraph)."""
    e = p.ensemble
    words = (
        f"Each value is the mean over {p.draws} parameter sets drawn from the calibration's posterior "
        f"({p.replications} replications each, common random numbers inside a draw); each interval (“95% of "
        "draws”) runs from the 2.5% to the 97.5% empirical quantile of the draws' effects, each draw's effect "
        "being its mean over its replications (with fewer than 20 draws: from the smallest to the largest), "
        "inside the bounds of the metric; it is no normal approximation, and it includes parameter uncertainty. "
        f"The {p.draws} draws are {e.distinct_draws} distinct parameter sets, worth {_count(e.effective_draws)} "
        "effective draws; the Monte-Carlo and parameter parts are apart in the section on parameter uncertainty."
    )
    warning = thin_words(p) if thin else ""
    return f"{words} {warning}" if warning else words


MEANING_POSTERIOR = (
    "The intervals include the uncertainty of the calibrated parameters (as far as the posterior describes it) "
    "and Monte-Carlo noise; not that of the parameters the calibration kept fixed, nor of the data."
)


def decision_words(p: PosteriorReport, difference: str) -> str:
    """The decision table's note on what its changes and intervals are."""
    return (
        f"Changes are paired within each draw ({difference} on the same seeds). {interval_words(p, thin=False)} "
        "An interval "
        "that includes 0 leaves the sign open. The marginal fiscal cost per extra north-park job"
        " is the ratio of the mean changes; "
        "its interval (the quantiles of the draws' ratios) exists only when the change in north-park jobs is told "
        "from 0 across the posterior."
    )


def seed_words(p: PosteriorReport, seed: int | None) -> str:
    master = f"{seed}" if seed is not None else "the master seed"
    return (
        f"replication r of draw k on `SeedSequence({master}).spawn({p.draws})[k].spawn({p.replications})[r]`: "
        "the same seeds for every scenario of a draw, fresh ones for each draw"
    )


def _parameters(p: PosteriorReport) -> list[str]:
    rows = [
        [
            param.label,
            f"`{param.key}`",
            param.unit or "–",
            f"{param.calibrated:.4g}",
            f"{param.low:.4g} to {param.high:.4g}",
        ]
        for param in p.parameters
    ]
    return table(["Parameter", "Key", "Unit", "Calibrated", "Range of the draws"], rows, "lllrr")


def _effects(p: PosteriorReport, group_word: str, labels: dict[str, str]) -> list[str]:
    rows = []
    for g in p.groups:
        for q in QUANTITIES:
            if (g, q) not in p.effects:
                continue
            e, m = p.effect(g, q), metric(q)
            change = q != COST_EFFECTIVENESS
            cells = [
                labels.get(g, f"`{g}`"),
                m.label,
                with_ci(m, e.value.mean, e.value.low, e.value.high, change=change, **CELL_WORDS),
                f"{e.distinct_draws:,.0f}" if math.isfinite(e.distinct_draws) else "–",
                _count(e.effective_draws),
            ]
            cells += [_size(m, e.sd_monte_carlo), _size(m, e.sd_parameter), _share(e.share_above_zero)]
            rows.append(cells)
    headers = [
        group_word,
        "Quantity",
        "Mean (2.5–97.5% of the draws)",
        "Distinct draws",
        "Effective draws",
        "Monte-Carlo part (SD)",
        "Parameter part (SD)",
        "Draws > 0",
    ]
    return table(headers, rows, "llrrrrrr")


def _size(m: Metric, value: float) -> str:
    return magnitude_text(m, value) if math.isfinite(value) else "–"


def _share(value: float) -> str:
    return f"{100 * value:.0f}%" if math.isfinite(value) else "–"


def _ranking_lines(p: PosteriorReport, labels: dict[str, str], group_word: str) -> list[str]:
    lines = []
    e = p.ensemble
    for r in p.rankings:
        m = metric(r.quantity)
        way = "the lower the better" if r.better == "lower" else "the higher the better"
        name = lambda g: labels.get(g, f"`{g}`")  # noqa: E731
        if len(r.order) < 2:
            lines.append(f"- **{m.label}** ({way}): only one {group_word.lower()}, nothing to rank.")
            continue
        if r.robust is None:
            verdict = (
                f"**not robust-tested**: {_count(e.effective_draws)} effective draws, fewer than the "
                f"{e.min_ranking_draws:,.0f} a robust ranking needs"
            )
        else:
            verdict = "**robust**" if r.robust else "**not robust**"
        lines.append(
            f"- **{m.label}** ({way}): {' > '.join(name(g) for g in r.order)} (the order of the posterior means) "
            f"holds in {_share(r.share)} of the draws: {verdict}."
        )
        for pair in r.pairs:
            lines.append(
                f"  - {name(pair.a)} ahead of {name(pair.b)} in {_share(pair.a_beats_b)} of the draws, behind in "
                f"{_share(pair.b_beats_a)}."
            )
    return lines


def _ranking_head(p: PosteriorReport) -> list[str]:
    """The rankings' heading and what robust means here, or why no ranking is tested."""
    e, robust = p.ensemble, _share(p.robust_share)
    head = marked(f"### Rankings across the posterior (robust: the same order in at least {robust} of the draws)", p)
    if e.effective_draws >= e.min_ranking_draws:
        return [head, ""]
    return [
        head,
        "",
        f"No ranking is robust-tested here: the {p.draws} draws are {e.distinct_draws} distinct parameter sets worth "
        f"{_count(e.effective_draws)} effective draws, and a ranking is tested only over at least "
        f"{e.min_ranking_draws:,.0f} (fewer repeat a few parameter sets, so an order that holds in every draw may "
        "hold only for those). More draws (`--draws`) help only up to the posterior's own effective size "
        f"({_count(e.effective_size)}).",
        "",
    ]


def section(p: PosteriorReport, group_word: str, ran: str, labels: dict[str, str] | None = None) -> list[str]:
    """The Markdown section; `group_word` is Scenario or Lever, `ran` what ran in each draw (every scenario, every
    subset of the levers), `labels` the groups' words (default: the name in code)."""
    labels = labels or {}
    short_fp = p.fingerprint.removeprefix("sha256:")[:12]
    thin = thin_words(p)
    return [
        marked(f"## Parameter uncertainty: {p.draws} draws from the posterior", p),
        "",
        f"{ran[:1].upper()}{ran[1:]} was run in each of {p.draws} parameter sets drawn from the posterior of "
        f"the calibration in `{p.calibration}` (fingerprint `{short_fp}…`; systematic resampling on the particle "
        f"weights), {p.replications} replications per draw on common random numbers inside the draw and fresh seeds "
        f"for each draw. The posterior: {p.ensemble.particles:,} particles, effective size "
        f"{_count(p.ensemble.effective_size)}; the draws: {p.ensemble.distinct_draws} distinct parameter sets, "
        f"{_count(p.ensemble.effective_draws)} effective draws. The parameters drawn:",
        "",
        *([thin, ""] if thin else []),
        *_parameters(p),
        "",
        *_effects(p, group_word, labels),
        "",
        "*Mean (2.5–97.5% of the draws)*: the mean of the draws' effects, and the interval from the 2.5% to the "
        "97.5% empirical quantile of them. *Distinct draws*: the parameter sets among the draws (systematic "
        "resampling repeats a heavy particle); *effective draws*: (Σw)²/Σw² over them. *Monte-Carlo part*: the "
        "noise of one draw's mean (within-draw SD ÷ √R, averaged over the draws as a variance); more replications "
        "shrink it. *Parameter part*: the standard deviation of the draws' effects with the Monte-Carlo noise taken "
        "out (law of total variance: the variance of the draw means less the mean Monte-Carlo variance of a draw "
        "mean, floored at 0); only a tighter posterior shrinks it. *Draws > 0*: share of draws in which the effect "
        f"is positive. Interval: {p.interval}.",
        "",
        "Files: `posterior_effects.csv` (every effect over the posterior, its interval, distinct and effective "
        "draws, its parameter and Monte-Carlo parts), `posterior_draws.csv` (each effect per draw), `ranking.csv` "
        "(per ranking and pair, the share of draws in which each is ahead), `ranking_orders.csv` (every order seen "
        "and its share), `draws.csv` (the parameter values of each draw), `posterior.json`; the seeds of every draw "
        "are in `manifest.json`. The tables' last column, `ensemble`, says how thin the ensemble is.",
        "",
        *_ranking_head(p),
        "`A > B` reads: A ranks ahead of B.",
        "",
        *_ranking_lines(p, labels, group_word),
        "",
        "Each draw's order uses its own means over its replications, so Monte-Carlo noise can also reorder two close "
        "effects; a marginal fiscal cost per extra north-park job"
        " in a draw without a positive change in north-park jobs ranks last.",
        "",
        *image(
            FIGURE,
            marked("Effects draw by draw", p),
            "Per quantity and " + lower_first(group_word) + ": each dot is one posterior draw's mean effect with "
            "its Monte-Carlo bar (± one standard error of that mean, within-draw SD ÷ √R); the black diamond is the "
            "posterior mean and the black bar the interval, from the 2.5% to the 97.5% quantile of the draws. The "
            "vertical line marks no change.",
        ),
    ]
