"""Selection ranges ("expand selection"): from the token under the cursor outwards to the file.

    value -> `key: value` -> the map's braces -> the entry or declaration holding the map -> ...
          -> the top-level declaration -> the whole file

A string's text without its quotes comes before the string; a key is its own first step; a
header word (`ai model chat`) steps to the header, then the declaration; lists and call
arguments add their brackets; a legacy indentation block is one step. The walk goes down the
syntax tree from the top, one level per loop turn (no recursion, however deep the nesting).
"""

from __future__ import annotations

from dataclasses import dataclass

from namel3ss_lsp.language.analysis import Analysis
from namel3ss_lsp.language.tree import Atom, Declaration, Entry, ListNode, Map, Value
from namel3ss_lsp.language.types import Position, Range


@dataclass(frozen=True)
class SelectionRange:
    range: Range
    parent: "SelectionRange | None" = None


def selection_ranges(analysis: Analysis, positions: list[Position]) -> list[SelectionRange]:
    """One chain per position, innermost range first (as LSP's `textDocument/selectionRange`)."""
    index = analysis.line_index
    out = []
    for position in positions:
        parent = None
        for start, end in spans(analysis, index.offset(position)):
            parent = SelectionRange(index.range(start, end), parent)
        out.append(parent)
    return out


def spans(analysis: Analysis, offset: int) -> list[tuple[int, int]]:
    """(start, end) offsets around `offset`, outermost (the file) first, each inside the last."""
    chain = [(0, len(analysis.text))]

    def push(start: int, end: int) -> None:
        outer = chain[-1]
        if outer[0] <= start <= offset <= end <= outer[1] and (start, end) != outer:
            chain.append((start, end))

    for start, end in analysis.module.legacy:
        if start <= offset <= end:
            push(start, end)
            return chain
    node = _pick(analysis.module.items, offset)
    while node is not None:
        push(node.start, node.end)
        if isinstance(node, Declaration):
            body = node.body
            if body is not None and offset >= body.start:
                node = body
                continue
            header = node.parts
            if header:
                push(header[0].start, header[-1].end)
            node = _pick(header, offset)
        elif isinstance(node, Entry):
            if node.key_start <= offset <= node.key_end:
                push(node.key_start, node.key_end)
                break
            node = node.value_node
        elif isinstance(node, Value):
            node = _pick(node.parts, offset)
        elif isinstance(node, (Map, ListNode)):  # ListNode covers call arguments (Group) too
            node = _pick(node.items, offset)
        else:
            if isinstance(node, Atom) and node.kind in ("string", "triple") and _inside_quotes(node, offset):
                quote = 1 if node.kind == "string" else 3
                push(node.start + quote, node.end - quote)
            break
    return chain


def _inside_quotes(atom: Atom, offset: int) -> bool:
    quote = 1 if atom.kind == "string" else 3
    return atom.end - atom.start >= 2 * quote and atom.start + quote <= offset <= atom.end - quote


def _pick(items: list, offset: int):
    """The item holding `offset`: one it lies strictly inside first, else one ending there
    (a cursor just after a word is on that word)."""
    touching = None
    for item in items:
        if item.start > offset:
            break
        if offset < item.end:
            return item
        if offset == item.end:
            touching = item
    return touching
