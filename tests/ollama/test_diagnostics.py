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


# ---- issue 16 item 6: the severity of a missing model follows auto_pull_model -------------------

def decl(name: str, model: str, url: str, config: str = "", deployment: str = "") -> str:
    text = f"ai model {name} {{\n    provider: ollama\n    model: {model}\n    config: {{\n        base_url: \"{url}\"\n"
    text += "".join(f"        {line}\n" for line in config.splitlines() if line)
    text += "    }\n"
    if deployment:
        text += "    deployment_config: {\n" + "".join(f"        {line}\n" for line in deployment.splitlines()) + "    }\n"
    return text + "}\n"


def missing_by_model(diags):
    return {d.data["model"]: d for d in diags if d.code == "ollama-model-missing"}


def severities_source(url: str) -> str:
    return (decl("default_on", "llama3:70b", url)
            + decl("fails_fast", "mixtral:8x7b", url, "auto_pull_model: false")
            + decl("pulled", "phi3:mini", url, "auto_pull_model: true")
            + decl("unknown_size", "nothere:1b", url)
            + decl("deployment_off", "gemma2:9b", url, deployment="auto_pull_model: false"))


async def test_missing_model_severity_follows_auto_pull(standin, tools):
    analysis = analyze(severities_source(standin.url))
    missing = missing_by_model(await model_diagnostics(analysis.models, tools, allowed_hosts=["127.0.0.1"]))
    default_on = missing["llama3:70b"]
    assert default_on.severity == Severity.WARNING
    assert "will be pulled on first use" in default_on.message and "about 40 GB" in default_on.message
    assert default_on.data["downloadSize"] == 40_000_000_000 and default_on.data["autoPull"] is True
    fails = missing["mixtral:8x7b"]
    assert fails.severity == Severity.ERROR and "auto_pull_model is false" in fails.message
    assert "ollama pull mixtral:8x7b" in fails.message and "downloadSize" not in fails.data
    assert fails.data["autoPull"] is False
    pulled = missing["phi3:mini"]
    assert pulled.severity == Severity.INFORMATION and "about 2.2 GB" in pulled.message
    unknown = missing["nothere:1b"]
    assert unknown.severity == Severity.WARNING and "about" not in unknown.message
    assert "downloadSize" not in unknown.data  # only when the size is known
    assert missing["gemma2:9b"].severity == Severity.ERROR  # auto_pull_model in deployment_config


@pytest.mark.parametrize("setting, explicit, expected", [
    (Severity.HINT, None, Severity.HINT),  # a value other than the default: the user's, for every model
    (Severity.ERROR, None, Severity.ERROR),
    (Severity.INFORMATION, None, Severity.INFORMATION),
    (Severity.WARNING, True, Severity.WARNING),  # set explicitly to the default value
])
async def test_the_users_setting_wins_when_set(standin, tools, setting, explicit, expected):
    analysis = analyze(severities_source(standin.url))
    diags = await model_diagnostics(analysis.models, tools, allowed_hosts=["127.0.0.1"], missing_severity=setting,
                                    missing_severity_explicit=explicit)
    assert {d.severity for d in missing_by_model(diags).values()} == {expected}


def test_missing_model_severity_table():
    from namel3ss_lsp.ollama.diagnostics import missing_model_severity as sev

    W, E, I, H = Severity.WARNING, Severity.ERROR, Severity.INFORMATION, Severity.HINT  # noqa: E741
    assert [sev(a, W) for a in (None, True, False)] == [W, I, E]  # default setting: follows auto_pull
    assert [sev(a, W, explicit=True) for a in (None, True, False)] == [W, W, W]
    assert [sev(a, H) for a in (None, True, False)] == [H, H, H]
    assert [sev(a, None) for a in (None, True, False)] == [None, None, None]  # off
    assert sev(False, E, explicit=False) == E and sev(True, I, explicit=False) == I


def test_check_command_fails_on_a_model_that_will_never_be_pulled(standin):
    analysis = analyze(decl("prod", "mixtral:8x7b", standin.url, "auto_pull_model: false"))
    diags = network_diagnostics(analysis.models, allowed_hosts=["127.0.0.1"], request_timeout=1)
    assert [(d.code, d.severity) for d in diags] == [("ollama-model-missing", Severity.ERROR)]


# ---- issue 17 item 3: a base URL the HTTP client cannot use is a diagnostic on the value --------

BAD_URLS = ["http://localhost127.0.0.1", "http://a.1", "http://host.123", "http://\u2460\u2461\u2466.\u24ea.\u24ea.\u2460",
            "http://0177.0.0.1:11434"]


@pytest.mark.parametrize("url", BAD_URLS)
async def test_unusable_base_url_is_reported_on_the_value(tools, url):
    text = decl("m", "llama3:8b", url)
    analysis = analyze(text)
    diags = await model_diagnostics(analysis.models, tools, allowed_hosts=["*"])
    (diag,) = [d for d in diags if d.code.startswith("ollama-")]
    assert diag.code == "ollama-host-not-allowed" and diag.data["reason"] == "invalid-url"
    assert diag.data["baseUrl"] == url and diag.data["model"] == "llama3:8b"
    assert url in diag.message and "http://127.0.0.1:11434" in diag.message  # what to write instead
    line = text.splitlines()[diag.range.start.line]
    assert line.strip().startswith("base_url:") and url in line[diag.range.start.character:diag.range.end.character]


async def test_glued_hosts_get_a_did_you_mean(tools):
    analysis = analyze(decl("m", "llama3:8b", "http://localhost127.0.0.1"))
    (diag,) = await model_diagnostics(analysis.models, tools)
    assert "did you mean http://localhost:11434 or http://127.0.0.1:11434" in diag.message
    assert "ends in a number but is not an IP address" in diag.message


def test_sync_check_survives_unusable_urls(standin):
    text = "".join(decl(f"m{i}", "llama3:8b", url) for i, url in enumerate(BAD_URLS))
    text += decl("fine", "nothere:1b", standin.url)
    diags = network_diagnostics(analyze(text).models, allowed_hosts=["127.0.0.1"], request_timeout=1)
    assert sorted(d.code for d in diags) == ["ollama-host-not-allowed"] * len(BAD_URLS) + ["ollama-model-missing"]


# ---- issue 16 item 4: what Ollama does with deployment_config num_gpu (a hint) ----------------

@pytest.mark.parametrize("deployment, words", [
    ("num_gpu: 1", ["num_gpu: 1 is not sent", "layers", "CUDA_VISIBLE_DEVICES", "gpu_layers"]),
    ("num_gpu: 0", ["CPU only", "sent to Ollama as num_gpu 0"]),
    ("num_gpu: -1", ["nothing is sent"]),
    ("num_gpu: 2\ngpu_layers: 30", ["not sent", "gpu_layers is sent"]),
])
def test_num_gpu_hint_says_what_ollama_will_do(deployment, words):
    from namel3ss_lsp.ollama.diagnostics import OPTION_MEANING, option_meaning_hints

    text = decl("gpu", "llama3:8b", "http://localhost:11434", deployment=deployment)
    (hint,) = option_meaning_hints(analyze(text).models)
    assert hint.code == OPTION_MEANING == "ollama-option-meaning" and hint.severity == Severity.HINT
    for word in words:
        assert word in hint.message, (word, hint.message)
    line = text.splitlines()[hint.range.start.line]
    assert line[hint.range.start.character:hint.range.end.character] == deployment.split("\n")[0].split(": ")[1]


async def test_num_gpu_hint_comes_with_the_other_ollama_diagnostics(tools, unused_port):
    text = decl("gpu", "llama3:8b", f"http://127.0.0.1:{unused_port}", deployment="num_gpu: 1")
    diags = await model_diagnostics(analyze(text).models, tools, allowed_hosts=["127.0.0.1"])
    assert sorted(d.code for d in diags) == ["ollama-option-meaning", "ollama-unreachable"]
    # not for other providers
    other = text.replace("provider: ollama", "provider: vllm")
    assert await model_diagnostics(analyze(other).models, tools) == []
