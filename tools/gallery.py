"""Regenerate docs/figures/: one example of every kind of figure the commands draw, and its README.

    python tools/gallery.py [--out docs/figures]

Each figure comes from a small run of the real command (the runs are stated in
the README beside each image, with the folder and file the command writes), so
anyone can remake any one of them; the calibration figures are copied from the
shipped calibration result (docs/calibration/article_suzhou_levers), whose own report
gives its command. The runs are sized so that the whole gallery takes a few
minutes on two cores; every run has a fixed seed, so the images come out the
same bytes every time (one worker or two).
"""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "figures"
SHIPPED = "docs/calibration/article_suzhou_levers"
BROWSER = "browser"  # the app's screenshots, taken by its browser test
WORKERS = "--workers 2"  # the outputs are the same bytes with one worker
logger = logging.getLogger("gallery")


@dataclass(frozen=True)
class Job:
    """One command run for the gallery: what follows `python run.py`."""

    key: str
    command: str

    @property
    def argv(self) -> list[str]:
        return self.command.split()


@dataclass(frozen=True)
class Shot:
    """One image of the gallery: where it comes from and what it shows."""

    name: str  # docs/figures/<name>
    job: str  # a Job key, or SHIPPED for a file of the shipped calibration folder
    source: str  # the file in the result folder
    title: str
    what: str


JOBS = (
    Job("run", "run scenarios/baseline.yaml --firms 3000 --replications 5 --seed 1"),
    Job(
        "compare",
        "compare scenarios/baseline.yaml scenarios/talent.yaml scenarios/relocation_aid.yaml "
        f"scenarios/article_package.yaml --firms 1000 --replications 5 --seed 1 {WORKERS}",
    ),
    Job(
        "posterior",
        f"compare scenarios/baseline.yaml scenarios/article_package.yaml --posterior {SHIPPED} --allow-thin "
        f"--draws 5 --replications 2 --firms 500 --seed 1 {WORKERS}",
    ),
    Job("line", f"sweep experiments/examples/aid_per_job.yaml --seed 5 {WORKERS}"),
    Job("sweep", f"sweep experiments/examples/talent_budget.yaml --firms 1000 --seed 7 {WORKERS}"),
    Job("scatter", f"sweep experiments/examples/aid_design.yaml --seed 13 {WORKERS}"),
    Job("lhs", f"sweep experiments/examples/package_lhs.yaml --firms 500 --seed 11 {WORKERS}"),
    Job("sensitivity", f"sensitivity experiments/examples/sensitivity_morris.yaml --firms 300 --seed 11 {WORKERS}"),
    Job("attribute", f"attribute scenarios/article_package.yaml --firms 300 --replications 3 --seed 1 {WORKERS}"),
    Job(
        "report",
        f"report scenarios/baseline.yaml --sobol-samples 0 --firms 2000 --replications 10 --seed 1 {WORKERS}",
    ),
    Job(
        "sobol",
        f"report scenarios/baseline.yaml --sobol-samples 2 --firms 300 --replications 2 --seed 1 {WORKERS}",
    ),
)

SHOTS = (
    Shot("run_jobs_per_year.png", "run", "plots/jobs_per_year.png", "Relocated jobs per year",
         "Jobs relocated each year of the run (2019–2035) to the north co-built parks, other Jiangsu places and "
         "cities outside the province, mean with its 95% band across replications."),
    Shot("run_cumulative_by_destination.png", "run", "plots/cumulative_by_destination.png", "Where the jobs went",
         "The destinations that received most relocated jobs in the report window 2024–2035 (the headline's), by "
         "kind of destination; a whisker beyond the axis is cut and marked with its end."),
    Shot("run_north_share.png", "run", "plots/north_share.png", "North-park share per year",
         "The north-park share of relocated jobs, year by year (2019–2035), with its 95% band and the "
         "2024–2035 pooled share."),
    Shot("run_flow_map.png", "run", "plots/flow_map.png", "Flow map",
         "Relocation flows 2024–2035 (the report window) from the southern origins to their destinations on a map, "
         "bilingual place names; flows to the north parks drawn on top and at least 1.2 pt wide."),
    Shot("compare_forest.png", "compare", "plots/forest.png", "Paired changes against the baseline",
         "Each policy scenario (named by its description) and its paired change in the headline and decision "
         "quantities, paired and unpaired 95% intervals, and the marginal fiscal cost per extra north-park job; "
         "an interval beyond the axis is cut and marked with its end."),
    Shot("compare_timeseries.png", "compare", "plots/timeseries.png", "North-park share per year by scenario",
         "The north-park share per year of each scenario, and its paired change against the baseline."),
    Shot("compare_posterior_effects.png", "posterior", "plots/posterior_effects.png", "Effects across the posterior",
         "With --posterior (and --allow-thin: the shipped ensemble is thin): each effect draw by draw over the "
         "calibration's posterior, each draw with its Monte-Carlo error, and the interval from the 2.5% to the "
         "97.5% quantile of the draws; the axes are set by the estimates, a bar beyond them cut and marked."),
    Shot("sweep_line.png", "line", "plots/to_north_jobs.png", "One-factor sweep",
         "Jobs moved to north parks at each level of relocation aid per job, with 95% intervals, against the base "
         "scenario (its value in the axis unit)."),
    Shot("sweep_heatmap.png", "sweep", "plots/fiscal_cost_yuan.png", "Two-factor sweep (grid)",
         "The change in the fiscal cost against the base over a grid of the talent budget and the talent "
         "coefficient, each at its true spacing (budgets 0, 1, 2, 4 bn); a cell whose paired interval includes 0 is "
         "grey and reads ≈ base."),
    Shot("sweep_main_effects.png", "lhs", "plots/north_share_jobs.png", "Latin-hypercube sweep (main effects)",
         "Each design point's north-park share against each factor, and its mean per bin of the factor."),
    Shot("sweep_scatter.png", "scatter", "plots/to_north_jobs.png", "Two-factor sweep (Latin hypercube)",
         "Each design point of aid per job × aid budget, coloured by the change in jobs moved to north parks."),
    Shot("sensitivity_morris.png", "sensitivity", "plots/indices_north_share_jobs.png", "Morris screening",
         "μ* (bars, 95% bootstrap whiskers) and σ (diamonds) of each uncertain input's effect on the north-park "
         "share."),
    Shot("attribute_waterfall.png", "attribute", "plots/waterfall_to_north_jobs.png", "Which lever did it",
         "The article package's jobs moved to north parks split into each lever's Shapley value (95% whiskers, cut "
         "and marked where they run beyond the axis), from no lever to the whole package."),
    Shot("report_facts.png", "report", "plots/facts.png", "The facts beside both yardsticks",
         "Every stylized and article fact over the hindcast 2019–2022: the model, the null model and the gravity "
         "yardstick with 95% intervals (cut and marked beyond the axis), the band the fact's rule asks for shaded."),
    Shot("report_hindcast_destinations.png", "report", "plots/hindcast_destinations.png",
         "Top destinations against the article",
         "The model's top outside destinations of firms leaving Suzhou and Wuxi (95% intervals; the share axis "
         "is set by the estimates and stays within 0–100%, a bar beyond it cut and marked with its end), beside "
         "the article's lists with each city's rank in the model."),
    Shot("report_statics.png", "report", "plots/statics.png", "Comparative statics",
         "Each single-lever scenario's paired change in jobs moved to north parks and outside the province; where "
         "one lever's change dwarfs the others' (industry guidance on outside-province jobs) that panel is on a "
         "symmetric-log axis, linear near 0, so the other levers stay readable."),
    Shot("report_returns.png", "report", "plots/returns.png", "Returns to relocation aid",
         "The gain in jobs moved to north parks as the aid per job rises, and the marginal north-park jobs per extra "
         "CNY m."),
    Shot("report_sobol.png", "sobol", "plots/sobol.png", "Sobol' indices",
         "The total Sobol' index of every behaviour parameter for the headline metrics and each lever's effect "
         "(a tiny design here: see the report's note on what it resolves); a cell estimated outside 0–1, which a "
         "share of the variance cannot be, is grey and marked > 1 or < 0 (not resolved)."),
    Shot("app_charts.png", BROWSER, "app-charts.png", "The browser app: charts and the side-by-side",
         "python run.py app, relocation aid switched on and the model stepped to 2026 (\"Jobs and costs\"): jobs "
         "moved per year by destination, the north share and the fiscal cost, and the current settings against the "
         "baseline over the whole window 2024–2035 (run ahead)."),
    Shot("app_map.png", BROWSER, "app-map.png", "The browser app: flow map and top destinations",
         "The app's \"Map and destinations\" page: the flow map of the moves so far, full width, and each "
         "origin's top five destinations."),
    Shot("calibrate_fit.png", SHIPPED, "plots/fit.png", "Calibration fit",
         "Each fact at the posterior, the calibrated point, the hand-set defaults and the null model, fitted and "
         "held-out facts apart."),
    Shot("calibrate_marginals.png", SHIPPED, "plots/marginals.png", "Posterior marginals",
         "Prior and posterior of each fitted behaviour parameter."),
    Shot("calibrate_pairwise.png", SHIPPED, "plots/pairwise.png", "Posterior, two parameters at a time",
         "The accepted particles of the last generation, pair by pair."),
    Shot("calibrate_convergence.png", SHIPPED, "plots/convergence.png", "ABC-SMC convergence",
         "Epsilon and the acceptance rate by generation."),
)  # fmt: skip
SECTIONS = {
    "run": "run",
    "compare": "compare",
    "posterior": "compare",
    "line": "sweep",
    "sweep": "sweep",
    "scatter": "sweep",
    "lhs": "sweep",
    "sensitivity": "sensitivity",
    "attribute": "attribute",
    "report": "report (validation)",
    "sobol": "report (validation)",
    BROWSER: "app",
    SHIPPED: "calibrate",
}
BROWSER_COMMAND = "RELOCSIM_SCREENSHOTS=DIR python -m pytest tests/test_app_browser.py"


def run_jobs(work: Path) -> dict[str, Path]:
    """Each job's result folder, made by `python run.py` in the repository (as a user would)."""
    folders = {}
    for job in JOBS:
        out = work / job.key
        t0 = time.perf_counter()
        argv = [sys.executable, "run.py", *job.argv, "--out", str(out), "-q"]
        proc = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            raise SystemExit(f"gallery: {' '.join(job.argv)} exited {proc.returncode}: {proc.stderr.strip()}")
        (folders[job.key],) = [p for p in out.iterdir() if p.is_dir()]
        logger.info("%-12s %5.1f s  %s", job.key, time.perf_counter() - t0, folders[job.key].name)
    folders[BROWSER] = screenshots(work / BROWSER)
    return folders


def screenshots(folder: Path) -> Path:
    """The app's screenshots: its browser test starts `python run.py app` and drives Chromium (needs chromium)."""
    env = {**os.environ, "RELOCSIM_SCREENSHOTS": str(folder), "RELOCSIM_REQUIRE_BROWSER": "1"}
    argv = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/test_app_browser.py"]
    proc = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, check=False, env=env)
    if proc.returncode != 0:
        raise SystemExit(f"gallery: the browser test failed: {proc.stdout.strip()[-2000:]}")
    return folder


def command(job: Job) -> str:
    return f"python run.py {job.command}"


def shipped_command() -> str:
    """The command that made the shipped calibration result, from its report's Reproduce section."""
    text = (ROOT / SHIPPED / "report.md").read_text(encoding="utf-8")
    block = text.split("## Reproduce", 1)[-1].split("```")
    found = next((line for line in (block[1] if len(block) > 1 else "").splitlines() if line.strip()), "")
    if not found.startswith("python run.py calibrate"):
        raise SystemExit(f"gallery: no calibrate command in {SHIPPED}/report.md's Reproduce section")
    return found.strip()


def readme(folders: dict[str, Path]) -> str:
    """docs/figures/README.md: each image, what it shows and the command that makes it."""
    jobs = {job.key: job for job in JOBS}
    lines = [
        "# Gallery",
        "",
        "One example of every kind of figure the commands draw, regenerated by `python tools/gallery.py` "
        "(a few minutes on two cores). Each comes from a small run stated beside it — few firms and replications, "
        "so its intervals are wide and its numbers are not results; the command writes the figure into "
        "`outputs/<folder>/` with its report (Markdown and a self-contained HTML page). The calibration figures "
        f"are those of the shipped calibration result, [`{SHIPPED}`](../calibration/article_suzhou_levers/).",
    ]
    section = ""
    for shot in SHOTS:
        if SECTIONS[shot.job] != section:
            section = SECTIONS[shot.job]
            lines += ["", f"## {section}"]
        if shot.job == SHIPPED:
            made = f"`{shipped_command()}` → `{SHIPPED}/{shot.source}` (the shipped result, copied)"
        elif shot.job == BROWSER:
            made = f"`{BROWSER_COMMAND}` (starts the app, drives Chromium) → `DIR/{shot.source}`"
        else:
            made = f"`{command(jobs[shot.job])}` → `outputs/{folders[shot.job].name}/{shot.source}`"
        lines += ["", f"### {shot.title}", "", f"![{shot.title}]({shot.name})", "", shot.what, "", made]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT, help="the gallery folder (default docs/figures)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="gallery-") as tmp:
        folders = run_jobs(Path(tmp))
        folders[SHIPPED] = ROOT / SHIPPED
        out: Path = args.out
        if out.exists():
            for old in out.glob("*.png"):
                old.unlink()
        out.mkdir(parents=True, exist_ok=True)
        for shot in SHOTS:
            src = folders[shot.job] / shot.source
            if not src.is_file():
                raise SystemExit(f"gallery: {src.relative_to(folders[shot.job])} was not drawn by {shot.job}")
            shutil.copyfile(src, out / shot.name)
        (out / "README.md").write_text(readme(folders), encoding="utf-8")
    size = sum(p.stat().st_size for p in out.iterdir())
    logger.info("wrote %d images, %.1f MB, in %.0f s -> %s", len(SHOTS), size / 1e6, time.perf_counter() - t0, out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
