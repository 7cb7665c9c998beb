"""The formatter: one canonical layout for `.ai` files, without changing what a file means.

Only whitespace changes, line by line: indentation by bracket nesting (the client's tab size and
spaces/tabs, 4 spaces by default), one space after the ':' of `key: value` and before the '{'
of a block (`format_chunk.py`), no trailing whitespace, blank lines (one at most in a row, none
at the start of a file, a block or before a closing bracket, one between top-level declarations
that span lines) and a final line break in the file's own line-ending style.

Never touched: the text of tokens (quotes, strings, every line of triple-quoted and `key: |`
block strings), comments' places, legacy indentation blocks (`page "x" at "/":`), and top-level
chunks with a syntax error or an unclosed bracket: those are copied as they are and listed in
`Formatted.skipped`, so a half-typed file is formatted everywhere else and never garbled.

The result keeps, for each line of the input, the text that replaces it (with its line break):
whole-document and range formatting, the minimal `TextEdit`s and on-type formatting all read
that one plan. Before anything is returned, the formatted text is scanned again and must have
the same chunks, the same block strings and the same open brackets; otherwise the input is
returned unchanged with an error (a bug, never a garbled file).
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections import Counter
from dataclasses import dataclass, field

from namel3ss_lsp.language.foreign import foreign_reason
from namel3ss_lsp.language.analysis import Analysis, analyze
from namel3ss_lsp.language.checks import check_file_structure
from namel3ss_lsp.language.format_chunk import WS_CHARS, Unsafe, layout_chunk
from namel3ss_lsp.language.positions import LineIndex
from namel3ss_lsp.language.rescan import rescan
from namel3ss_lsp.language.scan import ScanResult, scan
from namel3ss_lsp.language.types import Range

_LONE_CR = re.compile(r"\r(?!\n)")
_BOM = "\ufeff"
STYLE = "\0"  # "the file's line break" while planning (a NUL never reaches the planner: binary)


@dataclass(frozen=True)
class FormatOptions:
    tab_size: int = 4
    insert_spaces: bool = True

    @property
    def unit(self) -> str:
        """One level of indentation."""
        if not self.insert_spaces:
            return "\t"
        return " " * min(max(int(self.tab_size), 1), 16)


@dataclass(frozen=True)
class TextEdit:
    range: Range
    new_text: str


@dataclass(frozen=True)
class Skipped:
    """Lines (0-based, inclusive) left as they are, and why."""

    first_line: int
    last_line: int
    reason: str
    syntax_error: bool = True  # False: well-formed, but a block string (or its depth) forbids re-indenting it


@dataclass
class Formatted:
    """The formatted text and the per-line plan behind it."""

    original: str
    text: str
    skipped: list[Skipped] = field(default_factory=list)
    error: str | None = None  # why nothing was formatted (binary file, internal check failed)
    _index: LineIndex | None = None
    _out: list[str | None] = field(default_factory=list)  # new text of each line (None: unchanged)
    _braces: dict[int, int] = field(default_factory=dict)  # offset of a '}' -> line of its '{'

    @property
    def changed(self) -> bool:
        return self.text != self.original

    @property
    def index(self) -> LineIndex | None:
        """Lines of the original text (None when nothing was planned)."""
        return self._index

    def edits(self, first_line: int = 0, last_line: int | None = None) -> list[TextEdit]:
        """Minimal edits (one per run of changed lines) for the lines first_line..last_line."""
        index = self._index
        if index is None or not self.changed:
            return []
        count = index.line_count
        last = count - 1 if last_line is None else min(last_line, count - 1)
        edits: list[TextEdit] = []
        i = max(first_line, 0)
        while i <= last:
            if not self._changed(i):
                i += 1
                continue
            j = i
            while j + 1 <= last and self._changed(j + 1):
                j += 1
            new_text = "".join(self._new(k) for k in range(i, j + 1))
            end = index.line_starts[j + 1] if j + 1 < count else len(self.original)
            edits.append(TextEdit(index.range(index.line_starts[i], end), new_text))
            i = j + 1
        return edits

    def block_lines(self, offset: int) -> tuple[int, int] | None:
        """(line of '{', line of '}') for the '}' at `offset` (or just before it), if formatted."""
        index = self._index
        if index is None:
            return None
        for at in (offset - 1, offset):
            if at in self._braces:
                return self._braces[at], index.line_of(at)
        return None

    def _old(self, i: int) -> str:
        starts = self._index.line_starts
        return self.original[starts[i] : starts[i + 1] if i + 1 < len(starts) else len(self.original)]

    def _new(self, i: int) -> str:
        new = self._out[i]
        return self._old(i) if new is None else new

    def _changed(self, i: int) -> bool:
        new = self._out[i]
        return new is not None and new != self._old(i)


def format_text(text: str, options: FormatOptions | None = None) -> str:
    """The formatted text (the input itself when nothing can be formatted)."""
    return format_document(text, options).text


def format_document(text: str, options: FormatOptions | None = None, analysis: Analysis | None = None) -> Formatted:
    """Format `text`; `analysis` (of this very text) saves parsing it again. Never raises."""
    options = options or FormatOptions()
    reason = foreign_reason(text)
    if reason is not None:
        return Formatted(text, text, error=reason)
    norm = _LONE_CR.sub("\n", text) if "\r" in text else text
    if analysis is None or analysis.text != norm:
        analysis = analyze(norm, remember=False)
    if any(d.message.startswith("internal error") for d in analysis.diagnostics):
        return Formatted(text, text, error="this file could not be analysed, so it is left as it is")
    try:
        return _Planner(text, norm, analysis, options.unit).run()
    except Exception as exc:  # pragma: no cover - a bug must leave the file as it is, not crash
        return Formatted(text, text, error=f"internal error while formatting: {type(exc).__name__}: {exc}")


class _Planner:
    """Fills `out[i]` (the new text of line i, with its line break) for every line it changes."""

    def __init__(self, raw: str, norm: str, analysis: Analysis, unit: str) -> None:
        self.raw = raw
        self.norm = norm
        self.analysis = analysis
        self.unit = unit
        self.index: LineIndex = analysis.line_index
        self.starts = self.index.line_starts
        self.count = self.index.line_count
        self.out: list[str | None] = [None] * self.count
        # The line-ending style is chosen once the plan is known (`_materialize`): until then
        # STYLE stands for it, and `styled` lists lines left as they are that must end in it.
        self.style = STYLE
        self.styled: set[int] = set()
        self.skipped: list[Skipped] = []
        self.braces: dict[int, int] = {}
        # Top-level things in order: (kind, first line, last line), kind one of
        # "clean" (formatted, or kept whole but well-formed), "broken", "comment", "blank".
        self.things: list[tuple[str, int, int]] = []

    # -- lines ------------------------------------------------------------------------------
    def _content_end(self, i: int) -> int:
        if i + 1 >= self.count:
            return len(self.raw)
        end = self.starts[i + 1] - 1
        if self.raw[end] == "\n" and end > self.starts[i] and self.raw[end - 1] == "\r":
            end -= 1
        return end

    def _ending(self, i: int) -> str:
        end = self.starts[i + 1] if i + 1 < self.count else len(self.raw)
        return self.raw[self._content_end(i) : end]

    def _line(self, i: int) -> str:
        return self.raw[self.starts[i] : self._content_end(i)]

    # -- the plan ---------------------------------------------------------------------------
    def run(self) -> Formatted:
        result = rescan(self.norm)  # the analysis has just scanned this text: usually free
        broken = self._broken_chunks(result)
        line = 0
        for number, chunk in enumerate(result.chunks):
            first = self.index.line_of(chunk.start)
            last = self.index.line_of(max(chunk.start, chunk.end - 1))
            if first < line:  # never expected: chunks start on their own line
                return self._unchanged("the file's top-level blocks overlap; it is left as it is")
            for i in range(line, first):
                self._gap(i)
            line = last + 1
            if chunk.kind == "legacy":
                self._legacy(first, last)
            elif number in broken:
                self._broken(first, last, broken[number])
            else:
                self._code(result, chunk.start, chunk.end, first, last)
        for i in range(line, self.count):
            self._gap(i)
        self._top_level()
        self._materialize()
        self._finish()
        new_text = "".join(self._old(i) if new is None else new for i, new in enumerate(self.out))
        formatted = Formatted(self.raw, new_text, self.skipped, None, self.index, self.out, self.braces)
        if new_text != self.raw and not _same_structure(result, self.norm, new_text):
            return self._unchanged("formatting would change this file's structure, so it is left as it is (a bug: please report it)")
        return formatted

    def _unchanged(self, error: str) -> Formatted:
        return Formatted(self.raw, self.raw, error=error)

    def _old(self, i: int) -> str:
        return self.raw[self.starts[i] : self.starts[i + 1] if i + 1 < self.count else len(self.raw)]

    def _broken_chunks(self, result: ScanResult) -> dict[int, str]:
        """Chunk number -> why it is left as it is (a syntax error in it, an unclosed bracket)."""
        starts = [c.start for c in result.chunks]
        broken: dict[int, str] = {}
        for number, chunk in enumerate(result.chunks):
            if chunk.unclosed is not None:
                broken[number] = f"'{self.norm[chunk.unclosed]}' is not closed"
        # Errors the file-structure check finds in well-formed chunks (a second `app`, a block
        # header without `{ }`) are about the file, not the chunk's syntax: the chunk is formatted.
        structural = {(d.range, d.message) for d in check_file_structure(self.analysis.module.items)}
        for d in self.analysis.diagnostics:
            if d.code != "syntax-error" or (d.range, d.message) in structural:
                continue
            number = max(bisect_right(starts, self.index.offset(d.range.start)) - 1, 0)
            if number < len(result.chunks):
                broken.setdefault(number, f"syntax error: {d.message}")
        return broken

    def _broken(self, first: int, last: int, reason: str) -> None:
        """Kept as it is, and no blank line is added next to it: the pre-pass counts the blank
        lines after an unclosed block as part of it, so an added one would be added again."""
        self.skipped.append(Skipped(first, last, reason))
        self.things.append(("broken", first, last))

    def _legacy(self, first: int, last: int) -> None:
        """Kept as it is; its trailing blank lines are blank lines between declarations."""
        content_last = last
        while content_last > first and not self._line(content_last).strip(WS_CHARS):
            content_last -= 1
        self.things.append(("clean", first, content_last))
        for i in range(content_last + 1, last + 1):
            self._gap(i)

    def _gap(self, i: int) -> None:
        """A line between top-level chunks: blank, or a comment (moved to column 0)."""
        text = self._line(i).strip(WS_CHARS)
        if not text:
            self.things.append(("blank", i, i))
        elif text.startswith("#"):
            self.out[i] = text + self.style
            self.things.append(("comment", i, i))
        else:  # not expected between chunks: keep it
            self.things.append(("broken", i, i))

    def _code(self, result: ScanResult, start: int, end: int, first: int, last: int) -> None:
        try:
            layout = layout_chunk(self.norm, result.masked, start, end, first, self.starts, self.unit)
        except Unsafe as why:
            self.skipped.append(Skipped(first, last, str(why), syntax_error=False))
            self.things.append(("clean", first, last))
            return
        self.things.append(("clean", first, last))
        self.braces.update(layout.braces)
        repl = layout.replacements
        count = len(repl)
        j = 0
        raw, style, out, starts = self.raw, STYLE, self.out, self.starts
        drop, blank, keep_break = layout.drop, layout.blank, layout.keep_break
        for i in range(first, last + 1):
            if i in drop:
                out[i] = ""
                continue
            if i in blank:
                out[i] = style
                continue
            begin, stop = starts[i], self._content_end(i)
            if j == count or repl[j][0] > stop:  # nothing to replace on this line: often unchanged
                text = raw[begin:stop]
                if i in keep_break:
                    continue
                tidy = text.rstrip(WS_CHARS)
                if len(tidy) < len(text):
                    out[i] = tidy + style
                else:
                    self.styled.add(i)
                continue
            pieces = []
            at = begin
            while j < count and repl[j][0] <= stop:
                s, e, new = repl[j]
                pieces.append(raw[at:s])
                pieces.append(new)
                at = e
                j += 1
            pieces.append(raw[at:stop])
            text = "".join(pieces)
            if i in keep_break:
                out[i] = text + self._ending(i)
            else:
                out[i] = text.rstrip(WS_CHARS) + style

    # -- blank lines between declarations, start and end of file ----------------------------
    def _top_level(self) -> None:
        blanks: list[int] = []
        seen_any = False
        last_chunk: tuple[str, int, int] | None = None
        blank_since_chunk = False
        for thing in self.things:
            kind, first, last = thing
            if kind == "blank":
                blanks.append(first)
                continue
            for n, i in enumerate(blanks):
                self.out[i] = self.style if seen_any and n == 0 else ""
            blank_since_chunk = blank_since_chunk or bool(blanks)
            blanks = []
            seen_any = True
            if kind == "comment":
                continue
            if (
                last_chunk is not None
                and not blank_since_chunk
                and kind == "clean"
                and last_chunk[0] == "clean"
                and (last > first or last_chunk[2] > last_chunk[1])
            ):
                after = last_chunk[2]
                base = self.out[after]
                if base is None:
                    base = self._line(after) + STYLE if after in self.styled else self._old(after)
                self.out[after] = base + STYLE
            last_chunk = thing
            blank_since_chunk = False
        for i in blanks:  # at the end of the file
            self.out[i] = ""

    def _new(self, i: int) -> str:
        new = self.out[i]
        return self._old(i) if new is None else new

    def _materialize(self) -> None:
        """Choose the line-ending style and write it: the commonest break among the lines that
        take it (ties: the first). Once formatted, all those lines have it, so a second pass
        chooses the same one, whatever broken or legacy blocks keep."""
        votes: Counter[str] = Counter()
        taking = sorted({i for i, new in enumerate(self.out) if new is not None and STYLE in new} | self.styled)
        for i in taking:
            ending = self._ending(i)
            if ending:
                votes[ending] += 1
        if not votes:
            for i in range(self.count - 1):
                votes[self._ending(i)] += 1
        style = votes.most_common(1)[0][0] if votes else "\n"
        self.style = style
        for i in taking:
            new = self.out[i]
            if new is None:
                if self._ending(i) != style:
                    self.out[i] = self._line(i) + style
            else:
                if style == "\n":  # a kept lone CR followed by a new "\n" would read as one CRLF
                    new = new.replace("\r" + STYLE, "\n" + STYLE)
                self.out[i] = new.replace(STYLE, style)

    def _finish(self) -> None:
        """A final line break; the byte order mark stays first; no lone CR merged into a CRLF."""
        for i in range(self.count - 1, -1, -1):
            text = self._new(i)
            if text:
                # Not after a broken declaration: at the end of the file its half-typed last line
                # reads as cut short, with a line break as a line missing its value.
                last = next((thing for thing in reversed(self.things) if thing[0] != "blank"), None)
                if not text.endswith(("\n", "\r")) and not (last and last[0] == "broken" and last[1] <= i <= last[2]):
                    self.out[i] = text + self.style
                break
        if self.norm is not self.raw:  # lone CRs: a kept one followed by a new "\n" would merge
            previous = None
            for i in range(self.count):
                text = self._new(i)
                if text and previous is not None:
                    self.out[previous] = self._unmerged(self._new(previous), text)
                if text:
                    previous = i
        if self.raw.startswith(_BOM):
            first = self._new(0)
            if not first.startswith(_BOM):
                self.out[0] = _BOM + first

    @staticmethod
    def _unmerged(text: str, following: str) -> str:
        """`text` (ending in a line break) such that `following` does not change that break:
        a lone CR followed by "\n" would read as one CRLF, so it becomes "\n" (the same break)."""
        if text.endswith("\r") and following.startswith("\n"):
            return text[:-1] + "\n"
        return text


def _same_structure(before: ScanResult, old: str, new_raw: str) -> bool:
    """The formatted text scans into the same chunks, block strings and unclosed brackets."""
    new = _LONE_CR.sub("\n", new_raw) if "\r" in new_raw else new_raw
    if new.startswith(_BOM) != old.startswith(_BOM):
        return False
    after = scan(new)
    if len(after.chunks) != len(before.chunks) or len(after.blocks) != len(before.blocks) or len(after.errors) != len(before.errors):
        return False
    for a, b in zip(before.chunks, after.chunks):
        if a.kind != b.kind or (a.unclosed is None) != (b.unclosed is None):
            return False
        if a.kind == "legacy" and old[a.start : a.end].rstrip() != new[b.start : b.end].rstrip():
            return False
    for (a_start, a_end), (b_start, b_end) in zip(before.blocks, after.blocks):
        if old[a_start:a_end] != new[b_start:b_end]:
            return False
    return True
