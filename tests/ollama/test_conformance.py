"""Conformance: the official `ollama` Python client (0.6.3) against the stand-in.

If the official client parses every answer into its pydantic types, the stand-in speaks Ollama."""

from __future__ import annotations

import datetime

import pytest

ollama = pytest.importorskip("ollama")


@pytest.fixture
def client(standin):
    client = ollama.Client(host=standin.url, timeout=10)
    yield client
    client._client.close()


def test_list(client):
    listing = client.list()
    assert isinstance(listing, ollama.ListResponse)
    names = [m.model for m in listing.models]
    assert names == ["llama3:8b", "mistral:latest", "nomic-embed-text:latest"]
    first = listing.models[0]
    assert isinstance(first.modified_at, datetime.datetime)
    assert first.modified_at.utcoffset() == datetime.timedelta(hours=-7)
    assert first.size > 1_000_000_000 and len(first.digest) == 64
    assert first.details.family == "llama" and first.details.parameter_size == "8.0B"
    assert first.details.quantization_level == "Q4_0" and first.details.families == ["llama"]


def test_list_with_null_families(standin, client):
    standin.configure(model_details={"llama3:8b": {"families": None}})
    listing = client.list()
    assert listing.models[0].details.families is None


def test_show(client):
    shown = client.show("llama3:8b")
    assert isinstance(shown, ollama.ShowResponse)
    assert shown.modelinfo["general.architecture"] == "llama"
    assert shown.modelinfo["llama.context_length"] == 8192
    assert shown.capabilities == ["completion"]
    assert shown.details.family == "llama"
    assert shown.license.startswith("META LLAMA 3")
    assert isinstance(shown.modified_at, datetime.datetime)


def test_show_errors(client):
    with pytest.raises(ollama.ResponseError) as info:
        client.show("nope")
    assert info.value.status_code == 404 and info.value.error == "model 'nope:latest' not found"
    with pytest.raises(ollama.ResponseError) as info:
        client.show("bad name")
    assert info.value.status_code == 400 and info.value.error == "invalid model name"


def test_pull_not_streamed(standin, client):
    result = client.pull("phi3:mini")
    assert isinstance(result, ollama.ProgressResponse) and result.status == "success"
    assert "phi3:mini" in [m.model for m in client.list().models]
    with pytest.raises(ollama.ResponseError) as info:
        client.pull("nope")
    assert info.value.status_code == 500
    assert info.value.error == "pull model manifest: file does not exist"


def test_pull_streamed(client):
    parts = list(client.pull("qwen2.5:0.5b", stream=True))
    assert all(isinstance(p, ollama.ProgressResponse) for p in parts)
    statuses = [p.status for p in parts]
    assert statuses[0] == "pulling manifest" and statuses[-3:] == [
        "verifying sha256 digest", "writing manifest", "success"]
    layers = {p.digest for p in parts if p.digest}
    assert len(layers) >= 4 and all(d.startswith("sha256:") and len(d) == 71 for d in layers)
    with pytest.raises(ollama.ResponseError) as info:
        list(client.pull("nope", stream=True))
    assert info.value.status_code == -1


def test_delete(client):
    assert client.delete("mistral:latest").status == "success"
    assert "mistral:latest" not in [m.model for m in client.list().models]
    with pytest.raises(ollama.ResponseError) as info:
        client.delete("nope")
    assert info.value.status_code == 404 and info.value.error == "model 'nope' not found"


def test_copy(client):
    assert client.copy("llama3:8b", "llama3-backup").status == "success"
    assert "llama3-backup:latest" in [m.model for m in client.list().models]
    with pytest.raises(ollama.ResponseError) as info:
        client.copy("nope", "x")
    assert info.value.status_code == 404


def test_ps(client):
    assert client.ps().models == []
    client.chat("llama3:8b", messages=[{"role": "user", "content": "hi"}], options={"num_ctx": 2048})
    running = client.ps()
    assert isinstance(running, ollama.ProcessResponse)
    entry = running.models[0]
    assert entry.model == "llama3:8b" and entry.context_length == 2048
    assert isinstance(entry.expires_at, datetime.datetime) and entry.size_vram == entry.size


def test_chat(client):
    reply = client.chat("llama3:8b", messages=[{"role": "user", "content": "Why is the sky blue?"}])
    assert isinstance(reply, ollama.ChatResponse)
    assert reply.message.role == "assistant" and "Why is the sky blue?" in reply.message.content
    assert reply.done and reply.done_reason == "stop"
    assert reply.eval_count > 0 and reply.eval_duration > 0 and reply.prompt_eval_count > 0
    assert reply.total_duration >= reply.eval_duration and reply.load_duration > 0


def test_chat_streamed(client):
    chunks = list(client.chat("mistral", messages=[{"role": "user", "content": "hi"}], stream=True))
    assert all(isinstance(c, ollama.ChatResponse) for c in chunks)
    assert chunks[-1].done and not any(c.done for c in chunks[:-1])
    assert chunks[0].model == "mistral"  # echoed verbatim
    text = "".join(c.message.content for c in chunks)
    assert text.endswith("You said: hi")
    assert chunks[-1].eval_count == len(chunks) - 1


def test_chat_errors(client):
    with pytest.raises(ollama.ResponseError) as info:
        client.chat("nope", messages=[{"role": "user", "content": "hi"}])
    assert info.value.status_code == 404
    with pytest.raises(ollama.ResponseError) as info:
        client.chat("nomic-embed-text", messages=[{"role": "user", "content": "hi"}])
    assert info.value.status_code == 400 and "does not support chat" in info.value.error


def test_generate_and_embed(client):
    reply = client.generate("llama3:8b", prompt="hello")
    assert isinstance(reply, ollama.GenerateResponse) and reply.done and "hello" in reply.response
    streamed = list(client.generate("llama3:8b", prompt="hello", stream=True))
    assert streamed[-1].done and streamed[-1].eval_count == len(streamed) - 1
    embedded = client.embed("nomic-embed-text", input=["a", "b"])
    assert isinstance(embedded, ollama.EmbedResponse) and len(embedded.embeddings) == 2
    assert len(embedded.embeddings[0]) == 768
    assert abs(sum(v * v for v in embedded.embeddings[0]) - 1.0) < 1e-3


async def test_async_client(standin):
    client = ollama.AsyncClient(host=standin.url)
    listing = await client.list()
    assert len(listing.models) == 3
    parts = [p async for p in await client.pull("phi3:mini", stream=True)]
    assert parts[-1].status == "success"
    reply = await client.chat("phi3:mini", messages=[{"role": "user", "content": "hi"}])
    assert reply.done
    await client._client.aclose()
