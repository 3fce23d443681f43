"""The one error type for bad input: a scenario, a data file or a command line."""

from __future__ import annotations

from pathlib import Path

# A message is one terminal line: the key path and the list of allowed values
# are cut here, so that a 100 KB key or a 500-place id list cannot flood it.
MAX_KEY_CHARS = 200
MAX_PROBLEM_CHARS = 400
MAX_ALLOWED_CHARS = 600


def printable(text: str) -> str:
    """Text with every control or non-printable character escaped (\\x1b, \\n, ...).

    A key or value copied from a file must not move the cursor, recolour the
    terminal or break the one-line message, whatever bytes the file held.
    """
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


class InputError(Exception):
    """Bad input, reported as one line: file, key path, bad value, what is allowed."""

    def __init__(self, file: str | Path | None, key: str, problem: str, allowed: str = "") -> None:
        self.file = str(file) if file is not None else None
        self.key = key
        self.problem = problem
        self.allowed = allowed
        super().__init__(self.message)

    @property
    def message(self) -> str:
        key = _cut(printable(self.key), MAX_KEY_CHARS)
        file = printable(self.file) if self.file else ""
        parts = [p for p in (file, key) if p]
        text = ": ".join([*parts, _cut(printable(self.problem), MAX_PROBLEM_CHARS)])
        if self.allowed:
            text += f" (allowed: {_cut(printable(self.allowed), MAX_ALLOWED_CHARS)})"
        return " ".join(text.split())


def short(value: object, limit: int = 60) -> str:
    """A bad value as it should appear in a one-line message."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."
