"""What the previous analysis of a document lends the next one: the chunks an edit did not touch.

An edit changes one stretch of a document; the chunks before it and after it are the same text.
`Lender` finds them in the previous analysis (its `chunks` and `pieces`) by the common prefix and
the common suffix of the two texts:

- a chunk that ends before the first changed character is taken as it is: its nodes' offsets are
  still right, and every position and slice a node computes lies within the node, where the text
  and all the text before it are unchanged. Those nodes keep pointing at the old text (`node.doc`),
  so an analysis takes them from at most OLD_TEXTS old texts; beyond, they are copied;
- a chunk after the changed stretch is copied, its offsets and lines moved (the same copy the
  chunk cache makes of a template, but from the previous analysis, so an edited document's chunks
  need no second copy in the cache). When the caller will not read the previous analysis again
  (`in_place`: the language server's analyses on the event loop), its nodes are moved where they
  are instead, and moved back by `undo` if the new analysis is abandoned before it is done.

Model declarations are always made anew: the previous ones had their providers inherited through
`extends` in that analysis. Their checks' results are lent with the chunk (moved by its lines) and
used again when the model's provider and template role are unchanged.

Profile (issue 14): copying every chunk from the chunk cache was 79 % of re-analysing 5,000 lines
after a keystroke; half of them are now not copied at all. Then (the server typing in the middle
of 5,000 lines): copying the other half and freeing the copies left behind were 35 % of the
server's time; moving them in place costs one walk over their nodes.
"""

from __future__ import annotations

from namel3ss_lsp.language.chunk_cache import Piece, moved
from namel3ss_lsp.language.checks import duplicate_key
from namel3ss_lsp.language.clone import Copier, TooDeep, move
from namel3ss_lsp.language.models import ModelDecl, copy_model, moved_model
from namel3ss_lsp.language.rescan import common_prefix, common_suffix
from namel3ss_lsp.language.tree import Doc

OLD_TEXTS = 2  # old texts whose nodes one analysis may take as they are (each keeps its text alive)

# (end in the new text, masked text, the previous piece, its start and line in the old text)
Lent = tuple[int, "str | None", Piece, int, int]


class Lender:
    """The previous analysis's chunks that the new text still has, by their start in the new text."""

    def __init__(self, previous, text: str, in_place: bool = False) -> None:
        self._same: dict[int, Lent] = {}  # unchanged place: taken as they are (see OLD_TEXTS)
        self._moved: dict[int, Lent] = {}  # after the change: copied (or moved), by `delta`
        self._in_place = in_place
        self._undo: list[tuple[Piece, int, Doc]] = []  # pieces moved in place: by how much, from where
        self.delta = 0
        if previous is None or previous.lean or previous.foreign or not previous.pieces:
            return
        old = previous.text
        prefix = common_prefix(old, text)
        suffix = common_suffix(old, text, min(len(old), len(text)) - prefix)
        self.delta = len(text) - len(old)
        tail = len(old) - suffix  # old chunks starting here or later are in the unchanged tail
        line_of = previous.line_index.line_of
        docs: list[Doc] = []
        for (start, end, masked), piece in zip(previous.chunks, previous.pieces):
            if end <= prefix:
                doc = piece.items[0].doc if piece.items else None
                if doc is not None and doc not in docs and len(docs) < OLD_TEXTS:
                    docs.append(doc)
                table = self._same if doc is None or doc in docs else self._moved  # moved: by 0
                table[start] = (end, masked, piece, start, line_of(start))
            elif start >= tail:
                self._moved[start + self.delta] = (end + self.delta, masked, piece, start, line_of(start))

    def piece(self, start: int, end: int, masked: str | None, line: int, doc: Doc) -> Piece | None:
        """The previous analysis's piece for the chunk [start, end) at `line` of the new text (whose
        masked text, when it differs from the text, is `masked`), or None."""
        lent = self._same.get(start)
        if lent is not None and lent[0] == end and lent[1] == masked:
            return again(lent[2])
        lent = self._moved.get(start)
        if lent is not None and lent[0] == end and lent[1] == masked:
            if self._in_place:
                return self._moved_in_place(lent[2], start - lent[3], line - lent[4], doc)
            try:
                return shifted(lent[2], start - lent[3], line - lent[4], doc)
            except (TooDeep, RecursionError):
                return None
        return None

    def _moved_in_place(self, piece: Piece, delta: int, lines: int, doc: Doc) -> Piece | None:
        old = _doc_of(piece)
        if old is None or old is doc:
            return None
        self._undo.append((piece, delta, old))
        move([piece.items, piece.maps, piece.decls], delta, doc)
        models = []
        for md, own in zip(piece.models, piece.own_providers):
            copy = moved_model(md, lines)
            copy.provider = own
            models.append(copy)
        syntax, dup_keys = _moved_diagnostics(piece, lines)
        return Piece(piece.items, piece.maps, piece.decls, syntax, dup_keys, models, piece.checks, piece.lines + lines)

    def undo(self) -> None:
        """Put the nodes moved in place back where they were (the new analysis was abandoned)."""
        while self._undo:
            piece, delta, old = self._undo.pop()
            move([piece.items, piece.maps, piece.decls], -delta, old)


def _doc_of(piece: Piece) -> Doc | None:
    for nodes in (piece.items, piece.maps, piece.decls):
        if nodes:
            return nodes[0].doc
    return None


def _moved_diagnostics(piece: Piece, lines: int) -> tuple[list, list]:
    syntax = [(moved(d, lines), at_eof) for d, at_eof in piece.syntax]
    dup_keys = [(duplicate_key(moved(d, lines).range, key, first + lines), key, first + lines)
                for d, key, first in piece.dup_keys]
    return syntax, dup_keys


def again(piece: Piece) -> Piece:
    """A previous piece for the new analysis: the same nodes and diagnostics, fresh models."""
    models = []
    for md, own in zip(piece.models, piece.own_providers):
        copy = object.__new__(ModelDecl)
        copy.__dict__.update(md.__dict__)
        copy.provider = own
        models.append(copy)
    return Piece(piece.items, piece.maps, piece.decls, piece.syntax, piece.dup_keys, models, piece.checks, piece.lines)


def shifted(piece: Piece, delta: int, lines: int, doc: Doc) -> Piece:
    """A copy of a previous piece onto `doc`, `delta` characters and `lines` lines further on."""
    cp = Copier(delta, doc)
    items = cp.items(piece.items)
    decls = cp.same(piece.decls)
    index = {id(d): i for i, d in enumerate(piece.decls)}
    models = []
    for md, own in zip(piece.models, piece.own_providers):
        copy = copy_model(md, decls[index[id(md.decl)]], lines)
        copy.provider = own
        models.append(copy)
    syntax, dup_keys = _moved_diagnostics(piece, lines)
    return Piece(items, cp.same(piece.maps), decls, syntax, dup_keys, models, piece.checks, piece.lines + lines)
