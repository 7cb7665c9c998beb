"""One top-level chunk, re-laid out: the whitespace replacements that give it canonical layout.

The chunk is read as a stream of the grammar's own tokens (the terminal regexes of the loaded
parser, in Lark's priority order, over the pre-pass's masked text so that a YAML block string is
one BLOCK token), and the only things written back are whitespace between tokens:

* a line's indentation: one unit more than the line that opened the innermost bracket still open
  (a line starting with a closing bracket gets the indentation of the line that opened it);
* exactly one space after a standalone ':' (`key: value`) and before a '{' that follows a name,
  string, number, path, ')' or ']' on the same line.

A space is only ever put between two tokens that stay whole (':' followed by a word was already
a separate token: `a:b` is one word and is never touched), so the tokens, and the parse, are
the same. Lines inside triple-quoted strings and block strings are not touched at all.

Indentation means something in one place in a brace-style chunk: a YAML block string (`key: |`)
ends at the first line indented no deeper than its key's line. So each block is checked: every
content line (kept as it is) must stay deeper than the key's new indentation, and the line after
the block must not become deeper than it. When that cannot hold, the chunk is left as it is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from namel3ss_lsp.language.parser import get_parser

# Whitespace the grammar ignores between tokens (WS); stripped at line ends.
WS_CHARS = " \t\f\r\ufeff"
_INDENT = re.compile(r"[ \t]*")
_BLANK_LINE = re.compile(r"[ \t\r]*")
# A BLOCK token the pre-pass took for a block string: the marker ends its line (as in scan.py).
_REAL_BLOCK = re.compile(r"[|>][-+]?(?:\x00|[ \t]*(?:#[^\n]*)?(?:\r?\n|\Z))")
# After these, a '{' gets exactly one space before it (a block or a map value).
_SPACE_BEFORE_BRACE = frozenset({"word", "string", "number", "path", "colon", "close_round"})
_OPENER = {"}": "{", "]": "[", ")": "("}
# Deeper than this, indentation would grow the file quadratically (10,000 levels: 200 MB).
MAX_LEVEL = 100

_token_re: re.Pattern | None = None


def token_regex() -> re.Pattern:
    """The grammar's terminals as one alternation, highest Lark priority first (TRIPLE/BLOCK,
    STRING, NUMBER, WORD/PATH), then punctuation; `other` catches what no terminal matches."""
    global _token_re
    if _token_re is None:
        t = {term.name: term.pattern.to_regexp() for term in get_parser().terminals}
        _token_re = re.compile(
            "|".join(
                [
                    r"(?P<nl>\n)",
                    r"(?P<ws>[ \t\f\r\ufeff]+)",
                    f"(?P<comment>{t['COMMENT']})",
                    f"(?P<triple>{t['TRIPLE']})",
                    f"(?P<block>{t['BLOCK']})",
                    f"(?P<string>{t['STRING']})",
                    f"(?P<number>{t['NUMBER']})",
                    f"(?P<word>{t['WORD']})",
                    f"(?P<path>{t['PATH']})",
                    r"(?P<open>[{\[(])",
                    r"(?P<close>[}\])])",
                    r"(?P<colon>:)",
                    r"(?P<comma>,)",
                    f"(?P<op>{t['OP']})",
                    r"(?P<other>[\s\S])",
                ]
            )
        )
    return _token_re


class Unsafe(Exception):
    """The chunk cannot be re-indented safely (a block string would change) or sensibly (nested
    too deep): leave it as it is."""


@dataclass
class ChunkLayout:
    """What `layout_chunk` found: replacements (start, end, text) in increasing order, lines
    whose line break lies inside a token (kept as is), blank lines to drop, and for each '}'
    the line of its '{' (on-type formatting re-indents that block)."""

    replacements: list[tuple[int, int, str]] = field(default_factory=list)
    keep_break: set[int] = field(default_factory=set)
    drop: set[int] = field(default_factory=set)
    blank: set[int] = field(default_factory=set)
    braces: dict[int, int] = field(default_factory=dict)  # offset of '}' -> line of its '{'


def layout_chunk(text: str, masked: str, start: int, end: int, first_line: int, line_starts: list[int], unit: str) -> ChunkLayout:
    """Lay out text[start:end], a top-level chunk beginning at line `first_line`; raise Unsafe
    when it must be left as it is. `masked` is the pre-pass's text (block strings as NULs)."""
    return _Layout(text, masked, first_line, line_starts, unit).run(start, end)


class _Layout:
    """The walk over one chunk's tokens. A "group" is a line that starts outside a token, with
    the lines a multi-line token continues it on; its first token decides its indentation."""

    def __init__(self, text: str, masked: str, first_line: int, line_starts: list[int], unit: str) -> None:
        self.text = text
        self.masked = masked
        self.line_starts = line_starts
        self.unit = unit
        self.out = ChunkLayout()
        self.line = first_line
        self.stack: list[tuple[str, int, int, int]] = []  # (opener, level of its group, group, line)
        self.group = 0
        self.group_line = first_line
        self.group_level = 0
        self.group_indent = 0
        self.pending_blanks: list[int] = []
        self.block_limit: int | None = None  # the line after a block string: indented no deeper

    def run(self, start: int, end: int) -> ChunkLayout:
        text, masked, out, stack = self.text, self.masked, self.out, self.stack
        repl = out.replacements
        token = token_regex().match
        line_start = start
        at_line_start = True
        prev_kind: str | None = None
        prev_end = start
        pos = start
        while pos < end:
            m = token(masked, pos, end)
            kind = m.lastgroup
            s, pos = m.start(), m.end()
            if kind == "ws":
                continue
            if kind == "nl":
                if at_line_start:
                    self.pending_blanks.append(self.line)
                    out.blank.add(self.line)
                self.line += 1
                line_start = pos
                at_line_start = True
                prev_kind = None
                continue
            char = masked[s]
            if at_line_start:
                at_line_start = False
                self._start_group(line_start, s, kind == "close", char)
            elif kind != "comment" and (prev_kind == "colon" or (char == "{" and prev_kind in _SPACE_BEFORE_BRACE)):
                if text[prev_end:s] != " ":
                    repl.append((prev_end, s, " "))
            prev_end = pos
            if kind == "open":
                stack.append((char, self.group_level, self.group, self.line))
                prev_kind = kind
            elif kind == "close":
                self._close(char, s)
                prev_kind = "close_round" if char in ")]" else kind
            else:
                prev_kind = kind
                if kind in ("triple", "block"):
                    breaks = m.group().count("\n")
                    if kind == "block" and _REAL_BLOCK.match(masked, s, end):
                        self._block(line_start, breaks)
                    if breaks:
                        out.keep_break.update(range(self.line, self.line + breaks))
                        self.line += breaks
                        line_start = self.line_starts[self.line]
        return out

    def _start_group(self, line_start: int, first: int, closing: bool, char: str) -> None:
        """The first token of a group at `first`: its indentation, and blank lines before it."""
        stack = self.stack
        opener = _match(stack, char) if closing else None
        if opener is not None:
            level = opener[1]
        else:
            level = stack[-1][1] + 1 if stack else 0
        if level > MAX_LEVEL:
            raise Unsafe(f"nested more than {MAX_LEVEL} levels deep")
        if self.pending_blanks:
            # No blank line at the top of a block or before its closing bracket; one at most elsewhere.
            first_in_block = bool(stack) and stack[-1][2] == self.group
            keep = 0 if closing or first_in_block else 1
            self.out.drop.update(self.pending_blanks[keep:])
            self.pending_blanks = []
        indent = self.unit * level
        if self.text[line_start:first] != indent:
            self.out.replacements.append((line_start, first, indent))
        if self.block_limit is not None:
            if len(indent) > self.block_limit:
                raise Unsafe(f"line {self.line + 1} would become part of the block string above it")
            self.block_limit = None
        self.group += 1
        self.group_line, self.group_level, self.group_indent = self.line, level, len(indent)

    def _close(self, char: str, at: int) -> None:
        opened = _pop(self.stack, char)
        if char == "}" and opened is not None:
            self.out.braces[at] = opened[3]

    def _block(self, line_start: int, breaks: int) -> None:
        """A `key: |` block string starts on this line: check its lines stay inside it."""
        text = self.text
        if self.line == self.group_line:
            key_indent = self.group_indent
        else:  # the key's line continues a multi-line token: its indentation is kept
            key_indent = _INDENT.match(text, line_start).end() - line_start
        _check_block(text, self.line_starts, self.line, breaks, key_indent)
        self.block_limit = key_indent


def _check_block(text: str, line_starts: list[int], line: int, breaks: int, key_indent: int) -> None:
    """Every non-blank content line of a block string must stay deeper than its key's line."""
    for content in range(line + 1, line + breaks + 1):
        begin = line_starts[content]
        if _BLANK_LINE.match(text, begin).end() < _line_end(text, line_starts, content):
            depth = _INDENT.match(text, begin).end() - begin
            if depth <= key_indent:
                raise Unsafe(f"the block string on line {line + 1} is indented less than its key would be")


def _line_end(text: str, line_starts: list[int], line: int) -> int:
    return line_starts[line + 1] - 1 if line + 1 < len(line_starts) else len(text)


def _match(stack: list, closer: str):
    want = _OPENER[closer]
    for i in range(len(stack) - 1, -1, -1):
        if stack[i][0] == want:
            return stack[i]
    return None


def _pop(stack: list, closer: str):
    """Pop up to the opener `closer` matches (as the pre-pass does); None for a stray closer."""
    want = _OPENER[closer]
    for i in range(len(stack) - 1, -1, -1):
        if stack[i][0] == want:
            opened = stack[i]
            del stack[i:]
            return opened
    return None
