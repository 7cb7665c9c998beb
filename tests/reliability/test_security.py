"""Security, end to end, against the real server process (the allowlist is in test_allowlist.py).

* Model names with `../`, `?`, `#`, `%`, spaces or control characters never reach a URL or a
  request body (stand-in stats), and commands refuse them with InvalidParams before any request.
* `auto_start_server: true` does nothing unless `ollama.allowServerStart` is true (a fake `ollama`
  on PATH writes a marker when run), and `ollama` runs without a shell (a PATH entry with shell
  metacharacters stays literal, the arguments are exactly `serve`).
* Removal never happens without confirmation (Cancel, no answer, `confirmed: false`).
* Names that are not in the allowlist stay refused whatever their case or trailing dot.
"""

from __future__ import annotations

import asyncio
import os
import stat
from pathlib import Path

import pytest
from lsprotocol import types
from pygls.exceptions import JsonRpcException

from namel3ss_lsp.ollama.urls import host_allowed
from tests.lsp.harness import NEOVIM, VSCODE
from tests.standin.process import StandInProcess

from .helpers import Trap, assert_alive, command_error, doc_id, free_port, model_block, wait_until


ALLOWED = ["localhost"]
NOT_ALLOWED_CODES = (-32002, -32602)


def _decl(config_lines: list[str], section: str = "config") -> str:
    body = "\n".join(f"        {line}" for line in config_lines)
    return f"ai model chat {{\n    provider: ollama\n    model: llama3:8b\n    {section}: {{\n{body}\n    }}\n}}\n"


def _url(url: str) -> list[str]:
    return [f'base_url: "{url.replace(chr(92), chr(92) * 2)}"']


def _assert_refused(error: JsonRpcException, what: object) -> None:
    """Refused because of the host (not for some unrelated reason such as a crash)."""
    message = str(error.message)
    assert error.code in NOT_ALLOWED_CODES, (what, error.code, message)
    assert any(word in message for word in ("allowedHosts", "baseUrl", "URL", "url")), (what, message)


async def test_trailing_dot_and_case_spellings_of_a_name_not_in_the_list(lsp):
    """With allowedHosts ["127.0.0.1"], `LOCALHOST.` / `localhost` / `LocalHost` are other hosts."""
    with Trap("127.0.0.1") as trap, StandInProcess(models=["llama3:8b"]) as standin:
        client = await lsp(NEOVIM, init={"ollama": {"baseUrl": standin.url, "allowedHosts": ["127.0.0.1"],
                                                    "requestTimeout": 1, "healthCheckInterval": 0.2}})
        for i, host in enumerate(["LOCALHOST.", "localhost", "LocalHost", "localhost.localdomain"]):
            url = f"http://{host}:{trap.port}"
            assert not host_allowed(url, ["127.0.0.1"], always_allowed=("127.0.0.1",))
            uri = f"file:///security/name-{i}.ai"
            client.open(uri, _decl(_url(url)))
            await client.wait_codes(uri, lambda c: "ollama-host-not-allowed" in c, timeout=10)
            _assert_refused(await command_error(client, "namel3ss.ollama.listModels", {"baseUrl": url}), url)
        await asyncio.sleep(0.6)
        assert trap.connections == []


async def test_allowlist_entry_with_a_port(lsp):
    """allowedHosts ["127.0.0.1:PORT"] allows that port only: another port on the same host is refused."""
    with Trap("127.0.0.1") as trap, StandInProcess(models=["llama3:8b"]) as standin:
        port = int(standin.url.rsplit(":", 1)[1])
        client = await lsp(NEOVIM, init={"ollama": {"baseUrl": f"http://localhost:{port}", "allowedHosts": [f"127.0.0.1:{port}"],
                                                    "requestTimeout": 1, "healthCheckInterval": 0.2}})
        other = f"http://127.0.0.1:{trap.port}"
        client.open("file:///security/port-other.ai", _decl(_url(other)))
        await client.wait_codes("file:///security/port-other.ai", lambda c: "ollama-host-not-allowed" in c, timeout=10)
        _assert_refused(await command_error(client, "namel3ss.ollama.listModels", {"baseUrl": other}), other)
        # control: the allowed port is used
        client.open("file:///security/port-same.ai", _decl(_url(f"http://127.0.0.1:{port}")).replace("llama3:8b", "nothere:1b"))
        await client.wait_codes("file:///security/port-same.ai", lambda c: "ollama-model-missing" in c, timeout=10)
        await asyncio.sleep(0.5)
        assert trap.connections == []


BAD_NAMES = ["../../etc/passwd", "llama3?x=1", "llama3#frag", "llama3%2e%2e", "my model", "llama3\u0007",
             "a/../b", "llama3\nx", "llama3:8b/../../api/delete", "llama3\u0000"]


def _quoted(name: str) -> str:
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\u0007", "\\u0007").replace("\u0000", "\\u0000") + '"'


async def test_bad_model_names_never_reach_a_request(lsp, standins):
    # No installed model: any /api/show, /api/pull, /api/delete or /api/chat request would be about
    # one of the names below (the stand-in only keeps the last body per route).
    standin = standins(models=[], pullable=["phi3:mini"])
    client = await lsp(VSCODE, init={"ollama": {"baseUrl": standin.url, "requestTimeout": 1, "healthCheckInterval": 0.2}})
    uri = "file:///security/names.ai"
    text = "".join(
        f"ai model m{i} {{\n    provider: ollama\n    model: {_quoted(name)}\n}}\n" for i, name in enumerate(BAD_NAMES)
    )
    client.open(uri, text)
    await client.wait_codes(uri, lambda c: c.count("ollama-model-invalid") >= 5, timeout=10)
    for i in range(len(BAD_NAMES)):
        pos = types.Position(line=i * 4 + 2, character=13)
        await client.text_document_hover_async(types.HoverParams(text_document=doc_id(uri), position=pos))
        await client.text_document_completion_async(types.CompletionParams(text_document=doc_id(uri), position=pos))
    lenses = await client.text_document_code_lens_async(types.CodeLensParams(text_document=doc_id(uri)))
    for lens in lenses or []:
        if lens.command is not None and lens.command.command.startswith("namel3ss.ollama."):
            try:
                await asyncio.wait_for(client.command(lens.command.command, *(lens.command.arguments or [])), timeout=10)
            except JsonRpcException:
                pass
    whole = types.Range(start=types.Position(line=0, character=0), end=types.Position(line=len(BAD_NAMES) * 4, character=0))
    latest = client.latest(uri)
    actions = await client.text_document_code_action_async(
        types.CodeActionParams(text_document=doc_id(uri), range=whole,
                               context=types.CodeActionContext(diagnostics=list(latest.diagnostics if latest else [])))
    )
    titles = [getattr(a, "title", "") for a in actions or []]
    assert not any(t.startswith(("Pull model", "Remove model")) for t in titles), titles
    for name in BAD_NAMES:
        for command, args in (
            ("namel3ss.ollama.pullModel", {"model": name}),
            ("namel3ss.ollama.removeModel", {"model": name, "confirmed": True}),
            ("namel3ss.ollama.tryModel", {"model": name}),
        ):
            error = await command_error(client, command, args, timeout=10)
            assert error.code == -32602, (command, name, error.code, error.message)
            message = str(error.message)
            assert "is not defined" not in message and ("Cannot" in message or name in message), message
    await asyncio.sleep(0.5)
    stats = standin.stats()
    for route in ("/api/pull", "/api/delete", "/api/chat", "/api/generate", "/api/show"):
        assert stats[route] == 0, (route, stats)
    paths = [k for k in stats if k.startswith("/")]
    # the health check's GET requests only: they carry no model name
    assert all(k in ("/", "/api/tags", "/api/version", "/api/ps") for k in paths), paths
    bodies = repr(stats.get("last_bodies"))
    for name in BAD_NAMES:
        assert name not in bodies, (name, bodies)


# --- starting `ollama` -------------------------------------------------------------------------------

FAKE_OLLAMA = """#!/bin/sh
# fake ollama: records how it was run, then exits (it never serves)
printf '%s\\n' "$#" "$@" >> "$FAKE_OLLAMA_MARKER"
exit 0
"""


def _fake_ollama(tmp_path: Path) -> tuple[Path, Path, Path]:
    # A PATH entry full of shell metacharacters: with a shell, `$(touch ...)` would run.
    pwned = tmp_path / "pwned"
    weird = tmp_path / "bin dir;$(touch $FAKE_OLLAMA_PWNED)&|`touch $FAKE_OLLAMA_PWNED`'\"*"
    weird.mkdir()
    exe = weird / "ollama"
    exe.write_text(FAKE_OLLAMA)
    exe.chmod(exe.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return weird, tmp_path / "marker", pwned


def _env(weird: Path, marker: Path) -> dict[str, str]:
    return {"PATH": f"{weird}{os.pathsep}{os.environ.get('PATH', '')}", "FAKE_OLLAMA_MARKER": str(marker),
            "FAKE_OLLAMA_PWNED": str(marker.parent / "pwned")}


@pytest.mark.parametrize("allow", [False, True], ids=["allowServerStart-false", "allowServerStart-true(control)"])
async def test_auto_start_server_needs_the_user_setting(lsp, tmp_path, allow):
    weird, marker, pwned = _fake_ollama(tmp_path)
    dead = free_port()
    settings = {"ollama": {"baseUrl": f"http://127.0.0.1:{dead}", "requestTimeout": 1, "healthCheckInterval": 0.2,
                           "allowServerStart": allow}}
    client = await lsp(NEOVIM, init=settings, env=_env(weird, marker))
    uri = "file:///security/autostart.ai"
    client.open(uri, model_block("llama3:8b", config={"auto_start_server": True}))
    await client.wait_codes(uri, lambda c: "ollama-unreachable" in c, timeout=15)
    if allow:
        await wait_until(marker.exists, 15, what="the fake ollama to run (control)")
        lines = marker.read_text().splitlines()
        assert lines[:2] == ["1", "serve"], lines  # exactly one argument, `serve`
    else:
        await asyncio.sleep(1.5)  # several health checks and republishes
        assert not marker.exists(), f"ollama was started although allowServerStart is false: {marker.read_text()}"
    assert not pwned.exists(), "a shell interpreted the PATH entry"
    await assert_alive(client)


async def test_start_server_command_runs_ollama_without_a_shell(lsp, tmp_path):
    weird, marker, pwned = _fake_ollama(tmp_path)
    port = free_port()
    client = await lsp(NEOVIM, init={"ollama": {"baseUrl": f"http://127.0.0.1:{port}", "requestTimeout": 1,
                                                "healthCheckInterval": 5}}, env=_env(weird, marker))
    # the fake exits at once without serving: a clear error, and it ran exactly as `ollama serve`
    error = await command_error(client, "namel3ss.ollama.startServer", {}, timeout=40)
    assert str(error.message).strip()
    lines = marker.read_text().splitlines()
    assert lines[:2] == ["1", "serve"], lines
    assert not pwned.exists(), "a shell interpreted the PATH entry"
    # the command does not start anything for a host that is not allowed
    marker.unlink()
    refused = await command_error(client, "namel3ss.ollama.startServer", {"baseUrl": "http://127.0.0.2:9"}, timeout=10)
    _assert_refused(refused, "startServer 127.0.0.2")
    assert not marker.exists()


# --- removal needs confirmation -----------------------------------------------------------------------

@pytest.mark.parametrize(
    "answer,arguments,removed",
    [
        ("Cancel", {"model": "mistral:latest"}, False),
        (None, {"model": "mistral:latest"}, False),  # the dialog was dismissed
        ("Cancel", {"model": "mistral:latest", "confirmed": False}, False),
        ("remove", {"model": "mistral:latest"}, False),  # not the exact answer
        ("Remove", {"model": "mistral:latest"}, True),  # control: the confirmed path does remove
    ],
    ids=["cancel", "no-answer", "confirmed-false", "wrong-case", "remove(control)"],
)
async def test_removal_needs_confirmation(lsp, standins, answer, arguments, removed):
    standin = standins(models=["llama3:8b", "mistral:latest"])
    client = await lsp(VSCODE, init={"ollama": {"baseUrl": standin.url, "requestTimeout": 1, "healthCheckInterval": 5}})
    client.message_answer = answer
    result = await asyncio.wait_for(client.command("namel3ss.ollama.removeModel", arguments), timeout=20)
    result = result if isinstance(result, dict) else vars(result)
    assert client.message_requests, "the user was not asked"
    assert "mistral:latest" in client.message_requests[-1].message
    assert result["removed"] is removed, result
    assert standin.stats()["/api/delete"] == (1 if removed else 0)
