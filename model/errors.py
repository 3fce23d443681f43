"""The one error type for bad input: a scenario, a data file or a command line."""

from __future__ import annotations

from pathlib import Path


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
        parts = [p for p in (self.file, self.key) if p]
        text = ": ".join([*parts, self.problem])
        if self.allowed:
            text += f" (allowed: {self.allowed})"
        return " ".join(text.split())


def short(value: object, limit: int = 60) -> str:
    """A bad value as it should appear in a one-line message."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."
