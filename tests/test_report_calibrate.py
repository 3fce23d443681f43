"""experiments/calibrate/report.py: the report and figures of a calibration folder, from its tables only.

A synthetic folder (3 parameters, 30 particles, 3 generations, every fact × model in fit.csv, the
manifest the pipeline writes) is drawn without running the model: the report and the four figures
are written, a redraw gives the same bytes, the verdicts say what the numbers say, and a missing or
malformed file is a one-line InputError.
"""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from experiments.calibrate.figures import PAIRWISE_MAX, pairwise_parameters
from experiments.calibrate.fit_table import verdict
from experiments.calibrate.read import read_calibration
from experiments.calibrate.report import CalibrateReport
from experiments.calibrate.tables import FIT_COLUMNS, PARAMETER_COLUMNS, TRACE_COLUMNS
from experiments.facts import yardsticks as y
from experiments.facts.catalogue import FACTS, FIT_DEFAULT, HELD_OUT_DEFAULT
from experiments.facts.gravity import GRAVITY_COLUMNS
from model.errors import InputError

FIGURES = ("marginals.png", "pairwise.png", "fit.png", "convergence.png")
calibrate = CalibrateReport()
PARAMS = {  # key -> (low, high, default, posterior centre)
    "behaviour.push.intercept": (-6.0, -3.0, -4.3, -4.8),
    "behaviour.choice.distance": (-2.0, 0.0, -0.6, -1.2),
    "behaviour.choice.ties": (0.0, 3.0, 1.0, 1.5),
}
PARTICLES, GENERATIONS = 30, 3
NOT_MET = "top5_suzhou"  # a fitted fact the synthetic posterior misses
BY_MODEL_ONLY = "low_move_rate"  # met by the posterior, by neither yardstick
BY_GRAVITY = "industry_mix"  # met by the posterior and the gravity yardstick, not by the null model
GRAVITY = (1.0, -1.5)  # the synthetic gravity yardstick's a and b


def _csv(path: Path, header: tuple[str, ...] | list[str], rows: list[list[Any]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


def _population(rng: np.random.Generator, spread: float, params: dict[str, tuple[float, ...]]) -> np.ndarray:
    cols = []
    for low, high, _default, centre in params.values():
        cols.append(np.clip(rng.normal(centre, spread * (high - low), PARTICLES), low, high))
    return np.column_stack(cols)


def _met(name: str, model: str) -> str:
    if name == NOT_MET:
        return "false"
    if name == BY_MODEL_ONLY and model in ("null", "gravity"):
        return "false"
    return "false" if name == BY_GRAVITY and model == "null" else "true"


def _fit_rows() -> list[list[Any]]:
    rows = []
    flag = {"true": True, "false": False}
    for name, fact in FACTS.items():
        role = "fit" if name in FIT_DEFAULT else "held_out" if name in HELD_OUT_DEFAULT else "other"
        head = [name, fact.label, role, fact.unit, fact.observed, fact.rule, fact.source, fact.window]
        lo_b = fact.bounds[0]
        value = 0.6 if fact.unit != "ratio" else 1.4
        verdict_ = y.evidence(*(flag[_met(name, m)] for m in ("posterior", "null", "gravity")))
        p = "0.16" if name.startswith("top5_") else ""
        for model in ("posterior", "calibrated", "defaults", "null", "gravity"):
            met = _met(name, model)
            share = "0.2" if met == "false" else "0.9"
            low, high = max(lo_b, round(value - 0.1, 6)), round(value + 0.1, 6)
            rows.append([*head, model, value, low, high, met, share, "detail text", p, verdict_])
        if name.startswith("top5_"):
            rows.append([*head, "random", 0.05, 0, 0.2, "", "", "147 candidates; mean overlap 0.17 of 5", "", verdict_])
    return rows


def _gravity_rows() -> list[list[Any]]:
    rows = []
    for point, total in ((GRAVITY, 1.5), ((0.0, 0.0), 2.5)):
        for f in FIT_DEFAULT:
            chosen = "true" if point == GRAVITY else "false"
            rows.append([1, *point, f, 1.0, 0.5, "true", total / len(FIT_DEFAULT), total, chosen])
    return rows


def make_folder(root: Path, params: dict[str, tuple[float, ...]] = PARAMS) -> Path:
    folder = root / "synthetic"
    folder.mkdir(parents=True)
    rng = np.random.default_rng(5)
    keys = list(params)
    pops = [_population(rng, 0.3 / (g + 1), params) for g in range(GENERATIONS)]
    weights = [rng.uniform(0.2, 1.0, PARTICLES) for _ in range(GENERATIONS)]
    weights = [w / w.sum() for w in weights]
    distances = [rng.uniform(0.1, 1.0 / (g + 1), PARTICLES) for g in range(GENERATIONS)]
    _csv(
        folder / "populations.csv",
        ["generation", "particle", "weight", "distance", *keys],
        [[g, i, weights[g][i], distances[g][i], *pops[g][i]] for g in range(GENERATIONS) for i in range(PARTICLES)],
    )
    final, w = pops[-1], weights[-1]
    _csv(
        folder / "posterior.csv",
        ["draw", "weight", "distance", *keys],
        [[i, w[i], distances[-1][i], *final[i]] for i in range(PARTICLES)],
    )
    rows = []
    for j, (key, (low, high, default, _centre)) in enumerate(params.items()):
        x = final[:, j]
        mean = float(w @ x)
        sd = float(np.sqrt(w @ (x - mean) ** 2))
        q = np.quantile(x, [0.05, 0.5, 0.95])
        rows.append([key, key.rsplit(".", 1)[-1], "utility", low, high, default, "test prior", mean, sd, *q, q[1]])
    _csv(folder / "parameters.csv", PARAMETER_COLUMNS, rows)
    _csv(
        folder / "trace.csv",
        TRACE_COLUMNS,
        [[g, 1.5 / (g + 1), PARTICLES, 60 * (g + 1), 0.5 / (g + 1), 1 / np.sum(weights[g] ** 2)] for g in range(3)],
    )
    _csv(folder / "fit.csv", FIT_COLUMNS, _fit_rows())
    _csv(folder / "gravity.csv", GRAVITY_COLUMNS, _gravity_rows())
    (folder / "predictive.csv").write_text("model,draw,fact,value,met\nposterior,0,outside_majority,0.6,true\n")
    (folder / "calibrated.yaml").write_text(
        "# Calibrated to outside_majority (2019-2022)\n"
        "# by `python run.py calibrate calibrations/synthetic.yaml`: the point estimate is ...\n"
        "extends: ../../scenarios/baseline.yaml\nname: baseline_calibrated\n",
        encoding="utf-8",
    )
    resolved = {
        "name": "synthetic",
        "base": "../scenarios/baseline.yaml",
        "seed": 7,
        "replications": 2,
        "firms": 3000,
        "fit": list(FIT_DEFAULT),
        "held_out": list(HELD_OUT_DEFAULT),
        "weights": {},
        "abc": {"population": PARTICLES, "generations": 3, "max_simulations": 500, "min_epsilon": 0.0,
                "epsilon_quantile": 0.5},
        "predictive": {"draws": 10, "replications": 2},
    }  # fmt: skip
    (folder / "calibration.resolved.yaml").write_text(json.dumps(resolved), encoding="utf-8")
    manifest = {
        "command": "calibrate",
        "name": "synthetic",
        "fingerprint": "sha256:" + "0" * 64,
        "seed": 7,
        "seed_source": "calibration file",
        "runs": 0,
        "engine": "local",
        "workers": 1,
        "calibration": {"file": "calibrations/synthetic.yaml", "firms": 3000, "simulations": 180, "generations": 3,
                        "posterior_size": PARTICLES, "budget": {"max_simulations": 500}},
        "files": sorted(p.name for p in folder.iterdir()),
        "wall_seconds": 1.0,
    }  # fmt: skip
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def drawn(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = make_folder(tmp_path_factory.mktemp("cal"))
    calibrate.draw(folder)
    return folder


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {n: (folder / n).read_bytes() for n in ("report.md", *(f"plots/{f}" for f in FIGURES))}


def test_draw_writes_the_report_and_the_four_figures(drawn: Path) -> None:
    assert sorted(p.name for p in (drawn / "plots").iterdir()) == sorted(FIGURES)
    text = (drawn / "report.md").read_text(encoding="utf-8")
    for section in ("## What was fitted", "## Priors", "## Posterior", "## Fit", "## Held-out checks",
                    "## Convergence", "## Budget", "## Reproduce"):  # fmt: skip
        assert section in text
    assert "python run.py calibrate calibrations/synthetic.yaml --seed 7 --replications 2 --firms 3000" in text
    assert "test prior" in text and "500 evaluations" in text


def test_a_redraw_gives_the_same_bytes(drawn: Path, tmp_path: Path) -> None:
    before = _snapshot(drawn)
    out = tmp_path / "again"
    out.mkdir()
    calibrate.draw(drawn, out=out)
    assert _snapshot(out) == before


def test_a_fact_a_yardstick_also_meets_is_no_evidence(drawn: Path) -> None:
    c = read_calibration(drawn)
    facts = {f.name: f for f in c.facts}
    assert verdict(facts["outside_majority"]) == y.MET_BY_BOTH
    assert verdict(facts[BY_MODEL_ONLY]) == y.EVIDENCE
    assert verdict(facts[BY_GRAVITY]) == y.MET_BY_GRAVITY
    assert verdict(facts[NOT_MET]) == y.NOT_MET
    text = (drawn / "report.md").read_text(encoding="utf-8")
    assert f"**{FACTS['outside_majority'].label}: evidence — no: met by null and gravity.**" in text
    assert f"**{FACTS[NOT_MET].label}: evidence — not met.**" in text
    headline = text.split("## What was fitted")[0]
    assert f"- **Fitted facts: 1 of {len(FIT_DEFAULT)} count as evidence ({FACTS[BY_MODEL_ONLY].label});" in headline
    assert f"{FACTS[BY_GRAVITY].label} (gravity)" in headline and f"not met: {FACTS[NOT_MET].label}" in headline
    assert "| Gravity (a = 1, b = -1.5) | Random | Evidence |" in text and "| **yes** |" in text
    assert c.gravity is not None and (c.gravity.a, c.gravity.b, c.gravity.points) == (1.0, -1.5, 2)


def test_a_folder_written_before_the_gravity_yardstick_is_judged_against_the_null_model(
    drawn: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "old"
    shutil.copytree(drawn, folder)
    (folder / "gravity.csv").unlink()
    rows = list(csv.reader((folder / "fit.csv").open(encoding="utf-8")))
    old = [r[:-2] for r in rows if r[8] != "gravity"]  # no gravity rows, no p_value and evidence columns
    _csv(folder / "fit.csv", old[0], old[1:])
    c = read_calibration(folder)
    facts = {f.name: f for f in c.facts}
    assert c.gravity is None and verdict(facts[BY_GRAVITY]) == y.EVIDENCE
    calibrate.draw(folder, out=tmp_path)
    text = (tmp_path / "report.md").read_text(encoding="utf-8")
    assert "No gravity yardstick in this folder" in text


def test_the_fit_table_has_every_fact_and_the_held_out_section_only_held_out_facts(drawn: Path) -> None:
    text = (drawn / "report.md").read_text(encoding="utf-8")
    held = text.split("## Held-out checks")[1].split("## Other facts")[0]
    for name in HELD_OUT_DEFAULT:
        assert FACTS[name].label in held
    for name in FIT_DEFAULT:
        assert f"| {FACTS[name].label} |" not in held
    assert "mean 0.05, 95% quantile 0.2" in text  # random picks beside the top-5 lists


def test_the_report_calls_a_posterior_below_200_effective_draws_thin(drawn: Path) -> None:
    text = (drawn / "report.md").read_text(encoding="utf-8")
    assert "**The posterior is thin:" in text and "distinct parameter sets" in text
    assert "on common random numbers" in text  # a folder written before `seeds` existed


def test_summary_names_size_epsilon_facts_and_the_calibrated_scenario(drawn: Path) -> None:
    lines = calibrate.summary(drawn)
    assert lines[0].startswith("calibrate: synthetic")
    assert (
        f"posterior: {PARTICLES} particles, effective size" in lines[1] and "180 simulations of 3,000 firms" in lines[1]
    )
    assert "distinct parameter sets; thin (below 200 effective draws)" in lines[1]
    assert "final epsilon 0.5" in lines[1]
    body = "\n".join(lines)
    assert FACTS["outside_majority"].label in body and FACTS["top5_wuxi"].label in body
    assert lines[-1].endswith(str(drawn / "calibrated.yaml"))


def test_plot_redraws_a_calibration_folder_through_the_manifest(drawn: Path) -> None:
    from experiments.engine.pipeline import redraw

    before = _snapshot(drawn)
    assert sorted(redraw(drawn)) == ["plots", "report.html", "report.md"]
    assert _snapshot(drawn) == before


def test_beyond_eight_parameters_the_pairwise_figure_keeps_those_that_shrank_most(tmp_path: Path) -> None:
    params = {f"behaviour.choice.p{j}": (0.0, 1.0, 0.5, 0.5) for j in range(PAIRWISE_MAX + 2)}
    folder = make_folder(tmp_path, params)
    rows = list(csv.reader((folder / "parameters.csv").open(encoding="utf-8")))
    rows[1][8] = rows[2][8] = "0.288"  # the first two parameters: posterior sd = prior sd, no shrinkage
    _csv(folder / "parameters.csv", rows[0], rows[1:])
    shown = pairwise_parameters(read_calibration(folder))
    assert shown == list(range(2, PAIRWISE_MAX + 2))


def _break(folder: Path, name: str, old: str, new: str) -> None:
    path = folder / name
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


BREAKS = {
    "no fit.csv": ("fit.csv", None, None),
    "no parameters.csv": ("parameters.csv", None, None),
    "no calibrated.yaml": ("calibrated.yaml", None, None),
    "no resolved file": ("calibration.resolved.yaml", None, None),
    "a value that is not a number": ("fit.csv", ",posterior,0.6,", ",posterior,lots,"),
    "a met flag that is not true or false": ("fit.csv", "0.7,true,0.9", "0.7,yes,0.9"),
    "an unknown model": ("fit.csv", ",null,", ",oracle,"),
    "a posterior without a parameter's column": ("posterior.csv", "behaviour.choice.ties", "ties"),
    "a prior range upside down": ("parameters.csv", "-6.0,-3.0", "-3.0,-6.0"),
    "negative weights": ("posterior.csv", "\n0,0.", "\n0,-0."),
}


@pytest.mark.parametrize("case", sorted(BREAKS), ids=str)
def test_a_missing_or_malformed_file_is_a_one_line_input_error(drawn: Path, tmp_path: Path, case: str) -> None:
    folder = tmp_path / "broken"
    shutil.copytree(drawn, folder)
    name, old, new = BREAKS[case]
    if old is None:
        (folder / name).unlink()
    else:
        _break(folder, name, old, new)
    with pytest.raises(InputError) as err:
        calibrate.draw(folder, out=tmp_path)
    assert "\n" not in err.value.message and name in err.value.message


def test_a_null_row_missing_for_a_fact_is_named(drawn: Path, tmp_path: Path) -> None:
    folder = tmp_path / "broken"
    shutil.copytree(drawn, folder)
    lines = (folder / "fit.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    kept = [ln for ln in lines if not (ln.startswith("top5_wuxi,") and ",null," in ln)]
    (folder / "fit.csv").write_text("".join(kept), encoding="utf-8")
    with pytest.raises(InputError, match="no null row for fact 'top5_wuxi'"):
        calibrate.summary(folder)
