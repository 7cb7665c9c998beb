"""Go to definition, find references, document highlights, rename and workspace symbols: thin
handlers over `namel3ss_lsp.ide.navigation` and the workspace index."""

from __future__ import annotations

import asyncio
from typing import Any, Callable

from lsprotocol import types
from pygls.exceptions import JsonRpcInvalidRequest

from namel3ss_lsp.ide import navigation
from namel3ss_lsp.language.outline import _KINDS as OUTLINE_KINDS
from namel3ss_lsp.language.types import Position

from . import convert
from .guard import guarded
from .protocol import PreparedResult
from .symbols import symbol_kind

from .context import ServerContext

WORKSPACE_SYMBOL_LIMIT = 256
BIG_RESULT = 2000  # locations or edits from which an answer is made and encoded in a worker thread


def _position(pos: types.Position) -> Position:
    return Position(pos.line, pos.character)


def _location(uri: str, rng) -> types.Location:
    return types.Location(uri=uri, range=convert.range_(rng))


class RenameRefused(JsonRpcInvalidRequest):
    """An LSP error answer whose message is shown to the user (pygls sends `message` as is)."""


def register(ls: ServerContext) -> None:
    @ls.feature(types.TEXT_DOCUMENT_DEFINITION)
    @guarded("definition", default=list)
    async def definition(ls: ServerContext, params: types.DefinitionParams) -> list[types.Location]:
        uri = params.text_document.uri
        index = await ls.workspace_index.current(uri)
        return [_location(d.uri, d.name_range) for d in navigation.definition(index, uri, _position(params.position))]

    @ls.feature(types.TEXT_DOCUMENT_REFERENCES)
    @guarded("references", default=list)
    async def references(ls: ServerContext, params: types.ReferenceParams) -> list[types.Location]:
        uri = params.text_document.uri
        index = await ls.workspace_index.current(uri)
        include = bool(params.context.include_declaration) if params.context else True
        found = navigation.references(index, uri, _position(params.position), include)
        return await _answer(ls, found, lambda loc: _location(loc.uri, loc.range),
                             lambda loc: {"uri": loc.uri, "range": convert.plain_range(loc.range)})

    @ls.feature(types.TEXT_DOCUMENT_DOCUMENT_HIGHLIGHT)
    @guarded("documentHighlight", default=list)
    async def highlight(ls: ServerContext, params: types.DocumentHighlightParams) -> list[types.DocumentHighlight]:
        uri = params.text_document.uri
        index = await ls.workspace_index.current(uri)
        return await _answer(
            ls, navigation.highlights(index, uri, _position(params.position)),
            lambda h: types.DocumentHighlight(range=convert.range_(h.range), kind=_highlight_kind(h)),
            lambda h: {"range": convert.plain_range(h.range), "kind": int(_highlight_kind(h))},
        )

    @ls.feature(types.TEXT_DOCUMENT_PREPARE_RENAME)
    @guarded("prepareRename")
    async def prepare_rename(ls: ServerContext, params: types.PrepareRenameParams):
        uri = params.text_document.uri
        index = await ls.workspace_index.current(uri)
        try:
            rng, name = navigation.prepare_rename(index, uri, _position(params.position))
        except navigation.RenameError as exc:
            raise RenameRefused(message=str(exc)) from None
        return types.PrepareRenamePlaceholder(range=convert.range_(rng), placeholder=name)

    @ls.feature(types.TEXT_DOCUMENT_RENAME, types.RenameOptions(prepare_provider=True))
    @guarded("rename")
    async def rename(ls: ServerContext, params: types.RenameParams) -> types.WorkspaceEdit | None:
        uri = params.text_document.uri
        index = await ls.workspace_index.current(uri)
        try:
            edits = navigation.rename(index, uri, _position(params.position), params.new_name)
        except navigation.RenameError as exc:
            raise RenameRefused(message=str(exc)) from None
        if sum(map(len, edits.values())) < BIG_RESULT:
            return _workspace_edit(ls, edits)
        versions = {u: getattr(ls.documents.get(u), "version", None) for u in edits}  # read on the loop
        with_versions = ls.client_supports("workspace.workspace_edit.document_changes")
        return await asyncio.to_thread(_prepared, ls, lambda: _plain_workspace_edit(edits, versions, with_versions))

    @ls.feature(types.WORKSPACE_SYMBOL)
    @guarded("workspaceSymbol", default=list)
    async def workspace_symbol(ls: ServerContext, params: types.WorkspaceSymbolParams) -> list[types.SymbolInformation]:
        for doc in ls.documents.all():  # open documents as the editor has them
            await ls.workspace_index.current(doc.uri)
        found = ls.workspace_index.index.search(params.query or "", WORKSPACE_SYMBOL_LIMIT)
        return [
            types.SymbolInformation(
                name=d.name,
                kind=symbol_kind(OUTLINE_KINDS.get(d.kind, 13)),
                location=_location(d.uri, d.selection_range),
                container_name=d.container or d.kind,
            )
            for d in found
        ]


def _highlight_kind(h: Any) -> types.DocumentHighlightKind:
    return types.DocumentHighlightKind.Write if h.is_declaration else types.DocumentHighlightKind.Read


async def _answer(ls: ServerContext, found: list, typed: Callable[[Any], Any], plain: Callable[[Any], dict]) -> Any:
    """`found` as lsprotocol objects, or, from BIG_RESULT on, as JSON made in a worker thread: 30,000
    references made as objects and encoded on the event loop held every other request ~430 ms."""
    if len(found) < BIG_RESULT:
        return [typed(item) for item in found]
    return await asyncio.to_thread(_prepared, ls, lambda: [plain(item) for item in found])


def _prepared(ls: ServerContext, make: Callable[[], Any]) -> PreparedResult:
    value = make()
    return PreparedResult(value, ls.protocol.json_in_batches(value))


def _workspace_edit(ls: ServerContext, edits: dict) -> types.WorkspaceEdit:
    """Document changes carrying each open document's version when the client takes them."""
    text_edits = {
        uri: [types.TextEdit(range=convert.range_(rng), new_text=text) for rng, text in items] for uri, items in edits.items()
    }
    if not ls.client_supports("workspace.workspace_edit.document_changes"):
        return types.WorkspaceEdit(changes=text_edits)
    changes = []
    for uri, items in text_edits.items():
        doc = ls.documents.get(uri)
        version = doc.version if doc is not None else None
        changes.append(
            types.TextDocumentEdit(
                text_document=types.OptionalVersionedTextDocumentIdentifier(uri=uri, version=version), edits=items
            )
        )
    return types.WorkspaceEdit(document_changes=changes)


def _plain_workspace_edit(edits: dict, versions: dict, with_versions: bool) -> dict:
    """`_workspace_edit` as its JSON value (a big rename, for a worker thread)."""
    text_edits = {uri: [{"range": convert.plain_range(rng), "newText": text} for rng, text in items]
                  for uri, items in edits.items()}
    if not with_versions:
        return {"changes": text_edits}
    return {"documentChanges": [{"textDocument": {"uri": uri, "version": versions.get(uri)}, "edits": items}
                                for uri, items in text_edits.items()]}
