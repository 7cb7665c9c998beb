"""OllamaProvider over /api/chat: options from the config, chunks and final metadata, auto-pull,
health checks, and auto_start_server only when allowed."""

from __future__ import annotations

import pytest

from namel3ss_lsp.ollama import OllamaError, OllamaProvider, register_metric_listener

MESSAGES = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Why is the sky blue?"}]


def provider(url, tools, model="llama3:8b", **config):
    return OllamaProvider("chat_model", model, {"base_url": url, **config}, tools=tools)


async def test_stream_chunks_and_final_metadata(standin, tools):
    chunks = [c async for c in provider(standin.url, tools).stream(MESSAGES)]
    assert all(not c.metadata["done"] for c in chunks[:-1]) and chunks[-1].metadata["done"]
    text = "".join(c.output_text for c in chunks)
    assert text.endswith("You said: Why is the sky blue?")
    meta = chunks[-1].metadata
    tokens = meta["tokens"]
    assert tokens["completion"] == len(chunks) - 1 and tokens["prompt"] > 0
    assert tokens["total"] == tokens["prompt"] + tokens["completion"]
    raw = chunks[-1].raw
    assert meta["throughput"]["tokens_per_second"] == pytest.approx(raw["eval_count"] / raw["eval_duration"] * 1e9)
    assert meta["throughput"]["tokens_per_second"] == pytest.approx(40.0)
    assert meta["durations"]["total_ms"] == pytest.approx(raw["total_duration"] / 1e6)
    assert meta["done_reason"] == "stop"


async def test_generate(standin, tools):
    reply = await provider(standin.url, tools).generate(MESSAGES)
    assert reply.output_text.startswith("Hello! This is llama3:8b") and reply.model == "llama3:8b"
    assert reply.metadata["done"] and reply.metadata["tokens"]["completion"] > 0
    assert reply.raw["message"]["content"] == reply.output_text


async def test_options_sent_from_config(standin, tools):
    p = OllamaProvider("m", "llama3:8b", {
        "base_url": standin.url, "temperature": 0.7, "top_k": 40, "top_p": 0.9, "repeat_penalty": 1.1,
        "num_ctx": 4096, "max_tokens": 64, "seed": 42, "stop": ["</s>"], "keep_alive": "10m",
        "deployment_config": {"num_thread": 8, "gpu_layers": 20, "num_gpu": 1},
        "auto_pull_model": True, "model_cache_ttl": 60,
    }, tools=tools)
    await p.generate("hi")
    body = standin.last_body("/api/chat")
    assert body["model"] == "llama3:8b" and body["stream"] is True
    assert body["messages"] == [{"role": "user", "content": "hi"}]
    assert body["options"] == {"temperature": 0.7, "top_k": 40, "top_p": 0.9, "repeat_penalty": 1.1,
                               "num_ctx": 4096, "num_predict": 64, "seed": 42, "stop": ["</s>"],
                               "num_thread": 8, "num_gpu": 20}
    assert body["keep_alive"] == "10m"


async def test_num_predict_wins_and_unitless_keep_alive(standin, tools):
    p = provider(standin.url, tools, num_predict=3, max_tokens=99, keep_alive="300")
    reply = await p.generate("hi")
    body = standin.last_body("/api/chat")
    assert body["options"] == {"num_predict": 3} and body["keep_alive"] == 300
    assert reply.metadata["tokens"]["completion"] == 3 and reply.metadata["done_reason"] == "length"


async def test_overrides_per_call(standin, tools):
    await provider(standin.url, tools, temperature=0.1).generate("hi", temperature=0.9)
    assert standin.last_body("/api/chat")["options"]["temperature"] == 0.9


async def test_missing_model_without_auto_pull(standin, tools):
    p = provider(standin.url, tools, model="phi3:mini", auto_pull_model=False)
    with pytest.raises(OllamaError) as info:
        await p.generate("hi")
    err = info.value
    assert err.kind == "not_found"
    assert str(err) == (
        "Ollama model 'phi3:mini' is not available locally.\n"
        "Model: phi3:mini\n"
        f"Server: {standin.url}\n\n"
        "Suggestion: Run: ollama pull phi3:mini\nOr enable auto_pull_model in your configuration."
    )
    assert standin.stats()["/api/pull"] == 0 and standin.stats()["/api/chat"] == 0


async def test_auto_pull_by_default(standin, tools):
    p = provider(standin.url, tools, model="phi3:mini")
    assert p.auto_pull_model is True
    reply = await p.generate("hi")
    assert reply.metadata["done"] and standin.stats()["/api/pull"] == 1
    assert "phi3:mini" in [m["name"] for m in await p.list_models()]


async def test_auto_pull_failure_explains(standin, tools):
    p = provider(standin.url, tools, model="doesnotexist:1b")
    with pytest.raises(OllamaError) as info:
        await p.generate("hi")
    assert "Failed to auto-pull" in info.value.description
    assert "ollama pull doesnotexist:1b" in info.value.suggestion


async def test_model_removed_behind_the_cache_is_pulled_again(standin, tools):
    import httpx

    p = provider(standin.url, tools, model="mistral:latest")
    await p.generate("hi")  # ready: the next call skips the model check for health_check_interval
    standin.configure(pullable=["mistral:latest"])
    httpx.request("DELETE", standin.url + "/api/delete", json={"model": "mistral:latest"})
    assert (await p.generate("hi")).metadata["done"]
    stats = standin.stats()
    assert stats["/api/chat"] == 3 and stats["/api/pull"] == 1  # 404, pull, retry


async def test_case_insensitive_model_lookup(standin, tools):
    reply = await provider(standin.url, tools, model="LLAMA3:8B", auto_pull_model=False).generate("hi")
    assert reply.model == "LLAMA3:8B"  # echoed as sent


async def test_health_check(standin, tools):
    p = provider(standin.url, tools, health_check_interval=60)
    health = await p.health_check()
    assert health["status"] == "healthy" and health["model_available"] is True
    assert health["server_health"]["response_time_ms"] > 0 and len(health["available_models"]) == 3
    await p.health_check()
    assert standin.stats()["/api/version"] == 1  # throttled
    await p.health_check(force=True)
    assert standin.stats()["/api/version"] == 2
    missing = await provider(standin.url, tools, model="phi3:mini").health_check()
    assert missing["status"] == "model_missing" and missing["model_available"] is False


async def test_health_check_unreachable(tools, unused_port):
    health = await provider(f"http://127.0.0.1:{unused_port}", tools).health_check()
    assert health["status"] == "unhealthy" and "ollama serve" in health["suggestion"]


async def test_auto_start_server_needs_permission(tools, unused_port):
    url = f"http://127.0.0.1:{unused_port}"
    p = provider(url, tools, auto_start_server=True)
    with pytest.raises(OllamaError) as info:
        await p.generate("hi")
    assert info.value.kind == "unreachable" and "allowServerStart" in info.value.suggestion


async def test_show_model_and_base_url_resolution(standin, tools, monkeypatch):
    monkeypatch.setenv("NAMEL3SS_OLLAMA_BASE_URL", standin.url)
    p = OllamaProvider("m", "mistral", {}, tools=tools)
    assert p.base_url == standin.url
    info = await p.show_model()
    assert info["context_length"] == 32768 and "tools" in info["capabilities"]


async def test_token_metrics(standin, tools):
    seen = {}
    unregister = register_metric_listener(lambda name, value, labels: seen.setdefault(name, (value, labels)))
    try:
        await provider(standin.url, tools).generate("hi")
    finally:
        unregister()
    assert seen["ollama.throughput.tokens_per_second"][0] == pytest.approx(40.0)
    assert seen["ollama.tokens.total"][1]["provider"] == "chat_model"
    assert {"ollama.tokens.prompt", "ollama.tokens.completion", "ollama.stream.chunks",
            "ollama.model.check_duration"} <= set(seen)


async def test_try_model(standin, tools):
    texts = []
    result = await tools.try_model("llama3:8b", "hello", standin.url, on_text=texts.append)
    assert result["text"] == "".join(texts) and result["text"].endswith("You said: hello")
    assert result["tokens"]["total"] > 0 and result["tokensPerSecond"] == pytest.approx(40.0)
    assert result["totalDurationMs"] > 0


async def test_provider_owns_tools_when_none_given(standin):
    p = OllamaProvider("m", "llama3:8b", {"base_url": standin.url, "request_timeout": 1})
    try:
        assert (await p.generate("hi")).metadata["done"]
    finally:
        await p.aclose()
