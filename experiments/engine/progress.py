"""A progress bar with ETA for long runs; tqdm stays an implementation detail."""

from __future__ import annotations


class ProgressBar:
    """Shows only after two seconds, so short runs print nothing."""

    def __init__(self, total: int, unit: str, desc: str | None = None, initial: int = 0) -> None:
        from tqdm import tqdm

        self._bar = tqdm(total=total, initial=initial, unit=unit, desc=desc, delay=2.0, leave=False, dynamic_ncols=True)

    def update(self, n: int = 1) -> None:
        self._bar.update(n)

    def close(self) -> None:
        self._bar.close()


def progress_bar(total: int, unit: str, enabled: bool, desc: str | None = None, initial: int = 0) -> ProgressBar | None:
    return ProgressBar(total, unit, desc, initial) if enabled else None
