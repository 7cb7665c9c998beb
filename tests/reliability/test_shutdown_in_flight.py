"""`shutdown` and `exit` while work is in flight, against the real server process: a pull, a
streamed try-model, a model list or a status check that Ollama never answers, a model-details
fetch that `completionItem/resolve` started in the background.

Each time `shutdown` gets its result, the request still running gets an answer (its result or
"cancelled"), the process exits with 0, and stderr shows no traceback. Before, `shutdown` failed
with "dictionary changed size during iteration" while a command ran, and the Ollama calls cut off
by closing their HTTP clients were logged at exit as unhandled exceptions.
"""

from __future__ import annotations

import asyncio

import pytest

from tests.standin.process import StandInProcess

from .rawrpc import RawServer

URI = "file:///reliability/shutdown/app.ai"
TEXT = "ai model chat {\n    provider: ollama\n    model: llama3:8b\n}\n"
INSTALLED = ["llama3:8b", "mistral:latest"]
REQUEST_CANCELLED = -32800
BOUND = 20.0  # generous: only a guard against waiting for ever

CASES = {
    "pull": ({"pullable": ["phi3:mini"], "pull_lines_per_second": 2},
             "namel3ss.ollama.pullModel", {"model": "phi3:mini"}),
    "try-model": ({"chat_chunk_delay": 1.0}, "namel3ss.ollama.tryModel", {"model": "llama3:8b", "prompt": "hi"}),
    "model list never answered": ({"hang": ["/api/tags"]}, "namel3ss.ollama.listModels", {}),
    "status never answered": ({"hang": True}, "namel3ss.ollama.status", {}),
}


async def _session(knobs: dict, start_work, *, pending: bool = True, settle: float = 1.0) -> tuple[RawServer, dict, asyncio.Future, int]:
    with StandInProcess(models=INSTALLED, **knobs) as standin:
        server = RawServer()
        await server.start()
        try:
            await server.initialize({"ollama": {"baseUrl": standin.url}}, capabilities={"window": {"workDoneProgress": True}})
            server.open(URI, TEXT)
            await server.request("textDocument/documentSymbol", {"textDocument": {"uri": URI}})
            work = await start_work(server)
            await asyncio.sleep(settle)  # the work is under way: Ollama is slow or silent
            if pending:
                assert not work.done(), work.result()
            shutdown = await server.request("shutdown", None, timeout=BOUND)
            server.notify("exit", None)
            code = await asyncio.wait_for(server.proc.wait(), BOUND)
            await asyncio.sleep(0.2)  # the last of stderr
            return server, shutdown, work, code
        finally:
            await server.stop()


def _assert_no_traceback(stderr: str) -> None:
    for sign in ("Traceback", "never retrieved", "unhandled exception", "Exception in callback"):
        assert sign not in stderr, stderr[-3000:]


def _assert_clean(server: RawServer, shutdown: dict, work: asyncio.Future, code: int) -> None:
    stderr = server.stderr.decode(errors="replace")
    assert "result" in shutdown, shutdown
    assert code == 0, stderr[-3000:]
    _assert_no_traceback(stderr)
    assert work.done()
    reply = work.result()
    assert "result" in reply or reply["error"]["code"] == REQUEST_CANCELLED, reply


@pytest.mark.parametrize("case", list(CASES))
async def test_shutdown_while_a_command_runs(case):
    knobs, command, arguments = CASES[case]

    async def start_work(server: RawServer) -> asyncio.Future:
        return asyncio.ensure_future(server.request("workspace/executeCommand",
                                                    {"command": command, "arguments": [arguments]}, timeout=BOUND))

    _assert_clean(*await _session(knobs, start_work))


async def test_shutdown_while_model_details_are_fetched():
    async def start_work(server: RawServer) -> asyncio.Future:
        line = {"line": 2, "character": len("    model: ")}
        listed = await server.request("textDocument/completion", {"textDocument": {"uri": URI}, "position": line})
        result = listed["result"]
        items = result["items"] if isinstance(result, dict) else result
        data = (result.get("itemDefaults") or {}).get("data") if isinstance(result, dict) else None
        item = dict(items[0])
        if data is not None and "data" not in item:
            item["data"] = data
        return asyncio.ensure_future(server.request("completionItem/resolve", item, timeout=BOUND))

    # resolve answers from what is known at once and fetches the details in the background
    server, shutdown, work, code = await _session({"latency": {"/api/show": 5.0}}, start_work, pending=False, settle=0.3)
    stderr = server.stderr.decode(errors="replace")
    assert "result" in shutdown and code == 0, stderr[-3000:]
    _assert_no_traceback(stderr)
