"""Conversions between the language core's plain data and lsprotocol types."""

from __future__ import annotations

from typing import Any

from lsprotocol import types

from namel3ss_lsp.ide.display import human_size  # noqa: F401 - features format sizes through here


def position(pos: Any) -> types.Position:
    return types.Position(line=max(0, int(pos.line)), character=max(0, int(pos.character)))


def range_(rng: Any) -> types.Range:
    return types.Range(start=position(rng.start), end=position(rng.end))


def plain_range(rng: Any) -> dict:
    """`range_` as the JSON value it is sent as, made without lsprotocol objects (thread-safe)."""
    s, e = rng.start, rng.end
    return {"start": {"line": max(0, int(s.line)), "character": max(0, int(s.character))},
            "end": {"line": max(0, int(e.line)), "character": max(0, int(e.character))}}


def severity(value: Any) -> types.DiagnosticSeverity:
    try:
        return types.DiagnosticSeverity(int(value))
    except (TypeError, ValueError):
        return types.DiagnosticSeverity.Warning


def diagnostic(diag: Any) -> types.Diagnostic:
    """A language-core `Diagnostic` (or anything with its attributes) as an LSP diagnostic."""
    return types.Diagnostic(
        range=range_(diag.range),
        message=str(diag.message),
        severity=severity(getattr(diag, "severity", 2)),
        code=getattr(diag, "code", None),
        source=getattr(diag, "source", None) or "namel3ss",
        data=getattr(diag, "data", None),
        related_information=[
            types.DiagnosticRelatedInformation(location=types.Location(uri=uri, range=range_(rng)), message=message)
            for uri, rng, message in getattr(diag, "related", None) or ()
        ] or None,
    )


def contains(rng: Any, pos: Any) -> bool:
    """Whether LSP/core position `pos` lies in `rng` (end inclusive, for cursors at the end of a word)."""
    start, end = rng.start, rng.end
    if (pos.line, pos.character) < (start.line, start.character):
        return False
    return (pos.line, pos.character) <= (end.line, end.character)


def overlaps(a: Any, b: Any) -> bool:
    return not (
        (a.end.line, a.end.character) < (b.start.line, b.start.character)
        or (b.end.line, b.end.character) < (a.start.line, a.start.character)
    )
