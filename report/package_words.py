"""A lever package's decisions in a planner's words, the same in the `optimise` report and in the app."""

from __future__ import annotations

from collections.abc import Mapping

from model.keys import describe


def _number(value: float) -> str:
    return f"{value:,.0f}" if value.is_integer() else f"{value:,.4g}"


def decision_words(key: str, value: str) -> str:
    """One decision in plain words, without its lever: `payment per relocated job CNY 12,970 per job`."""
    parts = key.split(".")
    if len(parts) == 2:  # a switch on a whole lever
        return "in use" if value.strip() == "on" else "not in use" if value.strip() == "off" else value
    info = describe(key)
    words = info.label.split(": ", 1)[-1]
    words = words[:1].lower() + words[1:]
    try:
        number = float(value)
    except ValueError:
        return f"{words} {value}"
    unit = info.unit
    if unit.startswith("yuan"):
        if abs(number) >= 1e9:
            shown = f"CNY {number / 1e9:.3g} bn"
        elif abs(number) >= 1e6:
            shown = f"CNY {number / 1e6:.3g} m"
        else:
            shown = f"CNY {_number(number)}"
        return f"{words} {shown}{unit.removeprefix('yuan')}"
    if unit in ("", "year"):
        return f"{words} {_number(number)}"
    return f"{words} {_number(number)} {unit}"


def levers_words(decisions: Mapping[str, str]) -> str:
    """A package's decisions, grouped by lever: `Relocation aid: payment per relocated job …, annual budget …`.

    The settings of a lever the package switches off are left out (they do nothing).
    """
    off = {k for k, v in decisions.items() if k.count(".") == 1 and v.strip() == "off"}
    by_lever: dict[str, list[str]] = {}
    for key, value in decisions.items():
        if any(key.startswith(o + ".") for o in off):
            continue
        lever = describe(key).label.split(": ", 1)[0] if key.count(".") >= 2 else _lever_label(key)
        by_lever.setdefault(lever, []).append(decision_words(key, value))
    return "; ".join(f"{lever}: {', '.join(words)}" for lever, words in by_lever.items()) or "no decision"


def _lever_label(key: str) -> str:
    from model.levers.registry import REGISTRY

    lever = key.split(".")[-1]
    return REGISTRY[lever].label if lever in REGISTRY else lever.replace("_", " ").capitalize()
