"""Hover: `/api/show` facts on a model id (cached; at most a short wait), whether it is loaded and
how (`/api/ps`, as read by the last health check: memory, VRAM, context in use, when it unloads),
the Ollama library's facts for a model that is not installed; schema docs on a key."""

from __future__ import annotations

import logging
from typing import Any

from lsprotocol import types

from namel3ss_lsp.ide import navigation
from namel3ss_lsp.ide.reference_checks import file_name, kinds_text
from namel3ss_lsp.language import node_at
from namel3ss_lsp.language.types import Position
from namel3ss_lsp.semantics import Referenced

from namel3ss_lsp.ollama.library import library_tag

from . import convert
from .diagnostics import decl_options
from .guard import guarded
from .model_facts import installed_facts, library_detail, library_lines, running_lines

from .context import ServerContext

logger = logging.getLogger(__name__)

HOVER_NETWORK_WAIT = 1.0  # seconds: hover may wait a little for /api/show, never longer


def _markup(ls: ServerContext, text: str) -> types.MarkupContent:
    try:
        formats = ls.client_capabilities.text_document.hover.content_format or []
    except AttributeError:
        formats = []
    if formats and types.MarkupKind.Markdown not in formats:
        return types.MarkupContent(kind=types.MarkupKind.PlainText, value=text.replace("**", "").replace("`", ""))
    return types.MarkupContent(kind=types.MarkupKind.Markdown, value=text)


def model_hover_text(model: str, base: str, installed: str | None, entry: dict | None, info: dict | None,
                     note: str = "", running: dict | None = None, running_known: bool = False) -> str:
    lines = [f"**{model}** on {base}"]
    if installed is None:
        lines.append("")
        lines.append(note or "Not installed on this server.")
        found = library_tag(model)
        if found is not None:
            library_model, tag = found
            lines += ["", f"**{library_model.name}:{tag}** · {library_detail(library_model, tag)}", ""]
            lines += library_lines(library_model, tag)
        return "\n".join(lines)
    lines.append("")
    for label, value in installed_facts(entry, info):
        if value not in (None, ""):
            lines.append(f"- {label}: {value}")
    lines += running_lines(running, running_known)
    if note:
        lines.append("")
        lines.append(note)
    return "\n".join(lines)


async def model_hover(ls: ServerContext, decl: Any) -> str:
    return await model_facts(ls, decl.model, decl_options(decl))


async def model_facts(ls: ServerContext, model: str, options: dict) -> str:
    """The model hover of `model` on the server `options` resolve to: installed or missing, size,
    facts from /api/show (waiting at most HOVER_NETWORK_WAIT for them)."""
    hub = ls.hub
    state = hub.model_state(model, options)
    base, installed = state.base_url, state.installed
    if not state.allowed:
        return model_hover_text(model, base, None, None, None, f"{base} is not in ollama.allowedHosts; not contacted.")
    if installed is None:
        note = "Server unreachable." if state.error is not None else (
            "Not installed on this server." if state.listed else "Model list not loaded yet."
        )
        return model_hover_text(model, base, None, None, None, note)
    info = await hub.model_info(base, installed, timeout=min(HOVER_NETWORK_WAIT, ls.settings.request_timeout))
    note = "" if info else "Details from /api/show are not available yet."
    running, known = hub.running_entry(base, installed), hub.running(base) is not None
    return model_hover_text(model, base, installed, hub.model_entry(base, model), info, note, running, known)


async def reference_hover(ls: ServerContext, index: Any, ref: Any) -> str:
    """Kind, file and first lines of what a reference names; when it ends in an Ollama model
    (`llm: fast_llm` -> `model: llama3:8b`), that model's facts and live state too."""
    found = index.resolve(ref)
    if not found:
        return f"**{ref.name}**: unknown {kinds_text(ref.kinds)}; no file of the workspace declares it."
    decl = found[0]
    where = f"{file_name(decl.uri)}, line {decl.selection_range.start.line + 1}"
    text = f"**{decl.kind}** `{decl.name}` · {where}\n\n```namel3ss\n{decl.preview}\n```"
    if len(found) > 1:
        text += f"\n\n{len(found) - 1} more declaration(s) with this name."
    target = index.model_target(decl)
    if target is not None:
        text += "\n\n" + await model_facts(ls, target.model, _plain(target.model_options))
    return text


def _plain(options: Any) -> dict:
    return {k: dict(v) if hasattr(v, "items") else v for k, v in (options or {}).items()}


def key_hover(spec: Any, section: str | None) -> str:
    where = {"config": "in `config`", "deployment_config": "in `deployment_config`"}.get(section or "", "")
    text = spec.describe()
    return f"{text}\n\n(key {where})" if where else text


def register(ls: ServerContext) -> None:
    @ls.feature(types.TEXT_DOCUMENT_HOVER)
    @guarded("hover")
    async def hover(ls: ServerContext, params: types.HoverParams) -> types.Hover | None:
        doc = ls.documents.get(params.text_document.uri)
        if doc is None:
            return None
        analysis = await ls.documents.analysis(doc)
        position = Position(params.position.line, params.position.character)
        index = await ls.workspace_index.current(doc.uri)
        symbol = navigation.symbol_at(index, doc.uri, position)
        if isinstance(symbol, Referenced):
            text = await reference_hover(ls, index, symbol)
            return types.Hover(contents=_markup(ls, text), range=convert.range_(symbol.full_range))
        node = node_at(analysis, position)
        if node is None:
            return None
        kind = getattr(node, "kind", None)
        rng = getattr(node, "range", None)
        if kind == "model-id" and getattr(node, "decl", None) is not None:
            text = await model_hover(ls, node.decl)
            rng = rng or node.decl.model_range
        elif kind == "key" and getattr(node, "spec", None) is not None:
            text = key_hover(node.spec, getattr(node, "section", None))
        elif kind == "provider" and getattr(node, "decl", None) is not None:
            provider = node.decl.provider or ""
            where = "runs locally" if getattr(node.decl, "is_local", False) else "a hosted service"
            text = f"**provider: {provider}** ({where})"
            if getattr(node, "spec", None) is not None:
                text += "\n\n" + node.spec.describe()
        else:
            return None
        return types.Hover(contents=_markup(ls, text), range=convert.range_(rng) if rng is not None else None)
