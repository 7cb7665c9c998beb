"""The server survives protocol abuse: malformed parameters, unknown methods, odd documents. Each
gets an LSP error or a harmless answer, and the server keeps answering."""

from __future__ import annotations

import asyncio
import uuid
from concurrent.futures import Future

import pytest
from lsprotocol import types
from pygls.exceptions import JsonRpcException

from .harness import model_block


async def raw_request(client, method: str, params) -> object:
    """Send a request as raw JSON (the typed client would refuse malformed params)."""
    msg_id = f"raw-{uuid.uuid4()}"
    future: Future = Future()
    client.protocol._request_futures[msg_id] = future
    client.protocol._send_data({"jsonrpc": "2.0", "id": msg_id, "method": method, "params": params})
    return await asyncio.wait_for(asyncio.wrap_future(future), timeout=10)


def raw_notify(client, method: str, params) -> None:
    client.protocol._send_data({"jsonrpc": "2.0", "method": method, "params": params})


async def _alive(client) -> None:
    result = await client.command("namel3ss.ollama.listModels", {})
    assert isinstance(result, list)


@pytest.mark.parametrize(
    "method,params",
    [
        ("textDocument/hover", {"textDocument": 1, "position": "here"}),
        ("textDocument/completion", {"textDocument": {"uri": "file:///x.ai"}, "position": {"line": -5, "character": "a"}}),
        ("textDocument/codeAction", {"textDocument": {"uri": "file:///x.ai"}}),
        ("workspace/executeCommand", {"command": 42}),
        ("namel3ss/noSuchMethod", {}),
    ],
)
async def test_malformed_requests_get_errors(shared_neovim, method, params):
    client = shared_neovim
    with pytest.raises(JsonRpcException):  # an error answer, not silence and not a crash
        await raw_request(client, method, params)
    await _alive(client)


async def test_malformed_notifications_are_ignored(shared_neovim):
    client = shared_neovim
    raw_notify(client, "textDocument/didOpen", {"textDocument": {"uri": 5}})
    raw_notify(client, "textDocument/didChange", {"textDocument": {"uri": "file:///nope.ai", "version": 2}, "contentChanges": "x"})
    raw_notify(client, "workspace/didChangeConfiguration", {"settings": "not an object"})
    raw_notify(client, "namel3ss/unknownNotification", {"a": 1})
    await _alive(client)


async def test_binary_and_odd_documents(shared_neovim):
    client = shared_neovim
    uri = "file:///illustrator.ai"
    client.open(uri, "%PDF-1.5\n%\u00e2\u00e3\u00cf\u00d3\n\x00\x01\x02 binary \ufffd\ufffd" * 50)
    await client.wait_diagnostics(uri)
    for position in [types.Position(line=0, character=0), types.Position(line=10_000, character=10_000)]:
        await client.text_document_hover_async(types.HoverParams(text_document=types.TextDocumentIdentifier(uri=uri), position=position))
        await client.text_document_completion_async(
            types.CompletionParams(text_document=types.TextDocumentIdentifier(uri=uri), position=position)
        )
    nested = "ai model deep {\n    provider: ollama\n    model: llama3:8b\n    config: " + "{a: " * 3000 + "1" + "}" * 3000 + "\n}\n"
    client.open("file:///deep.ai", nested)
    await client.wait_diagnostics("file:///deep.ai")
    await client.text_document_document_symbol_async(types.DocumentSymbolParams(text_document=types.TextDocumentIdentifier(uri="file:///deep.ai")))
    await client.text_document_folding_range_async(types.FoldingRangeParams(text_document=types.TextDocumentIdentifier(uri="file:///deep.ai")))
    client.open("file:///ok-after.ai", model_block("nothere:1b"))
    await client.wait_codes("file:///ok-after.ai", lambda c: "ollama-model-missing" in c)
    for done in (uri, "file:///deep.ai", "file:///ok-after.ai"):
        client.text_document_did_close(types.DidCloseTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=done)))
