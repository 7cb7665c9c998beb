"""`analyze(text)`: the one entry point: text in, tree + model view + diagnostics out.

The file is scanned into top-level chunks (`rescan`: only around the change when a similar text
was scanned recently), each chunk is parsed and checked on its own (or copied from the chunk
cache when its text was seen before, see `chunk_cache`), and the few checks that span chunks
(duplicate declarations, `extends`) run over the whole file. Diagnostics are gathered in the same
order as a plain pass would produce them, so deduplication and sorting give the same list.
"""

from __future__ import annotations

import gc
import re
from dataclasses import dataclass, field

from namel3ss_lsp.language.checks import check_duplicate_declarations, check_file_structure, check_model, duplicate_keys
from namel3ss_lsp.language.chunk_cache import CACHE, Parsed, Piece, moved, reuse, template
from namel3ss_lsp.language.clone import TooDeep
from namel3ss_lsp.language.models import ModelDecl, inherit_providers, model_declarations, model_from_declaration
from namel3ss_lsp.language.parser import Collected, parse_region
from namel3ss_lsp.language.positions import LineIndex
from namel3ss_lsp.language.rescan import rescan
from namel3ss_lsp.language.tree import Declaration, Doc, Map, Module
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


_LONE_CR = re.compile(r"\r(?!\n)")


def analyze(text: str, *, remember: bool = True) -> Analysis:
    """Parse and check one document. Never raises: an internal failure becomes a diagnostic."""
    if "\r" in text:
        # LSP counts a lone "\r" as a line break, as editors do; the core splits lines on "\n".
        # Replacing it keeps every offset, so ranges stay valid for the editor's text.
        text = _LONE_CR.sub("\n", text)
    index = LineIndex(text)
    doc = Doc(text, index)
    # The tree is acyclic, but building ~10^5 nodes triggers full cyclic-GC passes that cost more
    # than the parse itself; pausing the collector while building is safe and halves the time.
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        return _analyze(text, index, doc, remember)
    except Exception as exc:  # pragma: no cover - a bug must not take the editor down with it
        rng = Range(index.position(0), index.position(0))
        diag = Diagnostic(rng, f"internal error while analysing this file: {type(exc).__name__}: {exc}", "syntax-error", Severity.ERROR)
        return Analysis(text, index, Module([], [], doc), diagnostics=[diag])
    finally:
        if gc_was_enabled:
            gc.enable()


def _analyze(text: str, index: LineIndex, doc: Doc, remember: bool = True) -> Analysis:
    result = rescan(text)
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
    keep = len(text) <= CACHE.limit
    pieces: list[Piece] = []
    fresh: list[tuple[object, int, Piece, Parsed | None]] = []  # parsed here: (key, line, piece, entry)
    for chunk, key, parsed in zip(chunks, keys, found):
        line = index.line_of(chunk.start)
        piece = None
        if parsed is not None:
            try:
                piece = reuse(parsed, chunk.start, line, doc)
            except RecursionError:  # the caller's stack is nearly full: parsing needs less of it
                piece = None
        if piece is None:
            piece = _parse_chunk(masked, chunk.start, chunk.end, doc, index)
            fresh.append((key, line, piece, _template(piece, chunk.start, line, key) if keep else None))
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
    diagnostics += _check_models(pieces, models, {id(p): e for _, _, p, e in fresh})
    if remember:
        CACHE.put_many([(key, entry) for key, _, _, entry in fresh if entry is not None])
    diagnostics = _dedupe(diagnostics)
    diagnostics.sort(key=lambda d: (d.range.start, d.range.end))
    decls = [d for piece in pieces for d in piece.decls]
    maps = [m for piece in pieces for m in piece.maps]
    return Analysis(text, index, Module(items, legacy, doc), decls, maps, models, diagnostics)


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
    dup_keys = duplicate_keys(sink.maps)  # in the order the parser built the maps, as before
    decls = sorted(sink.decls, key=_by_start)
    models = [model_from_declaration(d) for d in model_declarations(decls)]
    return Piece(items, sorted(sink.maps, key=_by_start), decls, syntax, dup_keys, models, None)


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
        for i, md in enumerate(piece.models):
            context = (md.provider, md.name in templates)
            if piece.checks is not None and piece.checks[i][0] == context:
                diags = piece.checks[i][1]
                if diags:
                    out += [moved(d, piece.lines) for d in diags]
                continue
            diags = check_model(md, templates)
            out += diags
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
