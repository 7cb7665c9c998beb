"""Go to definition, find references, document highlights, rename and workspace symbols: thin
handlers over `namel3ss_lsp.ide.navigation` and the workspace index."""

from __future__ import annotations


from lsprotocol import types
from pygls.exceptions import JsonRpcInvalidRequest

from namel3ss_lsp.ide import navigation
from namel3ss_lsp.language.outline import _KINDS as OUTLINE_KINDS
from namel3ss_lsp.language.types import Position

from . import convert
from .guard import guarded
from .symbols import symbol_kind

from .context import ServerContext

WORKSPACE_SYMBOL_LIMIT = 256


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
        return [_location(loc.uri, loc.range) for loc in navigation.references(index, uri, _position(params.position), include)]

    @ls.feature(types.TEXT_DOCUMENT_DOCUMENT_HIGHLIGHT)
    @guarded("documentHighlight", default=list)
    async def highlight(ls: ServerContext, params: types.DocumentHighlightParams) -> list[types.DocumentHighlight]:
        uri = params.text_document.uri
        index = await ls.workspace_index.current(uri)
        return [
            types.DocumentHighlight(
                range=convert.range_(h.range),
                kind=types.DocumentHighlightKind.Write if h.is_declaration else types.DocumentHighlightKind.Read,
            )
            for h in navigation.highlights(index, uri, _position(params.position))
        ]

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
        return _workspace_edit(ls, edits)

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
