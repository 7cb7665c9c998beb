"""Model-id completion end to end against the stand-in: the lean payload (itemDefaults, labelDetails,
documentation through completionItem/resolve without waiting on Ollama), the Ollama library after
the installed models and its tags after `name:`, installed models newest first, and a server with
200,000 models (a bounded, filtered, incomplete list; hover and outline still answer)."""

from __future__ import annotations

import asyncio
import json
import sys
import time

import attrs
from lsprotocol import types
from pytest_lsp import client_capabilities

from namel3ss_lsp.ollama.library import find_model, library_models

from .harness import VSCODE, _client_factory, _empty_root, fast_settings, find_position, model_block, server_env

HALF = "ai model chat {\n    provider: ollama\n    model: \n}\n"
AT_MODEL = types.Position(line=2, character=11)
ITEM_DEFAULTS = ["commitCharacters", "editRange", "insertTextFormat", "insertTextMode", "data"]


def modern_capabilities() -> types.ClientCapabilities:
    """VS Code 1.65's recorded capabilities plus what today's VS Code and Neovim >= 0.10 send:
    labelDetails and completionList.itemDefaults."""
    caps = client_capabilities(VSCODE)
    completion = caps.text_document.completion
    item = attrs.evolve(completion.completion_item, label_details_support=True)
    completion = attrs.evolve(
        completion, completion_item=item,
        completion_list=types.CompletionListCapabilities(item_defaults=ITEM_DEFAULTS),
    )
    return attrs.evolve(caps, text_document=attrs.evolve(caps.text_document, completion=completion))


async def start_modern(lsp, init: dict):
    """A server driven by a client with `modern_capabilities()`, stopped with the others."""
    client = _client_factory()
    await client.start_io(sys.executable, "-m", "namel3ss_lsp", "--log-level", "INFO", env=server_env())
    root = _empty_root()
    await client.initialize_session(
        types.InitializeParams(
            capabilities=modern_capabilities(),
            initialization_options=init,
            root_uri=root.as_uri(),
            workspace_folders=[types.WorkspaceFolder(uri=root.as_uri(), name=root.name)],
        )
    )
    lsp.started.append(client)
    return client


def _params(uri: str, position: types.Position) -> types.CompletionParams:
    context = types.CompletionContext(trigger_kind=types.CompletionTriggerKind.Invoked)
    return types.CompletionParams(text_document=types.TextDocumentIdentifier(uri=uri), position=position, context=context)


async def complete(client, uri: str, position: types.Position = AT_MODEL) -> types.CompletionList:
    return await client.text_document_completion_async(_params(uri, position))


async def complete_until(client, uri, predicate, position=AT_MODEL, timeout: float = 30) -> types.CompletionList:
    deadline = time.monotonic() + timeout
    while True:
        result = await complete(client, uri, position)
        if predicate(result):
            return result
        assert time.monotonic() < deadline, f"completion never satisfied the condition: {result.items[:2]}"
        await asyncio.sleep(0.1)


def installed(result: types.CompletionList) -> list[types.CompletionItem]:
    """The installed models of a list (the library's items say "not installed")."""
    def library(item):
        text = (item.label_details.description if item.label_details else None) or item.detail or ""
        return text.startswith("not installed")
    return [i for i in result.items if not library(i)]


def wire_bytes(client, result: types.CompletionList) -> int:
    """Length of the result as JSON, as the server writes it (same converter, same json.dumps)."""
    return len(json.dumps(client.protocol._converter.unstructure(result)))


def _doc(uri: str) -> types.TextDocumentIdentifier:
    return types.TextDocumentIdentifier(uri=uri)


# ---- A: the lean payload ---------------------------------------------------------------------------

async def test_lean_items_with_item_defaults_and_resolve(lsp, standins):
    names = [f"bench-model-{i:04d}:{i % 13 + 1}b" for i in range(998)] + ["llama3:8b", "mistral:latest"]
    server = standins(models=names, pullable=[])
    client = await start_modern(lsp, fast_settings(server.url))
    uri = "file:///lean.ai"
    client.open(uri, HALF)
    result = await complete_until(client, uri, lambda r: len(installed(r)) == 1000)
    defaults = result.item_defaults
    assert defaults.edit_range == types.Range(start=AT_MODEL, end=AT_MODEL)
    assert defaults.insert_text_format == types.InsertTextFormat.PlainText
    assert defaults.data == {"baseUrl": server.url}
    assert result.is_incomplete is False
    for item in result.items:  # nothing the defaults or the label already say
        assert item.text_edit is None and item.filter_text is None and item.insert_text is None
        assert item.documentation is None and item.data is None
    item = next(i for i in result.items if i.label == "llama3:8b")
    assert item.detail is None  # resolved lazily: VS Code resolves `detail`
    assert item.label_details.description == "4.7 GB"  # what a user scans: the size
    per_item = wire_bytes(client, result) / len(result.items)
    print(f"\n{len(result.items)} items ({len(installed(result))} installed): {per_item:.1f} bytes per item")
    assert per_item <= 150, per_item
    # resolve gives the facts from the cache, even while /api/show hangs: it never waits on Ollama
    server.configure(hang=["/api/show"])
    resolved = await asyncio.wait_for(client.completion_item_resolve_async(attrs.evolve(item, data=defaults.data)), 10)
    doc = resolved.documentation.value
    for fact in ("installed", "family: llama", "parameters: 8.0B", "quantization: Q4_0", "size: 4.7 GB", "modified:"):
        assert fact in doc, (fact, doc)
    assert "8.0B" in resolved.detail and "Q4_0" in resolved.detail
    server.configure(hang=[])
    # without `data` (a client that drops it), the server of the last completion is used
    resolved = await client.completion_item_resolve_async(item)
    assert "family: llama" in resolved.documentation.value


async def test_neovim_07_gets_a_text_edit_per_item_and_no_defaults(shared_neovim):
    client = shared_neovim
    uri = "file:///lean-nvim.ai"
    client.open(uri, "ai model chat {\n    provider: ollama\n    model: lla\n}\n")
    result = await complete(client, uri, types.Position(line=2, character=14))
    assert result.item_defaults is None
    edit_range = types.Range(start=types.Position(line=2, character=11), end=types.Position(line=2, character=14))
    assert all(i.text_edit.range == edit_range and i.text_edit.new_text == i.label for i in result.items)
    assert all(i.detail for i in result.items)  # no labelDetails support: the size is in `detail`


# ---- C1: the Ollama library --------------------------------------------------------------------------

async def test_library_models_follow_the_installed_ones(lsp, standins):
    server = standins(models=["llama3:8b", "mistral:latest"], pullable=[])
    client = await start_modern(lsp, fast_settings(server.url))
    uri = "file:///library.ai"
    client.open(uri, HALF)
    result = await complete_until(client, uri, lambda r: not r.is_incomplete)
    labels = [i.label for i in result.items]
    assert set(labels[:2]) == {"llama3:8b", "mistral:latest"}
    assert labels.count("llama3:8b") == 1  # installed: not offered again as a library model
    assert "mistral:7b" not in labels  # mistral:latest is installed, and latest is the 7b
    library = {i.label: i for i in result.items[2:]}
    assert len(library) >= 60
    qwen = library["qwen3:8b"]
    assert qwen.label_details.description == "not installed: pull 5.2 GB"
    assert qwen.label_details.detail == " tools, thinking"
    assert library["llama3.2-vision:11b"].label_details.detail == " vision"
    assert library["nomic-embed-text:latest"].label_details.detail == " embedding"
    assert all(i.sort_text > max(x.sort_text for x in result.items[:2]) for i in library.values())
    resolved = await client.completion_item_resolve_async(qwen)
    doc = resolved.documentation.value
    assert "Qwen 3" in doc and "capabilities: tools, thinking" in doc and "0.6b (523 MB)" in doc
    assert "ollama pull qwen3:8b" in doc and "snapshot" in doc


async def test_tags_of_a_model_after_its_name_and_colon(lsp, standins):
    server = standins(models=["llama3:8b"], pullable=[])
    client = await start_modern(lsp, fast_settings(server.url))
    uri = "file:///tags.ai"
    client.open(uri, "ai model chat {\n    provider: ollama\n    model: llama3:\n}\n")
    at = types.Position(line=2, character=18)
    result = await complete_until(client, uri, lambda r: any(i.label == "llama3:70b" for i in r.items), at)
    assert result.item_defaults.edit_range == types.Range(start=types.Position(line=2, character=11), end=at)
    by_label = {i.label: i for i in result.items}
    assert by_label["llama3:70b"].label_details.description == "not installed: pull 40 GB"
    assert by_label["llama3:8b"].label_details.description == "4.7 GB"  # installed
    # another model's tags
    client.change(uri, 2, [types.TextDocumentContentChangeWholeDocument(
        text="ai model chat {\n    provider: ollama\n    model: qwen3:\n}\n")])
    at = types.Position(line=2, character=17)
    result = await complete_until(client, uri, lambda r: any(i.label == "qwen3:235b" for i in r.items), at)
    tags = {i.label for i in result.items if i.label.startswith("qwen3:")}
    assert tags == {f"qwen3:{t}" for t in find_model("qwen3").tags}


async def test_offline_list_is_the_whole_catalogue(shared_neovim):
    client = shared_neovim
    uri = "file:///offline-catalogue.ai"
    text = 'ai model chat {\n    provider: ollama\n    model: \n    config: {\n        base_url: "http://127.0.0.1:9"\n    }\n}\n'
    client.open(uri, text)
    result = await complete_until(client, uri, lambda r: "unreachable" in (r.items[0].detail or ""))
    assert [i.label for i in result.items] == [m.default_name for m in library_models()]
    assert result.is_incomplete is True


async def test_choosing_a_library_model_gives_the_missing_diagnostic_and_pull_fix(lsp, standins):
    server = standins(models=["llama3:8b"], pullable=["qwen3:8b"])
    client = await start_modern(lsp, fast_settings(server.url))
    uri = "file:///choose.ai"
    client.open(uri, HALF)
    result = await complete_until(client, uri, lambda r: not r.is_incomplete)
    chosen = next(i for i in result.items if i.label == "qwen3:8b")
    edit_range = result.item_defaults.edit_range  # what the client applies
    line = HALF.splitlines()[edit_range.start.line]
    text = HALF.replace(line, line[: edit_range.start.character] + chosen.label + line[edit_range.end.character:])
    client.change(uri, 2, [types.TextDocumentContentChangeWholeDocument(text=text)])
    diags = await client.wait_codes(uri, lambda c: "ollama-model-missing" in c)
    missing = next(d for d in diags if d.code == "ollama-model-missing")
    assert missing.data["model"] == "qwen3:8b" and missing.data["downloadSize"] == 5_200_000_000
    actions = await client.text_document_code_action_async(types.CodeActionParams(
        text_document=_doc(uri), range=missing.range, context=types.CodeActionContext(diagnostics=[missing])))
    pull = next(a for a in actions if a["title"] == "Pull model 'qwen3:8b'")
    command = pull["command"]
    assert command["arguments"] == [{"model": "qwen3:8b", "baseUrl": server.url}]
    assert (await client.command(command["command"], *command["arguments"]))["status"] == "success"
    await client.wait_codes(uri, lambda c: "ollama-model-missing" not in c)


# ---- C4: newest first, with the size ------------------------------------------------------------------

async def test_installed_models_newest_first_with_their_size(lsp, standins):
    now = time.time()
    models = [
        {"name": "old:1b", "modified": now - 86400 * 30, "size": 1_300_000_000},
        {"name": "newest:7b", "modified": now - 60, "size": 4_100_000_000},
        {"name": "middle:3b", "modified": now - 86400, "size": 2_000_000_000},
    ]
    server = standins(models=[], pullable=[])
    server.configure(models=models)
    client = await start_modern(lsp, fast_settings(server.url))
    uri = "file:///recency.ai"
    client.open(uri, HALF)
    result = await complete_until(client, uri, lambda r: len(installed(r)) == 3)
    ordered = sorted(installed(result), key=lambda i: i.sort_text)
    assert [i.label for i in ordered] == ["newest:7b", "middle:3b", "old:1b"]
    assert [i.label_details.description for i in ordered] == ["4.1 GB", "2.0 GB", "1.3 GB"]


# ---- B: 200,000 models ----------------------------------------------------------------------------------

async def test_two_hundred_thousand_models(lsp, standins):
    server = standins(models=["llama3:8b", "mistral:latest"], pullable=[], bulk_models=200_000)
    init = fast_settings(server.url, healthCheckInterval=300, requestTimeout=30, modelCacheTtl=600)
    client = await start_modern(lsp, init)
    uri = "file:///huge.ai"
    text = model_block("llama3:8b", "known") + HALF
    client.open(uri, text)
    at = types.Position(line=6, character=11)
    result = await complete_until(client, uri, lambda r: len(installed(r)) > 2, at, timeout=120)
    names = [i.label for i in installed(result)]
    assert result.is_incomplete is True and len(names) == 1000  # bounded
    assert names[:2] == ["llama3:8b", "mistral:latest"] and names[2] == "bulk-000000:7b"  # newest first
    # typing filters on the server; typing more narrows it
    for typed, expected in [("bulk-0001", 100), ("bulk-00012", 10), ("bulk-199999", 1)]:
        new_text = text[: text.rindex("model: ") + 7] + typed + "\n}\n"
        client.change(uri, len(typed), [types.TextDocumentContentChangeWholeDocument(text=new_text)])
        where = types.Position(line=6, character=11 + len(typed))
        result = await complete_until(
            client, uri, lambda r: installed(r) and all(i.label.startswith(typed) for i in installed(r)), where)
        labels = [i.label for i in installed(result)]
        assert len(labels) == expected and result.is_incomplete is True, (typed, labels[:3])
    # ... and a name that only contains what is typed still comes, after those that start with it
    new_text = text[: text.rindex("model: ") + 7] + "99999\n}\n"
    client.change(uri, 100, [types.TextDocumentContentChangeWholeDocument(text=new_text)])
    result = await complete_until(client, uri, lambda r: installed(r) and installed(r)[0].label == "bulk-099999:7b",
                                  types.Position(line=6, character=16))
    assert [i.label for i in installed(result)] == ["bulk-099999:7b", "bulk-199999:7b"]
    # hover and the outline still answer
    hover = await asyncio.wait_for(client.text_document_hover_async(
        types.HoverParams(text_document=_doc(uri), position=find_position(new_text, "llama3:8b", 2))), 60)
    assert "parameters: 8.0B" in hover.contents.value
    symbols = await asyncio.wait_for(
        client.text_document_document_symbol_async(types.DocumentSymbolParams(text_document=_doc(uri))), 60)
    assert [s.name for s in symbols] == ["known", "chat"]
