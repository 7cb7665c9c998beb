"""document_links(): model ids to their pages, base URLs only where the allow-list says so."""

from __future__ import annotations

import pytest

from namel3ss_lsp.language import analyze
from namel3ss_lsp.language.links import document_links, model_page
from tests.language.helpers import text_at


@pytest.mark.parametrize(
    "model_id,url",
    [
        ("llama3:8b", "https://ollama.com/library/llama3"),
        ("llama3", "https://ollama.com/library/llama3"),
        ("library/qwen2.5:0.5b", "https://ollama.com/library/qwen2.5"),
        ("jmorgan/llama3:q4_0", "https://ollama.com/jmorgan/llama3"),
        ("registry.ollama.ai/library/phi3:mini", "https://ollama.com/library/phi3"),
        ("hf.co/bartowski/Qwen2.5-7B-GGUF:Q4_K_M", "https://huggingface.co/bartowski/Qwen2.5-7B-GGUF"),
        ("huggingface.co/TheBloke/Mistral-7B-GGUF", "https://huggingface.co/TheBloke/Mistral-7B-GGUF"),
        ("localhost:5000/team/model:v1", None),  # a private registry
        ("registry.example.com/team/model", None),
        ("{{env.MODEL}}", None),  # templated / invalid
        ("llama3:", None),
    ],
)
def test_model_page(model_id, url):
    page = model_page(model_id)
    assert (page[0] if page else None) == url


TEXT = """ai model chat {
    provider: ollama
    model: llama3:8b
    config: {
        base_url: "http://localhost:11434"
    }
    deployment_config: { base_url: "http://evil.example:11434" }
}
llm flat {
    provider: "ollama"
    model: "jmorgan/llama3"
    base_url: 'http://127.0.0.1:11434'
}
llm cloud {
    provider: openai
    model: gpt-4o
    base_url: "https://api.openai.com/v1"
}
ai model private {
    provider: ollama
    model: localhost:5000/team/model:v1
    config: { base_url: "{{env.OLLAMA}}" }
}
"""


def test_links_of_a_file():
    asked = []

    def allowed(url: str) -> bool:
        asked.append(url)
        return url.startswith(("http://localhost", "http://127.0.0.1"))

    links = document_links(analyze(TEXT), allowed)
    assert [(text_at(TEXT, link.range), link.target) for link in links] == [
        ("llama3:8b", "https://ollama.com/library/llama3"),
        ("http://localhost:11434", "http://localhost:11434"),
        ("jmorgan/llama3", "https://ollama.com/jmorgan/llama3"),  # inside the quotes
        ("http://127.0.0.1:11434", "http://127.0.0.1:11434"),
    ]
    # the cloud model's id is not an Ollama id; every base URL was put to the allow-list
    assert sorted(asked) == sorted(["http://localhost:11434", "http://evil.example:11434", "http://127.0.0.1:11434", "https://api.openai.com/v1"])


def test_a_failing_allow_list_means_no_link():
    def broken(url: str) -> bool:
        raise RuntimeError("boom")

    assert [link.target for link in document_links(analyze(TEXT), broken)] == [
        "https://ollama.com/library/llama3", "https://ollama.com/jmorgan/llama3",
    ]


def test_broken_file_still_links_what_parses():
    text = "ai model a {\n    provider: ollama\n    model: phi3:mini\n}\nllm b {\n  model = x\n"
    assert [link.target for link in document_links(analyze(text), lambda url: True)] == ["https://ollama.com/library/phi3"]
