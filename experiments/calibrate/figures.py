"""The figures of a `calibrate` folder, drawn from its tables (experiments.calibrate.read).

`figures(c)` yields (file name, Figure) pairs; the report (experiments.calibrate.report) saves them into `plots/`:

- marginals.png: per parameter the weighted posterior (histogram and a weighted Gaussian kernel density,
  reflected at the prior's ends) over the flat prior, with the default and the calibrated value marked;
- pairwise.png: the final population two parameters at a time (weight as opacity and size), histograms on
  the diagonal; at most PAIRWISE_MAX parameters, those with the largest prior-to-posterior shrinkage;
- fit.png: one row per fact (fitted, then held out, then the others): the posterior predictive mean and
  95% interval, the calibrated point, the defaults, the null model, the gravity yardstick and (list facts)
  random picks, the region where the fact's rule holds shaded;
- convergence.png: epsilon and acceptance rate per generation (trace.csv), and each parameter's weighted
  mean ± sd per generation (populations.csv).
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence

import numpy as np
from matplotlib.axes import Axes
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator

from experiments.analysis.posterior import Parameter
from experiments.calibrate.fit_figures import CALIBRATED_COLOUR, DEFAULT_COLOUR, plot_fit
from experiments.calibrate.read import Calibration, Population
from report.figures.style import (
    NORTH_COLOUR,
    OUTSIDE_COLOUR,
    add_caption,
    new_figure,
    plain_spines,
    wrapped,
)

PAIRWISE_MAX = 8
BINS = 20
PRIOR_COLOUR = "#DDDDDD"


def caption(fig: Figure, text: str) -> None:
    """The figure's note, wrapped to its width (about 12 characters an inch at the caption's size)."""
    add_caption(fig, text, width=int(12 * fig.get_figwidth()))


# --------------------------------------------------------------------------- helpers


def weighted_density(x: np.ndarray, w: np.ndarray, grid: np.ndarray, low: float, high: float) -> np.ndarray | None:
    """A weighted Gaussian kernel density (Silverman's bandwidth on the effective size), reflected at both ends."""
    n_eff = 1.0 / float(np.sum(w**2))
    mean = float(w @ x)
    sd = math.sqrt(max(0.0, float(w @ (x - mean) ** 2)))
    if sd <= 0 or n_eff < 2:
        return None
    bw = 1.06 * sd * n_eff ** (-0.2)
    dens = np.zeros_like(grid)
    for centres in (x, 2 * low - x, 2 * high - x):
        z = (grid[:, None] - centres[None, :]) / bw
        dens += np.exp(-0.5 * z**2) @ w
    return dens / (bw * math.sqrt(2 * math.pi))


def _span(p: Parameter) -> tuple[float, float]:
    """The prior range, widened to show a default outside it."""
    lo, hi = p.prior_low, p.prior_high
    if math.isfinite(p.default):
        pad = 0.04 * (hi - lo)
        lo, hi = min(lo, p.default - pad), max(hi, p.default + pad)
    return lo, hi


def _histogram(ax: Axes, x: np.ndarray, w: np.ndarray, p: Parameter) -> None:
    bins = np.linspace(p.prior_low, p.prior_high, BINS + 1)
    ax.hist(x, bins=bins, weights=w, density=True, color=NORTH_COLOUR, alpha=0.45)


def _marks(ax: Axes, p: Parameter) -> None:
    ax.axvline(p.calibrated, color=CALIBRATED_COLOUR, linewidth=1.8)
    if math.isfinite(p.default):
        ax.axvline(p.default, color=DEFAULT_COLOUR, linewidth=1.4, linestyle="--")


def pairwise_parameters(c: Calibration) -> list[int]:
    """Indices of the parameters the pairwise figure shows: all, or the PAIRWISE_MAX that shrank most."""
    k = len(c.parameters)
    if k <= PAIRWISE_MAX:
        return list(range(k))
    ranked = sorted(range(k), key=lambda j: (-c.parameters[j].shrinkage, j))
    return sorted(ranked[:PAIRWISE_MAX])


# --------------------------------------------------------------------------- marginals


def plot_marginals(c: Calibration) -> Figure:
    k = len(c.parameters)
    cols = min(3, k)
    rows = math.ceil(k / cols)
    fig = new_figure(3.6 * cols, 2.6 * rows + 1.2)
    axes = fig.subplots(rows, cols, squeeze=False).ravel()
    post = c.posterior
    for j, (ax, p) in enumerate(zip(axes, c.parameters, strict=False)):
        x = post.values[:, j]
        density = 1 / (p.prior_high - p.prior_low)
        ax.fill_between([p.prior_low, p.prior_high], 0, density, color=PRIOR_COLOUR, linewidth=0)
        _histogram(ax, x, post.weights, p)
        grid = np.linspace(p.prior_low, p.prior_high, 200)
        dens = weighted_density(x, post.weights, grid, p.prior_low, p.prior_high)
        if dens is not None:
            ax.plot(grid, dens, color=NORTH_COLOUR, linewidth=1.5)
        _marks(ax, p)
        ax.set_xlim(*_span(p))
        ax.set_ylim(bottom=0)
        ax.set_title(wrapped(p.title, 40), fontsize=9)
        ax.set_xlabel(p.unit or "value", fontsize=8)
        ax.set_ylabel("density", fontsize=8)
        ax.tick_params(labelsize=7)
        box = {"facecolor": "white", "alpha": 0.8, "linewidth": 0}
        ax.text(
            0.98,
            0.96,
            f"shrinkage {p.shrinkage:.0%}",
            transform=ax.transAxes,
            fontsize=7,
            va="top",
            ha="right",
            bbox=box,
        )
        plain_spines(ax)
    for ax in axes[k:]:
        ax.axis("off")
    handles = [
        Patch(color=PRIOR_COLOUR),
        Patch(color=NORTH_COLOUR, alpha=0.45),
        Line2D([], [], color=NORTH_COLOUR, linewidth=1.5),
        Line2D([], [], color=CALIBRATED_COLOUR, linewidth=1.8),
        Line2D([], [], color=DEFAULT_COLOUR, linewidth=1.4, linestyle="--"),
    ]
    labels = ["prior (uniform)", "posterior (weighted)", "posterior density", "calibrated", "default"]
    name = f"Posterior marginals: {c.settings.name}"
    fig.legend(handles, labels, loc="outside upper center", ncol=5, fontsize=8, frameon=False, title=name)
    caption(
        fig,
        f"Final ABC-SMC population of {len(post.weights)} particles (effective size {post.effective_size:.0f}), "
        "weighted. Grey band: the uniform prior's density. Calibrated = the particle nearest the weighted medians. "
        "Shrinkage = 1 − posterior sd ÷ prior sd: near 0 the facts say little about the parameter.",
    )
    return fig


# --------------------------------------------------------------------------- pairwise


def _scatter_colours(w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    rel = w / w.max()
    rgba = np.tile(np.array(to_rgba(NORTH_COLOUR)), (len(w), 1))
    rgba[:, 3] = 0.15 + 0.85 * rel
    return rgba, 6 + 40 * rel


def plot_pairwise(c: Calibration) -> Figure:
    shown = pairwise_parameters(c)
    n = len(shown)
    size = max(5.0, 1.7 * n)
    fig = new_figure(size, size + 0.8)
    axes = fig.subplots(n, n, squeeze=False)
    post = c.posterior
    colours, sizes = _scatter_colours(post.weights)
    for a, i in enumerate(shown):
        for b, j in enumerate(shown):
            ax = axes[a][b]
            pi, pj = c.parameters[i], c.parameters[j]
            if b > a:
                ax.axis("off")
                continue
            if a == b:
                _histogram(ax, post.values[:, i], post.weights, pi)
                _marks(ax, pi)
                ax.set_yticks([])
            else:
                ax.scatter(post.values[:, j], post.values[:, i], s=sizes, c=colours, linewidths=0)
                ax.plot(pj.calibrated, pi.calibrated, "x", color=CALIBRATED_COLOUR, markersize=7, mew=2)
                ax.set_ylim(pi.prior_low, pi.prior_high)
            ax.set_xlim(pj.prior_low, pj.prior_high)
            ax.tick_params(labelsize=6)
            ax.xaxis.set_major_locator(MaxNLocator(3))
            ax.yaxis.set_major_locator(MaxNLocator(3))
            if a == n - 1:
                ax.set_xlabel(wrapped(pj.title, 18), fontsize=7)
            else:
                ax.set_xticklabels([])
            if b == 0 and a > 0:
                ax.set_ylabel(wrapped(pi.title, 18), fontsize=7)
            elif b > 0:
                ax.set_yticklabels([])
    fig.suptitle(f"Posterior, two parameters at a time: {c.settings.name}", fontsize=11)
    k = len(c.parameters)
    chosen = (
        f" Only the {PAIRWISE_MAX} of {k} parameters with the largest shrinkage (1 − posterior sd ÷ prior sd) "
        "are shown."
        if k > n
        else ""
    )
    caption(
        fig,
        "Each dot is a particle of the final population; darker and larger = more weight. Cross: the calibrated "
        "point (the particle nearest the marginal medians). Diagonal: weighted histograms; solid line calibrated, "
        f"dashed the default. Axes "
        f"span the prior ranges.{chosen}",
    )
    return fig


# --------------------------------------------------------------------------- convergence


def _trajectory(ax: Axes, pops: Sequence[Population], j: int, p: Parameter, colour: str) -> None:
    gens = np.array([pop.generation for pop in pops], dtype=float)
    stats = [pop.mean_sd() for pop in pops]
    mean = np.array([m[j] for m, _ in stats])
    sd = np.array([s[j] for _, s in stats])
    ax.fill_between(gens, mean - sd, mean + sd, color=colour, alpha=0.2, linewidth=0)
    ax.plot(gens, mean, color=colour, marker="o", markersize=3, linewidth=1.5)
    ax.axhline(p.calibrated, color=CALIBRATED_COLOUR, linewidth=1.0)
    if math.isfinite(p.default):
        ax.axhline(p.default, color=DEFAULT_COLOUR, linewidth=1.0, linestyle="--")
    ax.set_ylim(*_span(p))
    ax.set_title(wrapped(p.title, 34), fontsize=8)
    ax.tick_params(labelsize=7)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    plain_spines(ax)


def plot_convergence(c: Calibration) -> Figure:
    k = len(c.parameters)
    cols = 2 if k <= 4 else 4
    rows = math.ceil(k / cols)
    fig = new_figure(2.6 * cols + 1.0, 2.4 * (rows + 1) + 1.0)
    grid = fig.add_gridspec(rows + 1, cols)
    gens = [s.generation for s in c.trace]
    eps_ax = fig.add_subplot(grid[0, : cols // 2])
    eps = [s.epsilon for s in c.trace]
    eps_ax.plot(gens, eps, color=NORTH_COLOUR, marker="o")
    positive = [e for e in eps if math.isfinite(e) and e > 0]
    if len(positive) == len(eps) and max(positive) / min(positive) > 20:
        eps_ax.set_yscale("log")
    eps_ax.set_ylabel("epsilon (distance)", fontsize=8)
    eps_ax.set_title("Acceptance threshold per generation", fontsize=9)
    acc_ax = fig.add_subplot(grid[0, cols // 2 :])
    acc_ax.plot(gens, [100 * s.acceptance_rate for s in c.trace], color=OUTSIDE_COLOUR, marker="o")
    acc_ax.set_ylim(bottom=0)
    acc_ax.set_ylabel("accepted (% of proposals)", fontsize=8)
    acc_ax.set_title("Acceptance rate per generation", fontsize=9)
    for ax in (eps_ax, acc_ax):
        ax.set_xlabel("Generation", fontsize=8)
        ax.tick_params(labelsize=7)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(alpha=0.3)
        plain_spines(ax)
    for j, p in enumerate(c.parameters):
        _trajectory(fig.add_subplot(grid[1 + j // cols, j % cols]), c.populations, j, p, NORTH_COLOUR)
    fig.suptitle(f"Convergence: {c.settings.name}", fontsize=11)
    caption(
        fig,
        f"Top: the ABC-SMC acceptance threshold (weighted distance, at most {c.max_distance:g}) and the share of "
        f"proposals accepted, per generation ({c.final.simulations:,} model evaluations in all). Below: each "
        "parameter's weighted posterior mean ± 1 sd per generation, over its prior range; solid line the "
        "calibrated value, dashed the default. A mean still moving in the last generations has not settled.",
    )
    return fig


def figures(c: Calibration) -> Iterator[tuple[str, Figure]]:
    yield "marginals.png", plot_marginals(c)
    yield "pairwise.png", plot_pairwise(c)
    yield "fit.png", plot_fit(c)
    yield "convergence.png", plot_convergence(c)


__all__ = ["figures", "pairwise_parameters", "weighted_density"]
