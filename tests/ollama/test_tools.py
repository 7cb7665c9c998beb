"""OllamaEditorTools against the stand-in over real HTTP: status, lists, caching, single-flight,
model details, validation, delete."""

from __future__ import annotations

import asyncio

import pytest

from namel3ss_lsp.ollama import OllamaEditorTools, OllamaError, register_metric_listener


async def test_check_status(standin, tools):
    status = await tools.check_status(standin.url)
    assert status["reachable"] is True and status["base_url"] == standin.url
    assert status["models_count"] == 3 and status["models"][0] == "llama3:8b"
    assert status["version"] == "0.12.6" and status["error"] is None and status["suggestion"] is None
    assert status["response_time_ms"] > 0
    assert tools.cached_models(standin.url) is not None  # the status refreshed the list too


async def test_a_server_version_of_megabytes_is_reported_cut(standin, tools):
    """The version goes to the status bar at every check: a 3 MB one is cut to 64 characters."""
    standin.configure(version="9." + "9" * 3_000_000)
    status = await tools.check_status(standin.url, force=True)
    assert status["reachable"] is True and len(status["version"]) == 64 and status["version"].startswith("9.99")


async def test_check_status_unreachable_never_raises(tools, unused_port):
    url = f"http://127.0.0.1:{unused_port}"
    status = await tools.check_status(url)
    assert status["reachable"] is False and status["models_count"] is None
    assert "Could not reach" in status["error"] and "ollama serve" in status["suggestion"]


async def test_check_status_throttled_unless_forced(standin, tools):
    tools.health_check_interval = 60
    await tools.check_status(standin.url)
    await tools.check_status(standin.url, force=False)
    assert standin.stats()["/api/version"] == 1
    await tools.check_status(standin.url, force=True)
    assert standin.stats()["/api/version"] == 2


async def test_list_available_models_shape(standin, tools):
    models = await tools.list_available_models(standin.url)
    assert [m["name"] for m in models] == ["llama3:8b", "mistral:latest", "nomic-embed-text:latest"]
    for model in models:
        assert set(model) == {"name", "size", "modified_at", "digest", "details"}
        assert model["details"]["families"]


async def test_fifty_concurrent_calls_make_one_request(standin, tools):
    standin.configure(latency={"/api/tags": 0.1})
    results = await asyncio.gather(*[tools.list_available_models(standin.url) for _ in range(50)])
    assert standin.stats()["/api/tags"] == 1
    assert all(r == results[0] for r in results)


async def test_fifty_concurrent_provider_list_models(standin, tools):
    from namel3ss_lsp.ollama import OllamaProvider

    standin.configure(latency={"/api/tags": 0.1})
    provider = OllamaProvider("p", "llama3:8b", {"base_url": standin.url}, tools=tools)
    await asyncio.gather(*[provider.list_models() for _ in range(50)])
    assert standin.stats()["/api/tags"] == 1


async def test_cache_ttl_and_force(standin):
    tools = OllamaEditorTools(request_timeout=1, model_cache_ttl=0.2)
    try:
        await tools.list_available_models(standin.url)
        await tools.list_available_models(standin.url)
        assert standin.stats()["/api/tags"] == 1
        await tools.list_available_models(standin.url, force=True)
        assert standin.stats()["/api/tags"] == 2
        await asyncio.sleep(0.25)
        await tools.list_available_models(standin.url)
        assert standin.stats()["/api/tags"] == 3
    finally:
        await tools.aclose()


async def test_cached_models_peek_age_and_last_error(standin, tools):
    assert tools.cached_models(standin.url) is None and tools.cache_age(standin.url) is None
    await tools.list_available_models(standin.url)
    assert len(tools.cached_models(standin.url)) == 3
    assert 0 <= tools.cache_age(standin.url) < 5 and tools.last_error(standin.url) is None
    standin.configure(status={"/api/tags": 500})
    with pytest.raises(OllamaError):
        await tools.list_available_models(standin.url, force=True)
    assert tools.last_error(standin.url).kind == "http"
    assert len(tools.cached_models(standin.url)) == 3  # the last good list stays available
    requests = standin.stats()["/api/tags"]
    tools.cached_models(standin.url)
    assert standin.stats()["/api/tags"] == requests  # peeking does no I/O
    standin.reset()
    await tools.list_available_models(standin.url, force=True)
    assert tools.last_error(standin.url) is None


async def test_invalidate(standin, tools):
    await tools.list_available_models(standin.url)
    tools.invalidate(standin.url)
    await tools.list_available_models(standin.url)
    assert standin.stats()["/api/tags"] == 2
    tools.invalidate()
    await tools.list_available_models(standin.url)
    assert standin.stats()["/api/tags"] == 3


async def test_model_info_keeps_a_bounded_first_line_of_a_huge_license(standin, tools):
    """A server may report anything: a license of one 3 MB line is kept as its first 500
    characters, and a license after blank lines as its first line, stripped."""
    from namel3ss_lsp.ollama.tools import LICENSE_LINE_MAX

    standin.configure(model_details={"llama3:8b": {"license": "L" * 3_000_000},
                                     "mistral:latest": {"license": "\n\n   Apache License 2.0  \r\nmore\n"}})
    await tools.list_available_models(standin.url)
    info = await tools.model_info("llama3:8b", standin.url)
    assert len(info["license"]) == LICENSE_LINE_MAX and info["license"].endswith("…")
    assert (await tools.model_info("mistral:latest", standin.url))["license"] == "Apache License 2.0"


async def test_entries_no_ollama_could_have_are_left_out_of_the_list(standin, tools):
    """A name of 200,000 characters, one with a line break and markdown, one with a space: no model
    Ollama accepts is called that, and each would reach a completion list or a hover as it is."""
    standin.configure(models=["llama3:8b", {"name": "n" * 200_000 + ":1b"}, {"name": "evil\n**x**[y](z):1b"},
                              {"name": "sp ace:1b"}, {"name": "hf.co/org/Model-GGUF:Q4_K_M"}])
    names = [m["name"] for m in await tools.list_available_models(standin.url)]
    assert names == ["llama3:8b", "hf.co/org/Model-GGUF:Q4_K_M"]


async def test_model_info(standin, tools):
    await tools.list_available_models(standin.url)
    info = await tools.model_info("llama3:8b", standin.url)
    assert info["context_length"] == 8192 and info["capabilities"] == ["completion"]
    assert info["family"] == "llama" and info["parameter_size"] == "8.0B" and info["quantization_level"] == "Q4_0"
    assert info["license"] == "META LLAMA 3 COMMUNITY LICENSE AGREEMENT" and info["size"] == 4661224676
    assert info["architecture"] == "llama"
    await tools.model_info("LLAMA3:8B", standin.url)
    assert standin.stats()["/api/show"] == 1  # cached, case-insensitively
    embed = await tools.model_info("nomic-embed-text", standin.url)
    assert embed["capabilities"] == ["embedding"] and embed["context_length"] == 2048
    with pytest.raises(OllamaError) as info_err:
        await tools.model_info("nope:1b", standin.url)
    assert info_err.value.kind == "not_found" and "ollama pull nope:1b" in info_err.value.suggestion


async def test_model_info_concurrent_single_flight(standin, tools):
    standin.configure(latency={"/api/show": 0.1})
    await asyncio.gather(*[tools.model_info("mistral", standin.url) for _ in range(20)])
    assert standin.stats()["/api/show"] == 1


def test_validate_model_name():
    assert OllamaEditorTools.validate_model_name("llama3") == {
        "is_valid": True, "message": "Valid model name", "normalized": "llama3:latest"}
    bad = OllamaEditorTools.validate_model_name("llama3:")
    assert bad["is_valid"] is False and bad["normalized"] is None and "tag" in bad["message"]
    assert OllamaEditorTools.validate_model_name(None)["is_valid"] is False  # type: ignore[arg-type]
    assert OllamaEditorTools().validate_model_name("hf.co/bartowski/Qwen2.5-7B-GGUF:Q4_K_M")["is_valid"]


def test_defaults_and_capabilities():
    assert OllamaEditorTools.get_default_model() == "llama3:8b"
    caps = OllamaEditorTools.get_supported_capabilities()
    assert caps["chat"] and caps["streaming"] and caps["embeddings"] and caps["function_calling"]
    assert "vision" in caps["model_dependent"]


async def test_class_level_calls_use_a_default_instance(standin):
    status = await OllamaEditorTools.check_status(standin.url)
    assert status["reachable"]
    assert len(await OllamaEditorTools.list_available_models(standin.url)) == 3
    await OllamaEditorTools.default().aclose()


async def test_delete_model(standin, tools):
    await tools.list_available_models(standin.url)
    assert await tools.delete_model("mistral", standin.url) is True
    names = [m["name"] for m in await tools.list_available_models(standin.url)]
    assert "mistral:latest" not in names  # the cache was invalidated
    assert await tools.delete_model("mistral", standin.url) is False


async def test_allowed_hosts_enforced_before_any_request(standin):
    tools = OllamaEditorTools(request_timeout=1, allowed_hosts=["localhost"])
    try:
        with pytest.raises(OllamaError) as info:
            await tools.list_available_models(standin.url)
        assert info.value.kind == "host_not_allowed" and "allowedHosts" in info.value.suggestion
        status = await tools.check_status(standin.url)
        assert status["reachable"] is False and "allowed" in status["error"]
        tools.set_allowed_hosts(["127.0.0.1"])
        assert len(await tools.list_available_models(standin.url)) == 3
        with pytest.raises(OllamaError):
            await tools.list_available_models("http://127.0.0.1@evil.example")
    finally:
        await tools.aclose()
    assert standin.stats()["/api/tags"] == 1


async def test_one_pooled_client_per_base_url(standin, tools):
    first = tools.client(standin.url)
    await tools.list_available_models(standin.url)
    await tools.model_info("llama3:8b", standin.url)
    assert tools.client(standin.url + "/") is first


async def test_metrics(standin, tools):
    seen: list[tuple[str, float, dict]] = []
    unregister = register_metric_listener(lambda name, value, labels: seen.append((name, value, labels)))
    register_metric_listener(lambda *a: 1 / 0)  # a broken listener is ignored
    try:
        await tools.check_status(standin.url)
        standin.configure(status={"/api/show": 500})
        with pytest.raises(OllamaError):
            await tools.model_info("llama3:8b", standin.url)
    finally:
        unregister()
        from namel3ss_lsp.ollama import metrics

        metrics._listeners.clear()
    names = {name for name, _, _ in seen}
    assert {"ollama.requests.total", "ollama.request.duration", "ollama.health.check_duration",
            "ollama.errors.total", "ollama.models.count"} <= names
    request = next(labels for name, _, labels in seen if name == "ollama.requests.total")
    assert request["base_url"] == standin.url and request["endpoint"].startswith("/api/")
    error = next(labels for name, _, labels in seen if name == "ollama.errors.total")
    assert error["kind"] == "http" and error["endpoint"] == "/api/show"


async def test_tolerant_parsing_of_tags(standin, tools):
    from namel3ss_lsp.ollama import normalize_model_entry

    standin.configure(model_details={"llama3:8b": {"families": None}})
    models = await tools.list_available_models(standin.url)
    assert models[0]["details"]["families"] == []
    assert normalize_model_entry({"name": "old:v1"}) == {
        "name": "old:v1", "size": 0, "modified_at": None, "digest": None,
        "details": {"parent_model": "", "format": "", "family": "", "families": [], "parameter_size": "",
                    "quantization_level": ""}}
    assert normalize_model_entry({"model": "new:v1", "name": "ignored", "size": "big", "details": None})["name"] == "new:v1"
    assert normalize_model_entry({"size": 1}) is None and normalize_model_entry("x") is None


async def test_redirects_are_not_followed(standin, tools):
    standin.configure(status={"/api/tags": 307})
    with pytest.raises(OllamaError) as info:
        await tools.list_available_models(standin.url)
    assert info.value.kind == "protocol" and "redirect" in info.value.description


async def test_cached_lists_are_read_only_shared_and_kept_across_equal_refreshes(standin, tools):
    import copy
    import json

    models = await tools.list_available_models(standin.url)
    assert await tools.list_available_models(standin.url) is models  # a hit copies nothing
    assert tools.cached_models(standin.url) is models
    with pytest.raises(TypeError):
        models[0]["name"] = "other"
    with pytest.raises(TypeError):
        models[0]["details"]["families"].append("x")
    with pytest.raises(TypeError):
        models.sort(key=lambda m: m["size"])
    mine = copy.deepcopy(models)  # copies are plain and mutable
    mine[0]["details"]["families"].append("x")
    mine.append({"name": "extra"})
    assert type(mine) is list and type(mine[0]) is dict and dict(models[0])["name"] == "llama3:8b"
    assert json.loads(json.dumps(models)) == models  # what listModels sends as it is
    # the same list again: the same object (caches built on it stay valid)
    assert await tools.list_available_models(standin.url, force=True) is models
    # a changed list: a new one, reusing the entries that did not change
    standin.configure(models=["llama3:8b", "phi3:mini"])
    changed = await tools.list_available_models(standin.url, force=True)
    assert [m["name"] for m in changed] == ["llama3:8b", "phi3:mini"]
    assert changed is not models and changed[0] is models[0]
