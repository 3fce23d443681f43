"""The industry intensities' ranges and `world.intensities`: what the ranges file holds, what the key changes.

model/data/industry_intensity_ranges.csv gives every assumed intensity of
industries.csv a low and a high end; `world.intensities` takes each intensity
column at its point, an end or a seeded draw (model/intensities.py). The
default (every column at its point) must be the run without the key, bit for
bit; a bad range row is one line and exit status 2.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from model import simulate
from model.choice import TERMS
from model.config import INTENSITY_NAMES
from model.intensities import RANGE_COLUMNS, Ranges, column_of, read_ranges
from model.model import RelocationModel
from model.world import DATA_DIR, WorldData, load_world, world_for, world_paths
from tests.conftest import ROOT, CliResult
from tests.helpers import scenario, shipped

RANGES = DATA_DIR / "industry_intensity_ranges.csv"
SHIPPED_ROWS = list(csv.DictReader(io.StringIO(RANGES.read_text(encoding="utf-8"))))


def _loaded() -> WorldData:
    return load_world(*world_paths(scenario()), drop_hand=False)  # as world_for calls it (one cache entry)


def _ranges() -> Ranges:
    world = _loaded()
    return read_ranges(RANGES, world.industry_ids, world.industry_num)


def _intensities(**setting: object) -> dict[str, np.ndarray]:
    return world_for(scenario({"world.intensities": setting})).industry_num


def test_the_shipped_ranges_load_and_hold_every_point_value() -> None:
    world, ranges = _loaded(), _ranges()
    assert len(SHIPPED_ROWS) == world.n_industries * len(INTENSITY_NAMES)
    for name in INTENSITY_NAMES:
        point = world.industry_num[column_of(name)]
        low, high = ranges.low[name], ranges.high[name]
        assert np.all((low >= 0) & (low <= point) & (point <= high) & (high <= 1)), name
        assert np.all(high > low), f"{name}: a range of zero width is a point, not a range"
    for row in SHIPPED_ROWS:
        assert row["source"].startswith("assumption: plausible range; "), row  # and its reason after it


@pytest.mark.parametrize("end", ["low", "high"])
def test_a_range_end_is_the_column_the_model_reads(end: str) -> None:
    ranges, loaded = _ranges(), _loaded()
    sc = scenario({"world.intensities.skill": end, "firms.count": 200})
    model = RelocationModel(sc, seed=3)
    expected = getattr(ranges, end)["skill"]
    np.testing.assert_array_equal(model.data.industry_num["skill_intensity"], expected)
    for name in INTENSITY_NAMES:
        if name != "skill":  # the other columns are the table's own arrays
            assert model.data.industry_num[column_of(name)] is loaded.industry_num[column_of(name)]
    # the choice term the talent lever acts through reads it: skill_k × ln(1 + talent pool at d)
    model.state.begin_year(model.year + 1)
    ctx = model._context()
    talent = np.log1p(model.state.talent_k[model.destinations])
    np.testing.assert_allclose(TERMS["talent"].fn(ctx), expected[:, None] * talent[None, :], rtol=0, atol=0)


def test_a_draw_lies_within_the_range_and_depends_on_its_seed_alone() -> None:
    ranges, point = _ranges(), _loaded().industry_num["skill_intensity"]
    drawn = _intensities(skill="draw", seed=3)["skill_intensity"]
    assert np.all((ranges.low["skill"] <= drawn) & (drawn <= ranges.high["skill"]))
    assert not np.array_equal(drawn, point)
    np.testing.assert_array_equal(
        drawn, _intensities(skill="draw", seed=3, labour="draw", land="high")["skill_intensity"]
    )
    assert not np.array_equal(drawn, _intensities(skill="draw", seed=4)["skill_intensity"])
    # the documented rule: low + u (high - low), u from default_rng([seed, column number]), skill is column 3
    u = np.random.default_rng([3, INTENSITY_NAMES.index("skill")]).random(len(point))
    np.testing.assert_array_equal(drawn, ranges.low["skill"] + u * (ranges.high["skill"] - ranges.low["skill"]))


def test_unset_is_the_run_without_the_key_bit_for_bit() -> None:
    small = {"firms.count": 400, "years.end": 2026}
    default = scenario(small)
    assert world_for(default) is _loaded()  # the loaded world itself, no copy
    explicit = scenario({**small, "world.intensities": dict.fromkeys(INTENSITY_NAMES, "point") | {"seed": 99}})
    assert world_for(explicit) is _loaded()
    a, b = simulate(default, 5), simulate(explicit, 5)
    assert (a.timeseries, a.flows, a.metrics, a.stocks) == (b.timeseries, b.flows, b.metrics, b.stocks)
    moved = simulate(scenario({**small, "world.intensities.labour": "high"}), 5)
    assert moved.flows != a.flows  # the comparison can tell a changed table apart


def _ranges_file(edit: Callable[[list[dict[str, str]]], list[dict[str, str]]]) -> str:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, RANGE_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(edit([dict(r) for r in SHIPPED_ROWS]))
    return buf.getvalue()


def _set(index: int, **values: str) -> Callable[[list[dict[str, str]]], list[dict[str, str]]]:
    def edit(rows: list[dict[str, str]]) -> list[dict[str, str]]:
        rows[index].update(values)
        return rows

    return edit


TEXTILES_SKILL = next(i for i, r in enumerate(SHIPPED_ROWS) if (r["industry"], r["intensity"]) == ("textiles", "skill"))
LINE = TEXTILES_SKILL + 2  # the row's line in the file
BAD_ROWS: dict[str, tuple[Callable[[list[dict[str, str]]], list[dict[str, str]]], tuple[str, ...]]] = {
    "low-above-point": (_set(TEXTILES_SKILL, low="0.3"), (f"row {LINE}, column low", "0.3", "point value 0.2")),
    "high-below-point": (_set(TEXTILES_SKILL, high="0.15"), (f"row {LINE}, column high", "0.15", "0.2 to 1")),
    "above-one": (_set(TEXTILES_SKILL, high="1.5"), (f"row {LINE}, column high", "1.5", "out of range", "0.0 to 1.0")),
    "not-a-number": (_set(TEXTILES_SKILL, low="low"), (f"row {LINE}, column low", "'low'", "a number")),
    "unknown-industry": (_set(0, industry="spaceships"), ("row 2, column industry", "'spaceships'", "electronics")),
    "unknown-intensity": (_set(0, intensity="water"), ("row 2, column intensity", "'water'", "supply_chain")),
    "repeated-row": (_set(1, intensity="labour"), ("row 3", "a second row for (electronics, labour)")),
    "missing-row": (lambda rows: rows[:-1], ("rows", "no row for intensity supply_chain of chemicals")),
    "empty-source": (_set(TEXTILES_SKILL, source=" "), (f"row {LINE}, column source", "empty")),
}


@pytest.mark.parametrize("case", list(BAD_ROWS), ids=list(BAD_ROWS))
def test_a_bad_range_row_exits_2_naming_file_row_value_and_what_is_allowed(
    case: str, write: Callable[[str, str], Path], cli: Callable[..., CliResult]
) -> None:
    edit, fragments = BAD_ROWS[case]
    ranges = write("my_ranges.csv", _ranges_file(edit))
    path = write(
        "s.yaml", "name: s\nworld: {intensities: {skill: draw}, data: {industry_intensity_ranges: my_ranges.csv}}\n"
    )
    res = cli("validate", path)
    assert res.code == 2, res.out
    assert len(res.err_lines) == 1, res.err
    line = res.err_lines[0]
    assert line.startswith(f"relocsim: {ranges}: "), line
    assert "allowed: " in line, line
    for fragment in fragments:
        assert fragment in line, f"{fragment!r} not in {line!r}"


def test_the_ranges_are_read_only_when_a_setting_asks_for_them(
    write: Callable[[str, str], Path], cli: Callable[..., CliResult]
) -> None:
    """A world of one's own industries needs no ranges file until a range is asked for."""
    write("my_ranges.csv", _ranges_file(_set(0, industry="spaceships")))
    unused = write("unused.yaml", "name: u\nworld: {data: {industry_intensity_ranges: my_ranges.csv}}\n")
    assert cli("validate", unused).code == 0
    used = write(
        "used.yaml", "name: u\nworld: {intensities: {land: high}, data: {industry_intensity_ranges: my_ranges.csv}}\n"
    )
    assert cli("validate", used).code == 2


@pytest.mark.parametrize(
    ("setting", "fragment"),
    [
        ("{skill: middle}", "world.intensities.skill"),
        ("{seed: -1}", "world.intensities.seed"),
        ("{water: low}", "water"),
    ],
)
def test_a_bad_setting_exits_2(
    setting: str, fragment: str, write: Callable[[str, str], Path], cli: Callable[..., CliResult]
) -> None:
    res = cli("validate", write("s.yaml", f"name: s\nworld: {{intensities: {setting}}}\n"))
    assert res.code == 2 and len(res.err_lines) == 1 and fragment in res.err, res.err


def test_the_draw_seed_is_a_sweep_factor(write: Callable[[str, str], Path], cli: Callable[..., CliResult]) -> None:
    base = write(
        "base.yaml",
        f"name: b\nextends: {ROOT / 'scenarios' / 'talent.yaml'}\nworld: {{intensities: {{skill: draw}}}}\n",
    )
    exp = write(
        "tables.yaml",
        f"name: tables\nbase: {base}\nfactors: {{world.intensities.seed: {{values: [1, 2, 3], integer: true}}}}\n",
    )
    assert cli("validate", exp).code == 0


def test_the_talent_scenario_runs_on_a_drawn_table() -> None:
    """Both scenarios of a comparison see the same drawn table: the draw is the world's, not the run's."""
    setting = {"world.intensities": {"skill": "draw", "labour": "draw", "land": "draw", "seed": 8}, "firms.count": 300}
    base, talent = shipped("baseline", setting), shipped("talent", setting)
    for name in INTENSITY_NAMES:
        a, b = world_for(base).industry_num[column_of(name)], world_for(talent).industry_num[column_of(name)]
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(
        world_for(base).industry_num["skill_intensity"], _loaded().industry_num["skill_intensity"]
    )


def test_the_sensitivity_script_measures_the_mirror_and_prints_a_row_per_table(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from tools import intensity_sensitivity as tool

    world = _loaded()
    assert tool.mirror_rho(world.industry_num) == pytest.approx(-0.887, abs=5e-4)  # issue 17's ρ = −0.89
    chosen = tool.variants(world, RANGES, draws=1, search=30)
    settings = [dict(v.setting) for v in chosen]
    assert settings[0] == {} and len({repr(sorted(s.items())) for s in settings}) == len(settings)
    drawn = [s for s in settings if s.get("skill") == "draw"]
    rhos = [tool.mirror_rho(world_for(scenario({"world.intensities": s})).industry_num) for s in drawn]
    assert min(abs(r) for r in rhos) < 0.3  # the weakest of 30 draws is a weak mirror
    code = tool.main(["--firms", "200", "--replications", "2", "--draws", "0", "--search", "5"])
    out = capsys.readouterr().out
    assert code == 0
    rows = [line for line in out.splitlines() if line.startswith("| ") and not line.startswith("| table")]
    assert len(rows) == len(tool.variants(world, RANGES, draws=0, search=5))
    assert rows[0].startswith("| shipped table | -0.89 |")
