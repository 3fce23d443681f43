"""The `compare` report: comparison.md, the terminal summary and the figures.

Kept apart from `experiments.compare`, which runs and analyses; this module
only renders a finished `Comparison`.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np

from experiments.compare import METRIC_BY_KEY, METRICS, W_BOUNDS, Comparison, Metric, RunInfo, levers_of
from experiments.outputs import fmt
from experiments.stats import Interval

# --------------------------------------------------------------------------- the report


def _bare(metric: Metric, v: float, signed: bool) -> str:
    """A number in the metric's display scale, without its unit (shares: % or, `signed`, percentage points)."""
    if not math.isfinite(v):
        return "n/a"
    sign = "+" if signed else ""
    if metric.kind == "share":
        return f"{v * 100:{sign}.2f}" if signed else f"{v * 100:.1f}"
    if metric.kind == "yuan":
        return f"{v / 1e6:{sign},.0f}"
    return f"{v:{sign},.0f}"


def _unit(metric: Metric, text: str, signed: bool) -> str:
    if metric.kind == "share":
        return text + (" pp" if signed else "%")
    if metric.kind == "yuan":
        return f"CNY {text} m"
    return f"CNY {text}" if metric.kind == "yuan_per_job" else text


def _number(metric: Metric, v: float, signed: bool = False) -> str:
    """A value in the metric's natural unit; `signed` for effects (percentage points for shares)."""
    return "n/a" if not math.isfinite(v) else _unit(metric, _bare(metric, v, signed), signed)


def _range(metric: Metric, lo: float, hi: float, signed: bool = False, unit: bool = True) -> str:
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return "n/a"
    if lo == hi:
        return "no variation"
    text = f"{_bare(metric, lo, signed)} to {_bare(metric, hi, signed)}"
    return _unit(metric, text, signed) if unit else text


def _with_ci(metric: Metric, iv: Interval, signed: bool = False) -> str:
    """'mean (low to high)', the unit written once, on the mean."""
    text = _number(metric, iv.mean, signed)
    if math.isfinite(iv.low):
        text += f" ({_range(metric, iv.low, iv.high, signed, unit=False)})"
    return text


def _ratio(v: float) -> str:
    return "n/a" if not math.isfinite(v) else f"{v:.2f}"


def render_markdown(comparison: Comparison, info: RunInfo) -> str:
    """comparison.md: what was compared, how, the effects with CIs, and what pairing gained."""
    c = comparison
    n = c.collected.replications
    base = c.entries[0].scenario
    lines = [
        f"# Policy comparison against `{c.baseline}`",
        "",
        f"{len(c.others)} scenario(s) compared with the baseline `{c.baseline}`, each run for **{n} replications** "
        f"on common random numbers, {base.years.start}–{base.years.end}, {base.firms.count:,} simulated firms "
        f"(standing for {base.firms.represented:,.0f}). Effects are paired differences against the baseline "
        "with 95% confidence intervals (CI).",
        "",
        "## What was compared",
        "",
        "| Scenario | Role | File | Levers | Description |",
        "|---|---|---|---|---|",
    ]
    for i, e in enumerate(c.entries):
        levers = ", ".join(levers_of(e.scenario)) or "none"
        desc = " ".join(e.scenario.description.split()).replace("|", "/")
        lines.append(f"| `{e.name}` | {'baseline' if i == 0 else 'policy'} | `{e.path}` | {levers} | {desc} |")
    seeds = ", ".join(str(s) for s in info.seeds[:3]) + (", …" if len(info.seeds) > 3 else "")
    lines += [
        "",
        "## How it was run",
        "",
        f"- Replications: {n} per scenario. Replication r of every scenario uses the same seed, and each firm "
        "draws the same random numbers in a given year whatever the policy, so scenarios differ by policy, not noise.",
        f"- Master seed: {info.master_seed} ({info.seed_source}); replication seeds "
        f"`SeedSequence({info.master_seed}).spawn({n})`: {seeds} (all in `manifest.json`). The other files' "
        "`seed` and `replications` keys are not used: one master seed serves every scenario.",
        "- Per-scenario CI: Student t over replications. Paired CI: t interval of the per-replication differences "
        "(scenario − baseline, same seed). Unpaired CI: Welch interval of the difference of two independent means, "
        "what the same runs would give without common random numbers.",
    ]
    lines += _stopping_lines(info.stopping)
    lines += _glance(c)
    lines += _pairing_gain(c)
    for name in c.others:
        lines += _scenario_table(c, name)
    lines += [
        "",
        "## Figures",
        "",
        "![Paired effects with 95% CIs](plots/forest.png)",
        "",
        "Forest plot: each scenario's paired effect on each headline metric (dot and thick line: mean and 95% CI); "
        "the thin grey line is the unpaired CI of the same difference. The vertical line marks no effect.",
        "",
        "![North share of relocated jobs per year](plots/timeseries.png)",
        "",
        "Top: north share of the jobs relocated each year (mean and 95% CI band). Bottom: the paired difference "
        "against the baseline, year by year.",
        "",
        "## Reading the numbers",
        "",
        "- The CIs measure simulation noise across replications only; they do not include uncertainty in the "
        "behavioural coefficients or the data, which `sweep` and `sensitivity` explore.",
        "- Shares are of all jobs relocated over the horizon; share effects are in percentage points (pp).",
        "- *Additional jobs moved north* is the scenario's jobs moved to the co-built parks minus the baseline's in "
        "the same replication. *Extra fiscal cost per additional north job* is (scenario − baseline fiscal cost) ÷ "
        "additional north jobs, per replication, then averaged; it is undefined (n/a) in a replication with no "
        "additional jobs and unstable when they are near zero, so it is shown as a value, not as a difference.",
        "- Files: `comparison.csv` (a row per scenario and metric), `timeseries.csv` (a row per scenario, "
        "replication and year), `manifest.json` (seeds, versions, stopping rule), `scenarios/` (resolved "
        "scenarios), `runs/` (one file per run, reused by `--resume`).",
        "",
    ]
    return "\n".join(lines)


def _stopping_lines(stopping: dict[str, Any] | None) -> list[str]:
    if stopping is None:
        return []
    w = stopping["ci_width"]
    sizes = " → ".join(str(r["replications"]) for r in stopping["rounds"])
    last = stopping["rounds"][-1]
    if stopping["met"]:
        outcome = (
            f"**{stopping['replications_needed']} replications were enough** (widest half-width "
            f"{last['widest_half_width']:.4f}, at {last['at']})."
        )
    else:
        outcome = (
            f"**The maximum of {stopping['max_replications']} replications was reached before the target**: the "
            f"widest half-width is still {last['widest_half_width']:.4f}, at {last['at']}."
        )
    return [
        f"- Stopping rule (`--ci-width {fmt(w)}`): replications were added in rounds until every bounded CI "
        f"half-width was at most {fmt(w)} ({w * 100:g} percentage points). {W_BOUNDS} "
        f"Rounds: {sizes} replications. {outcome}",
    ]


def _glance(c: Comparison) -> list[str]:
    keys = ("north_share_jobs", "additional_north_jobs", "fiscal_cost_yuan", "cost_per_additional_north_job_yuan")
    heads = ("North share (pp)", "Additional north jobs", "Extra fiscal cost", "Extra cost per additional north job")
    lines = [
        "",
        "## Effects at a glance",
        "",
        "Paired effect against the baseline, with its 95% CI. ✱ marks an effect whose CI excludes zero.",
        "",
        "| Scenario | " + " | ".join(heads) + " |",
        "|---|" + "---|" * len(keys),
    ]
    for name in c.others:
        cells = []
        for key in keys:
            row = c.rows[(name, key)]
            mark = " ✱" if row.diff.excludes_zero() else ""
            cells.append(_with_ci(METRIC_BY_KEY[key], row.diff, signed=True) + mark)
        lines.append(f"| `{name}` | " + " | ".join(cells) + " |")
    return lines


def _pairing_gain(c: Comparison) -> list[str]:
    """The paired-to-unpaired CI width ratio of the north share, per scenario, and what it saves."""
    lines = [
        "",
        "## What pairing gained",
        "",
        "Width of the paired CI of the north-share effect ÷ width of the unpaired (Welch) CI of the same difference, "
        "and how many times as many replications independent runs would need for the same precision (1 ÷ ratio²):",
        "",
    ]
    for name in c.others:
        r = c.rows[(name, "north_share_jobs")].width_ratio
        saving = f"about {1 / r**2:,.1f}× as many replications" if math.isfinite(r) and r > 0 else "n/a"
        lines.append(f"- `{name}`: {_ratio(r)} ({saving})")
    lines += [
        "",
        "Pairing gains most for a small lever, whose runs follow the baseline's closely; a large package changes "
        "which firms move and when, so its runs drift away from the baseline's and the ratio approaches 1. "
        "The ratio for every metric is in the tables below and in `comparison.csv` (`paired_to_unpaired_width`).",
    ]
    return lines


def _scenario_table(c: Comparison, name: str) -> list[str]:
    lines = [
        "",
        f"## `{name}` against `{c.baseline}`",
        "",
        f"| Metric | `{c.baseline}` (95% CI) | `{name}` (95% CI) | Paired effect (95% CI) | Unpaired 95% CI | "
        "Paired ÷ unpaired width |",
        "|---|---|---|---|---|---|",
    ]
    for metric in METRICS:
        row, brow = c.rows[(name, metric.key)], c.rows[(c.baseline, metric.key)]
        base_text = "—" if metric.effect else _with_ci(metric, brow.value)
        value_text = "—" if metric.effect else _with_ci(metric, row.value)
        mark = " ✱" if row.diff.excludes_zero() else ""
        lines.append(
            f"| {metric.label} | {base_text} | {value_text} | {_with_ci(metric, row.diff, signed=True)}{mark} | "
            f"{_range(metric, *row.unpaired, signed=True)} | {_ratio(row.width_ratio)} |"
        )
    fiscal = c.rows[(name, "fiscal_cost_yuan")].diff.mean
    jobs = c.rows[(name, "additional_north_jobs")].diff.mean
    if math.isfinite(fiscal) and math.isfinite(jobs) and jobs != 0:
        lines += [
            "",
            f"Ratio of the mean extra cost to the mean additional north jobs: CNY {fiscal / jobs:,.0f} per job "
            "(steadier than the mean of per-replication ratios when additional jobs vary around zero).",
        ]
    return lines


def print_summary(c: Comparison, info: RunInfo, folder: Path, wall_seconds: float) -> None:
    """The effect on the north share per scenario, paired and unpaired, for the terminal."""
    n = c.collected.replications
    print(f"compare: {len(c.entries)} scenarios × {n} replications in {wall_seconds:.1f} s -> {folder}")
    if info.stopping is not None:
        s = info.stopping
        if s["met"]:
            print(f"  --ci-width {fmt(s['ci_width'])}: {s['replications_needed']} replications needed")
        else:
            print(
                f"  --ci-width {fmt(s['ci_width'])}: maximum of {s['max_replications']} replications reached; "
                f"widest half-width {s['rounds'][-1]['widest_half_width']:.4f} ({s['rounds'][-1]['at']})"
            )
    share = METRIC_BY_KEY["north_share_jobs"]
    print(f"  north share of relocated jobs, {c.baseline}: {_with_ci(share, c.rows[(c.baseline, share.key)].value)}")
    for name in c.others:
        row = c.rows[(name, share.key)]
        print(
            f"  {name}: effect {_with_ci(share, row.diff, signed=True)}; unpaired CI "
            f"{_range(share, *row.unpaired, signed=True)}; paired/unpaired width {_ratio(row.width_ratio)}"
        )


# --------------------------------------------------------------------------- figures

SCENARIO_COLOURS = ("#000000", "#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442")
PLOT_SCALE = {"share": (100.0, "percentage points"), "jobs": (1.0, "jobs"), "yuan": (1e-6, "CNY million")}


def _colour(i: int) -> str:
    return SCENARIO_COLOURS[i % len(SCENARIO_COLOURS)]


def _scale(metric: Metric) -> tuple[float, str]:
    return PLOT_SCALE.get(metric.kind, (1.0, "CNY per job"))


def _tick(value: float, _pos: object = None) -> str:
    """Thousands separators for large ticks, never a 1e6 offset."""
    return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:,.4g}"


def plot_forest(c: Comparison, path: Path) -> Path:
    """Each scenario's paired effect on each headline metric, CIs as lines, unpaired CIs in grey, 0 marked."""
    from matplotlib.lines import Line2D
    from matplotlib.ticker import FuncFormatter

    from experiments.plots import add_caption, new_figure, save_png

    others = c.others
    cols = 2
    rows_n = math.ceil((len(METRICS) + 1) / cols)
    fig = new_figure(11.0, rows_n * (0.9 + 0.32 * len(others)) + 1.2)
    axes = fig.subplots(rows_n, cols, squeeze=False).ravel()
    y = np.arange(len(others))[::-1].astype(float)
    for ax, metric in zip(axes, METRICS, strict=False):
        factor, unit = _scale(metric)
        for yi, name, i in zip(y, others, range(1, len(others) + 1), strict=True):
            row = c.rows[(name, metric.key)]
            lo, hi = row.unpaired
            if math.isfinite(lo):
                ax.plot([lo * factor, hi * factor], [yi - 0.22] * 2, color="#999999", linewidth=1.2)
            if math.isfinite(row.diff.low):
                ax.plot([row.diff.low * factor, row.diff.high * factor], [yi, yi], color=_colour(i), linewidth=3)
            if math.isfinite(row.diff.mean):
                ax.plot(row.diff.mean * factor, yi, "o", color=_colour(i), markersize=5)
            else:
                ax.text(0, yi, " n/a", va="center", fontsize=8, color="#666666")
        ax.axvline(0, color="#333333", linewidth=0.9)
        ax.set_yticks(y, others, fontsize=8)
        ax.set_ylim(-0.7, len(others) - 0.3)
        ax.xaxis.set_major_formatter(FuncFormatter(_tick))
        ax.tick_params(axis="x", labelsize=7.5)
        what = "value" if metric.key == "cost_per_additional_north_job_yuan" else "effect"
        ax.set_title(f"{metric.short}: {what}, {unit}", fontsize=9)
        ax.grid(axis="x", alpha=0.3)
    legend_ax = axes[len(METRICS)]
    legend_ax.axis("off")
    legend_ax.legend(
        [
            Line2D([], [], color="#0072B2", linewidth=3, marker="o"),
            Line2D([], [], color="#999999", linewidth=1.2),
            Line2D([], [], color="#333333", linewidth=0.9),
        ],
        ["Paired effect: mean and 95% CI", "Unpaired (Welch) 95% CI", "No effect (0)"],
        loc="center",
        fontsize=8.5,
        frameon=False,
    )
    for ax in axes[len(METRICS) + 1 :]:
        ax.axis("off")
    fig.suptitle(f"Effects against the baseline scenario {c.baseline!r}", fontsize=11)
    add_caption(
        fig,
        f"Dot and thick line: mean over {c.collected.replications} replications of the paired difference "
        "(scenario − baseline, same seed) and its 95% Student-t CI. Grey line: 95% Welch CI of the same difference "
        "as if the runs had independent seeds. Extra cost per additional north job is already a ratio of paired "
        "differences and is drawn as a value; n/a where undefined.",
    )
    return save_png(fig, path)


def plot_timeseries(c: Comparison, path: Path) -> Path:
    """North share per year per scenario (bands), and the paired yearly difference against the baseline."""
    from matplotlib.ticker import MaxNLocator, PercentFormatter

    from experiments.plots import add_caption, mean_band, new_figure, save_png

    years = c.collected.years
    shares = c.collected.yearly_share
    fig = new_figure(9.0, 8.0)
    top, bottom = fig.subplots(2, 1, sharex=True)
    for i, e in enumerate(c.entries):
        mean, lo, hi = mean_band(shares[e.name])
        top.plot(years, mean, color=_colour(i), linewidth=2, marker="o", markersize=3, label=e.name)
        if c.collected.replications >= 2:
            top.fill_between(years, np.clip(lo, 0, 1), np.clip(hi, 0, 1), color=_colour(i), alpha=0.15, linewidth=0)
        if i > 0:
            d_mean, d_lo, d_hi = mean_band((shares[e.name] - shares[c.baseline]) * 100)
            bottom.plot(years, d_mean, color=_colour(i), linewidth=2, marker="o", markersize=3)
            bottom.fill_between(years, d_lo, d_hi, color=_colour(i), alpha=0.15, linewidth=0)
    top.yaxis.set_major_formatter(PercentFormatter(xmax=1.0, decimals=0))
    top.set_ylabel("North share of jobs relocated that year")
    top.set_title("North share of relocated jobs per year", fontsize=10)
    fig.legend(loc="outside upper center", ncol=min(4, len(c.entries)), fontsize=8.5, frameon=False)
    bottom.axhline(0, color="#333333", linewidth=0.9)
    bottom.set_ylabel(f"Paired difference vs {c.baseline} (pp)")
    bottom.set_title("Effect on the yearly north share (scenario − baseline, same seed)", fontsize=10)
    bottom.set_xlabel("Year")
    bottom.xaxis.set_major_locator(MaxNLocator(integer=True, nbins=min(len(years), 13)))
    for ax in (top, bottom):
        ax.grid(alpha=0.3)
    add_caption(
        fig,
        f"Lines: mean of {c.collected.replications} replications. Bands: 95% Student-t CI of that mean "
        "(top clipped to 0–100%; bottom: CI of the per-replication paired differences). A year in which a "
        "replication moved no jobs has no share and is left out of that year's mean.",
    )
    return save_png(fig, path)
