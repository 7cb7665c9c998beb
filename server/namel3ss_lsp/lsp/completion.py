"""Completion: model ids from the right server's cached `/api/tags`, keys, providers and values.

Never waits more than ~40 ms on the network: a model list that is unknown gets a background
refresh and a short wait; otherwise the answer comes from the cache (refreshed in the background
when stale). When the server is unreachable, the last known list is offered marked "last known ·
Ollama unreachable"; when no list was ever fetched (or the server is too slow), a list of
well-known library models marked "not installed" (`isIncomplete` so the client asks again).
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from typing import Any

import attrs
from lsprotocol import types

from namel3ss_lsp.ide.reference_checks import file_name
from namel3ss_lsp.ide.reference_completion import ReferenceSlot, reference_candidates, reference_slot
from namel3ss_lsp.language import completion_context
from namel3ss_lsp.language import schema
from namel3ss_lsp.language.types import Position

from . import convert
from .diagnostics import decl_options
from .guard import guarded

from .context import ServerContext

logger = logging.getLogger(__name__)

TRIGGER_CHARACTERS = [":", " ", '"']
NETWORK_BUDGET = 0.04  # seconds; the contract says never more than 50 ms
PREFETCH_INFO = 20  # models whose /api/show facts are fetched in the background for documentation

# Well-known models of the Ollama library, offered when the server's own list is not available.
LIBRARY_MODELS: list[tuple[str, str]] = [
    ("llama3:8b", "Meta Llama 3, 8B"),
    ("llama3.1:8b", "Meta Llama 3.1, 8B, 128K context"),
    ("llama3.2:3b", "Meta Llama 3.2, 3B"),
    ("llama3.2:1b", "Meta Llama 3.2, 1B"),
    ("mistral:7b", "Mistral 7B"),
    ("mixtral:8x7b", "Mixtral 8x7B mixture of experts"),
    ("phi3:mini", "Microsoft Phi-3 Mini, 3.8B"),
    ("gemma2:9b", "Google Gemma 2, 9B"),
    ("qwen2.5:7b", "Alibaba Qwen 2.5, 7B"),
    ("qwen2.5-coder:7b", "Qwen 2.5 Coder, 7B"),
    ("codellama:7b", "Code Llama, 7B"),
    ("deepseek-r1:8b", "DeepSeek-R1 distilled, 8B"),
    ("llava:7b", "LLaVA vision model, 7B"),
    ("nomic-embed-text:latest", "Nomic text embeddings"),
    ("mxbai-embed-large:latest", "mxbai large text embeddings"),
]


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


def model_detail(entry: dict) -> str:
    details = entry.get("details") or {}
    parts = [details.get("parameter_size"), details.get("quantization_level"), convert.human_size(entry.get("size"))]
    return " · ".join(str(p) for p in parts if p)


def model_documentation(entry: dict, info: dict | None) -> str:
    details = entry.get("details") or {}
    lines = [f"**{entry.get('name')}** (installed)"]
    family = details.get("family") or (info or {}).get("family")
    if family:
        lines.append(f"- family: {family}")
    context = (info or {}).get("context_length")
    if context:
        lines.append(f"- context length: {context}")
    if entry.get("modified_at"):
        lines.append(f"- modified: {entry['modified_at']}")
    return "\n".join(lines)


def _edit(ctx: Any, text: str) -> types.TextEdit | None:
    rng = getattr(ctx, "replace_range", None)
    if rng is None:
        return None
    return types.TextEdit(range=convert.range_(rng), new_text=text)


class ModelItemCache:
    """Completion items per server, built once per model list (and per arrival of /api/show
    facts), and when each first-fetch task began to be waited for. One per server instance."""

    def __init__(self) -> None:
        # base URL -> (the model list they were built from, (info version, markup kind), items)
        self.items: dict[str, tuple[list, tuple, list[types.CompletionItem]]] = {}
        # first-fetch task -> when the first completion began waiting for it
        self.fetch_started: "weakref.WeakKeyDictionary[asyncio.Task, float]" = weakref.WeakKeyDictionary()


async def model_items(ls: ServerContext, ctx: Any, cache: ModelItemCache) -> types.CompletionList:
    """The installed models of the declaration's server, from cache; never waits on the network
    for more than NETWORK_BUDGET (only while the very first fetch of a list is under way)."""
    hub = ls.hub
    options = decl_options(ctx.decl) if getattr(ctx, "decl", None) is not None else {}
    base = hub.base_url_for(options)
    if not hub.allowed(base):
        return _offline_list(ls, ctx, f"not installed · {base} is not in ollama.allowedHosts", incomplete=False)
    models, error = hub.models(base), hub.error(base)
    if models is None and error is None:
        task = hub.ensure_models(base)
        if task is not None:
            # Every completion during a slow first fetch shares one budget counted from its start.
            loop = asyncio.get_running_loop()
            budget = NETWORK_BUDGET - (loop.time() - cache.fetch_started.setdefault(task, loop.time()))
            if budget > 0.001:
                await asyncio.wait([task], timeout=budget)
        models, error = hub.models(base), hub.error(base)
    elif hub.is_stale(base):
        hub.ensure_models(base)
    if models is None:
        why = "server unreachable" if error is not None else "model list not loaded yet"
        return _offline_list(ls, ctx, f"not installed · {why}", incomplete=True)
    items = _installed_items(ls, base, models, cache)
    stale = error is not None
    if stale:
        # Unreachable now, but these were installed when last seen: say so, do not call them missing.
        note = types.CompletionItemLabelDetails(description="last known · Ollama unreachable")
        items = [attrs.evolve(item, label_details=note) for item in items]
    rng = getattr(ctx, "replace_range", None)
    if rng is None:
        return types.CompletionList(is_incomplete=stale, items=items)
    edit_range = convert.range_(rng)
    if _supports_default_edit_range(ls):
        # One range for all items: the cached items are sent as they are, unchanged per request.
        return types.CompletionList(
            is_incomplete=stale, items=items, item_defaults=types.CompletionItemDefaults(edit_range=edit_range)
        )
    items = [attrs.evolve(item, text_edit=types.TextEdit(range=edit_range, new_text=item.label)) for item in items]
    return types.CompletionList(is_incomplete=stale, items=items)


def _installed_items(ls: ServerContext, base: str, models: list[dict], cache: ModelItemCache) -> list[types.CompletionItem]:
    """Items for a model list, built once per list (and per arrival of /api/show facts)."""
    hub = ls.hub
    key = (hub.info_version, _markup(ls, "").kind)
    cached = cache.items.get(base)
    if cached is not None and cached[0] is models and cached[1] == key:
        return cached[2]
    items = []
    for index, entry in enumerate(models):
        name = str(entry.get("name", ""))
        if not name:
            continue
        # /api/show facts (context length) join the documentation once fetched in the background
        info = hub.info_peek(base, name, fetch=index < PREFETCH_INFO)
        items.append(
            types.CompletionItem(
                label=name,
                kind=types.CompletionItemKind.Module,
                detail=model_detail(entry) or "installed",
                documentation=_markup(ls, model_documentation(entry, info)),
                filter_text=name,
                sort_text=f"0{index:04d}",
            )
        )
    cache.items[base] = (models, key, items)
    return items


def _supports_default_edit_range(ls: ServerContext) -> bool:
    try:
        defaults = ls.client_capabilities.text_document.completion.completion_list.item_defaults or []
    except AttributeError:
        return False
    return "editRange" in defaults


def _offline_list(ls: ServerContext, ctx: Any, detail: str, *, incomplete: bool) -> types.CompletionList:
    return types.CompletionList(is_incomplete=incomplete, items=offline_items(ls, ctx, detail))


def offline_items(ls: ServerContext, ctx: Any, detail: str) -> list[types.CompletionItem]:
    return [
        types.CompletionItem(
            label=name,
            kind=types.CompletionItemKind.Module,
            detail=detail,
            documentation=_markup(ls, f"**{name}**: {doc}. Not installed: pull it with `ollama pull {name}`."),
            filter_text=name,
            sort_text=f"1{index:04d}",
            text_edit=_edit(ctx, name),
            label_details=types.CompletionItemLabelDetails(description="not installed"),
        )
        for index, (name, doc) in enumerate(LIBRARY_MODELS)
    ]


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


def reference_items(slot: ReferenceSlot, index) -> list[types.CompletionItem]:
    """Declared names of the kinds the key refers to, from every file, with kind and file."""
    items = []
    for decl in reference_candidates(index, slot):
        items.append(
            types.CompletionItem(
                label=decl.name,
                kind=types.CompletionItemKind.Reference,
                detail=f"{decl.kind} · {file_name(decl.uri)}",
                label_details=types.CompletionItemLabelDetails(description=decl.kind),
                text_edit=types.TextEdit(range=convert.range_(slot.replace_range), new_text=decl.name),
            )
        )
    return items


def register(ls: ServerContext) -> None:
    item_cache = ModelItemCache()

    @ls.feature(
        types.TEXT_DOCUMENT_COMPLETION,
        types.CompletionOptions(trigger_characters=TRIGGER_CHARACTERS, resolve_provider=False),
    )
    @guarded("completion", default=lambda: types.CompletionList(is_incomplete=False, items=[]))
    async def completion(ls: ServerContext, params: types.CompletionParams) -> types.CompletionList:
        doc = ls.documents.get(params.text_document.uri)
        if doc is None:
            return types.CompletionList(is_incomplete=False, items=[])
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
                index = await ls.workspace_index.current(doc.uri)
                return types.CompletionList(is_incomplete=False, items=reference_items(slot, index))
        if kind == "value":
            return types.CompletionList(is_incomplete=False, items=value_items(ls, ctx))
        return types.CompletionList(is_incomplete=False, items=[])
