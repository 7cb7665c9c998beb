"""Network diagnostics (the `check` command's and the language server's model checks) against the stand-in."""

from __future__ import annotations

import pytest

language = pytest.importorskip("namel3ss_lsp.language")

from namel3ss_lsp.language import Severity, analyze  # noqa: E402
from namel3ss_lsp.ollama.diagnostics import model_diagnostics, network_diagnostics  # noqa: E402


def source(url: str, *, extra: str = "") -> str:
    return f'''
ai model installed {{
    provider: ollama
    model: llama3:8b   # 🦙 installed
    config: {{
        base_url: "{url}"
        num_ctx: 4096
    }}
}}

ai model missing {{
    provider: ollama
    model: llama3:70b
    config: {{
        base_url: "{url}"
    }}
}}

ai model pulled_later {{
    provider: ollama
    model: phi3:mini
    config: {{
        base_url: "{url}"
        auto_pull_model: true
    }}
}}

ai model too_long {{
    provider: ollama
    model: mistral
    config: {{
        base_url: "{url}"
        num_ctx: 65536
    }}
}}

ai model remote {{
    provider: ollama
    model: llama3:8b
    config: {{
        base_url: "http://192.168.1.100:11434"
    }}
}}

ai model cloud {{
    provider: openai
    model: gpt-4o
}}
{extra}
'''


def by_code(diags):
    out = {}
    for d in diags:
        out.setdefault(d.code, []).append(d)
    return out


async def test_model_diagnostics(standin, tools):
    text = source(standin.url)
    analysis = analyze(text)
    diags = await model_diagnostics(analysis.models, tools, allowed_hosts=["127.0.0.1"])
    codes = by_code(diags)
    missing = codes["ollama-model-missing"]
    assert [d.data["model"] for d in missing] == ["llama3:70b", "phi3:mini"]
    assert missing[0].severity == Severity.WARNING and "ollama pull llama3:70b" in missing[0].message
    assert missing[0].data["baseUrl"] == standin.url and "llama3:8b" in missing[0].data["closeMatches"]
    assert missing[1].severity == Severity.INFORMATION and "pulled on first use" in missing[1].message
    lines = text.splitlines()
    start, end = missing[0].range.start, missing[0].range.end
    assert lines[start.line][start.character:end.character] == "llama3:70b"
    exceeded = codes["ollama-context-exceeded"]
    assert len(exceeded) == 1 and exceeded[0].data["contextLength"] == 32768
    assert lines[exceeded[0].range.start.line].strip() == "num_ctx: 65536"
    not_allowed = codes["ollama-host-not-allowed"]
    assert len(not_allowed) == 1 and not_allowed[0].data["baseUrl"] == "http://192.168.1.100:11434"
    assert "ollama-unreachable" not in codes
    assert standin.stats()["/api/tags"] == 1  # one list for every declaration of that server
    assert all(d.to_lsp()["source"] == "namel3ss" for d in diags)


async def test_unreachable_is_a_warning(tools, unused_port):
    analysis = analyze(source(f"http://127.0.0.1:{unused_port}"))
    diags = await model_diagnostics(analysis.models, tools, allowed_hosts=["127.0.0.1"])
    unreachable = [d for d in diags if d.code == "ollama-unreachable"]
    assert len(unreachable) == 1 and unreachable[0].severity == Severity.WARNING  # once per server
    assert unreachable[0].data["model"] == "llama3:8b" and "ollama-model-missing" not in by_code(diags)
    assert "ollama serve" in unreachable[0].message and unreachable[0].data["kind"] == "unreachable"


async def test_missing_off_and_setting_is_always_allowed(standin, tools):
    analysis = analyze("ai model m {\n  provider: ollama\n  model: nope:1b\n}\n")
    diags = await model_diagnostics(analysis.models, tools, setting_base_url=standin.url, allowed_hosts=[],
                                    missing_severity=None)
    assert diags == []
    diags = await model_diagnostics(analysis.models, tools, setting_base_url=standin.url, allowed_hosts=[])
    assert [d.code for d in diags] == ["ollama-model-missing"]


async def test_reference_values_are_not_urls(standin, tools):
    analysis = analyze("ai model m {\n  provider: ollama\n  model: llama3:8b\n  config: {\n"
                       "    base_url: env.OLLAMA_URL\n  }\n}\n")
    diags = await model_diagnostics(analysis.models, tools, setting_base_url=standin.url, allowed_hosts=[])
    assert diags == []


def test_sync_wrapper_for_check(standin):
    analysis = analyze(source(standin.url))
    codes = sorted({d.code for d in network_diagnostics(analysis.models, base_url=standin.url,
                                                        allowed_hosts=["127.0.0.1"], request_timeout=1)})
    assert codes == ["ollama-context-exceeded", "ollama-host-not-allowed", "ollama-model-missing"]
    assert network_diagnostics(analyze("app x {}").models) == []
