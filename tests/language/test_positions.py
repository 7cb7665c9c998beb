"""Offsets <-> LSP positions (UTF-16 columns) against the plainest way to compute them: encode the
line up to the offset, or walk it a character at a time."""

from __future__ import annotations

from bisect import bisect_right

from hypothesis import given, settings
from hypothesis import strategies as st

from namel3ss_lsp.language.positions import LineIndex
from namel3ss_lsp.language.types import Position

# two-unit characters (emoji, U+10348), a lone surrogate, one-unit non-ASCII, and every line break
CHARACTERS = st.sampled_from(list("ab \n\r\té✓") + ["😀", "\U00010348", "\ud800"])


def plain_position(index: LineIndex, text: str, offset: int) -> Position:
    offset = max(0, min(offset, len(text)))
    line = bisect_right(index.line_starts, offset) - 1
    start = index.line_starts[line]
    if index.has_cr:
        offset = min(offset, index.line_end(line))
    return Position(line, len(text[start:offset].encode("utf-16-le", "surrogatepass")) // 2)


def plain_offset(index: LineIndex, text: str, position: Position) -> int:
    if position.line < 0:
        return 0
    if position.line >= len(index.line_starts):
        return len(text)
    start, end = index.line_starts[position.line], index.line_end(position.line)
    units = 0
    for i, ch in enumerate(text[start:end]):
        if units >= position.character:
            return start + i
        units += 2 if ord(ch) > 0xFFFF else 1
    return end


@settings(max_examples=500)
@given(st.text(CHARACTERS, max_size=60), st.integers(-2, 65), st.integers(-1, 10), st.integers(-2, 70))
def test_positions_and_offsets_agree_with_the_plain_computation(text, offset, line, character):
    index = LineIndex(text)
    assert index.position(offset) == plain_position(index, text, offset)
    assert index.offset(Position(line, character)) == plain_offset(index, text, Position(line, character))


def test_a_long_line_with_an_emoji_counts_each_column_once():
    text = "x: " + "😀ab" * 30_000 + "\n"
    index = LineIndex(text)
    last = len(text) - 1
    assert index.position(last) == Position(0, 3 + 4 * 30_000)
    assert index.offset(Position(0, 3 + 4 * 30_000)) == last
    assert index.offset(Position(0, 4)) == 4  # inside the first emoji's pair: the character's end
