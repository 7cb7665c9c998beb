"""A raw JSON-RPC client over the server's stdio: sends exactly the bytes a test wants (malformed
params, wrong types, broken framing) that a typed client such as pytest-lsp would refuse to send.

    async with RawServer() as server:
        await server.initialize()
        reply = await server.request("textDocument/hover", {"textDocument": 5})
        assert "error" in reply or "result" in reply
"""

from __future__ import annotations

import asyncio
import itertools
import json
import sys
from typing import Any

from tests.lsp.harness import server_env


class RawServer:
    def __init__(self, *, env: dict[str, str] | None = None, args: tuple[str, ...] = ()) -> None:
        self.env = env
        self.args = args
        self.proc: asyncio.subprocess.Process | None = None
        self.ids = itertools.count(1)
        self.notifications: list[dict] = []
        self.received: list[dict] = []  # every message from the server, in order
        self.server_requests: list[dict] = []
        self._responses: dict[Any, asyncio.Future] = {}
        self._reader_task: asyncio.Task | None = None
        self.stderr = b""
        self._stderr_task: asyncio.Task | None = None

    async def __aenter__(self) -> "RawServer":
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def start(self) -> None:
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "namel3ss_lsp", "--log-level", "INFO", *self.args,
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
            env=server_env(self.env), limit=64 * 1024 * 1024,
        )
        self._reader_task = asyncio.ensure_future(self._read_loop())
        self._stderr_task = asyncio.ensure_future(self._read_stderr())

    async def stop(self) -> None:
        proc = self.proc
        if proc is None:
            return
        if proc.returncode is None:
            try:
                await asyncio.wait_for(self.request("shutdown", None), timeout=5)
                self.notify("exit", None)
                await asyncio.wait_for(proc.wait(), timeout=5)
            except Exception:
                pass
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
        for task in (self._reader_task, self._stderr_task):
            if task is not None:
                task.cancel()
        self.proc = None

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.returncode is None

    # --- writing -----------------------------------------------------------------------------------
    def write_bytes(self, data: bytes) -> None:
        assert self.proc is not None and self.proc.stdin is not None
        self.proc.stdin.write(data)

    def send(self, message: Any) -> None:
        body = json.dumps(message).encode() if not isinstance(message, (bytes, str)) else (
            message if isinstance(message, bytes) else message.encode())
        self.write_bytes(b"Content-Length: %d\r\n\r\n" % len(body) + body)

    def notify(self, method: str, params: Any) -> None:
        message: dict[str, Any] = {"jsonrpc": "2.0", "method": method}
        if params is not None:
            message["params"] = params
        self.send(message)

    async def request(self, method: str, params: Any, *, timeout: float = 15, omit_params: bool = False) -> dict:
        msg_id = next(self.ids)
        message: dict[str, Any] = {"jsonrpc": "2.0", "id": msg_id, "method": method}
        if not omit_params:
            message["params"] = params
        return await self.send_and_wait(message, msg_id, timeout=timeout)

    async def send_and_wait(self, message: Any, msg_id: Any, *, timeout: float = 15) -> dict:
        future = asyncio.get_running_loop().create_future()
        self._responses[msg_id] = future
        self.send(message)
        try:
            return await asyncio.wait_for(future, timeout=timeout)
        finally:
            self._responses.pop(msg_id, None)

    # --- reading -----------------------------------------------------------------------------------
    async def _read_loop(self) -> None:
        assert self.proc is not None and self.proc.stdout is not None
        stdout = self.proc.stdout
        while True:
            headers = await stdout.readuntil(b"\r\n\r\n")
            length = 0
            for line in headers.split(b"\r\n"):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":", 1)[1])
            body = await stdout.readexactly(length)
            message = json.loads(body)
            self.received.append(message)
            if "id" in message and "method" not in message:
                future = self._responses.get(message["id"])
                if future is not None and not future.done():
                    future.set_result(message)
            elif "id" in message:  # a request from the server: answer null
                self.server_requests.append(message)
                self.send({"jsonrpc": "2.0", "id": message["id"], "result": None})
            else:
                self.notifications.append(message)

    async def _read_stderr(self) -> None:
        assert self.proc is not None and self.proc.stderr is not None
        while True:
            chunk = await self.proc.stderr.read(65536)
            if not chunk:
                return
            self.stderr += chunk

    # --- conveniences ------------------------------------------------------------------------------
    async def initialize(self, options: dict | None = None, capabilities: dict | None = None) -> dict:
        reply = await self.request(
            "initialize",
            {"processId": None, "rootUri": None, "capabilities": capabilities or {}, "initializationOptions": options},
            timeout=30,
        )
        assert "result" in reply, reply
        self.notify("initialized", {})
        return reply

    def open(self, uri: str, text: str, version: int = 1) -> None:
        self.notify("textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "namel3ss", "version": version, "text": text}})

    async def document_text(self, uri: str) -> dict | None:
        reply = await self.request("namel3ss/debug/documentText", {"uri": uri})
        return reply.get("result")

    async def still_answers(self) -> None:
        """The process lives and a normal request on a fresh document gets a result."""
        assert self.alive, f"server exited with {self.proc.returncode if self.proc else None}: {self.stderr[-2000:]!r}"
        uri = f"file:///still-answers-{next(self.ids)}.ai"
        self.open(uri, "ai model m {\n    provider: ollama\n    model: llama3:8b\n}\n")
        reply = await self.request("textDocument/documentSymbol", {"textDocument": {"uri": uri}})
        assert "result" in reply and reply["result"], reply
        self.notify("textDocument/didClose", {"textDocument": {"uri": uri}})

    def published(self, uri: str) -> list[dict]:
        return [n["params"] for n in self.notifications
                if n.get("method") == "textDocument/publishDiagnostics" and n["params"]["uri"] == uri]
