"""Protocol abuse, over raw JSON-RPC (a typed client would refuse to send most of this): positions
past the end, unknown URIs, didChange before didOpen, wrong parameter types, unknown commands and
methods, command arguments of the wrong shape, broken framing. Every request gets an answer (a
result or an LSP error, within a bound); every notification is a no-op at worst; after each, the
same server process still answers a normal request."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
import pytest_asyncio

from .helpers import free_port
from .rawrpc import RawServer

pytestmark = pytest.mark.asyncio(loop_scope="module")

URI = "file:///abuse/app.ai"
TEXT = "ai model chat {\n    provider: ollama\n    model: llama3:8b   # 🦙\n}\n"
REPLY_BOUND = 5.0
COMMANDS = [
    "namel3ss.ollama.pullModel",
    "namel3ss.ollama.removeModel",
    "namel3ss.ollama.listModels",
    "namel3ss.ollama.status",
    "namel3ss.ollama.refresh",
    "namel3ss.ollama.startServer",
    "namel3ss.ollama.tryModel",
]
INVALID_PARAMS = -32602


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def server():
    # The default Ollama is a dead port: nothing here may depend on (or reach) a real server.
    dead = f"http://127.0.0.1:{free_port()}"
    raw = RawServer()
    await raw.start()
    try:
        await raw.initialize({"ollama": {"baseUrl": dead, "requestTimeout": 1, "healthCheckInterval": 5}})
        raw.open(URI, TEXT)
        yield raw
    finally:
        await raw.stop()


def _pos(line: int, character: int) -> dict:
    return {"line": line, "character": character}


def _td(uri: str = URI) -> dict:
    return {"textDocument": {"uri": uri}}


REQUESTS: dict[str, tuple[str, Any]] = {
    "completion-past-end": ("textDocument/completion", {**_td(), "position": _pos(10_000, 10_000)}),
    "completion-past-line-end": ("textDocument/completion", {**_td(), "position": _pos(2, 500)}),
    "completion-huge-numbers": ("textDocument/completion", {**_td(), "position": _pos(2**31 - 1, 2**31 - 1)}),
    "completion-negative": ("textDocument/completion", {**_td(), "position": _pos(-1, -5)}),
    "completion-inside-surrogate-pair": ("textDocument/completion", {**_td(), "position": _pos(2, 27)}),
    "hover-past-end": ("textDocument/hover", {**_td(), "position": _pos(99, 0)}),
    "hover-unknown-uri": ("textDocument/hover", {**_td("file:///nope.ai"), "position": _pos(0, 0)}),
    "completion-unknown-uri": ("textDocument/completion", {**_td("untitled:never-opened"), "position": _pos(0, 0)}),
    "symbols-unknown-uri": ("textDocument/documentSymbol", _td("file:///nope.ai")),
    "folding-unknown-uri": ("textDocument/foldingRange", _td("file:///nope.ai")),
    "codelens-unknown-uri": ("textDocument/codeLens", _td("file:///nope.ai")),
    "codeaction-past-end": (
        "textDocument/codeAction",
        {**_td(), "range": {"start": _pos(50, 0), "end": _pos(60, 9)}, "context": {"diagnostics": []}},
    ),
    "codeaction-reversed-range": (
        "textDocument/codeAction",
        {**_td(), "range": {"start": _pos(3, 0), "end": _pos(0, 0)}, "context": {"diagnostics": []}},
    ),
    "codeaction-bogus-diagnostic": (
        "textDocument/codeAction",
        {**_td(), "range": {"start": _pos(2, 11), "end": _pos(2, 20)},
         "context": {"diagnostics": [{"range": {"start": _pos(2, 11), "end": _pos(2, 20)}, "message": "x",
                                      "code": "ollama-model-missing", "data": {"model": "../../etc/passwd", "baseUrl": 7}}]}},
    ),
    "completion-uri-is-number": ("textDocument/completion", {"textDocument": {"uri": 5}, "position": _pos(0, 0)}),
    "completion-textdocument-is-string": ("textDocument/completion", {"textDocument": "file:///x.ai", "position": _pos(0, 0)}),
    "completion-position-is-string": ("textDocument/completion", {**_td(), "position": "2:11"}),
    "completion-line-is-float": ("textDocument/completion", {**_td(), "position": {"line": 1.5, "character": 0}}),
    "completion-missing-position": ("textDocument/completion", _td()),
    "completion-params-is-list": ("textDocument/completion", [URI, 0, 0]),
    "completion-params-null": ("textDocument/completion", None),
    "hover-params-is-string": ("textDocument/hover", "hello"),
    "symbols-missing-textdocument": ("textDocument/documentSymbol", {}),
    "unknown-method": ("namel3ss/doesNotExist", {}),
    "unknown-lsp-method": ("textDocument/notARealRequest", {**_td()}),
    "execute-unknown-command": ("workspace/executeCommand", {"command": "namel3ss.nope", "arguments": []}),
    "execute-command-not-a-string": ("workspace/executeCommand", {"command": 42, "arguments": []}),
    "execute-arguments-not-a-list": ("workspace/executeCommand", {"command": "namel3ss.ollama.listModels", "arguments": {"baseUrl": 1}}),
    "debug-text-wrong-params": ("namel3ss/debug/documentText", ["x"]),
    "debug-text-uri-number": ("namel3ss/debug/documentText", {"uri": 3}),
}


@pytest.mark.parametrize("case", list(REQUESTS))
async def test_request_abuse_gets_an_answer(server: RawServer, case: str):
    method, params = REQUESTS[case]
    reply = await server.request(method, params, timeout=REPLY_BOUND, omit_params=params is None and "null" not in case)
    assert ("result" in reply) != ("error" in reply), reply
    if "error" in reply:
        assert isinstance(reply["error"].get("code"), int) and reply["error"].get("message"), reply
        assert "Traceback" not in reply["error"]["message"]
    print(f"[{case}] -> {json.dumps(reply)[:200]}")
    await server.still_answers()


# Command arguments of the wrong shape: each must be refused with InvalidParams *before* any work.
BAD_ARGUMENTS: list[tuple[str, list]] = []
for _command in COMMANDS:
    BAD_ARGUMENTS += [
        (_command, ["llama3:8b"]),  # a string instead of the object
        (_command, [5]),
        (_command, [["llama3:8b"]]),
        (_command, [{"model": "llama3:8b"}, {"model": "x"}]),  # two arguments
    ]
for _command in ("namel3ss.ollama.pullModel", "namel3ss.ollama.removeModel", "namel3ss.ollama.tryModel"):
    BAD_ARGUMENTS += [
        (_command, [{}]),  # model missing
        (_command, [{"model": 5}]),
        (_command, [{"model": ["llama3:8b"]}]),
        (_command, [{"model": {"name": "llama3:8b"}}]),
        (_command, [{"model": True}]),
        (_command, [{"model": ""}]),
        (_command, [{"model": "llama3:8b", "baseUrl": 11434}]),
    ]
BAD_ARGUMENTS += [
    ("namel3ss.ollama.removeModel", [{"model": "llama3:8b", "confirmed": "yes"}]),
    ("namel3ss.ollama.tryModel", [{"model": "llama3:8b", "prompt": 5}]),
    ("namel3ss.ollama.listModels", [{"baseUrl": ["http://localhost:11434"]}]),
    ("namel3ss.ollama.status", [{"baseUrl": 1}]),
    ("namel3ss.ollama.startServer", [{"baseUrl": {"host": "localhost"}}]),
]


@pytest.mark.parametrize("command,arguments", BAD_ARGUMENTS, ids=[f"{c.rsplit('.', 1)[-1]}-{json.dumps(a)[:40]}" for c, a in BAD_ARGUMENTS])
async def test_command_arguments_of_the_wrong_shape(server: RawServer, command: str, arguments: list):
    reply = await server.request("workspace/executeCommand", {"command": command, "arguments": arguments}, timeout=REPLY_BOUND)
    assert "error" in reply, f"{command} {arguments!r} was accepted: {reply}"
    error = reply["error"]
    assert error["code"] == INVALID_PARAMS, error
    assert command in error["message"] or "model" in error["message"] or "argument" in error["message"], error
    assert "Traceback" not in error["message"]
    await server.still_answers()


NOTIFICATIONS: dict[str, list[tuple[str, Any]]] = {
    "didChange-before-didOpen": [
        ("textDocument/didChange", {"textDocument": {"uri": "file:///later.ai", "version": 2},
                                    "contentChanges": [{"range": {"start": _pos(0, 0), "end": _pos(0, 0)}, "text": "x"}]}),
    ],
    "didChange-wrong-types": [
        ("textDocument/didChange", {"textDocument": {"uri": URI, "version": "two"}, "contentChanges": "all of it"}),
        ("textDocument/didChange", {"textDocument": {"uri": URI, "version": 3}, "contentChanges": [{"text": 5}]}),
        ("textDocument/didChange", {"textDocument": {"uri": URI, "version": 3}, "contentChanges": [{"range": "0:0", "text": "x"}]}),
        ("textDocument/didChange", {"textDocument": URI, "contentChanges": []}),
        ("textDocument/didChange", None),
    ],
    "didOpen-wrong-types": [
        ("textDocument/didOpen", {"textDocument": {"uri": "file:///bad-open.ai", "languageId": "namel3ss", "version": 1, "text": 5}}),
        ("textDocument/didOpen", {"textDocument": {"uri": None, "languageId": "namel3ss", "version": 1, "text": ""}}),
        ("textDocument/didOpen", {"textDocument": "file:///bad-open.ai"}),
        ("textDocument/didOpen", []),
    ],
    "didClose-unknown": [
        ("textDocument/didClose", {"textDocument": {"uri": "file:///never-opened.ai"}}),
        ("textDocument/didClose", {"textDocument": {}}),
    ],
    "didSave-unknown": [("textDocument/didSave", {"textDocument": {"uri": "file:///never-opened.ai"}})],
    "unknown-notifications": [
        ("$/setTrace", {"value": "verbose"}),
        ("$/somethingNew", {"a": 1}),
        ("namel3ss/whatever", [1, 2, 3]),
        ("$/cancelRequest", {"id": 987654}),
        ("$/cancelRequest", {"id": {"not": "an id"}}),
        ("$/progress", {"token": "nobody", "value": {"kind": "end"}}),
    ],
    "bad-configuration": [
        ("workspace/didChangeConfiguration", {"settings": "namel3ss"}),
        ("workspace/didChangeConfiguration", {"settings": {"namel3ss": {"ollama": {"allowedHosts": "*", "requestTimeout": -1,
                                                                                   "healthCheckInterval": 0,
                                                                                   "baseUrl": ["x"]}}}}),
        ("workspace/didChangeConfiguration", {"settings": {"namel3ss": {"ollama": [1, 2], "diagnostics": "loud"}}}),
        ("workspace/didChangeConfiguration", {"settings": {"namel3ss": {"ollama.allowedHosts": [None, 5, "*"]}}}),
        ("workspace/didChangeConfiguration", []),
    ],
}


@pytest.mark.parametrize("case", list(NOTIFICATIONS))
async def test_notification_abuse_is_a_no_op(server: RawServer, case: str):
    before = await server.document_text(URI)
    for method, params in NOTIFICATIONS[case]:
        if params is None:
            server.send({"jsonrpc": "2.0", "method": method})
        else:
            server.notify(method, params)
    await server.still_answers()
    after = await server.document_text(URI)
    if case.startswith("didChange-wrong"):
        assert after is not None and isinstance(after["text"], str)
    else:
        assert after == before, (case, before, after)
    if case == "bad-configuration":
        # the wrong-typed allowedHosts "*" must not have opened the allowlist
        other = "file:///abuse/elsewhere.ai"
        server.open(other, "ai model m {\n    provider: ollama\n    model: llama3:8b\n    config: {\n"
                           "        base_url: \"http://127.0.0.9:9\"\n    }\n}\n")
        for _ in range(100):
            codes = [d.get("code") for p in server.published(other) for d in p["diagnostics"]]
            if "ollama-host-not-allowed" in codes:
                break
            await asyncio.sleep(0.05)
        assert "ollama-host-not-allowed" in codes, server.published(other)


async def test_did_change_before_did_open_then_open(server: RawServer):
    uri = "file:///abuse/early.ai"
    server.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": 1},
                                             "contentChanges": [{"text": "garbage that was never opened"}]})
    assert await server.document_text(uri) is None  # ignored: not open
    server.open(uri, TEXT, version=2)
    got = await server.document_text(uri)
    assert got == {"text": TEXT, "version": 2}


async def test_range_past_the_end_is_clamped_not_fatal(server: RawServer):
    uri = "file:///abuse/clamp.ai"
    server.open(uri, "ab\ncd\n")
    server.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": 2}, "contentChanges": [
        {"range": {"start": _pos(1, 99), "end": _pos(1, 120)}, "text": "X"},   # past the line end: at the end of line 1
        {"range": {"start": _pos(40, 0), "end": _pos(50, 0)}, "text": "Y"},    # past the document: at the end
    ]})
    got = await server.document_text(uri)
    assert got is not None and got["version"] == 2
    assert got["text"] == "ab\ncdX\nY", got
    await server.still_answers()


def _frame(body: bytes, extra_headers: bytes = b"") -> bytes:
    return extra_headers + b"Content-Length: %d\r\n\r\n" % len(body) + body


WIRE: dict[str, bytes] = {
    "body-not-json": _frame(b"{{{{{{{{{"),
    "body-json-array": _frame(b"[]"),
    "body-json-string": _frame(b'"hello"'),
    "no-method-no-id": _frame(b'{"jsonrpc":"2.0"}'),
    "invalid-utf8-body": _frame(b'{"jsonrpc":"2.0","method":"$/x","params":"\xff\xfe"}'),
    "unknown-header": _frame(b'{"jsonrpc":"2.0","method":"$/x"}', b"X-Whatever: 1\r\n"),
    "request-without-jsonrpc": _frame(b'{"id":"w1","method":"textDocument/hover","params":{}}'),
}


@pytest.mark.parametrize("case", list(WIRE))
async def test_broken_messages_do_not_kill_the_server(server: RawServer, case: str):
    server.write_bytes(WIRE[case])
    await asyncio.sleep(0.1)
    await server.still_answers()


async def test_request_with_odd_ids(server: RawServer):
    for msg_id in ("a string id", 0, -1, 2**53):
        reply = await server.send_and_wait(
            {"jsonrpc": "2.0", "id": msg_id, "method": "textDocument/documentSymbol", "params": _td()}, msg_id,
            timeout=REPLY_BOUND,
        )
        assert "result" in reply, reply
    await server.still_answers()


async def test_shutdown_while_the_server_still_waits_on_the_client():
    """`shutdown` right after `initialized`, while the server's own requests (configuration,
    progress) are unanswered: pygls cancels the pending futures while it iterates over them, and a
    future taken out at that moment failed the shutdown with -32603."""
    for _ in range(3):
        async with RawServer() as raw:
            await raw.initialize(capabilities={"workspace": {"configuration": True}, "window": {"workDoneProgress": True}})
            reply = await raw.request("shutdown", None)
            assert "error" not in reply and reply.get("result", "missing") is None, reply
            assert b"Traceback" not in raw.stderr
