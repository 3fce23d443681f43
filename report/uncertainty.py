"""The posterior part of a `compare` or `attribute` report, for a folder run with `--posterior DIR`.

`read_posterior(folder, group_column)` reads posterior.json, draws.csv,
posterior_effects.csv, ranking.csv and ranking_orders.csv (None for a folder
run without --posterior); `section(p, ...)` gives the Markdown: which
calibration and parameters were drawn, each decision quantity with its
interval and its parameter and Monte-Carlo parts apart, and each ranking with
the share of draws in which it holds and whether it is robust; `draw(p, out)`
the figure of the effects draw by draw (report.figures.uncertainty).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

from model.errors import InputError
from model.keys import describe
from model.outcomes import COST_EFFECTIVENESS, DECISION, Metric, metric
from report.markdown import image, lower_first, magnitude_text, table, with_ci
from report.read import Estimate, in_order, read_table

QUANTITIES = (*DECISION, COST_EFFECTIVENESS)
EFFECT_NEEDED = ("metric", "mean", "ci_low", "ci_high", "sd_parameter", "sd_monte_carlo", "share_above_zero")
RANKING_NEEDED = ("quantity", "better", "a", "b", "a_beats_b", "b_beats_a", "ties", "robust", "draws")
ORDER_NEEDED = ("quantity", "better", "order", "draws_with_order", "share", "mean_order", "robust")
FIGURE = "plots/posterior_effects.png"


@dataclass(frozen=True)
class Parameter:
    key: str
    label: str
    unit: str
    low: float  # smallest and largest value among the draws
    high: float
    calibrated: float


@dataclass(frozen=True)
class PosteriorEffect:
    value: Estimate
    sd_parameter: float
    sd_monte_carlo: float
    share_above_zero: float


@dataclass(frozen=True)
class Pair:
    a: str
    b: str
    a_beats_b: float
    b_beats_a: float


@dataclass(frozen=True)
class RankingRow:
    quantity: str
    better: str
    order: list[str]  # by the posterior means
    share: float  # of draws with that order
    robust: bool
    pairs: list[Pair]


@dataclass(frozen=True)
class PosteriorReport:
    folder: Path
    group_column: str  # scenario or lever
    calibration: str
    fingerprint: str
    draws: int
    replications: int
    robust_share: float
    interval: str
    parameters: list[Parameter]
    groups: list[str]
    effects: dict[tuple[str, str], PosteriorEffect]
    rankings: list[RankingRow]

    def effect(self, group: str, name: str) -> PosteriorEffect:
        found = self.effects.get((group, name))
        if found is None:
            path = self.folder / "posterior_effects.csv"
            raise InputError(path, "", f"no row for {group} × {name}", "every group and decision quantity")
        return found


def _json(path: Path) -> dict:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError(
            path, "", f"unreadable ({type(exc).__name__})", "the posterior.json the command wrote"
        ) from None
    if not isinstance(doc, dict):
        raise InputError(path, "", "not a JSON object", "the posterior.json the command wrote")
    return doc


def read_posterior(folder: Path, group_column: str) -> PosteriorReport | None:
    """The posterior tables of a folder, checked; None when it was run without --posterior."""
    path = folder / "posterior.json"
    if not path.is_file():
        return None
    doc = _json(path)
    try:
        draws, reps = int(doc["draws"]), int(doc["replications"])
        meta = [(str(p["key"]), str(p["label"]), str(p["unit"]), float(p["calibrated"])) for p in doc["parameters"]]
        calibration, fingerprint = str(doc["calibration"]), str(doc["fingerprint"])
        robust, interval = float(doc["robust_share"]), str(doc["interval"])
    except (KeyError, TypeError, ValueError) as exc:
        raise InputError(path, str(exc), "missing or not of its type", "the posterior.json the command wrote") from None
    drawn = read_table(folder, "draws.csv", ("draw", "particle", *(k for k, *_ in meta)))
    parameters = []
    for key, label, unit, calibrated in meta:
        values = [r.number(key, allow_nan=False) for r in drawn]
        words = describe(key)
        parameters.append(
            Parameter(key, label or words.label, unit or words.unit, min(values), max(values), calibrated)
        )
    rows = read_table(folder, "posterior_effects.csv", (group_column, *EFFECT_NEEDED))
    effects = {
        (r.name(group_column), r.metric("metric").name): PosteriorEffect(
            r.estimate("mean", "ci_low", "ci_high"),
            r.number("sd_parameter"),
            r.number("sd_monte_carlo"),
            r.number("share_above_zero"),
        )
        for r in rows
    }
    groups = in_order(r.name(group_column) for r in rows)
    rankings = _rankings(folder)
    return PosteriorReport(
        folder,
        group_column,
        calibration,
        fingerprint,
        draws,
        reps,
        robust,
        interval,
        parameters,
        groups,
        effects,
        rankings,
    )


def _rankings(folder: Path) -> list[RankingRow]:
    pairs: dict[str, list[Pair]] = {}
    for r in read_table(folder, "ranking.csv", RANKING_NEEDED, allow_empty=True):
        q = r.metric("quantity").name
        pairs.setdefault(q, []).append(Pair(r.name("a"), r.name("b"), r.number("a_beats_b"), r.number("b_beats_a")))
    out = []
    for r in read_table(folder, "ranking_orders.csv", ORDER_NEEDED):
        if r.flag("mean_order"):
            q = r.metric("quantity").name
            order = [g.strip() for g in r.text("order").split(" > ")]
            out.append(
                RankingRow(q, r.text("better"), order, r.number("share"), bool(r.flag("robust")), pairs.get(q, []))
            )
    return out


# --------------------------------------------------------------------------- words


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


def draw(p: PosteriorReport, out: Path, labels: dict[str, str] | None = None) -> list[Path]:
    from report.figures.uncertainty import draw_all

    return draw_all(p, out, labels or {}, p.group_column)
