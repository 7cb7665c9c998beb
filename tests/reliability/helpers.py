"""Shared helpers of the reliability tests: timed requests, liveness, the server's view of a text.

The end-to-end client is the one of tests/lsp (`tests.lsp.harness`): the real server process
(`python -m namel3ss_lsp`) over stdio, driven by a recording pytest-lsp client.
"""

from __future__ import annotations

import asyncio
import socket
import time
from typing import Any

from lsprotocol import types
from pygls.exceptions import JsonRpcException

from tests.lsp.harness import RecordingClient, _plain, find_position, model_block, wait_until  # noqa: F401 - re-exported

__all__ = [
    "RecordingClient", "find_position", "model_block", "wait_until", "free_port", "doc_id", "timed_completion",
    "server_text", "assert_alive", "command_error", "assert_clear_error", "Trap", "COMPLETION_BOUND",
]

DEBUG_DOCUMENT_TEXT = "namel3ss/debug/documentText"

# Generous bounds: the contract says 50 ms; the machine is a shared, busy 2-core box.
COMPLETION_BOUND = 1.0
ALIVE_BOUND = 10.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def doc_id(uri: str) -> types.TextDocumentIdentifier:
    return types.TextDocumentIdentifier(uri=uri)


async def timed_completion(client: RecordingClient, uri: str, position: types.Position) -> tuple[list, float]:
    """(items, seconds) of one completion request."""
    started = time.perf_counter()
    result = await asyncio.wait_for(
        client.text_document_completion_async(types.CompletionParams(text_document=doc_id(uri), position=position)),
        timeout=30,
    )
    elapsed = time.perf_counter() - started
    if result is None:
        items: list = []
    elif isinstance(result, list):
        items = result
    else:
        items = list(result.items)
    return items, elapsed


async def server_text(client: RecordingClient, uri: str) -> dict | None:
    """The server's own view of a document (`namel3ss/debug/documentText`): {"text", "version"}."""
    result = await asyncio.wait_for(client.protocol.send_request_async(DEBUG_DOCUMENT_TEXT, {"uri": uri}), timeout=20)
    return _plain(result) if result is not None else None


async def assert_alive(client: RecordingClient, what: str = "") -> None:
    """The server process is running and answers a normal request (documentSymbol of a fresh doc)."""
    server = getattr(client, "_server", None)
    assert server is None or server.returncode is None, f"server process exited ({server.returncode}) {what}"
    uri = f"file:///alive-{time.monotonic_ns()}.ai"
    client.open(uri, model_block("llama3:8b", "alive_check"))
    try:
        symbols = await asyncio.wait_for(
            client.text_document_document_symbol_async(types.DocumentSymbolParams(text_document=doc_id(uri))),
            timeout=ALIVE_BOUND,
        )
    except asyncio.TimeoutError:
        raise AssertionError(f"server did not answer documentSymbol within {ALIVE_BOUND}s {what}") from None
    finally:
        client.text_document_did_close(types.DidCloseTextDocumentParams(text_document=doc_id(uri)))
    assert symbols is not None, f"documentSymbol returned None {what}"


async def command_error(client: RecordingClient, name: str, *arguments: Any, timeout: float = 30) -> JsonRpcException:
    """Run a command that must fail; return the LSP error."""
    try:
        result = await asyncio.wait_for(client.command(name, *arguments), timeout=timeout)
    except JsonRpcException as exc:
        return exc
    raise AssertionError(f"{name}{arguments!r} succeeded with {result!r}; an LSP error was expected")


def assert_clear_error(exc: JsonRpcException, *, want_suggestion: bool = True) -> None:
    """An LSP error a person can act on: a message (not a traceback), and a suggestion."""
    message = str(getattr(exc, "message", "") or exc)
    assert message.strip(), f"empty error message: {exc!r}"
    assert "Traceback" not in message, message
    assert isinstance(getattr(exc, "code", None), int), exc
    if want_suggestion:
        data = getattr(exc, "data", None)
        data = _plain(data) if data is not None else {}
        suggestion = data.get("suggestion") if isinstance(data, dict) else None
        assert suggestion or "Suggestion:" in message, f"no suggestion in {message!r} / {data!r}"


def raw_plain(value: Any) -> Any:
    return _plain(value)


class Trap:
    """A TCP listener on a loopback address that records every connection (and the first bytes).

    It stands for a host the server must never contact: if the server wrongly did, it would land
    here (every spelling used in the tests resolves to this loopback address without DNS)."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        import threading

        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((host, port))
        self.sock.listen(64)
        self.sock.settimeout(0.1)
        self.host, self.port = self.sock.getsockname()[:2]
        self.connections: list[bytes] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"trap-{self.port}", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except (socket.timeout, OSError):
                continue
            conn.settimeout(0.5)
            try:
                data = conn.recv(4096)
            except OSError:
                data = b""
            self.connections.append(data)
            try:
                conn.sendall(b"HTTP/1.1 418 trap\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            except OSError:
                pass
            conn.close()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
        self.sock.close()

    def __enter__(self) -> "Trap":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
