"""Issue 17: a server that has been running (its Ollama checks remember what they read of each
declaration) publishes the same diagnostics as a server started just now, after the model list
changes on the Ollama server, after the settings change and after an edit of a model id."""

from __future__ import annotations

import asyncio

from lsprotocol import types

from .harness import VSCODE, fast_settings, model_block, wait_until

URI = "file:///memo.ai"


def document(url: str) -> str:
    twin = model_block("llama3:70b", "twin", config={"base_url": url})
    return (
        model_block("llama3:8b", "installed", config={"base_url": url, "num_ctx": 65536})
        + "\n" + twin
        + "\n" + model_block("mistral", "other", config={"base_url": url})
        + "\n" + model_block("qwen2.5:0.5b", "later", config={"base_url": url, "auto_pull_model": False})
        + "\n" + twin
        + "\n" + model_block("nothere:1b", "gone", config={"base_url": url})
    )


def init_for(url: str, missing: str = "warning") -> dict:
    init = fast_settings(url)
    init["diagnostics"] = {"missingModel": missing}
    return init


async def same_as_a_fresh_server(lsp, warm, text: str, init: dict, expected: set[str]) -> list:
    """Start a server, open `text`, and wait until both publish the same diagnostics (holding
    for a moment) that carry the `expected` codes."""
    fresh = await lsp(VSCODE, init=init)
    fresh.open(URI, text)

    def agree() -> bool:
        a, b = warm.latest(URI), fresh.latest(URI)
        return (a is not None and b is not None and a.diagnostics == b.diagnostics
                and expected <= {str(d.code) for d in a.diagnostics})

    try:
        for _ in range(3):  # still the same a moment later: nothing was on its way
            await wait_until(agree, 30, what="the same diagnostics as a fresh server")
            await asyncio.sleep(0.3)
        assert agree()
    except AssertionError:
        ours, theirs = warm.latest(URI), fresh.latest(URI)
        raise AssertionError(f"running server: {ours and ours.diagnostics}\nfresh server: {theirs and theirs.diagnostics}")
    diagnostics = list(warm.latest(URI).diagnostics)
    await asyncio.wait_for(fresh.shutdown_session(), 10)
    await fresh.stop()
    return diagnostics


async def test_a_running_server_publishes_what_a_fresh_one_does(lsp, standins):
    standin = standins(models=["llama3:8b", "mistral:latest"], pullable=[])
    url = standin.url
    warm = await lsp(VSCODE, init=init_for(url))
    text = document(url)
    warm.open(URI, text)
    first = await same_as_a_fresh_server(
        lsp, warm, text, init_for(url), {"ollama-model-missing", "ollama-context-exceeded"})
    assert len([d for d in first if d.code == "ollama-model-missing"]) == 4  # twin twice, later, gone

    # the model list changes on the Ollama server; the running server is told to read it again
    standin.configure(models=["qwen2.5:0.5b", "mistral:latest"])
    await warm.command("namel3ss.ollama.refresh")
    listed = await same_as_a_fresh_server(lsp, warm, text, init_for(url), {"ollama-model-missing"})
    assert {d.data["model"] for d in listed if d.code == "ollama-model-missing"} == {
        "llama3:8b", "llama3:70b", "nothere:1b"}

    # the settings change: missing models become errors
    warm.workspace_did_change_configuration(
        types.DidChangeConfigurationParams(settings={"namel3ss": init_for(url, "error")}))
    errors = await same_as_a_fresh_server(lsp, warm, text, init_for(url, "error"), {"ollama-model-missing"})
    assert {d.severity for d in errors if d.code == "ollama-model-missing"} == {types.DiagnosticSeverity.Error}

    # an edit changes a declaration's model id and moves the ones below it (still missing) down a line
    edited = text.replace("model: mistral\n", "model: phi3:mini\n    # now phi3\n", 1)
    assert edited != text
    line = text[: text.index("model: mistral")].count("\n")
    start = types.Position(line=line, character=0)
    end = types.Position(line=line + 1, character=0)
    warm.change(URI, 2, [types.TextDocumentContentChangePartial(
        range=types.Range(start=start, end=end), text="    model: phi3:mini\n    # now phi3\n")])
    after = await same_as_a_fresh_server(lsp, warm, edited, init_for(url, "error"), {"ollama-model-missing"})
    missing = {d.data["model"]: d.range.start.line for d in after if d.code == "ollama-model-missing"}
    assert "phi3:mini" in missing and missing["nothere:1b"] == edited[: edited.index("nothere:1b")].count("\n")
