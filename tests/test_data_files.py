"""Data CSV files a scenario names: every way to get one wrong is one InputError line naming file, row and column.

The rules are model/csvfile.py's (header, rows, text) and model/world.py's
size limits; the shipped files in model/data/ must keep passing them.
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from model.errors import InputError
from model.scenario import load_scenario
from model.world import DATA_DIR, MAX_INDUSTRIES, MAX_PLACES, WorldData, load_world, world_for

SHIPPED = (DATA_DIR / "places.csv").read_bytes()
LINES = SHIPPED.split(b"\n")


def _world(tmp_path: Path, places: bytes | None = None, name: str = "places.csv", **others: bytes) -> WorldData:
    """Load a scenario whose places (and any other named data file) are the given bytes."""
    files = {}
    if places is not None:
        files["places"] = (name, places)
    files.update({key: (f"{key}.csv", data) for key, data in others.items()})
    for filename, data in files.values():
        (tmp_path / filename).write_bytes(data)
    entries = ", ".join(f"{key}: {filename}" for key, (filename, _) in files.items())
    scenario_path = tmp_path / "s.yaml"
    scenario_path.write_text(f"name: x\nworld: {{data: {{{entries}}}}}\n", encoding="utf-8")
    load_world.cache_clear()
    return world_for(load_scenario(scenario_path), scenario_path)


def _refused(tmp_path: Path, *fragments: str, names: str = "places.csv", **kwargs: object) -> str:
    with pytest.raises(InputError) as info:
        _world(tmp_path, **kwargs)  # type: ignore[arg-type]
    line = info.value.message
    assert "\n" not in line and "Traceback" not in line
    assert names in line, line
    for fragment in fragments:
        assert fragment.lower() in line.lower(), f"{fragment!r} not in {line!r}"
    return line


def _places(n: int) -> bytes:
    """The shipped places with outside cities appended until there are n rows."""
    rows = list(csv.reader(io.StringIO(SHIPPED.decode("utf-8"))))
    header, body = rows[0], rows[1:]
    out = [header, *body]
    for i in range(n - len(body)):
        row = list(body[i % len(body)])
        row[header.index("id")], row[header.index("kind")], row[header.index("partner")] = f"x{i}", "outside_city", ""
        out.append(row)
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(out[: n + 1])
    return buf.getvalue().encode("utf-8")


def _replace_line(number: int, new: bytes) -> bytes:
    lines = list(LINES)
    lines[number - 1] = new
    return b"\n".join(lines)


def _with_row(number: int, edit: Callable[[list[str]], list[str]]) -> bytes:
    """The shipped places with the fields of line `number` edited (quoted as CSV needs)."""
    rows = list(csv.reader(io.StringIO(SHIPPED.decode("utf-8"))))
    rows[number - 1] = edit(rows[number - 1])
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    return buf.getvalue().encode("utf-8")


CASES: dict[str, tuple[Callable[[], bytes], tuple[str, ...]]] = {
    "not-utf8": (lambda: SHIPPED[:400] + b"\xe9\xff" + SHIPPED[400:], ("not utf-8", "line")),
    "nul-byte": (lambda: SHIPPED[:600] + b"\x00" + SHIPPED[600:], ("NUL", "line")),
    "utf16": (lambda: SHIPPED.decode("utf-8").encode("utf-16"), ("not utf-8",)),
    "empty-file": (lambda: b"", ("no header row",)),
    "empty-header-line": (lambda: b"\n" + SHIPPED, ("no header row",)),
    "empty-column-name": (lambda: SHIPPED.replace(b",name,", b",,", 1), ("header, column 2", "empty column name")),
    "duplicate-column": (lambda: SHIPPED.replace(b"id,name,", b"id,id,", 1), ("header, column 2", "repeats column 1")),
    "missing-column": (lambda: SHIPPED.replace(b",lat,", b",latitude,", 1), ("header", "missing column", "lat")),
    "header-only": (lambda: LINES[0] + b"\n", ("no place of kind 'origin'",)),
    "ragged-short": (lambda: _with_row(5, lambda r: r[:-1]), ("row 5", "fields", "as in the header")),
    "ragged-long": (lambda: _with_row(3, lambda r: [*r, "extra"]), ("row 3", "fields")),
    "blank-line-between-rows": (lambda: _replace_line(4, b"\n" + LINES[3]), ("row 4", "blank line")),
    "line-break-in-field": (
        lambda: _with_row(6, lambda r: [r[0], "two\nlines", *r[2:]]),
        ("row 6", "line break inside a field"),
    ),
    "unterminated-quote": (lambda: SHIPPED + b'x,"open', ("row",)),
    "huge-field": (lambda: _replace_line(3, b'"' + b"z" * 200_000 + b'"'), ("row 3", "not readable csv")),
    "too-many-places": (lambda: _places(MAX_PLACES + 1), ("more than 500 rows", "places × places × industries")),
    "cube-too-large": (lambda: _places(400), ("400 places × 12 industries", "at most 1,200,000")),
    "too-large": (lambda: SHIPPED + b"#" * 5_000_001, ("bytes", "at most 5,000,000")),
}


@pytest.mark.parametrize("case", list(CASES), ids=list(CASES))
def test_broken_places_file(case: str, tmp_path: Path) -> None:
    make, fragments = CASES[case]
    _refused(tmp_path, *fragments, places=make())


def test_bom_crlf_and_trailing_blank_lines_are_accepted(tmp_path: Path) -> None:
    world = _world(tmp_path, b"\xef\xbb\xbf" + SHIPPED.replace(b"\n", b"\r\n") + b"\r\n\r\n")
    assert world.place_ids == _world(tmp_path, SHIPPED, name="plain.csv").place_ids


def test_the_largest_allowed_world_loads(tmp_path: Path) -> None:
    """316 places × 12 industries is just inside the cell limit; the model must still build it."""
    assert _world(tmp_path, _places(316)).n_places == 316


def test_too_many_industries(tmp_path: Path) -> None:
    text = (DATA_DIR / "industries.csv").read_bytes()
    head, first = text.split(b"\n")[:2]
    rows = [first.replace(first.split(b",")[0], b"i%d" % i, 1) for i in range(MAX_INDUSTRIES + 1)]
    _refused(tmp_path, "more than 100 rows", names="industries.csv", industries=head + b"\n" + b"\n".join(rows))


@pytest.mark.parametrize("key", ["ties", "industry_base", "distances", "industries"])
def test_every_data_file_is_checked(key: str, tmp_path: Path) -> None:
    shipped = (DATA_DIR / f"{key}.csv").read_bytes()
    head = shipped.split(b"\n", 1)[0]
    first = head.split(b",")[0]
    broken = shipped.replace(head, first + b"," + head, 1)
    _refused(tmp_path, "repeats column 1", names=f"{key}.csv", **{key: broken})


def test_paths_that_are_not_data_files(tmp_path: Path) -> None:
    (tmp_path / "dir.csv").mkdir()
    os.mkfifo(tmp_path / "pipe.csv")
    cases = {
        "dir.csv": "is a directory",
        "pipe.csv": "FIFO",
        "/dev/zero": "character device",
        "/etc/passwd": "not a .csv file",
        "missing.csv": "not found",
        "a" * 300 + ".csv": "path too long",
    }
    scenario_path = tmp_path / "s.yaml"
    for target, fragment in cases.items():
        scenario_path.write_text(f"name: x\nworld: {{data: {{places: '{target}'}}}}\n", encoding="utf-8")
        with pytest.raises(InputError) as info:
            load_scenario(scenario_path)
        line = info.value.message
        assert line.startswith(f"{scenario_path}: world.data.places: "), line
        assert fragment.lower() in line.lower(), line
        assert "root:" not in line


def test_shipped_files_pass_the_rules() -> None:
    load_world.cache_clear()
    world = load_world(*(DATA_DIR / f"{n}.csv" for n in ("places", "industries", "ties", "industry_base", "distances")))
    assert world.n_places == len(LINES) - 2 and world.n_industries >= 10


@pytest.mark.parametrize(
    ("value", "fragment"),
    [("/dev/zero", "character device"), ("/tmp", "is a directory"), ("a\x00b.csv", "NUL"), ("/etc/passwd", ".csv")],
)
def test_data_paths_given_as_keyword_arguments(value: str, fragment: str) -> None:
    """A mapping validated without a file (RelocationModel keywords, overrides) still gets its data paths checked."""
    from model.scenario import validate_mapping

    with pytest.raises(InputError) as info:
        validate_mapping({"name": "kw", "world": {"data": {"places": value}}}, "keywords")
    assert info.value.message.startswith("keywords: world.data.places: ")
    assert fragment.lower() in info.value.message.lower()


def test_hand_seeded_rows_drop_removes_exactly_the_rows_marked_hand() -> None:
    """`world.hand_seeded_rows: drop` leaves out every industry_base row whose `seeded` is "hand" and nothing else."""
    import numpy as np

    from model.keywords import scenario_with

    keep = world_for(scenario_with(None, None, {}))
    drop = world_for(scenario_with(None, None, {"world__hand_seeded_rows": "drop"}))
    with (DATA_DIR / "industry_base.csv").open(encoding="utf-8") as fh:
        hand = [r for r in csv.DictReader(fh) if r.get("seeded") == "hand"]
    assert hand, "the shipped file marks its hand-set rows"
    removed = keep.base_jobs - drop.base_jobs
    expected = np.zeros_like(removed)
    for r in hand:
        expected[keep.place_index(r["place"]), keep.industry_ids.index(r["industry"])] += float(r["jobs"])
    assert np.array_equal(removed, expected)
    assert (drop.base_jobs >= 0).all() and drop.base_jobs.sum() < keep.base_jobs.sum()
