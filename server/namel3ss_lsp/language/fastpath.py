"""A shortcut past Lark for the commonest chunk shape: blocks of `key: value` lines.

Most declarations read, token for token, `OPEN_HEAD (PAIR | OPEN_HEAD ... RBRACE)* RBRACE`:
a header line ending in `{`, lines of `key: simple-value`, nested `key: {` blocks and closing
braces. For those, Lark's lexer and LALR tables cost three times what building the nodes does.
This module tokenizes such a chunk with the grammar's own terminal regexes (taken from the loaded
parser, so it follows the grammar) and calls the same `TreeBuilder` methods in the order the
parser's reductions would, so the nodes, errors and collected maps and declarations are the same.

It gives up (returns None, and the caller runs Lark) at the first thing outside that shape, before
anything is reported: any other token, a stray brace, a carriage return, form feed or BOM (where
whitespace and newline terminals overlap). Why the tokens are the ones Lark's contextual lexer
produces: in a block body PAIR and OPEN_HEAD are the highest-priority terminals and can never
both match at one place (PAIR needs a value and the line end after `key:`, OPEN_HEAD a `{`), so
where one matches Lark takes it too; a '}' is only RBRACE, a '#' only COMMENT, a line end only _NL.
`tests/language/test_incremental.py` compares both paths on mangled corpus files.
"""

from __future__ import annotations

import re

_UNSAFE = re.compile(r"[\r\f\ufeff\0]")
_WS = re.compile(r"[ \t]*")


class Tok:
    """The two attributes of a Lark token that `TreeBuilder` reads."""

    __slots__ = ("value", "start_pos")

    def __init__(self, value: str, start_pos: int) -> None:
        self.value = value
        self.start_pos = start_pos


class FastPath:
    def __init__(self, terminals, builder) -> None:
        patterns = {t.name: t.pattern.to_regexp() for t in terminals}
        self.pair = re.compile(patterns["PAIR"]).match
        self.open_head = re.compile(patterns["OPEN_HEAD"]).match
        self.newline = re.compile(patterns["_NL"]).match
        self.comment = re.compile(patterns["COMMENT"]).match
        self.builder = builder

    def parse(self, text: str) -> list | None:
        """The items Lark would return for `text`, or None when the shortcut does not apply."""
        if _UNSAFE.search(text):
            return None
        pair, open_head, newline = self.pair, self.open_head, self.newline
        builder = self.builder
        n = len(text)
        pos = _WS.match(text).end()
        m = open_head(text, pos)
        if m is None:
            return None
        stack: list[tuple[Tok, list]] = [(Tok(m.group(), pos), [])]
        pos = m.end()
        while pos < n:
            ch = text[pos]
            if ch == "}":
                head, items = stack.pop()
                node = builder._open_entry(head, items, Tok("}", pos))
                pos = _WS.match(text, pos + 1).end()
                if pos < n and text[pos] == "#":
                    pos = self.comment(text, pos).end()
                if not stack:
                    return [node] if pos == n else None
                stack[-1][1].append(node)
                if pos < n and text[pos] == "\n":
                    pos = newline(text, pos).end()  # a separator: no item
                continue
            m = pair(text, pos)
            if m is not None:
                stack[-1][1].append(builder._pair(Tok(m.group(), pos)))
                pos = m.end()
                continue
            m = open_head(text, pos)
            if m is not None:
                stack.append((Tok(m.group(), pos), []))
                pos = m.end()
                continue
            if ch == "#":  # a comment line after an entry, then its line end
                pos = self.comment(text, pos).end()
                if pos < n and text[pos] == "\n":
                    pos = newline(text, pos).end()
                    continue
            return None
        return None  # a block still open at the end: Lark reports it
