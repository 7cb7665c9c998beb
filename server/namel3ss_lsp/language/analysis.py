"""`analyze(text)`: the one entry point: text in, tree + model view + diagnostics out.

The file is scanned into top-level chunks (`rescan`: only around the change when a similar text
was scanned recently), each chunk is parsed and checked on its own (or copied from the chunk
cache when its text was seen before, see `chunk_cache`), and the few checks that span chunks
(duplicate declarations, `extends`) run over the whole file. Diagnostics are gathered in the same
order as a plain pass would produce them, so deduplication and sorting give the same list.

The work is a generator (`analysis_steps`) that pauses between chunks, so the language server can
run an analysis in slices and answer requests in between, or drop it when the text changes
(`Stepper`); `analyze` runs it to the end. Content that is not Namel3ss at all (an Adobe
Illustrator file, binary bytes) stops before any parsing with one `not-namel3ss` diagnostic.
A huge document can be analysed `lean`: each chunk's tree is read (diagnostics, models, outline,
folding) and then dropped, so memory stays near the size of the text.
"""

from __future__ import annotations

import logging
import re
import time
from dataclasses import dataclass, field
from typing import Generator, Iterator

from namel3ss_lsp.language.checks import check_duplicate_declarations, check_file_structure, check_model, duplicate_keys
from namel3ss_lsp.language.chunk_cache import CACHE, Parsed, Piece, moved, reuse, template
from namel3ss_lsp.language.clone import TooDeep
from namel3ss_lsp.language.foreign import foreign_reason
from namel3ss_lsp.language.heap import building
from namel3ss_lsp.language.lending import Lender
from namel3ss_lsp.language.models import ModelDecl, inherit_providers, model_declarations, model_from_declaration
from namel3ss_lsp.language.parser import Collected, parse_region
from namel3ss_lsp.language.positions import LineIndex
from namel3ss_lsp.language.rescan import rescan
from namel3ss_lsp.language.scan import scan
from namel3ss_lsp.language.outline import block_folds, declaration_symbols
from namel3ss_lsp.language.tree import MAX_NESTING, Declaration, Doc, Entry, ListNode, Map, Module, Value
from namel3ss_lsp.language.types import Diagnostic, Range, Severity


@dataclass
class Analysis:
    text: str
    line_index: LineIndex
    module: Module
    # Every declaration and map of the file, in source order (no tree walk needed to visit them).
    declarations: list = field(default_factory=list)
    maps: list = field(default_factory=list)
    models: list[ModelDecl] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    foreign: str | None = None  # why the text is not Namel3ss (Illustrator, binary): nothing was parsed
    lean: bool = False  # a huge document: no tree kept (module.items, declarations and maps are empty)
    outline: list | None = None  # lean: the outline (language.outline.Symbol), read chunk by chunk
    folds: list | None = None  # lean: the folding ranges of blocks, read chunk by chunk
    # (start, end, masked text when it differs) of each parsed chunk: the chunk cache's keys
    chunks: list = field(default_factory=list, repr=False)
    pieces: list = field(default_factory=list, repr=False)  # each chunk's results (chunk_cache.Piece), as `chunks`

    @property
    def syntax_errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.code == "syntax-error"]

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity == Severity.ERROR]

    def model_named(self, name: str) -> ModelDecl | None:
        for m in self.models:
            if m.name == name:
                return m
        return None


def _syntax(index: LineIndex, start: int, end: int, message: str) -> Diagnostic:
    return Diagnostic(index.range(start, max(start, end)), message, "syntax-error", Severity.ERROR)


logger = logging.getLogger(__name__)
_LONE_CR = re.compile(r"\r(?!\n)")
_REUSED_PER_STEP = 64  # chunks copied from the cache between two pauses (a parse pauses after each)
LEAN_FROM = 1_000_000  # characters: the language server analyses bigger documents lean


def analyze(text: str, *, remember: bool = True, lean: bool = False, previous: Analysis | None = None,
            spend_previous: bool = False) -> Analysis:
    """Parse and check one document. Never raises: an internal failure becomes a diagnostic.
    `previous`: the analysis of the document's last text, which lends the chunks an edit did not
    touch (`lending.Lender`). `spend_previous`: nobody will read `previous` again, so the chunks
    after the edit are moved out of it in place rather than copied."""
    result = Stepper(text, remember=remember, lean=lean, previous=previous, spend_previous=spend_previous).advance(None)
    assert result is not None
    return result


class Stepper:
    """One analysis run a slice at a time: `advance(budget)` works for about `budget` seconds (a
    chunk is never split) and returns the Analysis once done, else None; `close()` abandons it."""

    __slots__ = ("text", "_steps")

    def __init__(self, text: str, *, remember: bool = True, lean: bool = False, previous: Analysis | None = None,
                 spend_previous: bool = False) -> None:
        self.text = text
        self._steps = analysis_steps(text, remember=remember, lean=lean, previous=previous, spend_previous=spend_previous)

    def advance(self, budget: float | None) -> Analysis | None:
        deadline = None if budget is None else time.perf_counter() + budget
        # The tree is acyclic, but building ~10^5 nodes with the cyclic GC running sets off full
        # passes that cost more than the parse itself (issue 14): see `heap.building`.
        with building():
            try:
                steps = self._steps
                while True:
                    next(steps)
                    if deadline is not None and time.perf_counter() >= deadline:
                        return None
            except StopIteration as done:
                return done.value
            except Exception as exc:  # pragma: no cover - a bug must not take the editor down with it
                # The editor shows one line; the traceback goes to the log, where a bug report needs it.
                logger.exception("analysis failed (%d characters)", len(self.text))
                return failed(self.text, exc)

    def close(self) -> None:
        self._steps.close()


def failed(text: str, exc: BaseException) -> Analysis:
    """The analysis of a text whose analysis raised: one diagnostic saying so."""
    text = _LONE_CR.sub("\n", text) if "\r" in text else text
    index = LineIndex(text)
    rng = Range(index.position(0), index.position(0))
    diag = Diagnostic(rng, f"internal error while analysing this file: {type(exc).__name__}: {exc}", "syntax-error", Severity.ERROR)
    return Analysis(text, index, Module([], [], Doc(text, index)), diagnostics=[diag])


def provisional(text: str, previous: Analysis) -> Analysis:
    """The text itself (lines, Illustrator or binary) with `previous`'s models and nothing else:
    enough to tell what a completion is about while the analysis of this text is still running
    (a big document's takes a worker thread 0.3-3 s after each keystroke)."""
    if "\r" in text:
        text = _LONE_CR.sub("\n", text)
    index = LineIndex(text)
    return Analysis(text, index, Module([], [], Doc(text, index)), models=previous.models, foreign=foreign_reason(text))


def analysis_steps(text: str, *, remember: bool = True, lean: bool = False, previous: Analysis | None = None,
                   spend_previous: bool = False) -> Generator[None, None, Analysis]:
    """The analysis as a generator: it pauses (yields) between chunks and returns the Analysis.
    Closed or failing before it is done, it leaves `previous` as it was (`Lender.undo`)."""
    if "\r" in text:
        # LSP counts a lone "\r" as a line break, as editors do; the core splits lines on "\n".
        # Replacing it keeps every offset, so ranges stay valid for the editor's text.
        text = _LONE_CR.sub("\n", text)
    reason = foreign_reason(text)
    if reason is not None:  # an Illustrator or binary file: one diagnostic, no parsing at all
        index = LineIndex(text)
        origin = Range(index.position(0), index.position(0))
        diag = Diagnostic(origin, reason, "not-namel3ss", Severity.ERROR)
        return Analysis(text, index, Module([], [], Doc(text, index)), diagnostics=[diag], foreign=reason)
    index = LineIndex(text)
    doc = Doc(text, index)
    yield
    # A huge document is scanned whole each time rather than remembered for splicing: the memory
    # of its scan would hold another copy of the text (and it is analysed in a worker thread).
    result = scan(text) if lean else rescan(text)
    yield
    if lean:
        return (yield from _lean_steps(text, index, doc, result))
    lender = Lender(previous, text, in_place=spend_previous)  # the chunks this text still has
    try:
        return (yield from _steps(text, index, doc, result, remember, lender))
    except BaseException:  # abandoned (GeneratorExit) or failed: what was moved goes back
        lender.undo()
        raise


def _steps(text: str, index: LineIndex, doc: Doc, result, remember: bool,
           lender: Lender) -> Generator[None, None, Analysis]:
    masked = result.masked
    diagnostics: list[Diagnostic] = [_syntax(index, s, e, msg) for s, e, msg in result.errors]
    legacy: list[tuple[int, int]] = []
    chunks = []
    for chunk in result.chunks:
        if chunk.kind == "legacy":
            legacy.append((chunk.start, chunk.end))
        else:
            chunks.append(chunk)
    keys = [_key(text, masked, chunk) for chunk in chunks]
    found = CACHE.get_many(keys)
    # A file bigger than the whole cache would only churn it: parse it as it comes, keep nothing.
    # Nor is a template made when nothing will be remembered (a sixth of a cold analysis).
    keep = remember and len(text) <= CACHE.limit
    pieces: list[Piece] = []
    fresh: list[tuple[object, int, Piece, Parsed | None]] = []  # parsed here: (key, line, piece, entry)
    reused = 0
    for chunk, key, parsed in zip(chunks, keys, found):
        line = index.line_of(chunk.start)
        piece = lender.piece(chunk.start, chunk.end, None if isinstance(key, str) else key[1], line, doc)
        if piece is None and parsed is not None:
            try:
                piece = reuse(parsed, chunk.start, line, doc)
            except RecursionError:  # the caller's stack is nearly full: parsing needs less of it
                piece = None
        if piece is None:
            piece = _parse_chunk(masked, chunk.start, chunk.end, doc, index)
            fresh.append((key, line, piece, _template(piece, chunk.start, line, key) if keep else None))
            yield
        else:
            reused += 1
            if reused % _REUSED_PER_STEP == 0:
                yield
        pieces.append(piece)
        for d, at_eof in piece.syntax:
            if not (at_eof and chunk.unclosed is not None):  # the scan already said which bracket is never closed
                diagnostics.append(d)
    items = [item for piece in pieces for item in piece.items]
    models = [md for piece in pieces for md in piece.models]
    inherit_providers(models)
    diagnostics += check_duplicate_declarations(items)
    diagnostics += check_file_structure(items)
    diagnostics += [d for piece in pieces for d, _, _ in piece.dup_keys]
    yield
    diagnostics += _check_models(pieces, models, {id(p): e for _, _, p, e in fresh})
    if remember:
        CACHE.put_many([(key, entry) for key, _, _, entry in fresh if entry is not None])
    diagnostics = _dedupe(diagnostics)
    diagnostics.sort(key=lambda d: (d.range.start, d.range.end))
    decls = [d for piece in pieces for d in piece.decls]
    maps = [m for piece in pieces for m in piece.maps]
    spans = [(c.start, c.end, None if isinstance(k, str) else k[1]) for c, k in zip(chunks, keys)]
    # The pieces are what the next analysis borrows from (~650 bytes a chunk, freed with the
    # analysis): kept even when nothing goes to the chunk cache (`remember` False, as on didOpen),
    # or the first edit after opening re-parsed every chunk and cached a template of each, which
    # doubled the memory of every document once edited (issue 17).
    return Analysis(text, index, Module(items, legacy, doc), decls, maps, models, diagnostics, chunks=spans,
                    pieces=pieces)


def _lean_steps(text: str, index: LineIndex, doc: Doc, result) -> Generator[None, None, Analysis]:
    """Like `_steps` for a huge document, keeping no tree: each chunk is parsed, read (diagnostics,
    models, outline, folding, the header of each top-level declaration for the file-wide checks)
    and dropped. Only the model declarations keep their nodes. The chunk cache is not used."""
    masked = result.masked
    diagnostics: list[Diagnostic] = [_syntax(index, s, e, msg) for s, e, msg in result.errors]
    legacy: list[tuple[int, int]] = []
    pieces: list[Piece] = []
    heads: list[Declaration] = []
    outline: list = []
    folds: list = []
    for chunk in result.chunks:
        if chunk.kind == "legacy":
            legacy.append((chunk.start, chunk.end))
            continue
        piece = _parse_chunk(masked, chunk.start, chunk.end, doc, index)
        for d, at_eof in piece.syntax:
            if not (at_eof and chunk.unclosed is not None):
                diagnostics.append(d)
        diagnostics += [d for d, _, _ in piece.dup_keys]
        outline += declaration_symbols(piece.items)
        folds += block_folds(piece.maps, index)
        heads += [_head(item) for item in piece.items if isinstance(item, Declaration)]
        piece.items = piece.maps = piece.decls = piece.dup_keys = piece.syntax = None  # the tree goes
        if piece.models:
            pieces.append(piece)
        yield
    models = [md for piece in pieces for md in piece.models]
    inherit_providers(models)
    diagnostics += check_duplicate_declarations(heads)
    diagnostics += check_file_structure(heads)
    yield
    diagnostics += _check_models(pieces, models, {})
    diagnostics = _dedupe(diagnostics)
    diagnostics.sort(key=lambda d: (d.range.start, d.range.end))
    return Analysis(text, index, Module([], legacy, doc), [], [], models, diagnostics, lean=True, outline=outline, folds=folds)


def chunk_trees(analysis: Analysis) -> Iterator[Piece]:
    """The trees of a lean analysis's chunks, parsed again one at a time (each can be dropped once
    read): what a reader of the whole tree (the workspace index's summary) reads of a huge document
    without holding its tree. Nodes have offsets in `analysis.text` and ranges from its index."""
    text, index = analysis.text, analysis.line_index
    if analysis.foreign is not None:
        return
    doc = Doc(text, index)
    result = scan(text)
    for chunk in result.chunks:
        if chunk.kind != "legacy":
            yield _parse_chunk(result.masked, chunk.start, chunk.end, doc, index)


_EMPTY: list = []


def _head(decl: Declaration) -> Declaration:
    """The declaration without its body's contents (what the file-wide checks read)."""
    head = object.__new__(Declaration)
    head.start, head.end, head.doc = decl.start, decl.end, decl.doc
    head.parts, head.keywords, head.name, head.tail = decl.parts, decl.keywords, decl.name, decl.tail
    head.name_start, head.name_end = decl.name_start, decl.name_end
    head.body = None if decl.body is None else Map(_EMPTY, decl.body.start, decl.body.end, decl.doc)
    return head


def chunk_keys(analysis: Analysis) -> list:
    """The chunk-cache keys of an analysis's chunks (what `_key` made of them)."""
    text = analysis.text
    out: list = []
    for start, end, hidden in analysis.chunks:
        original = text[start:end]
        out.append(original if hidden is None else (original, hidden))
    return out


def keep_only_chunks_of(analyses: list[Analysis]) -> None:
    """Drop every chunk-cache entry that none of `analyses` uses (a closed document's chunks), with
    the cache's public functions: read what is kept, clear, put it back."""
    keys = list({key: None for analysis in analyses for key in chunk_keys(analysis)})
    kept = CACHE.get_many(keys)
    CACHE.clear()
    CACHE.put_many([(key, parsed) for key, parsed in zip(keys, kept) if parsed is not None])


def _key(text: str, masked: str, chunk) -> object:
    """What a chunk's parse depends on: its text, and its masked text when block strings differ."""
    original = text[chunk.start : chunk.end]
    if masked is text:
        return original
    hidden = masked[chunk.start : chunk.end]
    return original if hidden == original else (original, hidden)


def _parse_chunk(masked: str, start: int, end: int, doc: Doc, index: LineIndex) -> Piece:
    sink = Collected()
    items, errors = parse_region(masked, start, end, doc, sink)
    syntax = [(_syntax(index, s, e, message), at_eof) for s, e, message, at_eof in errors]
    for item in items:
        if isinstance(item, Declaration) and not item.keywords and item.parts and isinstance(item.parts[0], Map):
            syntax.append((_syntax(index, item.start, item.start + 1, "unexpected '{': a block needs a declaration header before it"), False))
    if _bracket_count(masked, start, end) > MAX_NESTING:  # cheap test first: a deep chunk has many brackets
        syntax += [(d, False) for d in _too_deep(items, index)]
    dup_keys = duplicate_keys(sink.maps)  # in the order the parser built the maps, as before
    decls = sorted(sink.decls, key=_by_start)
    models = [model_from_declaration(d) for d in model_declarations(decls)]
    return Piece(items, sorted(sink.maps, key=_by_start), decls, syntax, dup_keys, models, None)


def _bracket_count(text: str, start: int, end: int) -> int:
    return text.count("{", start, end) + text.count("[", start, end) + text.count("(", start, end)


_TOO_DEEP_PER_CHUNK = 10


def _too_deep(items: list, index: LineIndex) -> list[Diagnostic]:
    """A `too-deep` warning at each bracket opened more than MAX_NESTING levels deep (the
    outermost such ones, at most a few per chunk). Their values are kept as source text (see
    `tree.plain_value`), so what is inside is not checked; everything around them is."""
    out: list[Diagnostic] = []
    todo: list = [(item, 0) for item in reversed(items)]
    while todo and len(out) < _TOO_DEEP_PER_CHUNK:
        node, depth = todo.pop()
        if isinstance(node, (Map, ListNode)):
            if depth >= MAX_NESTING:
                message = f"nested more than {MAX_NESTING} levels deep: what is inside is not checked"
                out.append(Diagnostic(index.range(node.start, node.start + 1), message, "too-deep", Severity.WARNING))
                continue
            children, depth = node.items, depth + 1
        elif isinstance(node, Declaration):
            children = node.parts + ([node.body] if node.body is not None else [])
        elif isinstance(node, Entry):
            children = [node.value_node] if node.value_node is not None else []
        elif isinstance(node, Value):
            children = node.parts
        else:
            continue
        todo.extend((child, depth) for child in reversed(children))
    return out


def _template(piece: Piece, start: int, line: int, key: object) -> Parsed | None:
    size = len(key) if isinstance(key, str) else len(key[0]) + len(key[1])
    try:
        return template(piece, start, line, size)
    except (TooDeep, RecursionError):
        return None  # parsed again next time: rare, and deep nesting is slow to copy anyway


def _check_models(pieces: list[Piece], models: list, fresh: dict) -> list[Diagnostic]:
    """`check_models`, reusing a chunk's cached results for models whose context is unchanged."""
    templates = {m.extends for m in models if m.extends}
    out: list[Diagnostic] = []
    for piece in pieces:
        entry = fresh.get(id(piece))
        known = piece.checks if piece.checks is not None and len(piece.checks) == len(piece.models) else None
        own = None
        if known is None:  # remembered on the piece: the next analysis borrows it (`lending`)
            own = piece.checks = [] if piece.models else ()
            piece.lines = 0
        for i, md in enumerate(piece.models):
            context = (md.provider, md.name in templates)
            if known is not None and known[i][0] == context:
                diags = known[i][1]
                if diags:
                    out += [moved(d, piece.lines) for d in diags]
                continue
            diags = check_model(md, templates)
            out += diags
            if own is not None:
                own.append((context, diags))
            if entry is not None:
                entry.checks.append((context, diags))
    return out


def _by_start(node) -> int:
    return node.start


def _dedupe(diagnostics: list[Diagnostic]) -> list[Diagnostic]:
    seen = set()
    out = []
    for d in diagnostics:
        key = (d.range.start, d.code, d.message)
        if key not in seen:
            seen.add(key)
            out.append(d)
    return out
