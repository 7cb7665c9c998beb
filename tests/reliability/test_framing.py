"""Framing and JSON-RPC abuse (issue 17, items 1 and 2), as raw byte streams against the real
server process: lower-case or spaceless headers, LF-only header ends, wrong, negative, absurd and
missing Content-Lengths, bodies without headers, garbage, oversized messages, requests without
`"jsonrpc": "2.0"`, batches, bodies that are not JSON.

After each bad frame the same process answers a good request; the JSON-RPC cases get their error
code (-32700 / -32600, with the request's id when it has one); each malformed message is logged
once (counted as window/logMessage warnings, which arrive in order with the replies) and stderr
never shows a traceback. The reader itself (`FrameParser`) is also fed the same streams in pieces
of every size, and its memory is checked to stay bounded.
"""

from __future__ import annotations

import asyncio
import json
import sys
from dataclasses import dataclass, field
from typing import Any

import pytest
import pytest_asyncio

from namel3ss_lsp.lsp.framing import CHUNK, MAX_HEADER_LINE, FrameParser, Message, Unparseable
from tests.lsp.harness import server_env

from .helpers import free_port
from .rawrpc import RawServer

module_loop = pytest.mark.asyncio(loop_scope="module")

GOOD = "namel3ss/debug/documentText"  # answered with a result (null for an unknown document)
ANSWER_BOUND = 20.0  # generous: only a guard against waiting for ever (a busy, shared 2-core box)
PARSE_ERROR, INVALID_REQUEST, METHOD_NOT_FOUND, INVALID_PARAMS, INTERNAL_ERROR = -32700, -32600, -32601, -32602, -32603
SERVER_NOT_INITIALIZED = -32002
WARNING, ERROR = 2, 1  # window/logMessage types


def body(message: Any) -> bytes:
    return json.dumps(message, separators=(",", ":")).encode()


def req(msg_id: Any, method: str = GOOD, params: Any = None, **extra: Any) -> dict:
    message = {"jsonrpc": "2.0", "id": msg_id, "method": method,
               "params": {"uri": "file:///framing.ai"} if params is None else params}
    message.update(extra)
    return message


def frame(payload: Any, header: bytes = b"Content-Length: %d\r\n\r\n", delta: int = 0) -> bytes:
    data = payload if isinstance(payload, bytes) else body(payload)
    return header % (len(data) + delta) + data


@dataclass
class Case:
    data: bytes
    answered: list = field(default_factory=list)  # ids of requests in `data` that get a result
    errors: list = field(default_factory=list)  # (code, id) of the error replies `data` gets
    logs: int | None = 1  # our warnings/errors (window/logMessage); None: not checked


FRAMING: dict[str, Case] = {
    # tolerated: answered, nothing logged
    "lower-case-header": Case(frame(req("lc"), b"content-length: %d\r\n\r\n"), ["lc"], logs=0),
    "upper-case-header": Case(frame(req("uc"), b"CONTENT-LENGTH: %d\r\n\r\n"), ["uc"], logs=0),
    "no-space-after-colon": Case(frame(req("ns"), b"Content-Length:%d\r\n\r\n"), ["ns"], logs=0),
    "spaces-and-tabs": Case(frame(req("st"), b"Content-Length \t:  \t%d \t\r\n\r\n"), ["st"], logs=0),
    "lf-only-header-end": Case(frame(req("lf"), b"Content-Length: %d\n\n"), ["lf"], logs=0),
    "mixed-line-ends": Case(frame(req("mx"), b"Content-Length: %d\n\r\n"), ["mx"], logs=0),
    "content-type-first": Case(frame(req("ct"), b"Content-Type: application/vscode-jsonrpc; charset=utf-8\r\n"
                                                 b"Content-Length: %d\r\n\r\n"), ["ct"], logs=0),
    "content-type-after": Case(frame(req("ca"), b"Content-Length: %d\r\ncontent-type: application/json\r\n\r\n"),
                               ["ca"], logs=0),
    "unknown-header": Case(frame(req("uh"), b"X-Whatever: 1\r\nContent-Length: %d\r\n\r\n"), ["uh"], logs=0),
    "blank-lines-between-messages": Case(b"\r\n\r\n\n" + frame(req("bl")), ["bl"], logs=0),
    # wrong lengths
    "content-length-5-short": Case(frame(req("s5"), delta=-5), errors=[(PARSE_ERROR, None)], logs=2),
    "content-length-10-long": Case(frame(req("l10"), delta=10) + frame(req("l10b")), ["l10", "l10b"]),
    "content-length-1000-long": Case(frame(req("lk"), delta=1000) + frame(req("lkb")), ["lk", "lkb"]),
    # a body that is not JSON, and too long by a few bytes: they begin the next header, read again
    "broken-body-10-long": Case(frame(b'{"jsonrpc":"2.0","id":"bb","method":', delta=10) + frame(req("bb2")),
                                ["bb2"], errors=[(PARSE_ERROR, None)]),
    "broken-body-17-long": Case(frame(b'{"jsonrpc":"2.0","id":"bc","method":', delta=17) + frame(req("bc2")),
                                ["bc2"], errors=[(PARSE_ERROR, None)]),
    "content-length-0-with-body": Case(b"Content-Length: 0\r\n\r\n" + body(req("z")), errors=[(PARSE_ERROR, None)], logs=2),
    "content-length-negative": Case(b"Content-Length: -5\r\n\r\n" + body(req("neg"))),
    "content-length-abc": Case(b"Content-Length: abc\r\n\r\n" + body(req("abc"))),
    "content-length-empty": Case(b"Content-Length:\r\n\r\n" + body(req("emp"))),
    "content-length-1e12": Case(b"Content-Length: 1000000000000\r\n\r\n" + body(req("e12"))),
    "content-length-1e30": Case(b"Content-Length: 1" + b"0" * 30 + b"\r\n\r\n" + body(req("e30"))),
    "content-length-5000-digits": Case(b"Content-Length: " + b"9" * 5000 + b"\r\n\r\n" + body(req("e5k"))),
    # no header, garbage
    "body-without-header": Case(body(req("nh"))),
    "header-without-blank-line": Case(b"Content-Length: 60\r\n" + body(req("nb"))),
    "binary-garbage-1mb": Case(bytes(range(256)) * 4096),
    "garbage-lines": Case(b"hello\r\nGET / HTTP/1.1\r\n\x00\x01\x02\n" * 50),
    "header-line-20kb": Case(b"X-Long: " + b"a" * 20_000 + b"\r\n" + frame(req("hl")), ["hl"]),
}

JSONRPC: dict[str, Case] = {
    "request-without-jsonrpc": Case(frame({"id": "nj", "method": GOOD, "params": {}}), errors=[(INVALID_REQUEST, "nj")]),
    "request-jsonrpc-1.0": Case(frame(req("v1", jsonrpc="1.0")), errors=[(INVALID_REQUEST, "v1")]),
    "request-jsonrpc-number": Case(frame(req("v2", jsonrpc=2)), errors=[(INVALID_REQUEST, "v2")]),
    "batch": Case(frame([req("b1"), req("b2")]), errors=[(INVALID_REQUEST, None)]),
    "empty-batch": Case(frame(b"[]"), errors=[(INVALID_REQUEST, None)]),
    "not-json": Case(frame(b"{{{{{{{{{"), errors=[(PARSE_ERROR, None)]),
    "truncated-json": Case(frame(b'{"jsonrpc":"2.0","id":"tj","method":'), errors=[(PARSE_ERROR, None)]),
    "invalid-utf8": Case(frame(b'{"jsonrpc":"2.0","id":"u8","method":"\xff\xfe"}'), errors=[(PARSE_ERROR, None)]),
    "nested-too-deeply": Case(frame(b"[" * 100_000), errors=[(PARSE_ERROR, None)]),
    "json-string": Case(frame(b'"hello"'), errors=[(INVALID_REQUEST, None)]),
    "json-null": Case(frame(b"null"), errors=[(INVALID_REQUEST, None)]),
    "jsonrpc-only": Case(frame(b'{"jsonrpc":"2.0"}'), errors=[(INVALID_REQUEST, None)]),
    "method-not-a-string": Case(frame(req("m9", method=5)), errors=[(INVALID_REQUEST, "m9")]),
    "id-is-an-object": Case(frame(req({"a": 1})), errors=[(INVALID_REQUEST, None)]),
    "id-is-a-bool": Case(frame(req(True)), errors=[(INVALID_REQUEST, None)]),
    "notification-without-jsonrpc": Case(frame({"method": "textDocument/didClose", "params": {}})),
    "notification-jsonrpc-1.0": Case(frame({"jsonrpc": "1.0", "method": "$/anything"})),
    "notification-bad-params": Case(frame({"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": []})),
    "request-bad-params": Case(frame(req("bp", method="textDocument/hover", params="x")), errors=[(INVALID_PARAMS, "bp")]),
    "unknown-method-without-params": Case(frame({"jsonrpc": "2.0", "id": "um", "method": "namel3ss/nope"}),
                                          errors=[(METHOD_NOT_FOUND, "um")], logs=None),
    "cancel-request-id-is-an-object": Case(frame({"jsonrpc": "2.0", "method": "$/cancelRequest", "params": {"id": {"a": 1}}})),
    "response-without-jsonrpc": Case(frame({"id": "r1", "result": None})),
    # a client's error reply is never answered (two strict peers must not ping-pong errors)
    "client-error-reply": Case(frame({"jsonrpc": "2.0", "id": None, "error": {"code": -32700, "message": "x"}}), logs=None),
    "response-to-unknown-id": Case(frame({"jsonrpc": "2.0", "id": "r2", "result": None}), logs=None),
    "response-id-is-a-list": Case(frame({"jsonrpc": "2.0", "id": [1], "result": None})),
    "response-id-is-an-object": Case(frame({"jsonrpc": "2.0", "id": {"a": 1}, "error": {"code": 1, "message": "x"}})),
    # JSON has no NaN or Infinity (Python's decoder takes them; echoed back, no strict client could read the reply)
    "nan-literal": Case(frame(b'{"jsonrpc":"2.0","id":"nan","method":"completionItem/resolve","params":{"label":"x","data":[NaN]}}'),
                        errors=[(PARSE_ERROR, None)]),
    "infinity-literal": Case(frame(b'{"jsonrpc":"2.0","id":"inf","method":"' + GOOD.encode() + b'","params":{"uri":-Infinity}}'),
                             errors=[(PARSE_ERROR, None)]),
    # a notification method with an id is a request nobody would answer: refused, not run
    "notification-method-with-id": Case(frame(req("nid", method="textDocument/didClose",
                                                  params={"textDocument": {"uri": "file:///framing.ai"}})),
                                        errors=[(INVALID_REQUEST, "nid")]),
    # valid JSON whose echo (a resolve's data) is too deep to serialise: an error for its id, not silence
    "resolve-data-nested-350-deep": Case(frame(b'{"jsonrpc":"2.0","id":"deep","method":"completionItem/resolve","params":{"label":"x","data":'
                                               + b'{"a":' * 350 + b"1" + b"}" * 350 + b"}}"),
                                         errors=[(INTERNAL_ERROR, "deep")]),
}


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def server():
    raw = RawServer()
    await raw.start()
    try:
        # No `initialized`: no health checks, so the only log lines are the ones a case causes.
        reply = await raw.request("initialize", {"processId": None, "rootUri": None, "capabilities": {},
                                                 "initializationOptions": {"ollama": {"baseUrl": f"http://127.0.0.1:{free_port()}"}}},
                                  timeout=30)
        assert "result" in reply, reply
        yield raw
    finally:
        await raw.stop()


def _logged(messages: list[dict]) -> list[str]:
    return [m["params"]["message"] for m in messages
            if m.get("method") == "window/logMessage" and m["params"]["type"] in (WARNING, ERROR)]


async def run_case(server: RawServer, case: Case) -> None:
    start = len(server.received)
    server.write_bytes(case.data)
    good = await server.request(GOOD, {"uri": "file:///framing.ai"}, timeout=ANSWER_BOUND)
    assert "result" in good, good
    assert server.alive
    # Replies go out in the order the messages were read: everything `data` caused is here now.
    new = server.received[start:]
    replies = [m for m in new if "method" not in m and m.get("id") != good["id"]]
    errors = [(m["error"]["code"], m["id"]) for m in replies if "error" in m]
    assert all("id" in m for m in replies), replies  # an error for an unknown id says "id": null
    assert sorted(errors, key=repr) == sorted(case.errors, key=repr), new
    answered = [m["id"] for m in replies if "result" in m]
    assert answered == case.answered, new
    for message in replies:
        if "error" in message:
            assert message["jsonrpc"] == "2.0" and isinstance(message["error"]["message"], str)
            assert "Traceback" not in message["error"]["message"]
    if case.logs is not None:
        assert len(_logged(new)) == case.logs, _logged(new)
    assert b"Traceback" not in server.stderr, server.stderr[-3000:]


@module_loop
@pytest.mark.parametrize("case", list(FRAMING))
async def test_bad_framing_then_a_good_request(server: RawServer, case: str):
    await run_case(server, FRAMING[case])


@module_loop
@pytest.mark.parametrize("case", list(JSONRPC))
async def test_bad_jsonrpc_gets_its_error_then_a_good_request(server: RawServer, case: str):
    await run_case(server, JSONRPC[case])


@module_loop
async def test_many_bad_frames_in_one_write(server: RawServer):
    """Everything above, back to back in one write; then the server still answers."""
    data = b"".join(case.data for case in [*FRAMING.values(), *JSONRPC.values()])
    server.write_bytes(data)
    good = await server.request(GOOD, {"uri": "file:///framing.ai"}, timeout=ANSWER_BOUND * 3)
    assert "result" in good
    await server.still_answers()


@module_loop
async def test_no_traceback_on_stderr(server: RawServer):
    await server.still_answers()
    await asyncio.sleep(0.5)  # stderr is read on its own; let it catch up
    assert server.alive
    assert b"Traceback" not in server.stderr, server.stderr[-3000:]


# --- the maximum message size --------------------------------------------------------------------

@module_loop
async def test_message_above_the_maximum_is_skipped_and_logged():
    async with RawServer(env={"NAMEL3SS_LSP_MAX_MESSAGE_BYTES": "4096"}) as raw:
        await raw.request("initialize", {"processId": None, "rootUri": None, "capabilities": {}}, timeout=30)
        start = len(raw.received)
        raw.write_bytes(frame(req("big", params={"uri": "file:///framing.ai", "pad": "x" * 10_000})))
        good = await raw.request(GOOD, {"uri": "file:///framing.ai"}, timeout=ANSWER_BOUND)
        assert "result" in good, good
        new = raw.received[start:]
        assert not [m for m in new if m.get("id") == "big"], new
        logged = _logged(new)
        assert len(logged) == 1 and "exceeds the maximum message size (4096 bytes" in logged[0], logged
        # just below the maximum: answered
        reply = await raw.send_and_wait(req("fits", params={"uri": "file:///framing.ai", "pad": "x" * 3_000}), "fits",
                                        timeout=ANSWER_BOUND)
        assert "result" in reply, reply
        await asyncio.sleep(0.3)
        assert b"Traceback" not in raw.stderr, raw.stderr[-3000:]


@module_loop
async def test_request_after_shutdown_is_refused_not_ignored():
    async with RawServer() as raw:
        await raw.request("initialize", {"processId": None, "rootUri": None, "capabilities": {}}, timeout=30)
        assert "result" in await raw.request("shutdown", None, timeout=ANSWER_BOUND)
        reply = await raw.request(GOOD, {"uri": "file:///framing.ai"}, timeout=ANSWER_BOUND)
        assert reply["error"]["code"] == INVALID_REQUEST, reply
        raw.notify("exit", None)
        assert await asyncio.wait_for(raw.proc.wait(), timeout=ANSWER_BOUND) == 0


@module_loop
async def test_exit_right_behind_shutdown_is_a_clean_exit():
    """`exit` written together with `shutdown` (not waiting for its answer): exit code 0."""
    async with RawServer() as raw:
        await raw.request("initialize", {"processId": None, "rootUri": None, "capabilities": {}}, timeout=30)
        raw.write_bytes(frame({"jsonrpc": "2.0", "id": "sd", "method": "shutdown"}) + frame({"jsonrpc": "2.0", "method": "exit"}))
        assert await asyncio.wait_for(raw.proc.wait(), timeout=ANSWER_BOUND) == 0


@module_loop
async def test_nothing_but_initialize_before_initialize():
    """Requests before `initialize` get -32002 (LSP's ServerNotInitialized), notifications are
    dropped; neither runs a feature nor writes a traceback. Then `initialize` works as usual."""
    async with RawServer() as raw:
        uri = "file:///early.ai"
        reply = await raw.request("workspace/executeCommand", {"command": "namel3ss.ollama.status", "arguments": []},
                                  timeout=ANSWER_BOUND)
        assert reply["error"]["code"] == SERVER_NOT_INITIALIZED, reply
        raw.open(uri, "ai model m {\n}\n")
        raw.notify("initialized", {})
        reply = await raw.request(GOOD, {"uri": uri}, timeout=ANSWER_BOUND)
        assert reply["error"]["code"] == SERVER_NOT_INITIALIZED, reply
        await raw.initialize()
        assert await raw.document_text(uri) is None  # the early didOpen did nothing
        await raw.still_answers()
        await asyncio.sleep(0.3)
        assert b"Traceback" not in raw.stderr, raw.stderr[-3000:]


# --- TCP -----------------------------------------------------------------------------------------

async def _read_frame(reader: asyncio.StreamReader) -> dict:
    length = 0
    for line in (await reader.readuntil(b"\r\n\r\n")).split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":", 1)[1])
    return json.loads(await reader.readexactly(length))


async def _until_reply(reader: asyncio.StreamReader, msg_id: Any, seen: list) -> dict:
    while True:
        message = await asyncio.wait_for(_read_frame(reader), timeout=ANSWER_BOUND)
        seen.append(message)
        if message.get("id") == msg_id and "method" not in message:
            return message


@module_loop
async def test_tcp_mode_uses_the_same_reader():
    port = free_port()
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "namel3ss_lsp", "--tcp", "--port", str(port), "--log-level", "INFO",
        stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
        env=server_env(),
    )
    writer = None
    try:
        for _ in range(300):
            try:
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
                break
            except OSError:
                assert proc.returncode is None, await proc.stderr.read()
                await asyncio.sleep(0.1)
        assert writer is not None, "the TCP server never listened"
        seen: list = []
        writer.write(frame(req("t-init", method="initialize", params={"processId": None, "rootUri": None, "capabilities": {}}),
                           b"content-length:%d\n\n"))
        assert "result" in await _until_reply(reader, "t-init", seen)
        for data, msg_id in [
            (b"Content-Length: 1000000000000\r\n\r\n{}" + frame(req("t1")), "t1"),
            (frame(req("t2x"), delta=-5) + frame(req("t2")), "t2"),
            (b"garbage\x00\xff" * 1000 + frame(req("t3")), "t3"),
            (frame([req("b1")]) + frame({"id": "t4x", "method": GOOD}) + frame(req("t4")), "t4"),
        ]:
            writer.write(data)
            assert "result" in await _until_reply(reader, msg_id, seen)
        errors = [(m["error"]["code"], m["id"]) for m in seen if "error" in m]
        assert errors == [(PARSE_ERROR, None), (INVALID_REQUEST, None), (INVALID_REQUEST, "t4x")], seen
        assert proc.returncode is None
    finally:
        if writer is not None:
            writer.close()
        if proc.returncode is None:
            proc.kill()
        stderr = await proc.stderr.read()
        await proc.wait()
    assert b"Traceback" not in stderr, stderr[-3000:]


# --- the reader alone, fed in pieces -------------------------------------------------------------

def _parse(data: bytes, piece: int, max_size: int = 1 << 20) -> list:
    parser = FrameParser(max_size)
    events = []
    for i in range(0, len(data), piece):
        events += parser.feed(data[i:i + piece])
    events += parser.close()
    return [("message", e.value.get("id") if isinstance(e.value, dict) else e.value) if isinstance(e, Message)
            else ("unparseable",) for e in events if isinstance(e, (Message, Unparseable))]


@pytest.mark.parametrize("piece", [1, 2, 7, 64, 4096, 1 << 30])
@pytest.mark.parametrize("case", list({**FRAMING, **JSONRPC}))
def test_reader_gives_the_same_messages_however_the_bytes_arrive(case: str, piece: int):
    data = {**FRAMING, **JSONRPC}[case].data + frame(req("after"))
    if piece < 64 and len(data) > 50_000:
        pytest.skip("too slow byte by byte")
    whole = _parse(data, 1 << 30)
    assert whole[-1] == ("message", "after"), whole
    assert _parse(data, piece) == whole


def test_reader_memory_stays_bounded():
    parser = FrameParser(1 << 20)
    garbage = b"\x00no newline, no header " * (CHUNK // 16)
    for _ in range(200):  # ~64 MB of garbage without a line end
        assert not [e for e in parser.feed(garbage[:CHUNK]) if isinstance(e, Message)]
        assert len(parser._buf) <= MAX_HEADER_LINE + CHUNK
    parser.feed(b"Content-Length: 1000000000000\r\n\r\n")
    for _ in range(200):  # ~12 MB of an oversized body
        parser.feed(b"x" * CHUNK)
        assert len(parser._buf) <= MAX_HEADER_LINE + CHUNK
    events = parser.feed(frame(req("after")))
    assert [e.value["id"] for e in events if isinstance(e, Message)] == ["after"]
