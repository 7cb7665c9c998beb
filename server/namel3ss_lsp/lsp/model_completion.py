"""Completion of model ids after `model:`, and `completionItem/resolve` of what it offers.

What is offered: the installed models of the declaration's server, newest first (modified_at), then
the models of the Ollama library (the shipped snapshot, ollama/library.json) that are not installed,
marked "not installed: pull 4.9 GB"; after `name:` (`model: llama3:`) also that model's other tags.
When no list is known (unreachable, not loaded yet, host not allowed), the library alone, marked
"not installed" with the reason (`isIncomplete`, so the client asks again).

The payload is lean: an item is its label, kind, a short sortText (recency) and, for what a user
scans, the size (`labelDetails` where the client shows them, else a one-line `detail`); the edit
range, insert format and `data` go once in `CompletionList.itemDefaults` when the client supports
them (else a `textEdit` per item, e.g. Neovim 0.7). Documentation comes with `completionItem/resolve`,
from what is cached (`/api/tags`, `/api/show`, `/api/ps`, the library): resolve never waits on Ollama.

Items are built once per model list (per client shape) and kept in their JSON form, and the JSON
text of the list of items is made once per list too (the same list at the same place: the text of
the last answer): the answer is a `PreparedResult` (protocol.py) written as that text, so a request
costs a dictionary lookup and a string, not serialising 1,090 items again (3.3 ms on a slow machine).

A list longer than MAX_ITEMS (a server with 200,000 models) is never sent whole: the answer is at
most MAX_ITEMS installed models matching what is typed (names starting with it first, then names
containing it; newest first), `isIncomplete: true`, so typing more narrows it; the list is indexed
in a worker thread (ollama_state), and only the items sent are ever built.

Never waits more than NETWORK_BUDGET on the network (only while the very first fetch of a list runs).
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from dataclasses import dataclass
from typing import Any

import attrs
from lsprotocol import types
from pygls.capabilities import get_capability
from pygls.protocol import default_converter

from namel3ss_lsp.ollama.library import LibraryModel, find_model, library_models, library_tag

from .context import ServerContext
from .diagnostics import decl_options
from .model_facts import (installed_facts, library_detail, library_lines, model_detail, running_lines,
                          size_text)
from .model_index import ModelIndex
from .protocol import Namel3ssProtocol, PreparedResult, compact_json

logger = logging.getLogger(__name__)

NETWORK_BUDGET = 0.04  # seconds; the contract says never more than 50 ms
MAX_ITEMS = 1000  # installed models in one answer at most (above: filtered by what is typed, incomplete)
PREFETCH_INFO = 20  # newest models whose /api/show facts are fetched in the background (resolve, checks)
STALE_NOTE = "last known · Ollama unreachable"


@dataclass(frozen=True)
class ClientShape:
    """What the client can take, read once from its capabilities."""

    label_details: bool  # completionItem.labelDetailsSupport: the size goes there
    lazy_detail: bool  # `detail` resolvable: the full one comes with resolve, the list has at most the size
    defaults: frozenset  # completionList.itemDefaults the client applies
    markup: types.MarkupKind  # for documentation


def client_shape(ls: ServerContext) -> ClientShape:
    caps = ls.client_capabilities
    item = "text_document.completion.completion_item"
    label_details = bool(get_capability(caps, f"{item}.label_details_support", False))
    resolvable = get_capability(caps, f"{item}.resolve_support.properties", None) or ()
    formats = get_capability(caps, f"{item}.documentation_format", None) or ()
    defaults = get_capability(caps, "text_document.completion.completion_list.item_defaults", None) or ()
    return ClientShape(
        label_details=label_details,
        lazy_detail="detail" in resolvable,
        defaults=frozenset(defaults),
        markup=types.MarkupKind.Markdown if types.MarkupKind.Markdown in formats else types.MarkupKind.PlainText,
    )


Json = dict  # a completion item in its JSON form


def markup(shape: ClientShape, text: str) -> types.MarkupContent:
    if shape.markup == types.MarkupKind.PlainText:
        text = text.replace("**", "").replace("`", "")
    return types.MarkupContent(kind=shape.markup, value=text)


class ModelItems:
    """The completion items of one indexed model list for one client shape: built once (for a
    list above MAX_ITEMS, each model's item when it is first sent), with the library items."""

    def __init__(self, index: ModelIndex, shape: ClientShape, stale: bool, converter: Any) -> None:
        self.index, self.shape, self.stale = index, shape, stale
        self._json = converter.unstructure
        self._width = len(str(max(0, len(index.ranked) - 1)))
        self._items: dict[int, Json] = {}
        self._all: list[Json] | None = None
        self._library: list[Json] | None = None
        self._tags: dict[str, list[Json]] = {}

    def item(self, rank: int) -> Json:
        found = self._items.get(rank)
        if found is None:
            found = self._items[rank] = self._json(self._installed(self.index.ranked[rank], rank))
        return found

    def all(self) -> list[Json]:
        if self._all is None:
            self._all = [self.item(rank) for rank in range(len(self.index.ranked))]
        return self._all

    def _installed(self, entry: dict, rank: int) -> types.CompletionItem:
        shape = self.shape
        label_details = detail = None
        size = size_text(entry.get("size")) or None
        if self.stale:  # unreachable now, but installed when last seen: not "missing"
            label_details = types.CompletionItemLabelDetails(description=STALE_NOTE)
        elif shape.label_details:
            label_details = types.CompletionItemLabelDetails(description=size)
        if not shape.lazy_detail:
            detail = model_detail(entry) or "installed"
        elif not shape.label_details:
            detail = size  # what a user scans; the rest comes with resolve
        return types.CompletionItem(
            label=str(entry["name"]),
            kind=types.CompletionItemKind.Module,
            sort_text=f"0{rank:0{self._width}d}",
            label_details=label_details,
            detail=detail,
        )

    def installed(self, model: LibraryModel, tag: str) -> bool:
        """Whether `name:tag` is installed, `name:latest` counting as the default tag (the same model)."""
        if self.index.entry(f"{model.name}:{tag}") is not None:
            return True
        return tag == model.default_tag and self.index.entry(f"{model.name}:latest") is not None

    def library(self) -> list[Json]:
        """The library's models whose default tag is not installed."""
        if self._library is None:
            self._library = [
                self._json(library_item(self.shape, model, model.default_tag, f"1{rank:03d}"))
                for rank, model in enumerate(library_models())
                if not self.installed(model, model.default_tag)
            ]
        return self._library

    def tags(self, model: LibraryModel) -> list[Json]:
        """The other tags of a library model that are not installed (after `name:`)."""
        found = self._tags.get(model.name)
        if found is None:
            found = self._tags[model.name] = [
                self._json(library_item(self.shape, model, tag, f"2{rank:03d}"))
                for rank, tag in enumerate(model.tag_names())
                if tag != model.default_tag and not self.installed(model, tag)
            ]
        return found

    def extra(self, typed: str) -> list[Json]:
        model = find_model(typed) if ":" in typed else None
        return self.library() + self.tags(model) if model is not None else self.library()


def library_item(shape: ClientShape, model: LibraryModel, tag: str, sort_text: str,
                 note: str | None = None) -> types.CompletionItem:
    size = size_text(model.size(tag))
    short = f"not installed: pull {size}" if size else "not installed"
    detail: str | None = f"not installed · {note}" if note else library_detail(model, tag)
    label_details = None
    if shape.label_details:
        caps = ", ".join(model.capabilities)
        label_details = types.CompletionItemLabelDetails(detail=f" {caps}" if caps else None,
                                                         description=detail if note else short)
    if shape.lazy_detail and not note:
        detail = None if shape.label_details else short
    return types.CompletionItem(
        label=f"{model.name}:{tag}",
        kind=types.CompletionItemKind.Module,
        sort_text=sort_text,
        label_details=label_details,
        detail=detail,
    )


class CompletionCache:
    """Owned by the completion feature: item sets per server, the budget of a slow first fetch,
    the server of the last model completion (for resolve without `data`), the last per-item edits."""

    def __init__(self) -> None:
        self.sets: dict[str, ModelItems] = {}
        # first-fetch (or indexing) task -> when the first completion began waiting for it
        self.fetch_started: "weakref.WeakKeyDictionary[asyncio.Task, float]" = weakref.WeakKeyDictionary()
        self.last_base: str | None = None
        self._edits: tuple[tuple, list[Json]] | None = None
        self._shape: tuple[Any, ClientShape] | None = None
        self._converter: Any = None
        self._items_text: tuple[tuple, str] | None = None  # (key of the items, their JSON text)

    def converter(self, ls: ServerContext) -> Any:
        """The converter pygls serialises with (the same camelCase, None left out)."""
        if self._converter is None:
            self._converter = getattr(ls.protocol, "_converter", None) or default_converter()
        return self._converter

    def answer(self, ls: ServerContext, payload: dict, key: tuple) -> Any:
        """The answer for `payload` (a CompletionList's JSON form, its items identified by `key`):
        a PreparedResult with the items' JSON text of the last answer when `key` is the same.
        (A protocol that is not ours gets the list structured back into a CompletionList.)"""
        if not isinstance(ls.protocol, Namel3ssProtocol):
            return self.converter(ls).structure(payload, types.CompletionList)
        if self._items_text is None or self._items_text[0] != key:
            self._items_text = (key, compact_json(payload["items"]))
        parts = [f'{{"isIncomplete":{"true" if payload["isIncomplete"] else "false"},"items":{self._items_text[1]}']
        if "itemDefaults" in payload:
            parts.append(f',"itemDefaults":{compact_json(payload["itemDefaults"])}')
        parts.append("}")
        return PreparedResult(payload, "".join(parts))

    def shape(self, ls: ServerContext) -> ClientShape:
        caps = ls.client_capabilities
        if self._shape is None or self._shape[0] is not caps:
            self._shape = (caps, client_shape(ls))
        return self._shape[1]

    def items_for(self, ls: ServerContext, base: str, index: ModelIndex, stale: bool) -> ModelItems:
        shape = self.shape(ls)
        found = self.sets.get(base)
        if found is not None and found.shape == shape and found.stale == stale:
            if found.index is index:
                return found
            if found.index.ranked is index.ranked:  # an equal list read again (health check): same items
                found.index = index
                return found
        found = self.sets[base] = ModelItems(index, shape, stale, self.converter(ls))
        for entry in index.ranked[:PREFETCH_INFO]:  # context lengths for resolve and the checks
            ls.hub.info_peek(base, str(entry.get("name", "")), fetch=True)
        return found

    def with_edits(self, key: tuple, items: list[Json], edit_range: dict) -> list[Json]:
        """Items with a `textEdit` each (clients without itemDefaults), remembered for the next
        request at the same place."""
        if self._edits is not None and self._edits[0] == key:
            return self._edits[1]
        edited = [{**i, "textEdit": {"range": edit_range, "newText": i["label"]}} for i in items]
        self._edits = (key, edited)
        return edited

    async def wait(self, task: asyncio.Task | None) -> None:
        """Wait for `task` within what is left of the budget every completion of it shares."""
        if task is None:
            return
        loop = asyncio.get_running_loop()
        budget = NETWORK_BUDGET - (loop.time() - self.fetch_started.setdefault(task, loop.time()))
        if budget > 0.001:
            await asyncio.wait([task], timeout=budget)


async def model_items(ls: ServerContext, ctx: Any, cache: CompletionCache) -> Any:
    """The model ids to offer at `ctx` (a "model-id" completion context); see the module docstring."""
    hub = ls.hub
    options = decl_options(ctx.decl) if getattr(ctx, "decl", None) is not None else {}
    base = hub.base_url_for(options)
    cache.last_base = base
    if not hub.allowed(base):
        return offline_list(ls, ctx, cache, f"{base} is not in ollama.allowedHosts", incomplete=False)
    models, error = hub.models(base), hub.error(base)
    if models is None and error is None:
        await cache.wait(hub.ensure_models(base))
        models, error = hub.models(base), hub.error(base)
    elif hub.is_stale(base):
        hub.ensure_models(base)
    if models is None:
        why = "server unreachable" if error is not None else "model list not loaded yet"
        return offline_list(ls, ctx, cache, why, incomplete=True)
    index = hub.model_index(base)
    if index is None:  # a huge list, being indexed in a thread for the first time
        await cache.wait(hub.index_task(base))
        index = hub.model_index(base)
        if index is None:
            return offline_list(ls, ctx, cache, "the model list is being read", incomplete=True)
    stale = error is not None
    item_set = cache.items_for(ls, base, index, stale)
    typed = str(getattr(ctx, "prefix", "") or "")
    if len(index.ranked) <= MAX_ITEMS:
        installed, incomplete, which = item_set.all(), stale, typed.partition(":")[0] if ":" in typed else ""
    else:
        installed = [item_set.item(rank) for rank in index.search(typed, MAX_ITEMS)]
        incomplete, which = True, typed
    return finish(ls, ctx, cache, base, installed + item_set.extra(typed), incomplete, (item_set, which))


def finish(ls: ServerContext, ctx: Any, cache: CompletionCache, base: str | None,
           items: list[Json], incomplete: bool, key: tuple) -> Any:
    """The answer, with one edit range for every item: in itemDefaults when the client takes
    them, else as a textEdit per item."""
    payload: dict[str, Any] = {"isIncomplete": incomplete, "items": items}
    shape = cache.shape(ls)
    key = key + (shape,)  # what the items are (their JSON text is reused while it is the same)
    rng = getattr(ctx, "replace_range", None)
    if rng is not None:
        edit_range = {
            "start": {"line": max(0, int(rng.start.line)), "character": max(0, int(rng.start.character))},
            "end": {"line": max(0, int(rng.end.line)), "character": max(0, int(rng.end.character))},
        }
        defaults: dict[str, Any] = {}
        if "editRange" in shape.defaults:
            defaults["editRange"] = edit_range
        else:
            key = key + ((rng.start.line, rng.start.character, rng.end.line, rng.end.character),)
            payload["items"] = cache.with_edits(key, items, edit_range)
        if "insertTextFormat" in shape.defaults:
            defaults["insertTextFormat"] = types.InsertTextFormat.PlainText.value
        if base and "data" in shape.defaults:
            defaults["data"] = {"baseUrl": base}
        if defaults:
            payload["itemDefaults"] = defaults
    return cache.answer(ls, payload, key)


def offline_list(ls: ServerContext, ctx: Any, cache: CompletionCache, why: str, *, incomplete: bool) -> Any:
    """The library alone, each model marked "not installed" with why no list is known."""
    shape, to_json = cache.shape(ls), cache.converter(ls).unstructure
    items = [
        to_json(library_item(shape, model, model.default_tag, f"1{rank:03d}", note=why))
        for rank, model in enumerate(library_models())
    ]
    return finish(ls, ctx, cache, None, items, incomplete, ("offline", why))


def resolve_item(ls: ServerContext, item: types.CompletionItem, cache: CompletionCache) -> types.CompletionItem:
    """Documentation (and detail) of a model item, from what is cached: installed facts from
    /api/tags and /api/show, loaded state from /api/ps, or the library's words. No waiting; an
    /api/show not fetched yet is fetched in the background for next time."""
    if item.kind != types.CompletionItemKind.Module or not item.label:
        return item
    hub = ls.hub
    data = item.data if isinstance(item.data, dict) else {}
    base = data.get("baseUrl") if isinstance(data.get("baseUrl"), str) else None
    base = base or cache.last_base or hub.default_base_url()
    shape = cache.shape(ls)
    model = item.label
    entry = hub.model_entry(base, model) if hub.allowed(base) else None
    if entry is not None:
        name = str(entry.get("name"))
        info = hub.info_peek(base, name, fetch=True)
        lines = [f"**{name}** · installed on {base}", ""]
        lines += [f"- {label}: {value}" for label, value in installed_facts(entry, info) if value not in (None, "")]
        lines += running_lines(hub.running_entry(base, name), hub.running(base) is not None)
        detail = model_detail(entry) or "installed"
    else:
        found = library_tag(model)
        if found is None:
            return attrs.evolve(item, documentation=markup(shape, f"**{model}**\n\nNot installed on {base}."))
        library_model, tag = found
        detail = library_detail(library_model, tag)
        lines = [f"**{library_model.name}:{tag}** · {detail}", ""] + library_lines(library_model, tag)
        lines.append(f"Choose it, then pull it with the quick fix *Pull model* (or `ollama pull {library_model.name}:{tag}`).")
    return attrs.evolve(item, documentation=markup(shape, "\n".join(lines)), detail=detail)
