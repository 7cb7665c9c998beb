"""Model names are validated before any request: a bad name never reaches a URL, a body or a process."""

from __future__ import annotations

import pytest

from namel3ss_lsp.ollama import OllamaError, OllamaProvider

BAD_NAMES = [
    "../etc/passwd", "..", "llama3/../../x", "llama3?x=1", "llama3#frag", "llama%2e3", "llama 3",
    " llama3", "llama3\n", "llama3\x00", "llama3\r\nHost: evil", "llama3\t", "", "llama3:", ":latest",
    "-llama3", "a/b/c/d", "llama3@sha256:abc", "llama3::latest", "modél", "m" * 81, "\x1b[31m",
    "llama3:tag/x", "my.ns/model",
]


@pytest.mark.parametrize("name", BAD_NAMES)
async def test_bad_names_make_no_request(standin, tools, name):
    calls = [
        lambda: tools.model_info(name, standin.url),
        lambda: tools.pull_model(name, standin.url),
        lambda: tools.delete_model(name, standin.url),
        lambda: OllamaProvider("p", name, {"base_url": standin.url}, tools=tools).generate("hi"),
        lambda: OllamaProvider("p", "llama3:8b", {"base_url": standin.url}, tools=tools).pull_model(name),
    ]
    for call in calls:
        with pytest.raises(OllamaError) as info:
            await call()
        assert info.value.kind == "invalid_name" and info.value.suggestion
    stats = standin.stats()
    assert {k: v for k, v in stats.items() if k.startswith("/")} == {}, stats


async def test_non_text_name(standin, tools):
    with pytest.raises(OllamaError) as info:
        await tools.pull_model(None, standin.url)  # type: ignore[arg-type]
    assert info.value.kind == "invalid_name"
    assert standin.stats()["/api/pull"] == 0


async def test_good_unusual_names_pass(standin, tools):
    standin.configure(pullable=["hf.co/bartowski/Qwen2.5-7B-GGUF:Q4_K_M", "_private/_m:_t"])
    for name in ("hf.co/bartowski/Qwen2.5-7B-GGUF:Q4_K_M", "_private/_m:_t"):
        assert (await tools.pull_model(name, standin.url))["status"] == "success"
    names = [m["name"] for m in await tools.list_available_models(standin.url)]
    assert "hf.co/bartowski/Qwen2.5-7B-GGUF:Q4_K_M" in names and "_private/_m:_t" in names
