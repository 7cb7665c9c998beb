"""Fault injection, end to end: one real server process (stdio) lives through every fault of a
stand-in Ollama run as a separate process, in turn. For each fault, while it happens:

* completion answers at once (the contract says 50 ms; asserted with a 1 s bound, real time printed),
* diagnostics keep flowing (a didChange gets its publishDiagnostics),
* the `namel3ss/ollamaStatus` notification says what is wrong, with a suggestion,
* commands fail with a clear LSP error (message + suggestion, no traceback),

and after the fault ends everything recovers without a restart (the same server process id from
the first fault to the last is checked in every test).
"""

from __future__ import annotations

import asyncio
import os
import signal
import time
from dataclasses import dataclass, field
from typing import Any, Callable

import pytest
import pytest_asyncio
from lsprotocol import types
from pygls.exceptions import JsonRpcException

from tests.lsp.harness import VSCODE, RecordingClient, start_client, stop_client
from tests.standin.process import StandInProcess

from .helpers import (
    COMPLETION_BOUND,
    assert_alive,
    assert_clear_error,
    command_error,
    find_position,
    free_port,
    model_block,
    timed_completion,
    wait_until,
)

pytestmark = pytest.mark.asyncio(loop_scope="module")

LIST = "namel3ss.ollama.listModels"
STATUS = "namel3ss.ollama.status"
PULL = "namel3ss.ollama.pullModel"
INSTALLED = ["llama3:8b", "mistral:latest"]
PULLABLE = ["phi3:mini"]
URI = "file:///reliability/faults/app.ai"
TEXT = model_block("llama3:8b") + model_block("nothere:1b", "probe")
REQUEST_TIMEOUT = 1.0


@dataclass
class Env:
    client: RecordingClient
    standin: StandInProcess
    port: int
    pid: int
    version: int = 1
    text: str = TEXT
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def restart_standin(self) -> None:
        self.standin = StandInProcess(models=INSTALLED, pullable=PULLABLE, port=self.port)
        self.standin.start()

    async def edit(self) -> types.PublishDiagnosticsParams:
        """Append a comment line; wait for the diagnostics of the new version."""
        self.version += 1
        line = self.text.count("\n")
        comment = f"# edit {self.version}\n"
        self.client.change(
            URI,
            self.version,
            [
                types.TextDocumentContentChangePartial(
                    range=types.Range(start=types.Position(line=line, character=0), end=types.Position(line=line, character=0)),
                    text=comment,
                )
            ],
        )
        self.text += comment
        started = time.perf_counter()
        version = self.version
        published = await self.client.wait_diagnostics(URI, lambda p: p.version == version, timeout=10)
        self.timings["diagnostics"] = time.perf_counter() - started
        return published


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def env():
    port = free_port()
    standin = StandInProcess(models=INSTALLED, pullable=PULLABLE, port=port)
    standin.start()
    init = {
        "ollama": {
            "baseUrl": standin.url,
            "requestTimeout": REQUEST_TIMEOUT,
            "healthCheckInterval": 0.3,
            "modelCacheTtl": 0,  # every command really asks the server
        }
    }
    client = await start_client(VSCODE, init=init)
    state = Env(client=client, standin=standin, port=port, pid=client._server.pid)
    try:
        client.open(URI, TEXT, version=1)
        await client.wait_codes(URI, lambda c: "ollama-model-missing" in c, timeout=20)
        yield state
    finally:
        try:
            await stop_client(client)
        except Exception:
            await client.stop()
        state.standin.stop()


# --- the faults ----------------------------------------------------------------------------------

def _knobs(**knobs: Any) -> Callable[[Env], None]:
    def inject(env: Env) -> None:
        env.standin.configure(**knobs)

    return inject


def _stop(env: Env) -> None:
    env.standin.stop()


def _reset(env: Env) -> None:
    env.standin.reset()


def _restart(env: Env) -> None:
    env.restart_standin()


@dataclass
class Fault:
    inject: Callable[[Env], None]
    clear: Callable[[Env], None] = _reset
    tags_broken: bool = True  # the model list cannot be read while it lasts
    pull_outcome: str | None = None  # "error" / "success": a pull is tried while the fault lasts


FAULTS: dict[str, Fault] = {
    "latency-below-timeout": Fault(_knobs(latency=REQUEST_TIMEOUT * 0.6), tags_broken=False),
    "latency": Fault(_knobs(latency=REQUEST_TIMEOUT * 3)),
    "http-500": Fault(_knobs(status={"*": 500})),
    "tags-404": Fault(_knobs(status={"/api/tags": 404})),
    "malformed-json": Fault(_knobs(malformed=["/api/tags", "/api/version"])),
    "non-json-error-bodies": Fault(_knobs(status={"*": 502}, non_json_errors=True)),
    "hang": Fault(_knobs(hang=True)),
    "blank-lines-in-pull": Fault(_knobs(blank_lines=True), tags_broken=False, pull_outcome="success"),
    "pull-stream-cut": Fault(_knobs(cut_stream_after=2, cut_stream_abrupt=True), tags_broken=False, pull_outcome="error"),
    "pull-stream-ends-early": Fault(_knobs(cut_stream_after=2), tags_broken=False, pull_outcome="error"),
    "pull-error-line": Fault(
        _knobs(pull_error="pull model manifest: file does not exist"), tags_broken=False, pull_outcome="error"
    ),
    "malformed-pull-stream": Fault(_knobs(malformed=["/api/pull"]), tags_broken=False, pull_outcome="error"),
    "pull-500-non-json-body": Fault(_knobs(status={"/api/pull": 500}, non_json_errors=True), tags_broken=False,
                                    pull_outcome="error"),
    "connection-refused": Fault(_stop, clear=_restart),
}


async def _completion_now(env: Env, label: str) -> list:
    pos = find_position(env.text, "model: llama3:8b", len("model: "))
    items, elapsed = await timed_completion(env.client, URI, pos)
    env.timings["completion"] = elapsed
    print(f"[{label}] completion answered in {elapsed * 1000:.1f} ms with {len(items)} items")
    assert elapsed < COMPLETION_BOUND, f"completion took {elapsed:.3f}s during {label}"
    assert items, f"completion offered nothing during {label}"
    return items


async def _healthy(env: Env) -> None:
    """Everything works: the list command, status, completion lists installed models."""
    deadline = time.monotonic() + 5
    while True:  # a model-list request already in flight (single-flight) may predate the reset
        models = await asyncio.wait_for(env.client.command(LIST), timeout=20)
        names = sorted(m["name"] if isinstance(m, dict) else m.name for m in models)
        if names == sorted(INSTALLED) or time.monotonic() > deadline:
            break
        await asyncio.sleep(0.2)
    assert names == sorted(INSTALLED), names
    status = await asyncio.wait_for(env.client.command(STATUS), timeout=20)
    status = status if isinstance(status, dict) else vars(status)
    assert status["reachable"] is True and not status.get("error"), status


async def _wait_status(env: Env, since: int, predicate: Callable[[dict], bool], what: str, timeout: float = 15) -> dict:
    def found() -> dict | None:
        return next((s for s in env.client.statuses[since:] if predicate(s)), None)

    await wait_until(lambda: found() is not None, timeout, what=what)
    return found()  # type: ignore[return-value]


@pytest.mark.parametrize("name", list(FAULTS))
async def test_fault_then_recovery(env: Env, name: str):
    fault = FAULTS[name]
    client = env.client
    assert client._server.pid == env.pid and client._server.returncode is None, "the server was restarted"
    await _healthy(env)
    since = len(client.statuses)

    fault.inject(env)
    try:
        # 1. the status notification says what is wrong, with a suggestion
        if fault.tags_broken:
            status = await _wait_status(
                env, since, lambda s: bool(s.get("error")) and s.get("baseUrl") == env.url, f"a failing status ({name})"
            )
            print(f"[{name}] status: reachable={status['reachable']} error={status['error']!r} suggestion={status['suggestion']!r}")
            assert status["suggestion"], f"status without a suggestion during {name}: {status}"
            assert "Traceback" not in str(status["error"])

        # 2. completion answers at once
        await _completion_now(env, name)

        # 3. diagnostics keep flowing
        published = await env.edit()
        print(f"[{name}] diagnostics for v{env.version} in {env.timings['diagnostics'] * 1000:.0f} ms: "
              f"{sorted({str(d.code) for d in published.diagnostics})}")

        # 4. commands fail with a clear LSP error (or succeed when the fault does not concern them)
        if fault.tags_broken:
            started = time.perf_counter()
            error = await command_error(client, LIST)
            print(f"[{name}] listModels -> {error.code} {str(error.message).splitlines()[0]!r} "
                  f"in {(time.perf_counter() - started) * 1000:.0f} ms")
            assert_clear_error(error)
            # the status command answers too (with the failure, not an exception)
            status = await asyncio.wait_for(client.command(STATUS), timeout=20)
            status = status if isinstance(status, dict) else vars(status)
            assert status.get("error") and status.get("suggestion"), status
        if fault.pull_outcome == "error":
            error = await command_error(client, PULL, {"model": "phi3:mini"})
            print(f"[{name}] pullModel -> {error.code} {str(error.message).splitlines()[0]!r}")
            assert_clear_error(error)
            if name == "pull-error-line":
                assert "file does not exist" in str(error.message)
        elif fault.pull_outcome == "success":
            result = await asyncio.wait_for(client.command(PULL, {"model": "phi3:mini"}), timeout=30)
            result = result if isinstance(result, dict) else vars(result)
            assert result["status"] == "success", result
        await assert_alive(client, f"during {name}")
    finally:
        fault.clear(env)

    # 5. recovery without a restart (the background health check notices it, no command needed)
    if fault.tags_broken:
        await _wait_status(
            env, since,
            lambda s: s.get("reachable") is True and not s.get("error") and s.get("modelsCount") == len(INSTALLED),
            f"recovery status ({name})",
        )
    await _healthy(env)
    published = await env.edit()
    codes = [str(d.code) for d in published.diagnostics]
    if "ollama-model-missing" not in codes:  # the republish after the refresh may come just after
        diags = await client.wait_codes(URI, lambda c: "ollama-model-missing" in c and "ollama-unreachable" not in c)
        codes = [str(d.code) for d in diags]
    assert "ollama-unreachable" not in codes, codes
    items = await _completion_now(env, f"{name}, recovered")
    installed = [i for i in items if i.label in INSTALLED and "not installed" not in (i.detail or "")]
    assert installed, f"after {name}, completion does not list the installed models: {[i.label for i in items]}"
    assert client._server.pid == env.pid and client._server.returncode is None


async def test_server_disappears_mid_pull_and_comes_back(env: Env):
    """SIGKILL of the Ollama server while a pull streams; then it comes back on the same port."""
    client = env.client
    assert client._server.pid == env.pid
    await _healthy(env)
    env.standin.configure(pull_lines_per_second=4)
    since = len(client.statuses)
    pull = asyncio.ensure_future(client.command(PULL, {"model": "phi3:mini"}))
    await asyncio.sleep(1.0)  # a few progress lines in
    assert not pull.done(), "the slow pull finished too early"
    proc = env.standin.proc
    assert proc is not None
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=5)
    env.standin.proc = None
    try:
        with pytest.raises(JsonRpcException) as info:
            await asyncio.wait_for(pull, timeout=20)
        print(f"[disappear] pullModel -> {info.value.code} {str(info.value.message).splitlines()[0]!r}")
        assert_clear_error(info.value)
        status = await _wait_status(env, since, lambda s: s.get("reachable") is False, "an unreachable status")
        print(f"[disappear] status: error={status['error']!r} suggestion={status['suggestion']!r}")
        assert status["error"] and status["suggestion"]
        await _completion_now(env, "disappeared")
        await env.edit()
        assert_clear_error(await command_error(client, LIST))
    finally:
        env.restart_standin()
    await _wait_status(env, since, lambda s: s.get("reachable") is True and s.get("modelsCount") == len(INSTALLED),
                       "the server is back")
    await _healthy(env)
    await _completion_now(env, "came back")
    assert client._server.pid == env.pid and client._server.returncode is None
