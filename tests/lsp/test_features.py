"""Hover, code actions, document symbols, folding ranges and code lenses, end to end."""

from __future__ import annotations

import pytest
from lsprotocol import types

from .harness import NEOVIM, VSCODE, fast_settings, find_position, model_block, wait_until

PULL = "namel3ss.ollama.pullModel"
REMOVE = "namel3ss.ollama.removeModel"
TRY = "namel3ss.ollama.tryModel"


def _doc(uri: str) -> types.TextDocumentIdentifier:
    return types.TextDocumentIdentifier(uri=uri)


async def _hover(client, uri, position):
    return await client.text_document_hover_async(types.HoverParams(text_document=_doc(uri), position=position))


async def test_hover_on_model_id_shows_api_show_facts(shared_vscode, shared_standin):
    client = shared_vscode
    uri = "file:///hover.ai"
    text = model_block("llama3:8b")
    client.open(uri, text)
    await client.wait_diagnostics(uri)
    await wait_until(lambda: client.statuses, 10, what="status")
    hover = await _hover(client, uri, find_position(text, "llama3:8b", 3))
    assert hover is not None
    value = hover.contents.value
    for fact in ("family: llama", "parameters: 8.0B", "quantization: Q4_0", "context length: 8192", "size:", "license"):
        assert fact in value, (fact, value)
    assert "capabilities: completion" in value
    assert hover.range.start == find_position(text, "llama3:8b")


async def test_hover_on_missing_model(shared_neovim, shared_standin):
    client = shared_neovim
    uri = "file:///hover-missing.ai"
    text = model_block("nothere:1b")
    client.open(uri, text)
    await client.wait_codes(uri, lambda c: "ollama-model-missing" in c)
    hover = await _hover(client, uri, find_position(text, "nothere", 2))
    assert "Not installed" in hover.contents.value


async def test_hover_on_key_shows_schema_docs(shared_neovim, shared_standin):
    client = shared_neovim
    uri = "file:///hover-key.ai"
    text = model_block("llama3:8b", config={"temperature": 0.7})
    client.open(uri, text)
    hover = await _hover(client, uri, find_position(text, "temperature", 3))
    value = hover.contents.value
    assert "temperature" in value and "float" in value and "0.7" in value and "0 to 2" in value


async def test_hover_outside_anything_is_empty(shared_neovim, shared_standin):
    client = shared_neovim
    uri = "file:///hover-none.ai"
    client.open(uri, "\n\n" + model_block("llama3:8b"))
    assert await _hover(client, uri, types.Position(line=0, character=0)) is None
    # positions past the end of the document, unknown documents: no error, no answer
    assert await _hover(client, uri, types.Position(line=999, character=999)) is None
    assert await _hover(client, "file:///unknown.ai", types.Position(line=0, character=0)) is None


async def _actions(client, uri, rng, diagnostics=()):
    return await client.text_document_code_action_async(
        types.CodeActionParams(text_document=_doc(uri), range=rng, context=types.CodeActionContext(diagnostics=list(diagnostics)))
    )


@pytest.mark.parametrize("profile", [VSCODE, NEOVIM])
async def test_code_actions_for_missing_model(shared_vscode, shared_neovim, shared_standin, profile):
    client = shared_vscode if profile == VSCODE else shared_neovim
    standin_url = shared_standin.url
    uri = "file:///actions.ai"
    text = model_block("llama3:70b")
    client.open(uri, text)
    diags = await client.wait_codes(uri, lambda c: "ollama-model-missing" in c)
    missing = next(d for d in diags if d.code == "ollama-model-missing")
    actions = await _actions(client, uri, missing.range, [missing])
    titles = [a["title"] for a in actions]
    assert "Pull model 'llama3:70b'" in titles
    assert "Replace with 'llama3:8b'" in titles
    pull = next(a for a in actions if a["title"].startswith("Pull"))
    assert pull["kind"] == "quickfix"
    assert pull["command"]["command"] == PULL
    assert pull["command"]["arguments"] == [{"model": "llama3:70b", "baseUrl": standin_url}]
    assert pull["diagnostics"][0]["code"] == "ollama-model-missing"
    replace = next(a for a in actions if a["title"] == "Replace with 'llama3:8b'")
    assert replace["kind"] == "quickfix"
    edit = replace["edit"]["changes"][uri][0]
    assert edit["newText"] == "llama3:8b"
    assert edit["range"]["start"] == {"line": missing.range.start.line, "character": missing.range.start.character}
    assert edit["range"]["end"] == {"line": missing.range.end.line, "character": missing.range.end.character}


async def test_code_action_remove_on_installed_model(shared_vscode, shared_standin):
    client = shared_vscode
    standin_url = shared_standin.url
    uri = "file:///remove-action.ai"
    text = model_block("llama3:8b")
    client.open(uri, text)
    await wait_until(lambda: client.statuses, 10, what="status")
    await client.wait_diagnostics(uri)
    pos = find_position(text, "llama3:8b", 2)
    actions = await _actions(client, uri, types.Range(start=pos, end=pos))
    remove = [a for a in actions if a["title"] == "Remove model 'llama3:8b' from Ollama"]
    assert len(remove) == 1
    assert remove[0]["command"]["command"] == REMOVE
    assert remove[0]["command"]["arguments"] == [{"model": "llama3:8b", "baseUrl": standin_url}]  # unconfirmed
    assert not [a for a in actions if a["title"].startswith("Pull")]


async def test_document_symbols(shared_vscode, shared_standin):
    client = shared_vscode
    uri = "file:///symbols.ai"
    text = 'app "Demo" {\n    page "Home" at "/" {\n        show text "hi"\n    }\n}\n' + model_block("llama3:8b")
    client.open(uri, text)
    symbols = await client.text_document_document_symbol_async(types.DocumentSymbolParams(text_document=_doc(uri)))
    names = [s.name for s in symbols]
    assert names == ["Demo", "chat_model"]
    model = symbols[1]
    assert model.kind == types.SymbolKind.Class
    assert "llama3:8b" in (model.detail or "")
    assert [c.name for c in symbols[0].children] == ["Home"]


async def test_folding_ranges(shared_vscode, shared_standin):
    client = shared_vscode
    uri = "file:///folding.ai"
    text = model_block("llama3:8b", config={"temperature": 0.5, "num_ctx": 2048})
    client.open(uri, text)
    ranges = await client.text_document_folding_range_async(types.FoldingRangeParams(text_document=_doc(uri)))
    spans = {(r.start_line, r.end_line) for r in ranges}
    assert any(start == 0 for start, _ in spans)  # the declaration body
    assert any(start == 3 for start, _ in spans)  # the config map


async def test_code_lenses_try_and_pull_and_refresh(shared_vscode, shared_standin):
    client = shared_vscode
    standin_url = shared_standin.url
    uri = "file:///lens.ai"
    text = model_block("llama3:8b") + model_block("phi3:mini", "small")
    client.open(uri, text)
    await client.wait_codes(uri, lambda c: "ollama-model-missing" in c)
    lenses = await client.text_document_code_lens_async(types.CodeLensParams(text_document=_doc(uri)))
    by_title = {l.command.title: l for l in lenses}
    assert set(by_title) == {"Try llama3:8b", "Pull phi3:mini"}
    try_lens = by_title["Try llama3:8b"]
    assert try_lens.command.command == TRY
    assert try_lens.command.arguments[0]["model"] == "llama3:8b"
    assert try_lens.command.arguments[0]["baseUrl"] == standin_url
    assert try_lens.range.start.line == 0
    pull_lens = by_title["Pull phi3:mini"]
    assert pull_lens.command.command == PULL
    assert list(pull_lens.command.arguments) == [{"model": "phi3:mini", "baseUrl": standin_url}]
    # pulling changes the model list: the client is asked to refresh its lenses
    before = client.code_lens_refreshes
    await client.command(PULL, {"model": "phi3:mini", "baseUrl": standin_url})
    await wait_until(lambda: client.code_lens_refreshes > before, 10, what="workspace/codeLens/refresh")
    lenses = await client.text_document_code_lens_async(types.CodeLensParams(text_document=_doc(uri)))
    assert {l.command.title for l in lenses} == {"Try llama3:8b", "Try phi3:mini"}


async def test_hover_on_provider(shared_neovim):
    client = shared_neovim
    uri = "file:///hover-provider.ai"
    text = model_block("llama3:8b")
    client.open(uri, text)
    hover = await _hover(client, uri, find_position(text, "ollama", 2))
    assert "ollama" in hover.contents.value and "locally" in hover.contents.value


async def test_hover_shows_whether_the_model_is_loaded(lsp, standins):
    loaded = [{"name": "llama3:8b", "size": 6_000_000_000, "size_vram": 3_000_000_000, "context_length": 8192,
               "keep_alive": 600}]
    server = standins(models=["llama3:8b", "mistral:latest"], loaded=loaded)
    client = await lsp(VSCODE, init=fast_settings(server.url))
    uri = "file:///hover-loaded.ai"
    text = model_block("llama3:8b") + model_block("mistral:latest", "other")
    client.open(uri, text)
    await wait_until(lambda: any(s.get("loadedModels") for s in client.statuses), 10, what="loaded models known")
    value = (await _hover(client, uri, find_position(text, "llama3:8b", 2))).contents.value
    assert "- loaded: 6.0 GB in memory (50% GPU, 3.0 GB VRAM), context 8192 tokens, unloads in 10 min" in value
    value = (await _hover(client, uri, find_position(text, "mistral:latest", 2))).contents.value
    assert "- loaded: no" in value


async def test_hover_on_a_missing_library_model_says_what_a_pull_brings(shared_neovim, shared_standin):
    client = shared_neovim
    uri = "file:///hover-library.ai"
    text = model_block("qwen3:14b")
    client.open(uri, text)
    await client.wait_codes(uri, lambda c: "ollama-model-missing" in c)
    value = (await _hover(client, uri, find_position(text, "qwen3", 2))).contents.value
    assert "Not installed" in value and "not installed: pull 9.3 GB (tools, thinking)" in value
    assert "ollama pull qwen3:14b" in value


async def test_code_action_update_on_installed_model(shared_vscode, shared_standin):
    client = shared_vscode
    uri = "file:///update-action.ai"
    text = model_block("mistral:latest")
    client.open(uri, text)
    await wait_until(lambda: client.statuses, 10, what="status")
    await client.wait_diagnostics(uri)
    pos = find_position(text, "mistral", 2)
    actions = await _actions(client, uri, types.Range(start=pos, end=pos))
    update = [a for a in actions if a["title"] == "Update 'mistral:latest'"]
    assert len(update) == 1
    assert update[0]["command"] == {
        "title": "Update 'mistral:latest'",
        "command": "namel3ss.ollama.updateModel",
        "arguments": [{"model": "mistral:latest", "baseUrl": shared_standin.url}],
    }


async def test_thousands_of_references_rename_and_highlights_through_the_server(shared_vscode):
    """More than navigation.BIG_RESULT locations: made as JSON in a worker thread, the same answers."""
    client = shared_vscode
    uri = "file:///thousands-of-references.ai"
    text = 'tool many_refs_tool {\n    description: "x"\n}\n' + "".join(
        f"agent many_refs_agent_{i} {{\n    tools: [many_refs_tool]\n}}\n" for i in range(2100))
    client.open(uri, text)
    await client.wait_diagnostics(uri)
    doc, at = types.TextDocumentIdentifier(uri=uri), types.Position(line=0, character=6)
    found = await client.text_document_references_async(
        types.ReferenceParams(text_document=doc, position=at, context=types.ReferenceContext(include_declaration=True)))
    assert len(found) == 2101 and found[0].range.start == types.Position(line=0, character=5)
    assert found[1].range == types.Range(start=types.Position(line=4, character=12), end=types.Position(line=4, character=26))
    lit = await client.text_document_document_highlight_async(types.DocumentHighlightParams(text_document=doc, position=at))
    assert len(lit) == 2101 and lit[0].kind == types.DocumentHighlightKind.Write and lit[1].kind == types.DocumentHighlightKind.Read
    edit = await client.text_document_rename_async(types.RenameParams(text_document=doc, position=at, new_name="renamed_tool"))
    edits = edit.document_changes[0].edits if edit.document_changes else edit.changes[uri]
    assert edit.document_changes is None or edit.document_changes[0].text_document.version == 1
    assert len(edits) == 2101 and {e.new_text for e in edits} == {"renamed_tool"}
    client.text_document_did_close(types.DidCloseTextDocumentParams(text_document=doc))
