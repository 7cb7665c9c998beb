"""Lifecycle, capabilities, settings from each of the three sources, status after initialized."""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sys

import pytest
from lsprotocol import types

from .harness import NEOVIM, PROFILES, VSCODE, fast_settings, find_position, model_block, server_env, wait_until

COMMANDS = {
    "namel3ss.ollama.pullModel",
    "namel3ss.ollama.removeModel",
    "namel3ss.ollama.listModels",
    "namel3ss.ollama.status",
    "namel3ss.ollama.refresh",
    "namel3ss.ollama.startServer",
    "namel3ss.ollama.tryModel",
    "namel3ss.ollama.updateModel",
}


@pytest.mark.parametrize("profile", PROFILES)
async def test_clean_shutdown_and_exit(lsp, standin_url, profile):
    client = await lsp(profile, init=fast_settings(standin_url))
    client.open("file:///x.ai", model_block("llama3:8b"))
    await client.wait_diagnostics("file:///x.ai")
    await wait_until(lambda: client.statuses, 10, what="status")
    await client.shutdown_async(None)
    client.exit(None)
    # exits promptly with 0: background health checks cancelled, HTTP clients closed
    assert await asyncio.wait_for(client._server.wait(), timeout=10) == 0
    client.capabilities = None  # already shut down: the fixture must not shut down again


async def test_initialize_result(standin_url):
    from pytest_lsp import client_capabilities

    from .harness import stop_client

    client = None
    try:
        from .harness import _client_factory

        client = _client_factory()
        await client.start_io(sys.executable, "-m", "namel3ss_lsp", env=server_env())
        result = await client.initialize_session(
            types.InitializeParams(capabilities=client_capabilities(VSCODE), initialization_options=fast_settings(standin_url))
        )
        caps = result.capabilities
        assert result.server_info.name == "namel3ss-lsp"
        sync = caps.text_document_sync
        assert sync.change == types.TextDocumentSyncKind.Incremental and sync.open_close
        assert set(caps.completion_provider.trigger_characters) >= {":", " ", '"'}
        assert set(caps.execute_command_provider.commands) == COMMANDS
        assert caps.hover_provider and caps.document_symbol_provider and caps.folding_range_provider
        assert caps.code_action_provider and caps.code_lens_provider
        assert caps.position_encoding in (None, types.PositionEncodingKind.Utf16)
    finally:
        if client is not None:
            await stop_client(client)


async def test_status_notification_after_initialized(lsp, standin_url):
    client = await lsp(init=fast_settings(standin_url))
    await wait_until(lambda: client.statuses, 10, what="namel3ss/ollamaStatus")
    status = client.statuses[0]
    assert set(status) >= {"baseUrl", "reachable", "version", "modelsCount", "responseTimeMs", "error", "suggestion", "checkedAt"}
    assert status["baseUrl"] == standin_url
    assert status["reachable"] is True and status["modelsCount"] == 2 and status["version"]


async def test_settings_from_initialization_options(lsp, standin_url):
    init = fast_settings(standin_url)
    init["diagnostics"] = {"missingModel": "error"}
    client = await lsp(NEOVIM, init=init)  # Neovim 0.7 declares no workspace/configuration
    uri = "file:///init.ai"
    client.open(uri, model_block("nothere:1b"))
    diags = await client.wait_codes(uri, lambda c: "ollama-model-missing" in c)
    missing = next(d for d in diags if d.code == "ollama-model-missing")
    assert missing.severity == types.DiagnosticSeverity.Error
    assert (
        missing.data["model"] == "nothere:1b" and missing.data["baseUrl"] == standin_url
    )


async def test_settings_pulled_with_workspace_configuration(lsp, standin_url):
    # VS Code declares workspace/configuration: the server pulls section `namel3ss` after initialized.
    configuration = fast_settings(standin_url)
    configuration["diagnostics"] = {"missingModel": "hint"}
    client = await lsp(VSCODE, init=None, configuration=configuration)
    uri = "file:///pulled.ai"
    client.open(uri, model_block("nothere:1b"))
    diags = await client.wait_codes(uri, lambda c: "ollama-model-missing" in c)
    assert next(d for d in diags if d.code == "ollama-model-missing").severity == types.DiagnosticSeverity.Hint


async def test_settings_pushed_with_did_change_configuration(lsp, standin_url):
    client = await lsp(NEOVIM, init=fast_settings(standin_url))
    uri = "file:///pushed.ai"
    client.open(uri, model_block("nothere:1b"))
    diags = await client.wait_codes(uri, lambda c: "ollama-model-missing" in c)
    assert next(d for d in diags if d.code == "ollama-model-missing").severity == types.DiagnosticSeverity.Warning
    settings = fast_settings(standin_url)
    settings["diagnostics"] = {"missingModel": "off"}
    client.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings={"namel3ss": settings}))
    await client.wait_codes(uri, lambda c: "ollama-model-missing" not in c)
    settings["diagnostics"] = {"missingModel": "information"}
    client.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings={"namel3ss": settings}))
    diags = await client.wait_codes(uri, lambda c: "ollama-model-missing" in c)
    assert next(d for d in diags if d.code == "ollama-model-missing").severity == types.DiagnosticSeverity.Information


async def test_did_change_configuration_without_settings_pulls_again(lsp, standin_url):
    configuration = fast_settings(standin_url)
    client = await lsp(VSCODE, configuration=configuration)
    uri = "file:///repull.ai"
    client.open(uri, model_block("nothere:1b"))
    await client.wait_codes(uri, lambda c: "ollama-model-missing" in c)
    configuration["diagnostics"] = {"missingModel": "off"}
    client.set_configuration(configuration, section="namel3ss")
    client.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings=None))
    await client.wait_codes(uri, lambda c: "ollama-model-missing" not in c)


async def test_bad_setting_values_are_ignored(lsp, standin_url):
    init = fast_settings(standin_url)
    init["diagnostics"] = {"missingModel": "loud"}
    init["ollama"]["requestTimeout"] = "soon"
    client = await lsp(NEOVIM, init=init)
    uri = "file:///bad-settings.ai"
    client.open(uri, model_block("nothere:1b"))
    diags = await client.wait_codes(uri, lambda c: "ollama-model-missing" in c)
    assert next(d for d in diags if d.code == "ollama-model-missing").severity == types.DiagnosticSeverity.Warning


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def test_tcp_mode(standin_url):
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "namel3ss_lsp", "--tcp", "--host", "127.0.0.1", "--port", str(port)],
        env=server_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        reader = writer = None
        for _ in range(100):
            try:
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
                break
            except OSError:
                await asyncio.sleep(0.05)
        assert writer is not None, "server did not listen"
        body = (
            b'{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"processId":null,"rootUri":null,'
            b'"capabilities":{},"initializationOptions":' + str(fast_settings(standin_url)).replace("'", '"').replace("None", "null").encode() + b"}}"
        )
        writer.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        await writer.drain()
        header = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), timeout=10)
        length = int(header.split(b"Content-Length:")[1].split(b"\r\n")[0])
        payload = await reader.readexactly(length)
        assert b'"namel3ss-lsp"' in payload and b'"id": 1' in payload or b'"id":1' in payload
        writer.close()
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
        out = proc.stdout.read() if proc.stdout else b""
        assert out == b""  # nothing on stdout in TCP mode either


async def test_exit_without_shutdown_is_code_1(standin_url):
    from pytest_lsp import client_capabilities

    from .harness import _client_factory

    client = _client_factory()
    await client.start_io(sys.executable, "-m", "namel3ss_lsp", env=server_env())
    try:
        await client.initialize_session(
            types.InitializeParams(capabilities=client_capabilities(NEOVIM), initialization_options=fast_settings(standin_url))
        )
        client.exit(None)
        assert await asyncio.wait_for(client._server.wait(), timeout=10) == 1
    finally:
        await client.stop()


async def test_positions_are_always_utf16(standin_url):
    """A client that prefers UTF-8 still gets UTF-16: the unit the whole server works in."""
    from pytest_lsp import client_capabilities

    from .harness import _client_factory, stop_client

    client = _client_factory()
    await client.start_io(sys.executable, "-m", "namel3ss_lsp", env=server_env())
    try:
        caps = client_capabilities(NEOVIM)
        caps.general = types.GeneralClientCapabilities(
            position_encodings=[types.PositionEncodingKind.Utf8, types.PositionEncodingKind.Utf16]
        )
        result = await client.initialize_session(
            types.InitializeParams(capabilities=caps, initialization_options=fast_settings(standin_url))
        )
        assert result.capabilities.position_encoding == types.PositionEncodingKind.Utf16
        uri = "file:///utf16.ai"
        text = 'ai model chat {\n    provider: ollama\n    description: "🦙🦙", model: nothere:1b\n}\n'
        client.open(uri, text)
        diags = await client.wait_codes(uri, lambda c: "ollama-model-missing" in c)
        missing = next(d for d in diags if d.code == "ollama-model-missing")
        start = find_position(text, "nothere")  # 32 UTF-16 units (36 UTF-8 bytes, 30 code points)
        assert start.character == 32
        assert missing.range.start == start and missing.range.end.character == 42
    finally:
        await stop_client(client)
