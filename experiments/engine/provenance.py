"""What every manifest records about how it was made: versions, git commit, command line, times."""

from __future__ import annotations

import platform
import subprocess
import sys
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def git_commit() -> str | None:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=5, check=True
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None


def package_version(dist: str) -> str | None:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


def relocsim_version() -> str:
    return package_version("relocsim") or "unknown"


def provenance(started_at: float, wall_seconds: float, **extra_versions: str | None) -> dict[str, Any]:
    """Versions (python, mesa, numpy, relocsim and any extra), git commit, argv, start time, wall seconds."""
    return {
        "versions": {
            "python": platform.python_version(),
            "mesa": package_version("mesa"),
            "numpy": package_version("numpy"),
            "relocsim": package_version("relocsim"),
            **extra_versions,
        },
        "git_commit": git_commit(),
        "argv": sys.argv,
        "start_time": datetime.fromtimestamp(started_at, UTC).isoformat(timespec="seconds"),
        "wall_seconds": round(wall_seconds, 3),
    }
