"""The pre-pass: a fast, brace-aware scan that runs before the Lark parser.

It does three things the grammar cannot do well on its own:

* masks YAML block strings (`key: |`): the content up to the first line indented no deeper than
  the key's line is overwritten with NUL characters (newlines kept, so offsets, lines and columns
  are unchanged) and the grammar's BLOCK terminal swallows it as one token;
* splits the file into top-level chunks (one declaration, or one `module`/`import` line), so the
  parser can parse each chunk on its own and one broken declaration hides no other one;
* recognises the legacy colon-and-indentation blocks (`page "X" at "/":` + indented lines) found in
  mixed files, which are kept as opaque chunks rather than reported as errors.

It respects strings, triple-quoted strings and comments, never recurses, and jumps from one
interesting character to the next with a regex, so it is linear and cheap on 10 MB files.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

# What the scan skips in one regex step (a match that cannot fail: it stops before the next thing
# that matters): plain text, whole strings (not the start of a triple quote), comments, a ':' that
# does not open a block string, and inside brackets a line end not followed by a new line's code
# at column 0. What it stops at is read off the next character: a bracket, a line end, a block
# string's ':', a triple quote, or a quote whose string is not closed on its line.
_AFTER_BLOCK_COLON = r"[ \t]*[|>][-+]?(?=[ \t]*(?:\#[^\n]*)?(?:\r?\n|\Z))"
_SKIPPED = [
    r"""[^"'\#{}\[\]():\n]+""",
    r'"(?!"")(?:[^"\\\n]|\\.)*"',
    r"'(?!'')(?:[^'\\\n]|\\.)*'",
    r"\#[^\n]*",
    r":(?!" + _AFTER_BLOCK_COLON + ")",
]
_SKIP_TOP = re.compile("(?:" + "|".join(_SKIPPED) + ")*")
_SKIP_IN = re.compile("(?:" + "|".join(_SKIPPED + [r"\n(?![^ \t\n}])"]) + ")*")
_BLOCK_MARK = re.compile(":" + _AFTER_BLOCK_COLON)
# Used inside chunks already masked: block strings are NUL runs by then, and commas separate too.
_INTEREST_BODY = re.compile(r"""(?P<triple>\"\"\"|''')|(?P<str>["'])|(?P<comment>\#)|(?P<open>[{\[(])|(?P<close>[}\])])|(?P<sep>[\n,])""")
_STRING = {
    '"': re.compile(r'"(?:[^"\\\n]|\\.)*"'),
    "'": re.compile(r"'(?:[^'\\\n]|\\.)*'"),
}
_NOT_NL = re.compile(r"[^\n]")
_BLANK = re.compile(r"[ \t\r\f\ufeff]*(?:#[^\n]*)?")
_SKIP = re.compile(r"(?:[ \t\r\f\ufeff\n]+|#[^\n]*)*")
_INDENT = re.compile(r"[ \t]*")
# A header/comment-free code part of a line, to see whether a line ends with ':' (legacy header).
_CODE = re.compile(r"""(?:[^"'#\n]|"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*')*""")
# Keywords that start a new top-level declaration. Seen at column 0 while a brace is still open,
# they mean the previous declaration lacks a '}': cutting there keeps the rest of the file alive.
_NEW_DECL = re.compile(
    r"(?:ai[ \t]+model|llm|app|page|agent|prompt|chain|rag_pipeline|index|dataset|memory|fn|tool"
    r"|connector|template|model|training|policy|graph|knowledge|query|frame|theme|planner|workflow"
    r"|api|endpoint|backend|define)\b[^\n{}:]*\{[ \t]*(?:#[^\n]*)?(?=\r?\n|\Z)"
)


@lru_cache(maxsize=64)
def _dedent_stop(indent: int) -> re.Pattern:
    """A newline followed by a non-blank line indented no deeper than `indent` columns."""
    return re.compile(r"\n(?=[ \t]{0,%d}[^ \t\r\n])" % indent)


@dataclass
class Chunk:
    start: int
    end: int
    kind: str = "code"  # "code" | "legacy"
    unclosed: int | None = None  # offset of the innermost bracket still open at the chunk's end


@dataclass
class ScanResult:
    masked: str
    chunks: list[Chunk]
    # (start, end, message) of structural problems: brackets never closed.
    errors: list[tuple[int, int, str]] = field(default_factory=list)
    # (marker_end, content_end) of every block string, for the tree to read its text back.
    blocks: list[tuple[int, int]] = field(default_factory=list)


def _line_indent(text: str, pos: int) -> int:
    line_start = text.rfind("\n", 0, pos) + 1
    return _INDENT.match(text, line_start).end() - line_start


def _block_end(text: str, colon: int, marker_end: int, end: int) -> int:
    """End of a `key: |` block's content (trailing blank lines excluded)."""
    first_nl = text.find("\n", marker_end, end)
    if first_nl == -1:
        return marker_end
    stop = _dedent_stop(_line_indent(text, colon)).search(text, first_nl, end)
    stop_at = stop.start() if stop else end
    while stop_at > marker_end and text[stop_at - 1] in " \t\r\n":
        stop_at -= 1
    return stop_at


def _skip_string(text: str, pos: int, end: int) -> int:
    m = _STRING[text[pos]].match(text, pos, end)
    if m:
        return m.end()
    nl = text.find("\n", pos, end)  # unterminated: the parser reports it; resume on the next line
    return end if nl == -1 else nl


def _skip_triple(text: str, pos: int, end: int) -> int:
    close = text.find(text[pos : pos + 3], pos + 3, end)
    return end if close == -1 else close + 3


def scan(text: str) -> ScanResult:
    """Mask block strings and split `text` into top-level chunks."""
    return scan_from(text, 0)[0]


def scan_from(text: str, start: int, stops: frozenset | set = frozenset(), stop_min: int = -1) -> tuple[ScanResult, int | None]:
    """Scan text[start:] as if a fresh top-level chunk began at `start` (a line start).

    With `stops` (line starts where an earlier scan of an older text began a chunk, already
    shifted to this text's offsets), the scan stops at the first of them at or after `stop_min`
    it reaches between chunks and returns that offset: from there on the older scan's results
    hold unchanged (shifted), because the scan only ever reads forward from a chunk start with
    no bracket open. The returned masked text covers text[start:stop].
    """
    n = len(text)
    pieces: list[str] = []  # the masked text, built from slices
    copied = start
    chunks: list[Chunk] = []
    errors: list[tuple[int, int, str]] = []
    blocks: list[tuple[int, int]] = []
    stack: list[int] = []  # offsets of open brackets
    chunk_start = start
    pos = start
    skip_top = _SKIP_TOP.match
    skip_in = _SKIP_IN.match
    stopped = None
    while True:
        p = (skip_in if stack else skip_top)(text, pos).end()
        if p >= n:
            break
        ch = text[p]
        if ch == "\n":
            pos = p + 1
            if not stack:
                if _BLANK.fullmatch(text, chunk_start, p):
                    chunk_start = pos
                    if pos >= stop_min and pos in stops:
                        stopped = pos
                        break
                    continue
                nxt = _SKIP.match(text, pos).end()
                if nxt < n and text[nxt] == "{":
                    continue  # `header` newline `{`: the block still belongs to this declaration
                legacy_end = _legacy_end(text, chunk_start, p, nxt)
                if legacy_end is not None:
                    chunks.append(Chunk(chunk_start, legacy_end, "legacy"))
                    pos = chunk_start = legacy_end
                    continue
                chunks.append(Chunk(chunk_start, p))
                chunk_start = pos
                if pos >= stop_min and pos in stops:
                    stopped = pos
                    break
            elif pos < n and text[pos] not in " \t\n}" and _NEW_DECL.match(text, pos):
                errors.append((stack[-1], stack[-1] + 1, _unclosed_message(text[stack[-1]], True)))
                chunks.append(Chunk(chunk_start, p, unclosed=stack[-1]))
                stack.clear()
                chunk_start = pos
                if pos >= stop_min and pos in stops:
                    stopped = pos
                    break
        elif ch in "{[(":
            stack.append(p)
            pos = p + 1
        elif ch in "}])":
            if stack and text[stack[-1]] == _OPENER[ch]:
                stack.pop()  # the common case of _close
            else:
                _close(text, stack, p)
            pos = p + 1
        elif ch != ":":  # a quote
            if text.startswith(ch * 3, p):
                pos = _skip_triple(text, p, n)
            else:
                nl = text.find("\n", p)  # unterminated: the parser reports it; resume on the next line
                pos = n if nl == -1 else nl
        else:  # block string
            marker_end = _BLOCK_MARK.match(text, p).end()
            content_end = _block_end(text, p, marker_end, n)
            if content_end > marker_end:
                pieces.append(text[copied:marker_end])
                body = text[marker_end:content_end]
                pieces.append(_NOT_NL.sub("\0", body))
                copied = content_end
            blocks.append((marker_end, content_end))
            pos = max(content_end, marker_end)
    if stopped is not None:
        pieces.append(text[copied:stopped])
        return ScanResult("".join(pieces), chunks, errors, blocks), stopped
    if not _BLANK.fullmatch(text, chunk_start, n) and chunk_start < n:
        chunks.append(Chunk(chunk_start, n, unclosed=stack[-1] if stack else None))
    if stack:
        errors.append((stack[-1], stack[-1] + 1, _unclosed_message(text[stack[-1]], False)))
    pieces.append(text[copied:])
    return ScanResult("".join(pieces), chunks, errors, blocks), None


_OPENER = {"}": "{", "]": "[", ")": "("}


def _close(text: str, stack: list[int], pos: int) -> None:
    """Pop the opener a closer matches; a closer matching nothing open is a stray (the parser
    reports it) and must not unbalance the chunking of the rest of the file."""
    want = _OPENER[text[pos]]
    for i in range(len(stack) - 1, -1, -1):
        if text[stack[i]] == want:
            del stack[i:]
            return


def _unclosed_message(opener: str, cut: bool) -> str:
    closer = {"{": "}", "[": "]", "(": ")"}[opener]
    where = "before the next declaration" if cut else "before the end of the file"
    return f"'{opener}' is not closed: missing '{closer}' {where}"


def _legacy_end(text: str, start: int, nl: int, nxt: int) -> int | None:
    """End of a legacy `header:` + indented-lines block starting at `start`, or None."""
    line_start = text.rfind("\n", 0, nl) + 1
    if line_start != start or ":" not in text[start:nl]:
        return None  # only a one-line header can open a legacy block
    code = _CODE.match(text, start, nl).group().rstrip()
    if not code.endswith(":") or nxt >= len(text):
        return None
    indent = _INDENT.match(text, start).end() - start
    if _line_indent(text, nxt) <= indent:
        return None
    stop = _dedent_stop(indent).search(text, nl)
    return stop.start() if stop else len(text)


def split_segments(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Split text[start:end] (already masked) at newlines and commas outside brackets and strings."""
    segments: list[tuple[int, int]] = []
    stack: list[int] = []
    seg_start = start
    pos = start
    search = _INTEREST_BODY.search
    while pos < end:
        m = search(text, pos, end)
        if m is None:
            break
        kind = m.lastgroup
        p = m.start()
        if kind == "sep":
            pos = p + 1
            if not stack:
                if not _BLANK.fullmatch(text, seg_start, p):
                    segments.append((seg_start, p))
                seg_start = pos
        elif kind == "open":
            stack.append(p)
            pos = p + 1
        elif kind == "close":
            _close(text, stack, p)
            pos = p + 1
        elif kind == "str":
            pos = _skip_string(text, p, end)
        elif kind == "triple":
            pos = _skip_triple(text, p, end)
        else:
            nl = text.find("\n", p, end)
            pos = end if nl == -1 else nl
    if seg_start < end and not _BLANK.fullmatch(text, seg_start, end):
        segments.append((seg_start, end))
    return segments


def find_block(text: str, start: int, end: int) -> tuple[int, int | None] | None:
    """The first '{' outside strings in text[start:end] and its matching '}' (None if unclosed)."""
    stack: list[int] = []
    opened = None
    pos = start
    search = _INTEREST_BODY.search
    while pos < end:
        m = search(text, pos, end)
        if m is None:
            break
        kind = m.lastgroup
        p = m.start()
        if kind == "open":
            if not stack and text[p] == "{" and opened is None:
                opened = p
            stack.append(p)
            pos = p + 1
        elif kind == "close":
            _close(text, stack, p)
            if opened is not None and not stack:
                return opened, p
            pos = p + 1
        elif kind == "str":
            pos = _skip_string(text, p, end)
        elif kind == "triple":
            pos = _skip_triple(text, p, end)
        elif kind == "comment":
            nl = text.find("\n", p, end)
            pos = end if nl == -1 else nl
        else:
            pos = p + 1
    return None if opened is None else (opened, None)
