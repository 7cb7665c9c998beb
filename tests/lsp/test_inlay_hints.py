"""Inlay hints: model facts after model ids, "not installed", and what a reference resolves to;
each kind can be turned off; a model list change asks the client to refresh them."""

from __future__ import annotations

import shutil
from pathlib import Path

from lsprotocol import types

from .harness import VSCODE, fast_settings, wait_until
from .test_workspace import FIXTURE, _indexed

WHOLE = types.Range(start=types.Position(line=0, character=0), end=types.Position(line=100, character=0))


async def _hints(client, uri: str) -> list[tuple[int, int, str]]:
    result = await client.text_document_inlay_hint_async(
        types.InlayHintParams(text_document=types.TextDocumentIdentifier(uri=uri), range=WHOLE)
    )
    return [(h.position.line, h.position.character, h.label) for h in result or []]


async def test_inlay_hints_for_models_and_references(lsp, standins, tmp_path):
    root = tmp_path / "project"
    shutil.copytree(FIXTURE, root)
    (root / "missing.ai").write_text("ai model other {\n    provider: ollama\n    model: phi3:mini\n}\n")
    standin = standins(models=["llama3:8b"])
    client = await lsp(VSCODE, init=fast_settings(standin.url), root=root)
    await _indexed(client, 4)
    models_uri = (root / "models.ai").as_uri()
    client.open(models_uri, (root / "models.ai").read_text())
    await client.wait_diagnostics(models_uri)

    async def facts_known() -> bool:
        return any("Q4_0" in label for *_, label in await _hints(client, models_uri))

    for _ in range(50):
        if await facts_known():
            break
        await wait_until(lambda: True, 0.1)
    hints = await _hints(client, models_uri)
    assert len(hints) == 1 and hints[0][:2] == (3, 20)  # right after `llama3:8b`
    assert "GB" in hints[0][2] and "Q4_0" in hints[0][2]

    missing_uri = (root / "missing.ai").as_uri()
    client.open(missing_uri, (root / "missing.ai").read_text())
    await client.wait_diagnostics(missing_uri)
    assert await _hints(client, missing_uri) == [(2, 20, " not installed")]

    agents_uri = (root / "agents.ai").as_uri()
    client.open(agents_uri, (root / "agents.ai").read_text())
    await client.wait_diagnostics(agents_uri)
    assert (1, 17, " → llama3:8b") in await _hints(client, agents_uri)  # `llm: fast_llm`
    # `llm: "gpt4"` is an openai llm: no Ollama model, no hint
    assert all(line != 8 for line, *_ in await _hints(client, agents_uri))


async def test_each_kind_of_hint_can_be_turned_off(lsp, standins, tmp_path):
    root = tmp_path / "project"
    shutil.copytree(FIXTURE, root)
    standin = standins(models=["llama3:8b"])
    settings = fast_settings(standin.url)
    settings["inlayHints"] = {"modelFacts": False, "references": False}
    client = await lsp(VSCODE, init=settings, root=root)
    await _indexed(client, 3)
    for name in ("models.ai", "agents.ai"):
        uri = (root / name).as_uri()
        client.open(uri, (root / name).read_text())
        await client.wait_diagnostics(uri)
        await wait_until(lambda: client.statuses, 10, what="status")
        assert await _hints(client, uri) == []


async def test_a_model_list_change_refreshes_hints(lsp, standins):
    standin = standins(models=["llama3:8b"], pullable=["phi3:mini"])

    def refresh_support(caps: types.ClientCapabilities) -> None:
        caps.workspace.inlay_hint = types.InlayHintWorkspaceClientCapabilities(refresh_support=True)

    client = await lsp(VSCODE, init=fast_settings(standin.url), capabilities=refresh_support)
    uri = "file:///hints-refresh.ai"
    client.open(uri, "ai model m {\n    provider: ollama\n    model: phi3:mini\n}\n")
    await client.wait_codes(uri, lambda codes: "ollama-model-missing" in codes)
    assert await _hints(client, uri) == [(2, 20, " not installed")]
    before = client.inlay_hint_refreshes
    await client.command("namel3ss.ollama.pullModel", {"model": "phi3:mini", "baseUrl": standin.url})
    await wait_until(lambda: client.inlay_hint_refreshes > before, 10, what="workspace/inlayHint/refresh")
    assert "not installed" not in " ".join(label for *_, label in await _hints(client, uri))
