"""Place names in English and Chinese, and the one font setup every figure uses.

Chinese characters need a CJK font; matplotlib (≥ 3.6) falls back glyph by
glyph along a family list, so text is drawn with ["DejaVu Sans", <a CJK
family>]: Latin glyphs from DejaVu Sans (as before), Chinese from the CJK
font. Without a CJK font the list is ["DejaVu Sans"] and labels are English
only, so nothing is ever drawn as a missing-glyph box or warns about one.
Nothing here changes matplotlib's global settings.
"""

from __future__ import annotations

import functools
import logging
import re
from pathlib import Path
from typing import Any, Protocol

logger = logging.getLogger(__name__)

LATIN_FAMILY = "DejaVu Sans"  # matplotlib's own default sans-serif, shipped with it
CJK_FAMILIES = (
    "Noto Sans CJK SC",
    "Noto Sans CJK JP",
    "Noto Sans CJK TC",
    "WenQuanYi Micro Hei",
    "WenQuanYi Zen Hei",
    "Source Han Sans SC",
    "Source Han Sans CN",
    "Noto Sans SC",
)
# An administrative suffix dropped from a Chinese name (宁波市 -> 宁波, 吴江区 -> 吴江) if two characters remain.
# File names of the CJK_FAMILIES' fonts as Debian and most distributions ship them.
CJK_FILE = re.compile(r"NotoSansCJK|NotoSansSC|wqy-(microhei|zenhei)|SourceHanSans", re.IGNORECASE)
ZH_SUFFIX = re.compile(r"(?<=..)[市区县]$")
# The words after the partner pair of a co-built park ("Changzhou–Yancheng Industrial Park" -> "Changzhou–Yancheng").
EN_PARK_SUFFIX = re.compile(r"(?<=\S)\s+(?:[A-Z][a-z]+\s+)*Park$")
ZH_PARK_SUFFIX = re.compile(r"(?<=..)(?:智能制造产业园|工业园区|产业园|园区)$")


class Named(Protocol):
    """What a label needs of a place (report.tables.Place has it)."""

    @property
    def name(self) -> str: ...

    @property
    def name_zh(self) -> str: ...

    @property
    def kind(self) -> str: ...


@functools.cache
def cjk_family() -> str | None:
    """The first installed CJK font family of CJK_FAMILIES, or None.

    Read from matplotlib's font list (no lookup by name, which would log a
    "not found" warning for every family that is missing). Cached.
    """
    from matplotlib import font_manager

    installed = {entry.name for entry in font_manager.fontManager.ttflist}
    found = next((family for family in CJK_FAMILIES if family in installed), None)
    if found is None:
        found = _register_system_cjk(font_manager)
    if found is None:
        logger.info(
            "no CJK font known to matplotlib (tried %s): place labels are in English only; install e.g. fonts-noto-cjk",
            ", ".join(CJK_FAMILIES),
        )
    return found


def _register_system_cjk(font_manager: Any) -> str | None:
    """A CJK font installed after matplotlib cached its font list: find its file, register it, return its family.

    matplotlib builds its list once and keeps it in a cache file, so a font
    installed later (apt-get install fonts-noto-cjk after pip install) is
    unknown to it; the system's font files are searched here instead of
    asking the user to delete the cache.
    """
    files = [f for f in font_manager.findSystemFonts() if CJK_FILE.search(Path(f).name)]
    for path in sorted(files):
        try:
            font_manager.fontManager.addfont(path)
        except (OSError, RuntimeError, ValueError):  # an unreadable or unsupported file
            continue
    installed = {entry.name for entry in font_manager.fontManager.ttflist}
    return next((family for family in CJK_FAMILIES if family in installed), None)


def font_families() -> list[str]:
    """The family list of every text of every figure: DejaVu Sans, then the CJK family if there is one."""
    cjk = cjk_family()
    return [LATIN_FAMILY, cjk] if cjk else [LATIN_FAMILY]


def chinese_name(place: Named, *, short: bool = False) -> str:
    """The Chinese name without the administrative suffix (and, `short`, without a park's 工业园区)."""
    text = place.name_zh.strip()
    if place.kind == "north_park":  # a park's name keeps its host county (宜兴沛县)
        return ZH_PARK_SUFFIX.sub("", text) if short else text
    return ZH_SUFFIX.sub("", text)


def english_name(place: Named, *, short: bool = False) -> str:
    """The English name (and, `short`, a co-built park by its partner pair only)."""
    text = place.name.strip()
    return EN_PARK_SUFFIX.sub("", text) if short and place.kind == "north_park" else text


def place_name(place: Named, *, lines: bool = False, short: bool = False) -> str:
    """A place's name in the one style of every table, report and page: "Ningbo 宁波" (`lines`: on two lines).

    English, then the Chinese short name without its administrative suffix
    (宁波市 -> 宁波); English only where the place table has no Chinese name.
    Never depends on the fonts installed, so a report's bytes do not either.
    `short` names a co-built park by its partner pair ("Changzhou–Yancheng
    常州盐城" for the Changzhou–Yancheng Industrial Park), for maps whose
    legend says what a park marker is.
    """
    english = english_name(place, short=short)
    chinese = chinese_name(place, short=short)
    if not chinese:
        return english
    return f"{english}\n{chinese}" if lines else f"{english} {chinese}"


def place_label(place: Named, *, lines: bool = False, short: bool = False) -> str:
    """A place's label in a figure: `place_name`, or its English part alone without a CJK font to draw the
    Chinese (no missing-glyph boxes). Text outside figures uses `place_name`."""
    if cjk_family():
        return place_name(place, lines=lines, short=short)
    return english_name(place, short=short)
