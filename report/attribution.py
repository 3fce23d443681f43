"""Stub: the attribution report (being written)."""

from __future__ import annotations

from pathlib import Path

DRAWN: tuple[str, ...] = ()


def draw(folder: Path, out: Path | None = None) -> list[Path]:
    return []


def summary(folder: Path) -> list[str]:
    return [f"-> {folder}"]
