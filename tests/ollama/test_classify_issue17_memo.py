"""Issue 17: the Ollama checks remember what they read of each declaration (ClassifyMemo), by its
text. Through every change that matters — the server's model list, the settings, an edit of a
model id, lines added above, a provider inherited or not — a classification that reuses the memo
must give exactly what a fresh one gives, and only the declarations an edit touched are read again.

Both sides fetch what they need from the real stand-in over HTTP (`model_diagnostics`, the check
command's path); they differ only in the memo: the fresh side reads every declaration every time,
even the second of two identical ones.
"""

from __future__ import annotations

import pytest

language = pytest.importorskip("namel3ss_lsp.language")

from namel3ss_lsp.language import Severity, analyze  # noqa: E402
from namel3ss_lsp.ollama.diagnostics import ClassifyMemo, model_diagnostics, read_facts  # noqa: E402

TWIN = """ai model twin {
    provider: ollama
    model: llama3:70b
    config: {
        base_url: "URL"
    }
}
"""


def source(url: str) -> str:
    """Every kind of Ollama diagnostic, a declaration twice (same text, two places), an emoji
    before a model id, an inherited provider and an `llm` with flat options."""
    return f'''ai model installed {{
    provider: ollama
    model: llama3:8b   # 🦙 installed
    config: {{
        base_url: "{url}"
        num_ctx: 65536
    }}
}}

ai model missing {{
    description: "🦙🦙 not here"
    provider: ollama
    model: llama3:70b
    config: {{
        base_url: "{url}"
        auto_pull_model: false
    }}
    deployment_config: {{
        num_gpu: 2
    }}
}}

{TWIN.replace("URL", url)}
ai model remote {{
    provider: ollama
    model: llama3:8b
    config: {{
        base_url: "http://192.168.1.100:11434"
    }}
}}

ai model typo {{
    provider: ollama
    model: mistral
    config: {{
        base_url: "http://localhost127.0.0.1"
    }}
}}

ai model base_tpl {{
    provider: ollama
    model: mistral
    config: {{
        base_url: "{url}"
    }}
}}

ai model child {{
    extends: base_tpl
    model: qwen2.5:0.5b
    config: {{
        base_url: "{url}"
    }}
}}

llm writer {{
    provider: ollama
    model: mistral
    base_url: "{url}"
    num_ctx: 65536
}}

{TWIN.replace("URL", url)}
ai model cloud {{
    provider: openai
    model: gpt-4o
}}
'''


class FreshReading(ClassifyMemo):
    """No memory at all: every declaration read anew, where it is."""

    def facts(self, decl):
        self.reads += 1
        return read_facts(decl, decl.range.start.line), 0


class Compare:
    """Classify a text twice, with the shared memo and with a fresh reading, after the cached
    lists are dropped (both sides read the stand-in as it is now)."""

    def __init__(self, tools, url: str) -> None:
        self.tools, self.url, self.memo = tools, url, ClassifyMemo()
        self.setting: str | None = None
        self.hosts: list[str] = ["127.0.0.1", "localhost"]
        self.severity: Severity | None = Severity.WARNING

    async def run(self, text: str, memo: ClassifyMemo) -> list:
        self.tools.invalidate()
        return await model_diagnostics(analyze(text).models, self.tools, setting_base_url=self.setting,
                                       allowed_hosts=self.hosts, missing_severity=self.severity,
                                       environ={}, memo=memo)

    async def same(self, text: str) -> list:
        remembered = await self.run(text, self.memo)
        fresh = await self.run(text, FreshReading())
        assert remembered == fresh
        return remembered


def codes(diags) -> list[str]:
    return sorted(d.code for d in diags)


async def test_memoised_classification_equals_a_fresh_one(standin, tools):
    url = standin.url
    standin.configure(models=["llama3:8b", "mistral:latest"])
    check = Compare(tools, url)
    text = source(url)

    first = await check.same(text)
    assert codes(first) == sorted([
        "ollama-context-exceeded", "ollama-context-exceeded",  # installed, writer (mistral: 32768)
        "ollama-model-missing", "ollama-model-missing", "ollama-model-missing", "ollama-model-missing",
        "ollama-host-not-allowed", "ollama-host-not-allowed",  # remote, typo (invalid URL)
        "ollama-option-meaning",  # num_gpu: 2
    ])
    twins = [d for d in first if d.code == "ollama-model-missing" and d.data["model"] == "llama3:70b"]
    assert len({d.range.start.line for d in twins}) == 3  # missing + the twins, each at its own place
    read = check.memo.reads
    assert read > 0

    # nothing changed: nothing is read again
    assert await check.same(text) == first
    assert check.memo.reads == read

    # the model list changes on the server
    standin.configure(models=["llama3:70b", "qwen2.5:0.5b"])
    changed = await check.same(text)
    assert changed != first
    assert check.memo.reads == read

    # the settings change: missing models are errors, the stand-in's host is no longer allowed
    check.severity = Severity.ERROR
    errors = await check.same(text)
    assert {d.severity for d in errors if d.code == "ollama-model-missing"} == {Severity.ERROR}
    check.hosts = ["localhost"]
    refused = await check.same(text)
    assert codes(refused).count("ollama-host-not-allowed") > codes(errors).count("ollama-host-not-allowed")
    check.hosts, check.severity = ["127.0.0.1", "localhost"], Severity.WARNING
    assert check.memo.reads == read

    # an edit changes one declaration's model id: only that declaration is read again
    edited = text.replace("    model: mistral\n    base_url:", "    model: llama3:70b\n    base_url:", 1)
    assert edited != text
    after_edit = await check.same(edited)
    assert check.memo.reads == read + 1
    assert [d for d in after_edit if d.code == "ollama-context-exceeded"] != [
        d for d in changed if d.code == "ollama-context-exceeded"]

    # lines added above move every range, and nothing is read again
    moved = "# moved down\n\n\n" + edited
    shifted = await check.same(moved)
    assert [d.range.start.line for d in shifted] == [d.range.start.line + 3 for d in after_edit]
    assert check.memo.reads == read + 1

    # the template is no longer Ollama's: its child inherits another provider and is not checked
    foreign = moved.replace("ai model base_tpl {\n    provider: ollama", "ai model base_tpl {\n    provider: openai", 1)
    assert foreign != moved
    without = await check.same(foreign)
    assert "qwen2.5:0.5b" not in [d.data.get("model") for d in without]


async def test_the_setting_decides_the_server_of_declarations_without_one(standin, tools):
    """Facts hold the URL options, never the server: a new `ollama.baseUrl` reaches every
    declaration that names none, with the memo as without it."""
    standin.configure(models=["llama3:8b"])
    check = Compare(tools, standin.url)
    text = "ai model plain {\n    provider: ollama\n    model: llama3:70b\n}\n" * 2
    check.setting = standin.url
    here = await check.same(text)
    assert {d.data["baseUrl"] for d in here} == {standin.url}
    check.setting = standin.url.replace("127.0.0.1", "localhost")
    there = await check.same(text)
    assert {d.data["baseUrl"] for d in there} == {check.setting}


async def test_in_slices_as_in_one_go(standin, tools):
    """The language server spreads a big document's checks over turns of its event loop
    (`slice_seconds`): the same diagnostics, in the same order, as in one go."""
    from namel3ss_lsp.ollama import resolve_base_url
    from namel3ss_lsp.ollama.diagnostics import classify, classify_steps

    standin.configure(models=["llama3:8b"])
    names = [m["name"] for m in await tools.list_available_models(standin.url)]
    text = "".join(
        f'ai model m{i} {{\n    provider: ollama\n    model: {"llama3:70b" if i % 3 == 0 else "llama3:8b"}\n'
        f'    config: {{\n        base_url: "{standin.url}"\n    }}\n}}\n' for i in range(100))
    models = analyze(text).models
    checks = dict(base_url_of=lambda options: resolve_base_url(options, environ={}), allowed=lambda base: True,
                  listing=lambda base: names, context_length=lambda base, installed: None)
    whole = classify(models, **checks)
    steps, turns = classify_steps(models, slice_seconds=0.0, **checks), 0
    while True:
        try:
            next(steps)
            turns += 1
        except StopIteration as done:
            sliced = done.value
            break
    assert turns >= 3 and len(whole) == 34
    assert sliced == whole
