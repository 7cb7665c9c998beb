"""Completion: model ids (model_completion.py: installed models, then the Ollama library; resolved
documentation), keys, providers, enum values and references to declarations.

Model ids never wait more than ~40 ms on the network (see model_completion); everything else is
computed from the document's analysis and the workspace index.
"""

from __future__ import annotations

import logging
from typing import Any

from lsprotocol import types

from namel3ss_lsp.ide.reference_checks import file_name
from namel3ss_lsp.ide.reference_completion import ReferenceSlot, reference_candidates, reference_slot
from namel3ss_lsp.language import completion_context
from namel3ss_lsp.language import schema
from namel3ss_lsp.language.analysis import Analysis, provisional
from namel3ss_lsp.language.types import Position

from . import convert
from .analysis_queue import THREADED_FROM
from .guard import guarded
from .model_completion import CompletionCache, model_items, resolve_item

from .context import ServerContext

logger = logging.getLogger(__name__)

TRIGGER_CHARACTERS = [":", " ", '"']


def _markup(ls: ServerContext, text: str) -> types.MarkupContent:
    formats = []
    caps = ls.client_capabilities
    try:
        formats = caps.text_document.completion.completion_item.documentation_format or []
    except AttributeError:
        formats = []
    kind = types.MarkupKind.Markdown if types.MarkupKind.Markdown in formats else types.MarkupKind.PlainText
    if kind == types.MarkupKind.PlainText:
        text = text.replace("**", "").replace("`", "")
    return types.MarkupContent(kind=kind, value=text)


def snippets_supported(ls: ServerContext) -> bool:
    try:
        return bool(ls.client_capabilities.text_document.completion.completion_item.snippet_support)
    except AttributeError:
        return False


def _edit(ctx: Any, text: str) -> types.TextEdit | None:
    rng = getattr(ctx, "replace_range", None)
    if rng is None:
        return None
    return types.TextEdit(range=convert.range_(rng), new_text=text)


def schema_section(ctx: Any) -> str:
    """The schema section of a completion/hover context ("llm" for the flat keys of `llm` blocks)."""
    section = getattr(ctx, "section", None) or "top"
    decl = getattr(ctx, "decl", None)
    if section == "top" and getattr(decl, "kind", None) == "llm":
        return "llm"
    return section


def key_items(ls: ServerContext, ctx: Any) -> list[types.CompletionItem]:
    snippets = snippets_supported(ls)
    present = set()
    decl = getattr(ctx, "decl", None)
    section = schema_section(ctx)
    if decl is not None:
        if section == "config":
            present = set((getattr(decl, "config", None) or {}).keys())
        elif section == "deployment_config":
            present = set((getattr(decl, "deployment_config", None) or {}).keys())
        else:
            present = set((getattr(decl, "entries", None) or {}).keys())
    items = []
    for spec in schema.keys_for(section).values():
        name = spec.name
        if name in present:
            continue
        is_map = spec.type in ("map", "object", "dict")
        if snippets:
            text = f"{name}: {{\n\t$0\n}}" if is_map else f"{name}: ${{1}}"
            fmt = types.InsertTextFormat.Snippet
        else:
            text, fmt = f"{name}: ", types.InsertTextFormat.PlainText
        items.append(
            types.CompletionItem(
                label=name,
                kind=types.CompletionItemKind.Property,
                detail=key_detail(spec),
                documentation=_markup(ls, spec.describe() if hasattr(spec, "describe") else spec.doc or ""),
                insert_text=text,
                insert_text_format=fmt,
            )
        )
    return items


def key_detail(spec: Any) -> str:
    parts = [str(spec.type)]
    if spec.default is not None:
        parts.append(f"default {format_value(spec.default)}")
    if getattr(spec, "range_text", ""):
        parts.append(spec.range_text)
    return ", ".join(parts)


def format_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{value}"'
    return str(value)


def value_items(ls: ServerContext, ctx: Any, key: str | None = None) -> list[types.CompletionItem]:
    key = key or getattr(ctx, "key", None)
    section = schema_section(ctx)
    values: list[tuple[str, str]] = []
    if key == "provider" and section in ("top", "llm"):
        values = [(p, "local" if p in schema.LOCAL_PROVIDERS else "hosted") for p in schema.PROVIDERS]
    else:
        spec = schema.lookup_key(section, key) if key else None
        if spec is not None and spec.enum:
            values = [(str(v), spec.doc or "") for v in spec.enum]
        elif spec is not None and spec.type == "bool":
            values = [("true", ""), ("false", "")]
    return [
        types.CompletionItem(
            label=value,
            kind=types.CompletionItemKind.EnumMember if key != "provider" else types.CompletionItemKind.Value,
            detail=detail or None,
            text_edit=_edit(ctx, value),
            filter_text=value,
        )
        for value, detail in values
    ]


def reference_items(slot: ReferenceSlot, index) -> types.CompletionList:
    """Declared names of the kinds the key refers to, from every file, with kind and file;
    incomplete when there are too many to send (see `reference_candidates`)."""
    items = []
    candidates, incomplete = reference_candidates(index, slot)
    for decl in candidates:
        items.append(
            types.CompletionItem(
                label=decl.name,
                kind=types.CompletionItemKind.Reference,
                detail=f"{decl.kind} · {file_name(decl.uri)}",
                label_details=types.CompletionItemLabelDetails(description=decl.kind),
                text_edit=types.TextEdit(range=convert.range_(slot.replace_range), new_text=decl.name),
            )
        )
    return types.CompletionList(is_incomplete=incomplete, items=items)


def register(ls: ServerContext) -> None:
    item_cache = CompletionCache()

    @ls.feature(
        types.TEXT_DOCUMENT_COMPLETION,
        types.CompletionOptions(trigger_characters=TRIGGER_CHARACTERS, resolve_provider=True),
    )
    @guarded("completion", default=lambda: types.CompletionList(is_incomplete=False, items=[]))
    async def completion(ls: ServerContext, params: types.CompletionParams) -> types.CompletionList:
        doc = ls.documents.get(params.text_document.uri)
        if doc is None:
            return types.CompletionList(is_incomplete=False, items=[])
        analysis = ls.documents.current(doc)
        stale = analysis is None and isinstance(doc.analysis, Analysis) and len(doc.text) >= THREADED_FROM
        if stale:  # answered from the text now, not after a worker thread's analysis (0.3-3 s)
            analysis = provisional(doc.text, doc.analysis)
        elif analysis is None:
            analysis = await ls.documents.analysis(doc)
        ctx = completion_context(analysis, Position(params.position.line, params.position.character))
        kind = getattr(ctx, "kind", "none")
        if kind == "model-id":
            return await model_items(ls, ctx, item_cache)
        if kind == "key":
            return types.CompletionList(is_incomplete=False, items=key_items(ls, ctx))
        if kind == "provider":
            return types.CompletionList(is_incomplete=False, items=value_items(ls, ctx, key="provider"))
        if kind in ("value", "none"):
            slot = reference_slot(analysis, Position(params.position.line, params.position.character))
            if slot is not None:
                index = ls.workspace_index.index if stale else await ls.workspace_index.current(doc.uri)
                return reference_items(slot, index)
        if kind == "value":
            return types.CompletionList(is_incomplete=False, items=value_items(ls, ctx))
        return types.CompletionList(is_incomplete=False, items=[])

    @ls.feature(types.COMPLETION_ITEM_RESOLVE)
    def resolve(ls: ServerContext, item: types.CompletionItem) -> types.CompletionItem:
        try:
            return resolve_item(ls, item, item_cache)
        except Exception:  # resolving is a nicety: the item as it came, never an error
            logger.exception("completionItem/resolve failed for %r", getattr(item, "label", None))
            return item
