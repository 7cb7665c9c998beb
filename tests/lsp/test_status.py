"""Health checks and `namel3ss/ollamaStatus`: changes of reachability, version and model count, one
`window/showMessage` when a server goes away, recovery when it comes back. Each test points a
document at its own stand-in, which puts that server "in use" and so under health checks."""

from __future__ import annotations

import asyncio
from datetime import datetime, timezone
from urllib.parse import urlsplit

from lsprotocol import types

from tests.standin.process import StandInProcess

from .harness import model_block, wait_until


def _of(client, url: str) -> list[dict]:
    return [s for s in client.statuses if s["baseUrl"] == url]


def _close(client, uri: str) -> None:
    client.text_document_did_close(types.DidCloseTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=uri)))


async def test_server_goes_away_and_comes_back(shared_vscode, standins):
    server = standins(models=["llama3:8b"])
    port = urlsplit(server.url).port
    client = shared_vscode
    uri = "file:///status.ai"
    client.open(uri, model_block("llama3:8b", config={"base_url": server.url}))
    await wait_until(lambda: _of(client, server.url) and _of(client, server.url)[-1]["reachable"], 10, what="reachable")
    await client.wait_diagnostics(uri)
    server.stop()
    await wait_until(lambda: _of(client, server.url)[-1]["reachable"] is False, 10, what="unreachable status")
    down = _of(client, server.url)[-1]
    assert down["error"] and down["suggestion"] and down["modelsCount"] is None
    assert down["checkedAt"].endswith("Z")
    # diagnostics keep flowing and say what is wrong
    await client.wait_codes(uri, lambda c: "ollama-unreachable" in c)
    # several more health checks (0.2 s apart): still exactly one popup, no repeated notifications
    await asyncio.sleep(1.0)
    warnings = [m for m in client.messages if "no longer reachable" in m.message and server.url in m.message]
    assert len(warnings) == 1
    assert sum(1 for s in _of(client, server.url) if s["reachable"] is False) == 1
    # it comes back on the same port: recovered without a restart
    again = StandInProcess(models=["llama3:8b", "mistral:latest"], port=port)
    again.start()
    try:
        await wait_until(lambda: _of(client, server.url)[-1]["reachable"] is True, 10, what="reachable again")
        assert _of(client, server.url)[-1]["modelsCount"] == 2
        await client.wait_codes(uri, lambda c: "ollama-unreachable" not in c)
    finally:
        _close(client, uri)
        again.stop()


async def test_model_count_and_version_changes_are_notified(shared_neovim, standins):
    server = standins(models=["llama3:8b"])
    client = shared_neovim
    uri = "file:///status-count.ai"
    client.open(uri, model_block("llama3:8b", config={"base_url": server.url}))
    try:
        await wait_until(lambda: _of(client, server.url) and _of(client, server.url)[-1]["modelsCount"] == 1, 10, what="first")
        count = len(_of(client, server.url))
        await asyncio.sleep(0.6)
        assert len(_of(client, server.url)) == count  # nothing changed: nothing sent
        server.configure(models=["llama3:8b", "mistral:latest", "phi3:mini"])
        await wait_until(lambda: _of(client, server.url)[-1]["modelsCount"] == 3, 10, what="models count change")
        server.configure(version="0.13.0")
        await wait_until(lambda: _of(client, server.url)[-1]["version"] == "0.13.0", 10, what="version change")
    finally:
        _close(client, uri)


async def test_default_server_status_after_initialized(shared_neovim, shared_standin):
    first = _of(shared_neovim, shared_standin.url)[0]
    assert first["reachable"] is True and first["version"] and first["modelsCount"] >= 2
    assert isinstance(first["responseTimeMs"], (int, float))
    assert first["error"] is None and first["suggestion"] is None


async def test_status_names_the_documents_it_describes(lsp, standins):
    """Two documents on two servers: each status lists its own document, the default server's
    says so, and moving a document to the other server re-sends both."""
    one = standins(models=["llama3:8b"])
    two = standins(models=["mistral:latest"])
    client = await lsp(init={"ollama": {"baseUrl": one.url, "healthCheckInterval": 0.2, "requestTimeout": 2}})
    a, b = "file:///a-status.ai", "file:///b-status.ai"
    client.open(a, model_block("llama3:8b"))
    client.open(b, model_block("mistral:latest", config={"base_url": two.url}))

    def latest(url: str) -> dict | None:
        found = _of(client, url)
        return found[-1] if found else None

    await wait_until(lambda: latest(one.url) and a in latest(one.url)["uris"], 10, what="status of a")
    await wait_until(lambda: latest(two.url) and b in latest(two.url)["uris"], 10, what="status of b")
    assert latest(one.url)["default"] is True and b not in latest(one.url)["uris"]
    assert latest(two.url)["default"] is False and latest(two.url)["uris"] == [b]
    # b now uses the default server: both notifications are sent again with the new documents.
    client.change(b, 2, [types.TextDocumentContentChangeWholeDocument(text=model_block("llama3:8b"))])
    await wait_until(lambda: latest(two.url)["uris"] == [], 10, what="b leaves the second server")
    await wait_until(lambda: latest(one.url)["uris"] == [a, b], 10, what="b joins the default server")
    _close(client, a)
    await wait_until(lambda: latest(one.url)["uris"] == [b], 10, what="a closed")


async def test_status_lists_the_loaded_models(shared_neovim, standins):
    server = standins(models=["llama3:8b", "mistral:latest"])
    client = shared_neovim
    uri = "file:///status-loaded.ai"
    client.open(uri, model_block("llama3:8b", config={"base_url": server.url}))
    try:
        await wait_until(lambda: _of(client, server.url) and _of(client, server.url)[-1]["loadedModels"] == [], 10,
                         what="nothing loaded")
        server.configure(loaded=[{"name": "llama3:8b", "size": 5_000_000_000, "size_vram": 4_000_000_000,
                                  "context_length": 4096, "keep_alive": 300}])
        await wait_until(lambda: _of(client, server.url)[-1]["loadedModels"], 10, what="a loaded model")
        (loaded,) = _of(client, server.url)[-1]["loadedModels"]
        assert set(loaded) == {"name", "size", "sizeVram", "contextLength", "expiresAt"}
        assert (loaded["name"], loaded["size"], loaded["sizeVram"], loaded["contextLength"]) == (
            "llama3:8b", 5_000_000_000, 4_000_000_000, 4096)
        assert datetime.fromisoformat(loaded["expiresAt"]) > datetime.now(timezone.utc)
        server.configure(loaded=[])
        await wait_until(lambda: _of(client, server.url)[-1]["loadedModels"] == [], 10, what="unloaded")
    finally:
        _close(client, uri)


async def test_loaded_models_are_read_with_health_checks_only(lsp, standins):
    server = standins(models=["llama3:8b"], loaded=["llama3:8b"])
    client = await lsp(init={"ollama": {"baseUrl": server.url, "healthCheckInterval": 300, "requestTimeout": 2}})
    uri = "file:///ps-polling.ai"
    text = model_block("llama3:8b")
    client.open(uri, text)
    await wait_until(lambda: client.statuses and client.statuses[-1]["loadedModels"], 10, what="first status")
    position = types.Position(line=2, character=13)
    for _ in range(10):  # hovers and completions read what the last health check saw
        await client.text_document_hover_async(types.HoverParams(text_document=types.TextDocumentIdentifier(uri=uri),
                                                                 position=position))
        await client.text_document_completion_async(types.CompletionParams(
            text_document=types.TextDocumentIdentifier(uri=uri), position=position))
    stats = server.stats()
    # each health check is one /api/version and one /api/ps; the twenty requests added none
    assert stats["/api/ps"] == stats["/api/version"] <= 3, stats
