"""start_ollama_server: a fake `ollama` on PATH (it runs the stand-in on OLLAMA_HOST), and none."""

from __future__ import annotations

import os
import signal
import stat
import sys
import textwrap
from pathlib import Path

import httpx
import pytest

from namel3ss_lsp.ollama import OllamaError, OllamaProvider, start_ollama_server

REPO = Path(__file__).resolve().parent.parent.parent


def fake_ollama(directory: Path, *, fail: bool = False) -> Path:
    """An `ollama` executable: `ollama serve` runs the stand-in on OLLAMA_HOST's host:port."""
    script = directory / "ollama"
    script.write_text(textwrap.dedent(f"""\
        #!{sys.executable}
        import os, sys
        assert sys.argv[1:] == ["serve"], sys.argv
        if {fail!r}:
            sys.exit(3)
        host, _, port = os.environ["OLLAMA_HOST"].rpartition(":")
        assert host == "127.0.0.1", host
        os.environ["PYTHONPATH"] = os.pathsep.join([{str(REPO / 'server')!r}, {str(REPO)!r}])
        os.chdir({str(REPO)!r})
        os.execv(sys.executable, [sys.executable, "-m", "tests.standin", "--port", port,
                                  "--models", "llama3:8b"])
    """))
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return script


def kill_group(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGTERM)  # our own child, started in a new session
    except ProcessLookupError:
        pass


async def test_starts_fake_ollama_detached(tmp_path, unused_port):
    fake_ollama(tmp_path)
    env = {**os.environ, "PATH": f"{tmp_path}{os.pathsep}{os.environ.get('PATH', '')}"}
    url = f"http://127.0.0.1:{unused_port}"
    result = await start_ollama_server(url, environ=env, wait_timeout=20)
    try:
        assert result["started"] is True and result["executable"] == str(tmp_path / "ollama")
        assert os.getpgid(result["pid"]) == result["pid"]  # its own session: survives the editor
        assert httpx.get(url + "/api/tags").json()["models"][0]["name"] == "llama3:8b"
        again = await start_ollama_server(url, environ=env)
        assert again["already_running"] is True and again["started"] is False
    finally:
        kill_group(result["pid"])


async def test_provider_auto_start_when_allowed(tmp_path, unused_port, monkeypatch, tools):
    fake_ollama(tmp_path)
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ.get('PATH', '')}")
    url = f"http://127.0.0.1:{unused_port}"
    provider = OllamaProvider("m", "llama3:8b", {"base_url": url, "auto_start_server": True},
                              tools=tools, allow_server_start=True)
    try:
        reply = await provider.generate("hi")
        assert reply.metadata["done"] and provider.started_server["started"] is True
    finally:
        if provider.started_server:
            kill_group(provider.started_server["pid"])


async def test_no_executable(tmp_path, unused_port):
    env = {"PATH": str(tmp_path)}
    with pytest.raises(OllamaError) as info:
        await start_ollama_server(f"http://127.0.0.1:{unused_port}", environ=env)
    err = info.value
    assert err.kind == "executable_not_found" and err.description == "Ollama executable not found"
    assert "curl -fsSL https://ollama.com/install.sh | sh" in err.suggestion
    assert "https://ollama.com/download" in err.suggestion


async def test_exits_early(tmp_path, unused_port):
    fake_ollama(tmp_path, fail=True)
    env = {**os.environ, "PATH": str(tmp_path)}
    with pytest.raises(OllamaError) as info:
        await start_ollama_server(f"http://127.0.0.1:{unused_port}", environ=env, wait_timeout=10)
    assert info.value.kind == "start_failed" and "code 3" in info.value.description


async def test_refuses_remote_and_odd_urls(tmp_path):
    for url in ("http://gpu-box.example:11434", "http://127.0.0.1@evil.example:11434", "file:///x"):
        with pytest.raises(OllamaError) as info:
            await start_ollama_server(url, environ={"PATH": str(tmp_path)})
        assert info.value.kind == "start_failed"
