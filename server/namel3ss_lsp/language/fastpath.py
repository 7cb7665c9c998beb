"""A shortcut past Lark for the common chunk shapes: blocks of entries with simple values.

Lark's lexer and LALR tables cost three times what building the nodes does. This module reads a
chunk with the grammar's own terminal regexes (taken from the loaded parser, so it follows the
grammar; PAIR through the builder's PAIR_TOKEN, which a test checks against the grammar's) and
calls the same `TreeBuilder` methods in the order the parser's reductions would, so the nodes,
errors and collected maps and declarations are the same. It covers:

* blocks: a header line ending in `{` (OPEN_HEAD), `key: simple-value` lines (PAIR), nested
  blocks, closing braces, comments, blank lines and `,` separators;
* entries Lark reads token by token: `key: value` whose value is one part (a string, a triple-quoted
  or block string, a number, a word, a path, a list `[...]` or a map `{...}`), and header-like
  lines without a colon (`use shared.tools`, `dataset d from table t`, `endpoint GET /x { ... }`);
* lists of such values, on one line or many, and maps inside lists.

It gives up (returns None, and the caller runs Lark) at the first thing outside that (a group
`(...)`, a value of several parts or with `=`, a stray bracket, anything Lark would reject), at a
carriage return, form feed or BOM (where whitespace and newline terminals overlap), or nested
deeper than MAX_DEPTH. Giving up can happen after some builder calls; the caller then discards
what was collected.

Why the tokens are the ones Lark's contextual lexer produces: where a new entry may start, PAIR
and OPEN_HEAD are the highest-priority terminals and can never both match at one place (PAIR needs
a value and the line end after `key:`, OPEN_HEAD a `{`), so where one matches Lark takes it too.
Elsewhere (inside an entry, a value or a list) neither is acceptable to the parser, and the part
terminals are tried in Lark's own order (priority, then width, then name: TRIPLE, BLOCK, STRING,
NUMBER, PATH, WORD), which only matters where two can start with the same character. A '}' is
only RBRACE, a '#' only COMMENT, a line end only _NL. `tests/language/test_incremental.py` and
`tests/language/test_fastpath.py` compare both paths on mangled corpus files.
"""

from __future__ import annotations

import re

_UNSAFE = re.compile(r"[\r\f\ufeff]")
_WS = re.compile(r"[ \t]*")
_GAP = re.compile(r"[ \t]*(?:#[^\n]*)?")  # ignored: whitespace, then a comment up to the line end
_PARTS = ("TRIPLE", "BLOCK", "STRING", "NUMBER", "WORD", "PATH")
_AFTER_PARTS = frozenset("\n,}])=:")  # what may follow a run of parts (anything else is another part)
# Where a WORD starts and no other part terminal can: NUMBER needs a digit, sign or dot first.
_WORD_START = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_$")
MAX_DEPTH = 64  # nesting of blocks, maps and lists; deeper chunks go to Lark (iterative)


class Tok:
    """The attributes of a Lark token that `TreeBuilder` reads."""

    __slots__ = ("type", "value", "start_pos", "end_pos")

    def __init__(self, type_: str, value: str, start_pos: int, end_pos: int) -> None:
        self.type = type_
        self.value = value
        self.start_pos = start_pos
        self.end_pos = end_pos


class _GiveUp(Exception):
    """Outside the shapes this module reads: Lark parses the chunk."""


class FastPath:
    def __init__(self, terminals, builder) -> None:
        by_name = {t.name: t for t in terminals}
        patterns = {name: t.pattern.to_regexp() for name, t in by_name.items()}
        self.pair = builder.pair_token.match  # the grammar's PAIR, with groups for the builder
        self.open_head = re.compile(patterns["OPEN_HEAD"]).match
        self.newline = re.compile(patterns["_NL"]).match
        self.lbrace = re.compile(patterns["LBRACE"]).match
        self.word = re.compile(patterns["WORD"]).match
        # The part terminals in the order Lark's lexer tries them (see its BasicLexer).
        ordered = sorted((by_name[n] for n in _PARTS),
                         key=lambda t: (-t.priority, -t.pattern.max_width, -len(t.pattern.value), t.name))
        self.parts = [(t.name, re.compile(patterns[t.name]).match) for t in ordered]
        self.builder = builder

    def parse(self, text: str) -> list | None:
        """The items Lark would return for `text`, or None when the shortcut does not apply."""
        if _UNSAFE.search(text):
            return None
        try:
            items, _ = self._body(text, _WS.match(text).end(), 0, False)
        except (_GiveUp, RecursionError):
            return None
        return items

    # -- a body: entries until '}' (or the end of the chunk at the top level) ---------------------

    def _body(self, text: str, pos: int, depth: int, closed: bool) -> tuple[list, int]:
        """Items from `pos` to the closing '}' (its offset is returned) or, at the top level
        (`closed` false), to the end of `text`."""
        if depth > MAX_DEPTH:
            raise _GiveUp
        builder = self.builder
        pair, open_head = self.pair, self.open_head
        pair_entry, base = builder.pair_entry, builder.chunk_base()
        items: list = []
        append = items.append
        n = len(text)
        while pos < n:
            ch = text[pos]
            if ch == "}":
                if not closed:
                    raise _GiveUp  # a stray brace: Lark reports it
                return items, pos
            if ch == "\n":
                pos = self.newline(text, pos).end()  # a separator: no item
                continue
            if ch == " " or ch == "\t" or ch == "#":
                pos = _GAP.match(text, pos).end()
                continue
            if ch == ",":
                pos += 1
                continue
            m = pair(text, pos)
            if m is not None:
                append(pair_entry(m, base))  # what `_pair` does with Lark's token
                pos = m.end()
                continue
            m = open_head(text, pos)
            if m is not None:
                inner, close = self._body(text, m.end(), depth + 1, True)
                append(builder._open_entry(Tok("OPEN_HEAD", m.group(), pos, m.end()), inner, Tok("RBRACE", "}", close, close + 1)))
                pos = close + 1
                continue
            node, pos = self._entry(text, pos, depth)
            append(node)
            # an entry ends at a line end or ',' (its separator), at the '}' of the body, or at the end
            pos = _GAP.match(text, pos).end()
            if pos < n:
                ch = text[pos]
                if ch == "\n":
                    pos = self.newline(text, pos).end()
                elif ch == ",":
                    pos += 1
                elif ch != "}":
                    raise _GiveUp
        if closed:
            raise _GiveUp  # a block still open at the end: Lark reports it
        return items, pos

    def _entry(self, text: str, pos: int, depth: int) -> tuple[object, int]:
        """`parts` or `parts ':' value` (Lark's `entry`), where neither PAIR nor OPEN_HEAD matched."""
        builder = self.builder
        parts, pos = self._parts(text, pos, depth)
        after = _GAP.match(text, pos).end()
        if after < len(text) and text[after] == ":":
            colon = Tok("COLON", ":", after, after + 1)
            value, pos = self._value(text, _WS.match(text, after + 1).end(), depth)
            return builder.entry([parts, colon, value]), pos
        return builder.entry([parts]), pos

    def _parts(self, text: str, pos: int, depth: int) -> tuple[list, int]:
        """One or more parts (Lark's `parts`), up to a separator, closer, ':' or '='."""
        to_node = self.builder._part
        n = len(text)
        parts: list = []
        while True:
            part, pos = self._part(text, pos, depth)
            parts.append(to_node(part))
            after = _GAP.match(text, pos).end()
            if after >= n or text[after] in _AFTER_PARTS:
                return parts, pos
            pos = after

    def _value(self, text: str, pos: int, depth: int) -> tuple[object, int]:
        """A value (Lark's `value`: parts, then `= parts` or `=> parts` any number of times),
        followed by a separator or a closer."""
        builder = self.builder
        n = len(text)
        parts, pos = self._parts(text, pos, depth)
        node = builder.value([parts])
        while True:
            after = _GAP.match(text, pos).end()
            if after >= n:
                return node, pos
            ch = text[after]
            if ch != "=":
                if ch == ":":
                    raise _GiveUp  # not acceptable after a value: Lark reports it
                return node, pos
            end = after + 2 if text.startswith("=>", after) else after + 1
            op = Tok("OP", text[after:end], after, end)
            parts, pos = self._parts(text, _WS.match(text, end).end(), depth)
            node = builder.value([node, op, parts])

    def _part(self, text: str, pos: int, depth: int) -> tuple[object, int]:
        """One part at `pos`: a token (for `TreeBuilder._part`), or a list, group or map node."""
        if pos >= len(text):
            raise _GiveUp
        ch = text[pos]
        if ch in _WORD_START:
            m = self.word(text, pos)
            return Tok("WORD", m.group(), pos, m.end()), m.end()
        if ch == "[":
            return self._values(text, pos, depth + 1, "]", self.builder.list)
        if ch == "(":
            return self._values(text, pos, depth + 1, ")", self.builder.group)
        if ch == "{":
            m = self.lbrace(text, pos)
            inner, close = self._body(text, m.end(), depth + 1, True)
            node = self.builder.map([Tok("LBRACE", m.group(), pos, m.end()), inner, Tok("RBRACE", "}", close, close + 1)])
            return node, close + 1
        for name, match in self.parts:
            m = match(text, pos)
            if m is not None:
                return Tok(name, m.group(), pos, m.end()), m.end()
        raise _GiveUp  # '=', ')', ']', ':' or a character no terminal matches

    def _values(self, text: str, pos: int, depth: int, closer: str, build) -> tuple[object, int]:
        """`[` values `]` or `(` values `)`, the values separated by ',' or line ends (Lark's
        `list` and `group`)."""
        if depth > MAX_DEPTH:
            raise _GiveUp
        n = len(text)
        open_tok = Tok("LBRACKET" if closer == "]" else "LPAREN", text[pos], pos, pos + 1)
        values: list = []
        pos += 1
        while True:
            pos = _GAP.match(text, pos).end()
            if pos >= n:
                raise _GiveUp
            ch = text[pos]
            if ch == closer:
                break
            if ch == "\n":
                pos = self.newline(text, pos).end()
                continue
            if ch == ",":
                pos += 1
                continue
            value, pos = self._value(text, pos, depth)
            values.append(value)
            pos = _GAP.match(text, pos).end()
            ch = text[pos] if pos < n else ""
            if ch == "\n":
                pos = self.newline(text, pos).end()
            elif ch == ",":
                pos += 1
            elif ch != closer:
                raise _GiveUp
        node = build([open_tok, values, Tok("RBRACKET" if closer == "]" else "RPAREN", closer, pos, pos + 1)])
        return node, pos + 1
