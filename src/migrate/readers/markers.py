"""PEP 508 marker algebra on strings: combine with ``and``/``or`` safely (never by concatenation)."""

from __future__ import annotations

from packaging.markers import InvalidMarker, Marker


def _norm(marker: str | None) -> str | None:
    if marker is None:
        return None
    text = marker.strip()
    return text or None


def _wrap(text: str) -> str:
    """Parenthesise ``text`` unless it is a single comparison or already one parenthesised group."""
    if " or " not in text and " and " not in text:
        return text
    if text.startswith("(") and text.endswith(")"):
        depth = 0
        for i, ch in enumerate(text):
            depth += ch == "("
            depth -= ch == ")"
            if depth == 0 and i < len(text) - 1:
                break
        else:
            return text
    return f"({text})"


def validate(marker: str) -> str:
    """Parse with packaging; returns packaging's normalised form. Raises ValueError on bad syntax."""
    try:
        return str(Marker(marker))
    except InvalidMarker as exc:
        raise ValueError(f"invalid marker {marker!r}: {exc}") from None


def and_(*markers: str | None) -> str | None:
    """``a and b and ...``, each operand parenthesised when needed; None/empty operands dropped."""
    parts: list[str] = []
    for m in markers:
        n = _norm(m)
        if n and n not in parts:
            parts.append(n)
    if not parts:
        return None
    if len(parts) == 1:
        return validate(parts[0])
    return validate(" and ".join(_wrap(p) for p in parts))


def or_(*markers: str | None) -> str | None:
    """``a or b or ...``; if any operand is None/empty (always true), the result is None (always true)."""
    parts: list[str] = []
    for m in markers:
        n = _norm(m)
        if n is None:
            return None
        if n not in parts:
            parts.append(n)
    if not parts:
        return None
    if len(parts) == 1:
        return validate(parts[0])
    return validate(" or ".join(_wrap(p) for p in parts))
