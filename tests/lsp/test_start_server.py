"""`namel3ss.ollama.startServer` with a fake `ollama` executable on PATH (tests/lsp/fake_ollama/ollama
starts the stand-in on OLLAMA_HOST's port) and without one; `auto_start_server: true` only with
the `ollama.allowServerStart` setting."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys

import pytest
from pygls.exceptions import JsonRpcException

from .harness import FAKE_OLLAMA_DIR, NEOVIM, REPO, fast_settings, model_block, wait_until

START = "namel3ss.ollama.startServer"


def _free_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


@pytest.fixture
def fake_ollama(tmp_path):
    pidfile = tmp_path / "ollama.pid"
    env = {
        "PATH": f"{FAKE_OLLAMA_DIR}{os.pathsep}{os.environ.get('PATH', '')}",
        "FAKE_OLLAMA_PYTHON": sys.executable,
        "FAKE_OLLAMA_REPO": str(REPO),
        "FAKE_OLLAMA_PIDFILE": str(pidfile),
        "FAKE_OLLAMA_MODELS": "llama3:8b",
    }
    yield env, pidfile
    if pidfile.exists():
        try:
            os.kill(int(pidfile.read_text().strip()), signal.SIGTERM)
        except (ProcessLookupError, ValueError):
            pass


async def test_start_server_with_fake_ollama_on_path(lsp, fake_ollama):
    env, pidfile = fake_ollama
    url = _free_url()
    client = await lsp(NEOVIM, init=fast_settings(url), env=env)
    uri = "file:///start.ai"
    client.open(uri, model_block("llama3:8b"))
    await client.wait_codes(uri, lambda c: "ollama-unreachable" in c)
    result = await client.command(START, {})
    assert result["started"] is True and result["baseUrl"] == url
    assert pidfile.exists()
    await wait_until(lambda: client.statuses and client.statuses[-1]["reachable"] is True, 10, what="reachable")
    await client.wait_codes(uri, lambda c: "ollama-unreachable" not in c)
    # a second start finds it running
    again = await client.command(START, {"baseUrl": url})
    assert again.get("already_running") is True


async def test_start_server_without_executable(lsp, tmp_path):
    url = _free_url()
    client = await lsp(NEOVIM, init=fast_settings(url), env={"PATH": str(tmp_path)})
    with pytest.raises(JsonRpcException) as info:
        await client.command(START, {})
    error = info.value
    assert error.code == -32001
    assert "Ollama executable not found" in str(error)
    assert "ollama.com" in str(error)  # install instructions


async def test_auto_start_needs_the_setting(lsp, fake_ollama):
    env, pidfile = fake_ollama
    url = _free_url()
    client = await lsp(NEOVIM, init=fast_settings(url), env=env)
    uri = "file:///auto-start.ai"
    client.open(uri, model_block("llama3:8b", config={"auto_start_server": True}))
    await client.wait_codes(uri, lambda c: "ollama-unreachable" in c)
    await asyncio.sleep(1.0)
    assert not pidfile.exists()  # a document alone cannot start a process


async def test_auto_start_with_the_setting(lsp, fake_ollama):
    env, pidfile = fake_ollama
    url = _free_url()
    client = await lsp(NEOVIM, init=fast_settings(url, allowServerStart=True), env=env)
    uri = "file:///auto-start-allowed.ai"
    client.open(uri, model_block("llama3:8b", config={"auto_start_server": True}))
    await wait_until(pidfile.exists, 15, what="ollama serve to be run")
    await wait_until(lambda: client.statuses and client.statuses[-1]["reachable"] is True, 15, what="reachable")
    await client.wait_codes(uri, lambda c: not any(x.startswith("ollama-") for x in c))
