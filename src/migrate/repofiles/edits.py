"""Text edits by character span, shared by every rewriter of a repository's files (YAML, tox, Makefile,
Dockerfile, docs): kept apart from :mod:`migrate.repofiles.yamltext` so that the rewriters of files
that are not YAML do not import PyYAML."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Edit:
    start: int
    end: int
    text: str


def apply_edits(text: str, edits) -> str:
    """Apply span edits; where two overlap, the wider one wins (it replaces a whole step or key).
    An insertion at the start of a replaced span goes before it."""
    kept: list = []
    last = None  # last kept edit that spans characters
    for e in sorted(edits, key=lambda e: (e.start, e.end > e.start, -(e.end - e.start))):
        if e.end == e.start:
            if last is not None and last.start < e.start < last.end:
                continue
            if any(k.start == k.end == e.start and k.text == e.text for k in kept):
                continue
            kept.append(e)
            continue
        if last is not None and e.start < last.end:
            if e.end - e.start > last.end - last.start:
                kept[kept.index(last)] = e
                last = e
            continue
        kept.append(e)
        last = e
    for e in reversed(kept):
        text = text[: e.start] + e.text + text[e.end :]
    return text
