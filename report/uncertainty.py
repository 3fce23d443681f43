"""The posterior part of a `compare` or `attribute` report, for a folder run with `--posterior DIR`.

`section(p, ...)` gives the Markdown: which calibration and parameters were
drawn, each decision quantity with its interval and its parameter and
Monte-Carlo parts apart, and each ranking with the share of draws in which it
holds and whether it is robust; the other functions the words the commands'
reports use in its place. The tables are read by report.posterior; the
figure of the effects draw by draw is report.figures.uncertainty, which the
commands' reports add to their figures.
"""

from __future__ import annotations

import math

from model.outcomes import COST_EFFECTIVENESS, Metric, metric
from report.markdown import image, lower_first, magnitude_text, table, with_ci
from report.posterior import QUANTITIES, PosteriorReport

FIGURE = "plots/posterior_effects.png"


def interval_words(p: PosteriorReport) -> str:
    """What every interval of the report is, said once where the Monte-Carlo wording would be."""
    return (
        f"Each value is the mean over {p.draws} parameter sets drawn from the calibration's posterior "
        f"({p.replications} replications each, common random numbers inside a draw), and each interval a 95% "
        "prediction interval that includes parameter uncertainty (its parameter and Monte-Carlo parts are apart in "
        "the section on parameter uncertainty)."
    )


MEANING_POSTERIOR = (
    "The intervals include the uncertainty of the calibrated parameters (as far as the posterior describes it) "
    "and Monte-Carlo noise; not that of the parameters the calibration kept fixed, nor of the data."
)


def decision_words(p: PosteriorReport, difference: str) -> str:
    """The decision table's note on what its changes and intervals are."""
    return (
        f"Changes are paired within each draw ({difference} on the same seeds). {interval_words(p)} An interval "
        "that includes 0 leaves the sign open. The yuan per additional north job is the ratio of the mean changes; "
        "its interval exists only when the change in north-park jobs is told from 0 across the posterior."
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
                with_ci(m, e.value.mean, e.value.low, e.value.high, change=change),
            ]
            cells += [_size(m, e.sd_parameter), _size(m, e.sd_monte_carlo), _share(e.share_above_zero)]
            rows.append(cells)
    headers = [
        group_word,
        "Quantity",
        "Mean (95% interval)",
        "Parameter part (SD)",
        "Monte-Carlo part (SD)",
        "Draws > 0",
    ]
    return table(headers, rows, "llrrrr")


def _size(m: Metric, value: float) -> str:
    return magnitude_text(m, value) if math.isfinite(value) else "–"


def _share(value: float) -> str:
    return f"{100 * value:.0f}%" if math.isfinite(value) else "–"


def _ranking_lines(p: PosteriorReport, labels: dict[str, str], group_word: str) -> list[str]:
    lines = []
    for r in p.rankings:
        m = metric(r.quantity)
        way = "the lower the better" if r.better == "lower" else "the higher the better"
        name = lambda g: labels.get(g, f"`{g}`")  # noqa: E731
        if len(r.order) < 2:
            lines.append(f"- **{m.label}** ({way}): only one {group_word.lower()}, nothing to rank.")
            continue
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


def section(p: PosteriorReport, group_word: str, ran: str, labels: dict[str, str] | None = None) -> list[str]:
    """The Markdown section; `group_word` is Scenario or Lever, `ran` what ran in each draw (every scenario, every
    subset of the levers), `labels` the groups' words (default: the name in code)."""
    labels = labels or {}
    short_fp = p.fingerprint.removeprefix("sha256:")[:12]
    robust = _share(p.robust_share)
    return [
        f"## Parameter uncertainty: {p.draws} draws from the posterior",
        "",
        f"{ran[:1].upper()}{ran[1:]} was run in each of {p.draws} parameter sets drawn from the posterior of "
        f"the calibration in `{p.calibration}` (fingerprint `{short_fp}…`; systematic resampling on the particle "
        f"weights), {p.replications} replications per draw on common random numbers inside the draw and fresh seeds "
        "for each draw. The parameters drawn:",
        "",
        *_parameters(p),
        "",
        *_effects(p, group_word, labels),
        "",
        "*Parameter part*: the standard deviation of the effect across the posterior with the Monte-Carlo noise "
        "taken out (law of total variance: the variance of the draw means less the mean Monte-Carlo variance of a "
        "draw mean, floored at 0). *Monte-Carlo part*: the noise of one draw's mean (within-draw SD ÷ √R); more "
        "replications shrink it, only a tighter posterior shrinks the parameter part. *Draws > 0*: share of draws in "
        f"which the effect is positive. Interval (labelled 95% CI in the tables): {p.interval}.",
        "",
        "Files: `posterior_effects.csv` (every effect over the posterior, its parameter and Monte-Carlo parts), "
        "`posterior_draws.csv` (each effect per draw), `ranking.csv` (per ranking and pair, the share of draws in "
        "which each is ahead), `ranking_orders.csv` (every order seen and its share), `draws.csv` (the parameter "
        "values of each draw), `posterior.json`; the seeds of every draw are in `manifest.json`.",
        "",
        f"### Rankings across the posterior (robust: the same order in at least {robust} of the draws)",
        "",
        "`A > B` reads: A ranks ahead of B.",
        "",
        *_ranking_lines(p, labels, group_word),
        "",
        "Each draw's order uses its own means over its replications, so Monte-Carlo noise can also reorder two close "
        "effects; a yuan per additional north job in a draw without a positive change in north-park jobs ranks last.",
        "",
        *image(
            FIGURE,
            "Effects draw by draw",
            "Per quantity and " + lower_first(group_word) + ": each dot is one posterior draw's mean effect with "
            "its Monte-Carlo 95% bar (±1.96 × within-draw SD ÷ √R); the black diamond is the posterior mean, the "
            "thick bar ±1.96 × the parameter part and the thin bar the 95% interval. The vertical line marks no "
            "change.",
        ),
    ]
