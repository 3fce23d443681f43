"""docs/ODD.md: the seven ODD sections, and a parameter table generated from the schema that cannot drift."""

from __future__ import annotations

import csv
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from experiments.analysis.posterior import PARAMETER_COLUMNS
from model.config import OutsideRise, Scenario, Settlement
from model.levers import REGISTRY
from model.scenario import model_in
from tools import odd_table
from tools.odd_sources import parameters, reference_notes

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "ODD.md"
HEADINGS = (
    "1. Purpose and patterns",
    "2. Entities, state variables and scales",
    "3. Process overview and scheduling",
    "4. Design concepts",
    "5. Initialisation",
    "6. Input data",
    "7. Submodels",
)
DESIGN_CONCEPTS = (
    "Basic principles",
    "Emergence",
    "Adaptation",
    "Objectives",
    "Learning",
    "Prediction",
    "Sensing",
    "Interaction",
    "Stochasticity",
    "Collectives",
    "Observation",
)
SECTIONS = ("firms", "world", "behaviour", "policies")


def numeric_defaults(cls: type[BaseModel], prefix: str, values: Any) -> dict[str, float]:
    """Dotted key -> default of every numeric field with a default, walked here independently of the tool.

    `values` is the default scenario's dump at this level; inside a section that is off by default
    (None: a lever, world.outside.rise) the class's own field defaults apply.
    """
    out: dict[str, float] = {}
    for name, field in cls.model_fields.items():
        key = f"{prefix}{name}"
        value = values.get(name) if isinstance(values, dict) else None
        sub = model_in(field.annotation)
        if sub is not None:
            out |= numeric_defaults(sub, key + ".", value)
        elif field.annotation in (int, float) and not field.is_required():
            out[key] = float(value if value is not None else field.default)
    return out


def schema_defaults() -> dict[str, float]:
    dump = Scenario(name="defaults").model_dump(mode="json")
    return {k: v for k, v in numeric_defaults(Scenario, "", dump).items() if k.split(".")[0] in SECTIONS}


def table_rows(text: str) -> list[list[str]]:
    """The rows of the generated parameter tables, as cells."""
    block = text.split("<!-- parameters:start -->")[1].split("<!-- parameters:end -->")[0]
    rows = []
    for line in block.splitlines():
        if line.startswith("| `"):
            cells = [c.strip() for c in re.split(r"(?<!\\)\|", line.strip())[1:-1]]
            assert len(cells) == len(odd_table.COLUMNS), line
            rows.append(cells)
    return rows


def by_key(text: str) -> dict[str, dict[str, str]]:
    return {row[0].strip("`"): dict(zip(odd_table.COLUMNS, row, strict=True)) for row in table_rows(text)}


def test_the_odd_has_the_seven_sections_in_order_and_every_design_concept() -> None:
    text = DOC.read_text(encoding="utf-8")
    found = re.findall(r"^## (\d\. .+)$", text, flags=re.MULTILINE)
    assert found == list(HEADINGS)
    concepts = text.split("## 4. Design concepts")[1].split("## 5.")[0]
    for concept in DESIGN_CONCEPTS:
        assert f"**{concept}.**" in concepts, concept


def test_every_numeric_parameter_of_the_schema_is_in_the_table_exactly_once() -> None:
    keys = [row[0].strip("`") for row in table_rows(DOC.read_text(encoding="utf-8"))]
    expected = schema_defaults()
    assert sorted(keys) == sorted(expected)
    assert len(keys) == len(set(keys))
    behaviour = {k for k in expected if k.startswith("behaviour.")}
    assert len(behaviour) == 26 and behaviour <= set(keys)  # 7 push, 15 choice (with log_gdp), 3 λ, batches
    assert {f"world.settlement.{name}" for name in Settlement.model_fields} <= set(keys)


def test_table_defaults_are_the_schema_defaults() -> None:
    rows = by_key(DOC.read_text(encoding="utf-8"))
    for key, default in schema_defaults().items():
        assert float(rows[key]["default"]) == pytest.approx(default, rel=1e-12), key
    # defaults that differ from the field's own: world.south is built with its own values
    assert float(rows["world.south.wage_per_year"]["default"]) == 0.06
    talent = REGISTRY["talent"].config_class.model_fields["yuan_per_talent"].default
    assert float(rows["policies.talent.yuan_per_talent"]["default"]) == talent
    assert float(rows["world.outside.rise.yuan_per_job"]["default"]) == OutsideRise.model_fields["yuan_per_job"].default


def test_the_reference_comments_state_the_schema_defaults() -> None:
    notes = reference_notes()
    for p in parameters():
        if p.key in notes:
            assert float(notes[p.key].default_text) == pytest.approx(p.default), p.key


def test_sources_come_from_reference_yaml() -> None:
    rows = by_key(DOC.read_text(encoding="utf-8"))
    assert rows["behaviour.choice.wage"]["source"].startswith("Guimaraes et al. 2002")
    assert rows["behaviour.nests.north_park"]["source"].startswith("assumption")
    assert rows["behaviour.choice.energy"]["source"].startswith("calibrated")
    assert rows["behaviour.push.size"]["range"] == "[-1000, 1000]"
    assert rows["behaviour.nests.outside_city"]["range"] == "[0.01, 1]"


def test_the_committed_doc_is_up_to_date() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "tools.odd_table", "--check"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr


def _doc_copy(tmp_path: Path) -> Path:
    doc = tmp_path / "ODD.md"
    doc.write_text(DOC.read_text(encoding="utf-8"), encoding="utf-8")
    return doc


CALIBRATION = """\
name: tmp_calibration
base: ../scenarios/baseline.yaml
parameters:
  behaviour.push.intercept: {range: [-6.0, -3.0], reason: "a few percent a year"}
  behaviour.choice.distance: {range: [-2.0, 0.0], reason: "firms stay near"}
fit: [outside_majority, top5_wuxi]
held_out: [top5_suzhou]
"""


def _parameters_csv(folder: Path, rows: list[dict[str, object]]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / "parameters.csv").open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=PARAMETER_COLUMNS)
        writer.writeheader()
        for row in rows:
            writer.writerow({c: row.get(c, "") for c in PARAMETER_COLUMNS})


def test_prior_and_posterior_columns_are_filled_from_a_calibration_and_its_parameters_csv(tmp_path: Path) -> None:
    doc = _doc_copy(tmp_path)
    cal = tmp_path / "cal.yaml"
    cal.write_text(CALIBRATION, encoding="utf-8")
    common = {"label": "x", "unit": "", "default": 0, "reason": "r", "posterior_sd": 0.1, "q50": 0}
    _parameters_csv(
        tmp_path / "post",
        [
            {**common, "key": "behaviour.push.intercept", "prior_low": -6, "prior_high": -3, "posterior_mean": -4.1234}
            | {"q05": -4.9, "q95": -3.5, "calibrated": -4.05},
            {**common, "key": "behaviour.choice.distance", "prior_low": -1, "prior_high": 0, "posterior_mean": -0.7}
            | {"q05": -1.2, "q95": -0.3, "calibrated": -0.65},
        ],
    )
    code = odd_table.main(["--doc", str(doc), "--calibration", str(cal), "--posterior", str(tmp_path / "post")])
    assert code == 0
    text = doc.read_text(encoding="utf-8")
    rows = by_key(text)
    intercept = rows["behaviour.push.intercept"]
    assert intercept["prior"] == "[-6, -3]: a few percent a year"
    assert intercept["posterior mean"] == "-4.12"
    assert intercept["90 % interval"] == "-4.9 to -3.5"
    assert intercept["calibrated"] == "-4.05"
    # a posterior fitted with another prior than the calibration file's says so
    assert "fitted with the prior [-1, 0]" in rows["behaviour.choice.distance"]["posterior mean"]
    untouched = rows["behaviour.choice.wage"]
    assert [untouched[c] for c in ("prior", "posterior mean", "90 % interval", "calibrated")] == ["—"] * 4
    facts = text.split("<!-- facts:start -->")[1].split("<!-- facts:end -->")[0]
    assert re.search(r"\| `top5_wuxi` \|.*\| fitted \|", facts)
    assert re.search(r"\| `top5_suzhou` \|.*\| held out \|", facts)
    assert re.search(r"\| `industry_mix` \|.*\| reported only \|", facts)
    # the tmp doc now differs from the committed one: --check says so, the committed one is untouched
    assert odd_table.main(["--doc", str(doc), "--check"]) == 1


def test_without_calibration_and_posterior_the_columns_say_so(tmp_path: Path) -> None:
    doc = _doc_copy(tmp_path)
    text = odd_table.render(doc.read_text(encoding="utf-8"), tmp_path / "absent.yaml", tmp_path / "none", doc)
    rows = by_key(text)
    assert {r["prior"] for r in rows.values()} == {"—"}
    assert {r["posterior mean"] for r in rows.values()} == {odd_table.NOT_CALIBRATED}
    assert "absent" in text.split("<!-- parameters:start -->")[1]


def test_bad_inputs_exit_2_with_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    doc = _doc_copy(tmp_path)
    cal = tmp_path / "cal.yaml"
    cal.write_text(CALIBRATION.replace("behaviour.choice.distance", "years.start"), encoding="utf-8")
    assert odd_table.main(["--doc", str(doc), "--calibration", str(cal)]) == 2
    assert odd_table.main(["--doc", str(doc), "--calibration", str(tmp_path / "missing.yaml")]) == 2
    no_markers = tmp_path / "plain.md"
    no_markers.write_text("# nothing\n", encoding="utf-8")
    assert odd_table.main(["--doc", str(no_markers)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 3 and all(line.startswith("error: ") for line in err)
    assert "years.start" in err[0]
    assert doc.read_text(encoding="utf-8") == DOC.read_text(encoding="utf-8")
