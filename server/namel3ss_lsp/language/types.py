"""Plain value types shared by the language core and its users (LSP shapes, no lsprotocol)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from typing import Any


@dataclass(frozen=True, order=True, slots=True)
class Position:
    """A place in a document: 0-based line, 0-based character in UTF-16 code units (as LSP)."""

    line: int
    character: int

    def to_lsp(self) -> dict:
        return {"line": self.line, "character": self.character}


@dataclass(frozen=True, slots=True)
class Range:
    """A half-open span [start, end) of a document."""

    start: Position
    end: Position

    def contains(self, pos: Position) -> bool:
        """True when pos lies inside the range; the end counts, so a cursor just after a word is on it."""
        return self.start <= pos <= self.end

    def to_lsp(self) -> dict:
        return {"start": self.start.to_lsp(), "end": self.end.to_lsp()}


class Severity(IntEnum):
    """Diagnostic severities, with LSP's numbers."""

    ERROR = 1
    WARNING = 2
    INFORMATION = 3
    HINT = 4


@dataclass(frozen=True, slots=True)
class Diagnostic:
    range: Range
    message: str
    code: str
    severity: Severity
    source: str = "namel3ss"
    data: Any = None
    # Other places that explain this one: (uri, range, message), LSP's relatedInformation.
    related: tuple = ()

    def to_lsp(self) -> dict:
        """The diagnostic as a plain JSON-able dict in LSP's `Diagnostic` shape."""
        out = {
            "range": self.range.to_lsp(),
            "severity": int(self.severity),
            "code": self.code,
            "source": self.source,
            "message": self.message,
        }
        if self.data is not None:
            out["data"] = self.data
        return out
