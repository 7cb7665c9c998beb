"""`namel3ss.ollama.tryModel` end to end: the figures from the stand-in's known counts and
durations, the streamed text in order, cancellation and an error in the middle of the stream."""

from __future__ import annotations

import asyncio

import pytest
from lsprotocol import types
from pygls.exceptions import JsonRpcException

from .harness import model_block, wait_until

TRY = "namel3ss.ollama.tryModel"


def _streamed(reports) -> str:
    return "".join(r.message or "" for r in reports if type(r).__name__ == "WorkDoneProgressReport")


async def test_try_model_figures_and_streamed_order(shared_vscode, standins):
    server = standins(models=["llama3:8b"], chat_chunk_delay=0.03)
    client = shared_vscode
    token = "try-1"
    client.progress_reports[token] = []
    prompt = "Tell me about llamas"
    result = await client.command(TRY, {"model": "llama3:8b", "prompt": prompt, "baseUrl": server.url}, token=token)
    assert result["model"] == "llama3:8b"
    assert result["text"].startswith("Hello! This is llama3:8b on the stand-in.")
    assert result["text"].endswith(prompt)
    words = len(result["text"].split())
    # the stand-in: eval_count = pieces, eval_duration = 25 ms each -> 40 tokens/s exactly
    assert result["tokens"]["completion"] == words
    assert result["tokens"]["prompt"] >= len(prompt.split()) + 10
    assert result["tokens"]["total"] == result["tokens"]["prompt"] + result["tokens"]["completion"]
    assert result["tokensPerSecond"] == pytest.approx(40.0, rel=1e-3)
    assert isinstance(result["totalDurationMs"], (int, float)) and result["totalDurationMs"] > words * 25
    reports = client.progress_reports[token]
    assert type(reports[0]).__name__ == "WorkDoneProgressBegin" and reports[0].cancellable
    assert type(reports[-1]).__name__ == "WorkDoneProgressEnd"
    # the reports, concatenated, are the reply in order; rate-limited so fewer reports than chunks
    assert _streamed(reports) == result["text"]
    assert f"{words} tokens, 40.0 tok/s" in reports[-1].message


async def test_try_model_uses_the_declaration(shared_neovim, standins):
    server = standins(models=["llama3:8b"])
    client = shared_neovim  # the server is named by the document only
    uri = "file:///try-decl.ai"
    client.open(uri, model_block("llama3:8b", config={"base_url": server.url, "temperature": 0.1, "num_predict": 3}))
    await client.wait_diagnostics(uri)
    result = await client.command(TRY, {"model": "llama3:8b", "uri": uri, "declaration": "chat_model"})
    client.text_document_did_close(types.DidCloseTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=uri)))
    # num_predict 3 from the declaration's config reached Ollama: the reply was cut at 3 tokens
    assert result["tokens"]["completion"] == 3
    assert server.stats()["/api/chat"] == 1


async def test_try_model_cancelled(shared_vscode, standins):
    server = standins(models=["llama3:8b"], chat_chunk_delay=0.3)
    client = shared_vscode
    token = "try-cancel"
    client.progress_reports[token] = []
    task = asyncio.ensure_future(client.command(TRY, {"model": "llama3:8b", "baseUrl": server.url}, token=token))
    await wait_until(lambda: len(client.progress_reports[token]) >= 2, 10, what="first streamed text")
    client.window_work_done_progress_cancel(types.WorkDoneProgressCancelParams(token=token))
    with pytest.raises(JsonRpcException) as info:
        await task
    assert info.value.code == -32800
    await wait_until(lambda: server.stats().get("aborted_streams", 0) >= 1, 10, what="the stream to be dropped")


async def test_try_model_error_mid_stream(shared_neovim, standins):
    server = standins(models=["llama3:8b"], chat_error="model runner crashed", error_after=3)
    client = shared_neovim
    with pytest.raises(JsonRpcException) as info:
        await client.command(TRY, {"model": "llama3:8b", "baseUrl": server.url})
    assert "model runner crashed" in str(info.value)
    assert info.value.code == -32001


async def test_try_missing_model_is_a_clear_error(shared_neovim):
    client = shared_neovim
    with pytest.raises(JsonRpcException) as info:
        await client.command(TRY, {"model": "nothere:1b"})
    assert "nothere:1b" in str(info.value)
