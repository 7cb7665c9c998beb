"""Diagnostics end to end: versions, staleness, the Ollama checks against the stand-in."""

from __future__ import annotations

import socket

from lsprotocol import types

from .harness import NEOVIM, fast_settings, model_block, wait_until


def _dead_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


async def test_syntax_first_then_ollama_results_join(shared_neovim, standins):
    slow = standins(models=["llama3:8b"], latency={"/api/tags": 1.0})
    client = shared_neovim
    uri = "file:///join.ai"
    broken = model_block("llama3:8b", "broken", config={"temperature": 9, "base_url": slow.url})
    client.open(uri, model_block("nothere:1b", config={"base_url": slow.url}) + broken)
    first = await client.wait_diagnostics(uri)
    # published before the (slow) model list arrives: schema result only
    assert "out-of-range" in [d.code for d in first.diagnostics]
    assert first.version == 1
    diags = await client.wait_codes(uri, lambda c: "ollama-model-missing" in c)
    assert {"out-of-range", "ollama-model-missing"} <= {d.code for d in diags}


async def test_versions_and_no_stale_results(shared_vscode, shared_standin):
    client = shared_vscode
    uri = "file:///versions.ai"
    client.open(uri, model_block("llama3:8b"), version=1)
    await client.wait_diagnostics(uri)
    text = model_block("llama3:8b")
    # many quick edits: the last published set belongs to the last version and its text
    for version in range(2, 30):
        text = model_block("nothere:1b" if version % 2 else "llama3:8b")
        client.change(uri, version, [types.TextDocumentContentChangeWholeDocument(text=text)])
    final = await client.wait_diagnostics(uri, lambda p: p.version == 29)
    assert "ollama-model-missing" in [d.code for d in final.diagnostics]
    versions = [p.version for p in client.published[uri]]
    assert versions == sorted(versions), "a result for an older version was published after a newer one"


async def test_missing_model_severity_setting(lsp, standin_url):
    init = fast_settings(standin_url)
    init["diagnostics"] = {"missingModel": "error"}
    client = await lsp(NEOVIM, init=init)
    uri = "file:///missing.ai"
    client.open(uri, model_block("llama3:70b") + model_block("llama3:8b", "other", config={"num_ctx": 999999}))
    for setting, severity in [
        ("error", types.DiagnosticSeverity.Error),
        ("warning", types.DiagnosticSeverity.Warning),
        ("information", types.DiagnosticSeverity.Information),
        ("hint", types.DiagnosticSeverity.Hint),
    ]:
        if setting != "error":
            settings = fast_settings(standin_url)
            settings["diagnostics"] = {"missingModel": setting}
            client.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings={"namel3ss": settings}))
        diags = await client.wait_diagnostics(
            uri,
            lambda p, sev=severity: any(d.code == "ollama-model-missing" and d.severity == sev for d in p.diagnostics),
        )
        missing = next(d for d in diags.diagnostics if d.code == "ollama-model-missing")
        assert missing.source == "namel3ss"
        assert missing.data["model"] == "llama3:70b" and missing.data["baseUrl"] == standin_url
        assert "llama3:8b" in missing.message  # did you mean
        assert missing.range.start == types.Position(line=2, character=11)
        assert missing.range.end == types.Position(line=2, character=21)
    # off: no missing-model diagnostic (the context check proves the model list is known)
    settings = fast_settings(standin_url)
    settings["diagnostics"] = {"missingModel": "off"}
    client.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings={"namel3ss": settings}))
    await client.wait_codes(uri, lambda c: "ollama-model-missing" not in c and "ollama-context-exceeded" in c)


async def test_auto_pull_model_is_information(shared_neovim, shared_standin):
    client = shared_neovim
    uri = "file:///autopull.ai"
    client.open(uri, model_block("gemma2:2b", config={"auto_pull_model": True}))
    diags = await client.wait_codes(uri, lambda c: "ollama-model-missing" in c)
    missing = next(d for d in diags if d.code == "ollama-model-missing")
    assert missing.severity == types.DiagnosticSeverity.Information
    assert "will be pulled on first use" in missing.message


async def test_installed_model_has_no_ollama_diagnostic(shared_neovim, shared_standin):
    client = shared_neovim
    uri = "file:///ok.ai"
    client.open(uri, model_block("llama3:8b") + model_block("nothere:1b", "probe"))
    diags = await client.wait_codes(uri, lambda c: "ollama-model-missing" in c)
    assert [d.data["model"] for d in diags if d.code.startswith("ollama-")] == ["nothere:1b"]


async def test_unreachable_once_per_server(shared_neovim):
    dead = _dead_url()
    client = shared_neovim
    uri = "file:///unreachable.ai"
    text = "".join(
        model_block(m, f"m{i}", config={"base_url": dead}) for i, m in enumerate(["llama3:8b", "mistral:latest", "phi3:mini"])
    )
    client.open(uri, text)
    diags = await client.wait_codes(uri, lambda c: "ollama-unreachable" in c)
    unreachable = [d for d in diags if d.code == "ollama-unreachable"]
    assert len(unreachable) == 1
    assert unreachable[0].data == {"model": "llama3:8b", "baseUrl": dead, "kind": "unreachable"}
    assert "ollama-model-missing" not in [d.code for d in diags]


async def test_two_servers_in_one_file(shared_neovim, standins):
    one = standins(models=["llama3:8b"])
    two = standins(models=["mistral:latest"])
    client = shared_neovim
    uri = "file:///two.ai"
    text = (
        model_block("llama3:8b", "on_one", config={"base_url": one.url})
        + model_block("mistral:latest", "on_two", config={"base_url": two.url})
        + model_block("mistral:latest", "mistral_on_one", config={"base_url": one.url})
        + model_block("llama3:8b", "llama_on_two", config={"base_url": two.url})
    )
    client.open(uri, text)
    diags = await client.wait_codes(uri, lambda c: c.count("ollama-model-missing") == 2)
    missing = sorted((d.data["model"], d.data["baseUrl"]) for d in diags if d.code == "ollama-model-missing")
    assert missing == sorted([("mistral:latest", one.url), ("llama3:8b", two.url)])
    assert one.stats()["/api/tags"] >= 1 and two.stats()["/api/tags"] >= 1


async def test_host_outside_allowlist_is_never_contacted(lsp, standins):
    target = standins(models=["llama3:8b"])
    # The setting's own server (localhost default) is always allowed; the document points at
    # 127.0.0.1:PORT, which is not in the allowlist ["localhost"].
    init = fast_settings(None, allowedHosts=["localhost"])
    client = await lsp(NEOVIM, init=init)
    uri = "file:///allowlist.ai"
    client.open(uri, model_block("llama3:8b", config={"base_url": target.url}))
    diags = await client.wait_codes(uri, lambda c: "ollama-host-not-allowed" in c)
    blocked = next(d for d in diags if d.code == "ollama-host-not-allowed")
    assert blocked.data == {"model": "llama3:8b", "baseUrl": target.url}
    # completion, hover, code lenses and code actions on it must not reach it either
    pos = types.Position(line=2, character=14)
    await client.text_document_completion_async(
        types.CompletionParams(text_document=types.TextDocumentIdentifier(uri=uri), position=pos)
    )
    await client.text_document_hover_async(types.HoverParams(text_document=types.TextDocumentIdentifier(uri=uri), position=pos))
    await client.text_document_code_lens_async(types.CodeLensParams(text_document=types.TextDocumentIdentifier(uri=uri)))
    stats = target.stats()
    assert sum(v for k, v in stats.items() if k.startswith("/api") or k == "/") == 0, stats


async def test_context_exceeded(shared_neovim, shared_standin):
    client, standin_url = shared_neovim, shared_standin.url
    uri = "file:///ctx.ai"
    text = model_block("llama3:8b", config={"num_ctx": 65536}) + model_block("mistral:latest", "fine", config={"num_ctx": 4096})
    client.open(uri, text)
    diags = await client.wait_codes(uri, lambda c: "ollama-context-exceeded" in c)
    exceeded = [d for d in diags if d.code == "ollama-context-exceeded"]
    assert len(exceeded) == 1
    assert exceeded[0].data["model"] == "llama3:8b" and exceeded[0].data["baseUrl"] == standin_url
    assert "8192" in exceeded[0].message
    assert exceeded[0].range.start.line == 4  # the num_ctx value


async def test_emoji_before_model_id(shared_vscode, shared_standin):
    client = shared_vscode
    uri = "file:///emoji.ai"
    text = 'ai model chat {\n    provider: ollama\n    # 🦙 llama time\n    model: nothere:1b # 🚀\n}\n'
    client.open(uri, text)
    diags = await client.wait_codes(uri, lambda c: "ollama-model-missing" in c)
    missing = next(d for d in diags if d.code == "ollama-model-missing")
    assert missing.range == types.Range(start=types.Position(line=3, character=11), end=types.Position(line=3, character=21))


async def test_close_clears_diagnostics(shared_neovim, shared_standin):
    client = shared_neovim
    uri = "file:///close.ai"
    client.open(uri, model_block("nothere:1b"))
    await client.wait_codes(uri, lambda c: "ollama-model-missing" in c)
    client.text_document_did_close(types.DidCloseTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=uri)))
    await wait_until(lambda: len(client.latest(uri).diagnostics) == 0, 5, what="cleared diagnostics")


async def test_a_big_publication_serialised_off_the_loop_is_the_same(shared_vscode, shared_standin):
    """Above PREPARED_FROM diagnostics the publication is serialised in a worker thread and written
    as text: the client must get the same notification (every diagnostic, version, fields)."""
    from namel3ss_lsp.lsp.diagnostics import PREPARED_FROM

    client = shared_vscode
    uri = "file:///many-problems.ai"
    count = PREPARED_FROM + 50
    blocks = "".join(model_block("llama3:8b", f"many_problems_{i}", config={"temperature": 9}) for i in range(count))
    client.open(uri, blocks, version=3)
    final = await client.wait_diagnostics(uri, lambda p: p.version == 3 and len(p.diagnostics) >= count)
    ranges = [d for d in final.diagnostics if d.code == "out-of-range"]
    assert len(ranges) == count
    assert all(d.severity is not None and d.source and d.message for d in ranges)
    assert [d.range.start.line for d in ranges] == sorted(d.range.start.line for d in ranges)
    # and a small one next to it still goes the usual way
    client.open("file:///few.ai", model_block("llama3:8b", "only_one_here", config={"temperature": 9}), version=1)
    few = await client.wait_diagnostics("file:///few.ai")
    assert [d.code for d in few.diagnostics] == ["out-of-range"]
    for done in (uri, "file:///few.ai"):  # the client is shared: leave no declarations behind
        client.text_document_did_close(types.DidCloseTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=done)))
