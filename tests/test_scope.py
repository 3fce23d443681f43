"""The sentence every report and terminal summary opens with: the window of its totals and what the firms stand for."""

from __future__ import annotations

import json
from pathlib import Path

from report.scope import SCOPE_FILE, scope_lines, scope_sentence, with_scope

DOC = {
    "report": [2024, 2035],
    "hindcast": [2019, 2022],
    "firms": 12345,
    "represented_firms": 30000,
    "represented_jobs": 5985000,
    "origins": 9,
}


def test_counts_are_exact_jobs_are_rounded_and_the_window_is_the_one_asked_for() -> None:
    assert scope_sentence(DOC) == (
        "Totals over 2024–2035 unless stated; 12,345 simulated firms (each a sampled firm whose jobs count ×2.43) "
        "stand for the 9 southern origins' 30,000 manufacturers (~5,980,000 jobs)."
    )
    assert scope_sentence(DOC, "hindcast").startswith("Totals over 2019–2022 unless stated;")
    whole = scope_sentence({**DOC, "firms": 30000})
    assert "30,000 simulated firms (one sampled firm each)" in whole


def test_the_sentence_goes_under_the_title_and_a_folder_without_scope_json_has_none(tmp_path: Path) -> None:
    assert scope_lines(tmp_path) == [] and with_scope("# Title\n\nBody\n", tmp_path) == "# Title\n\nBody\n"
    (tmp_path / SCOPE_FILE).write_text(json.dumps(DOC), encoding="utf-8")
    (line,) = scope_lines(tmp_path)
    assert with_scope("# Title\n\nBody\n", tmp_path) == f"# Title\n\n_{line}_\n\nBody\n"
    (tmp_path / SCOPE_FILE).write_text('{"firms": "many"}', encoding="utf-8")
    assert scope_lines(tmp_path) == [], "a scope.json this version cannot read leaves the sentence out"
