"""Each table's columns are defined once: a reader checks names taken from its writer's constant.

`pick` and `without` (model.csvfile) build a reader's part of a table from
the writer's column tuple and refuse a name the table does not have, so a
column renamed by its writer fails at import instead of in a user's report.
"""

from __future__ import annotations

import numpy as np
import pytest

from experiments.analysis.posterior import effective_size
from model.csvfile import pick, without


def test_pick_keeps_the_reader_order_and_refuses_a_name_the_table_lacks() -> None:
    table = ("scenario", "metric", "unit", "mean")
    assert pick(table, "mean", "scenario") == ("mean", "scenario")
    with pytest.raises(ValueError, match="median"):
        pick(table, "mean", "median")


def test_without_keeps_the_table_order_and_refuses_a_name_the_table_lacks() -> None:
    table = ("scenario", "metric", "unit", "mean")
    assert without(table, "unit") == ("scenario", "metric", "mean")
    with pytest.raises(ValueError, match="units"):
        without(table, "units")


def test_every_reader_checks_a_part_of_its_writers_columns() -> None:
    from experiments.analysis.posterior_tables import DRAW_FIELDS, EFFECT_FIELDS
    from experiments.compare.columns import COMPARISON_COLUMNS, DECISION_COLUMNS
    from experiments.compare.read import COMPARISON_NEEDED, DECISION_NEEDED
    from experiments.validation.columns import FACT_COLUMNS, STATICS_COLUMNS
    from experiments.validation.read import FACT_NEEDED, STATICS_NEEDED
    from report.figures.uncertainty import DRAW_NEEDED
    from report.posterior import EFFECT_NEEDED

    for needed, written in (
        (COMPARISON_NEEDED, COMPARISON_COLUMNS),
        (DECISION_NEEDED, DECISION_COLUMNS),
        (FACT_NEEDED, FACT_COLUMNS),
        (STATICS_NEEDED, STATICS_COLUMNS),
        (EFFECT_NEEDED, EFFECT_FIELDS),
        (DRAW_NEEDED, DRAW_FIELDS),
    ):
        assert set(needed) <= set(written)


def test_the_effective_size_is_kish_of_normalised_weights() -> None:
    raw = np.array([1.0, 2.0, 3.0, 4.0])
    w = raw / raw.sum()
    assert effective_size(w) == pytest.approx(raw.sum() ** 2 / np.sum(raw**2))
    assert effective_size(np.full(5, 0.2)) == pytest.approx(5.0)
