"""Code actions: quickfix `Pull model 'X'`, quickfix `Replace with 'Y'` for close installed names, and
on an installed model id `Update 'X'` (pulls it again, says whether it changed) and
`Remove model 'X' from Ollama` (the command asks for confirmation).

Actions are computed from the server's own state, so they do not depend on the client echoing
diagnostics (with their `data`) back; a diagnostic the client names in `context.diagnostics`, or
any range touching one (cursor on its line, the line, a selection), gets its fixes."""

from __future__ import annotations

import logging
from typing import Any, Callable

from lsprotocol import types

from namel3ss_lsp.ide.reference_checks import reference_diagnostics

from . import convert
from .commands.base import PULL, REMOVE, UPDATE
from .diagnostics import decl_options, ollama_declarations, ollama_diagnostics
from .guard import guarded

from .context import ServerContext

logger = logging.getLogger(__name__)


def _literal_support(ls: ServerContext) -> bool:
    try:
        return ls.client_capabilities.text_document.code_action.code_action_literal_support is not None
    except AttributeError:
        return False


def _wanted(params: types.CodeActionParams, kind: str) -> bool:
    only = params.context.only if params.context else None
    if not only:
        return True
    return any(kind == k or kind.startswith(f"{k}.") or k == "" for k in only)


def _key(diag: Any) -> tuple:
    r = diag.range
    return (diag.code, r.start.line, r.start.character, r.end.line, r.end.character)


def selector(params: types.CodeActionParams) -> Callable[[Any], bool]:
    """Whether a code action request is about a diagnostic: the client named it in
    `context.diagnostics` (Neovim sends the cursor line's diagnostics), or the requested range
    touches it: overlaps it, or is a bare cursor anywhere on its line. The named ones are looked
    up in a set: compared one by one, a whole-file request naming 7,000 diagnostics took 2.6 s."""
    request_range = params.range
    named = {_key(c) for c in (params.context.diagnostics if params.context and params.context.diagnostics else [])}
    cursor = request_range.start == request_range.end

    def selects(diag: Any) -> bool:
        if _key(diag) in named or convert.overlaps(diag.range, request_range):
            return True
        return cursor and diag.range.start.line <= request_range.start.line <= diag.range.end.line

    return selects


def actions_for(ls: ServerContext, uri: str, analysis: Any, params: types.CodeActionParams) -> list:
    request_range = params.range
    out: list[types.CodeAction] = []
    selects = selector(params)
    diags = [d for d in ollama_diagnostics(analysis, ls.hub, ls.settings) if selects(d)]
    for diag in diags:
        if diag.code != "ollama-model-missing" or not isinstance(diag.data, dict):
            continue
        model, base = diag.data.get("model"), diag.data.get("baseUrl")
        if _wanted(params, types.CodeActionKind.QuickFix):
            out.append(
                types.CodeAction(
                    title=f"Pull model '{model}'",
                    kind=types.CodeActionKind.QuickFix,
                    diagnostics=[diag],
                    command=types.Command(title=f"Pull model '{model}'", command=PULL, arguments=[{"model": model, "baseUrl": base}]),
                )
            )
            for index, name in enumerate(diag.data.get("closeMatches") or []):
                out.append(
                    types.CodeAction(
                        title=f"Replace with '{name}'",
                        kind=types.CodeActionKind.QuickFix,
                        diagnostics=[diag],
                        is_preferred=index == 0 or None,
                        edit=types.WorkspaceEdit(changes={uri: [types.TextEdit(range=diag.range, new_text=name)]}),
                    )
                )
    if _wanted(params, types.CodeActionKind.QuickFix):
        out += reference_fixes(ls, uri, selects)
    if _wanted(params, types.CodeActionKind.Empty):
        for decl in ollama_declarations(analysis):
            if not convert.overlaps(decl.model_range, request_range):
                continue
            state = ls.hub.model_state(decl.model, decl_options(decl))
            base, installed = state.base_url, state.installed
            if installed is None:  # unknown, missing, or on a server that is not allowed
                continue
            update = f"Update '{installed}'"
            out.append(
                types.CodeAction(
                    title=update,
                    kind=types.CodeActionKind.Empty,
                    command=types.Command(title=update, command=UPDATE, arguments=[{"model": installed, "baseUrl": base}]),
                )
            )
            title = f"Remove model '{installed}' from Ollama"
            out.append(
                types.CodeAction(
                    title=title,
                    kind=types.CodeActionKind.Empty,
                    command=types.Command(title=title, command=REMOVE, arguments=[{"model": installed, "baseUrl": base}]),
                )
            )
    return out


def reference_fixes(ls: ServerContext, uri: str, selects: Callable[[Any], bool]) -> list[types.CodeAction]:
    """`Replace with 'x'` for an unknown reference with a close declared name."""
    out = []
    for diag in reference_diagnostics(ls.workspace_index.index, uri):
        replacement = (diag.data or {}).get("replacement") if diag.code == "unknown-reference" else None
        lsp_diag = convert.diagnostic(diag)
        if not replacement or not selects(lsp_diag):
            continue
        out.append(
            types.CodeAction(
                title=f"Replace with '{replacement}'",
                kind=types.CodeActionKind.QuickFix,
                diagnostics=[lsp_diag],
                is_preferred=True,
                edit=types.WorkspaceEdit(changes={uri: [types.TextEdit(range=lsp_diag.range, new_text=replacement)]}),
            )
        )
    return out


def register(ls: ServerContext) -> None:
    @ls.feature(
        types.TEXT_DOCUMENT_CODE_ACTION,
        types.CodeActionOptions(code_action_kinds=[types.CodeActionKind.QuickFix, types.CodeActionKind.Empty]),
    )
    @guarded("codeAction", default=list)
    async def code_action(ls: ServerContext, params: types.CodeActionParams) -> list:
        doc = ls.documents.get(params.text_document.uri)
        if doc is None:
            return []
        analysis = await ls.documents.analysis(doc)
        ls.workspace_index.update_open(doc.uri, analysis)
        actions = actions_for(ls, doc.uri, analysis, params)
        if _literal_support(ls):
            return actions
        return [a.command for a in actions if a.command is not None]
