"""Code lenses on each Ollama model declaration: `Try <model>` (tryModel) when installed,
`Pull <model>` when missing. Refreshed with `workspace/codeLens/refresh` when a model list changes,
if the client supports it."""

from __future__ import annotations

import logging
from typing import Any

from lsprotocol import types

from . import convert
from .commands.base import PULL, TRY
from .diagnostics import decl_options, ollama_declarations
from .guard import guarded

from .context import ServerContext

logger = logging.getLogger(__name__)


def lenses_for(ls: ServerContext, uri: str, analysis: Any) -> list[types.CodeLens]:
    out = []
    for decl in ollama_declarations(analysis):
        state = ls.hub.model_state(decl.model, decl_options(decl))
        if not state.allowed or not state.listed or state.error is not None:
            continue
        base = state.base_url
        rng = convert.range_(getattr(decl, "name_range", None) or decl.model_range)
        if state.installed is not None:
            args = {"model": decl.model, "baseUrl": base, "uri": uri}
            if getattr(decl, "name", None):
                args["declaration"] = decl.name
            command = types.Command(title=f"Try {decl.model}", command=TRY, arguments=[args])
        else:
            command = types.Command(title=f"Pull {decl.model}", command=PULL, arguments=[{"model": decl.model, "baseUrl": base}])
        out.append(types.CodeLens(range=rng, command=command))
    return out


def register(ls: ServerContext) -> None:
    @ls.feature(types.TEXT_DOCUMENT_CODE_LENS, types.CodeLensOptions(resolve_provider=False))
    @guarded("codeLens", default=list)
    async def code_lens(ls: ServerContext, params: types.CodeLensParams) -> list:
        doc = ls.documents.get(params.text_document.uri)
        if doc is None:
            return []
        analysis = await ls.documents.analysis(doc)
        return lenses_for(ls, doc.uri, analysis)

    def refresh(_base_url: str) -> None:
        if not ls.client_supports("workspace.code_lens.refresh_support"):
            return
        try:
            ls.workspace_code_lens_refresh(None)
        except Exception:
            logger.exception("workspace/codeLens/refresh failed")

    ls.on_models_changed(refresh)
