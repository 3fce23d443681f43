"""The one message for a missing optional package: what needs it, the package, its extra, how to install it.

Every extra a message names is one pyproject.toml defines, and a sweep without
pyarrow says so in that form, in plain words (not `experiments.sweep.parquet: …`,
which reads like a file name).
"""

from __future__ import annotations

import logging
import sys
import tomllib
from pathlib import Path

import pytest

from experiments.sweep.parquet import ParquetSink
from model.extras import EXTRA_OF, missing_extra, missing_text

ROOT = Path(__file__).resolve().parent.parent


def test_every_extra_a_message_names_is_defined_in_pyproject() -> None:
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["optional-dependencies"]
    assert set(EXTRA_OF.values()) <= set(extras)


def test_the_message_names_the_need_the_package_the_extra_and_what_was_done_instead() -> None:
    text = missing_text("pyarrow", "writing results.parquet", "only results.csv was written")
    assert text == (
        'writing results.parquet needs the optional package pyarrow (extra "parquet"), which is not installed: '
        "pip install -e '.[parquet]' (only results.csv was written)"
    )
    error = missing_extra("pymoo", "the lever search (NSGA-II)", "optimise")
    assert error.message.startswith("command line: optimise: the lever search (NSGA-II) needs the optional package")
    assert "\n" not in error.message


def test_a_sweep_without_pyarrow_says_what_it_wrote_instead(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setitem(sys.modules, "pyarrow", None)  # `import pyarrow` now raises ImportError
    with caplog.at_level(logging.WARNING):
        sink = ParquetSink.open(tmp_path / "results.parquet", [], [], ["to_north_jobs"])
    assert sink is None
    assert not (tmp_path / "results.parquet").exists()
    assert [r.getMessage() for r in caplog.records] == [
        missing_text("pyarrow", "writing results.parquet", "only results.csv was written")
    ]


def test_warnings_read_as_relocsim_sentences_unless_verbose() -> None:
    from cli import LOG_FORMAT

    record = logging.LogRecord("experiments.sweep.parquet", logging.WARNING, __file__, 1, "a warning", None, None)
    assert logging.Formatter(LOG_FORMAT[False]).format(record) == "relocsim: a warning"
    assert logging.Formatter(LOG_FORMAT[True]).format(record).startswith("experiments.sweep.parquet: ")
