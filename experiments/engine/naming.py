"""Result folder names derived from all of a command's inputs, so that different inputs never share a folder."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from typing import Any

MAX_NAME = 64
HASH_CHARS = 8


def derived_name(command: str, parts: Sequence[str], args: Any, extra: Sequence[str] = ()) -> str:
    """`<command>-<part>-<part>…`, then the command-line overrides (`-r10`, `-f5000`, `-s42`) and `extra`.

    Too long for a folder name (64 characters), it keeps its start and ends
    with a hash of the whole, which stays distinct.
    """
    return folder_name([command, *parts, *override_tags(args), *extra])


def override_tags(args: Any) -> list[str]:
    """The command-line overrides as name pieces: `r10` replications, `f5000` firms, `s42` seed."""
    tags = []
    for flag, letter in (("replications", "r"), ("firms", "f"), ("seed", "s")):
        value = getattr(args, flag, None)
        if value is not None:
            tags.append(f"{letter}{value}")
    return tags


def folder_name(pieces: Sequence[str]) -> str:
    """The pieces joined by `-`, made safe for a folder name, with a hash at the end when too long."""
    name = re.sub(r"[^A-Za-z0-9_-]", "_", "-".join(pieces))
    if len(name) <= MAX_NAME:
        return name
    tag = hashlib.sha256(name.encode()).hexdigest()[:HASH_CHARS]
    return f"{name[: MAX_NAME - HASH_CHARS - 1]}-{tag}"


def number_tag(letter: str, value: float) -> str:
    """A number in a folder name: `w0p005` for 0.005."""
    return letter + f"{value:g}".replace(".", "p").replace("-", "m").replace("+", "")
