"""Offsets <-> LSP positions (0-based line, UTF-16 code units).

Python strings index code points; LSP counts UTF-16 code units, so an emoji (one code point outside
the BMP) is two units. Only lines holding such a character pay for the conversion (other non-ASCII
characters, `é` or `✓`, are one unit as they are one code point).
"""

from __future__ import annotations

import re
from array import array
from bisect import bisect_left, bisect_right
from itertools import accumulate, islice

from namel3ss_lsp.language.types import Position, Range

_ASTRAL = re.compile("[\U00010000-\U0010FFFF]")
_NONE = array("q")


_BLOCK = 1 << 16
_PLUS_ONE = (1).__add__


def _line_starts(text: str) -> array:
    """Start offset of every line: 0, then one past each "\n". Made a block of text at a time, in C
    calls that each hold the interpreter's lock briefly: one `split` of a 10 MB text held it for
    tens of milliseconds, while the event loop waited (the analysis of a huge document runs in a
    worker thread). An array of machine integers: 8 bytes a line where a list of ints took ~40, and
    one block to free (freeing the 588,000 ints of a 10 MB text held the event loop)."""
    starts = array("q", [0])
    for base in range(0, len(text), _BLOCK):
        parts = text[base : base + _BLOCK].split("\n")
        parts.pop()  # the text after the block's last "\n" starts no line
        # one past each "\n": the lengths so far, each plus one, from the block's start
        starts.extend(islice(accumulate(map(_PLUS_ONE, map(len, parts)), initial=base), 1, None))
    return starts


class LineIndex:
    """Line starts of one text, for converting offsets and positions both ways."""

    __slots__ = ("text", "line_starts", "ascii", "has_cr", "_astral")

    def __init__(self, text: str) -> None:
        self.text = text
        self.ascii = text.isascii()  # then a character is always one UTF-16 unit
        self.has_cr = "\r" in text  # then an offset may fall between "\r" and "\n"
        self.line_starts = _line_starts(text)
        self._astral: array | None = _NONE if self.ascii else None  # offsets of 2-unit characters

    def astral_offsets(self) -> array:
        """The offsets of the characters outside the BMP, two UTF-16 units each (found once, on the
        first need). A column is then the characters before it on its line plus the number of these
        among them: one bisection, where encoding the line up to each position made a long line
        with an emoji quadratic (semantic tokens of a 95 KB line: 7.5 s)."""
        astral = self._astral
        if astral is None:
            astral = self._astral = array("q", [m.start() for m in _ASTRAL.finditer(self.text)])
        return astral

    @property
    def line_count(self) -> int:
        return len(self.line_starts)

    def line_of(self, offset: int) -> int:
        return bisect_right(self.line_starts, offset) - 1

    def line_end(self, line: int) -> int:
        """Offset of the end of the line's text (before "\\r\\n" or "\\n")."""
        if line + 1 < len(self.line_starts):
            end = self.line_starts[line + 1] - 1
        else:
            end = len(self.text)
        if end > self.line_starts[line] and self.text[end - 1] == "\r":
            end -= 1
        return end

    def line_text(self, line: int) -> str:
        if not 0 <= line < len(self.line_starts):
            return ""
        return self.text[self.line_starts[line] : self.line_end(line)]

    def position(self, offset: int) -> Position:
        # Called for every range anybody asks for (an outline of 4 MB: 45,000 calls): kept flat.
        if offset < 0:
            offset = 0
        elif offset > len(self.text):
            offset = len(self.text)
        starts = self.line_starts
        line = bisect_right(starts, offset) - 1
        start = starts[line]
        if self.has_cr:
            # LSP has no position between "\r" and "\n": one there means the end of the line.
            offset = min(offset, self.line_end(line))
        astral = self._astral if self._astral is not None else self.astral_offsets()
        if not astral:
            return Position(line, offset - start)
        return Position(line, offset - start + bisect_left(astral, offset) - bisect_left(astral, start))

    def range(self, start: int, end: int) -> Range:
        return Range(self.position(start), self.position(end))

    def offset(self, position: Position) -> int:
        """Offset of a position; characters past the end of the line clamp to it."""
        if position.line < 0:
            return 0
        if position.line >= len(self.line_starts):
            return len(self.text)
        start = self.line_starts[position.line]
        end = self.line_end(position.line)
        target = max(position.character, 0)
        astral = self._astral if self._astral is not None else self.astral_offsets()
        first, last = bisect_left(astral, start), bisect_left(astral, end)
        units, at = 0, start  # UTF-16 units from the line's start to offset `at`
        for k in range(first, last):
            wide = astral[k]
            if units + (wide - at) >= target:
                return at + (target - units)
            units += wide - at + 2
            at = wide + 1
            if units >= target:  # inside the pair: the character's end, as before
                return at
        return min(at + (target - units), end)
