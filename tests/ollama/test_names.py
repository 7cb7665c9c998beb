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


# Scheme-prefixed names, as Ollama's ParseNameBare reads them (shared/ollama-api.md section 3.1):
# the tag, the model and the namespace are cut first; only then is "scheme://" split off what is
# left, so a name with a scheme but no host part gets the host "https:/" and is invalid.
SCHEME_NAMES = [
    # (name, valid, host, namespace, model, tag, short form)
    ("https://ns/model", False, "https:/", "ns", "model", None, None),
    ("http://ns/model:v1", False, "http:/", "ns", "model", "v1", None),
    ("://ns/model", False, ":/", "ns", "model", None, None),
    ("https://host:5000/model", False, "https:/", "host:5000", "model", None, None),
    ("a://b://c/ns/m", False, "b://c", "ns", "m", None, None),
    ("https://x", False, "https:", None, "x", None, None),  # the namespace is empty
    ("https://registry.example/ns/model", True, "registry.example", "ns", "model", None,
     "registry.example/ns/model:latest"),
    ("http://localhost:5000/team/model:v1", True, "localhost:5000", "team", "model", "v1",
     "localhost:5000/team/model:v1"),
    ("https://registry.ollama.ai/library/llama3:8b", True, "registry.ollama.ai", "library", "llama3", "8b",
     "llama3:8b"),
    ("https:///ns/model", True, None, "ns", "model", None, "ns/model:latest"),  # empty host: the default
]


@pytest.mark.parametrize("name, valid, host, namespace, model, tag, short", SCHEME_NAMES)
def test_scheme_prefixed_names_as_ollama_parses_them(name, valid, host, namespace, model, tag, short):
    from namel3ss_lsp import model_names

    parsed = model_names.parse(name)
    assert (parsed.host, parsed.namespace, parsed.model, parsed.tag) == (host, namespace, model, tag)
    assert model_names.is_valid(name) is valid, model_names.invalid_reason(name)
    if valid:
        assert model_names.normalize(name) == short
    from namel3ss_lsp.ollama import OllamaEditorTools

    assert OllamaEditorTools.validate_model_name(name)["is_valid"] is valid


def test_scheme_without_host_says_what_ollama_reads():
    from namel3ss_lsp import model_names

    reason = model_names.invalid_reason("https://ns/model")
    assert "'https:/'" in reason and "scheme://host/namespace/model" in reason


async def test_scheme_without_host_makes_no_request(standin, tools):
    with pytest.raises(OllamaError) as info:
        await tools.pull_model("https://ns/model", standin.url)
    assert info.value.kind == "invalid_name"
    assert standin.stats()["/api/pull"] == 0
