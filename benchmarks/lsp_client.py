"""A minimal asyncio JSON-RPC-over-stdio LSP client for the benchmarks.

Deliberately small so that its own cost is tiny and identical for every server it drives:

* every incoming message is stamped with ``time.perf_counter()`` as soon as its body has been
  read, *before* it is JSON-decoded, so decoding a large response is not counted as server time;
* an outgoing message is stamped just before it is written (after it has been encoded);
* server-to-client requests are answered at once (``workspace/configuration`` with the settings,
  everything else with ``null``), so a server that asks something never stalls on the client.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence


@dataclass
class Message:
    """One message received from the server."""

    arrived: float  # time.perf_counter() when its body was fully read
    payload: dict[str, Any]

    @property
    def method(self) -> str | None:
        return self.payload.get("method")

    @property
    def params(self) -> Any:
        return self.payload.get("params")


class LspError(RuntimeError):
    def __init__(self, method: str, error: dict[str, Any]):
        super().__init__(f"{method}: {error.get('code')} {error.get('message')}")
        self.error = error


@dataclass
class Response:
    sent: float
    arrived: float
    result: Any
    raw_bytes: int

    @property
    def elapsed(self) -> float:
        return self.arrived - self.sent


@dataclass
class LspClient:
    """Drives one server process over its stdin/stdout."""

    argv: Sequence[str]
    env: dict[str, str] | None = None
    cwd: str | None = None
    settings: dict[str, Any] = field(default_factory=dict)
    name: str = "server"

    def __post_init__(self) -> None:
        self.proc: asyncio.subprocess.Process | None = None
        self.spawned_at = 0.0
        self.notifications: list[Message] = []
        self.server_requests: list[Message] = []
        self._ids = itertools.count(1)
        self._pending: dict[int, tuple[str, float, asyncio.Future]] = {}
        self._waiters: list[tuple[Callable[[Message], bool], asyncio.Future]] = []
        self._reader: asyncio.Task | None = None
        self._stderr_task: asyncio.Task | None = None
        self.stderr_tail: list[str] = []
        self.closed = asyncio.Event()

    # ------------------------------------------------------------------ process
    async def spawn(self) -> None:
        self.spawned_at = time.perf_counter()
        self.proc = await asyncio.create_subprocess_exec(
            *self.argv,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=self.env,
            cwd=self.cwd,
            limit=1 << 20,
        )
        self._reader = asyncio.create_task(self._read_loop())
        self._stderr_task = asyncio.create_task(self._drain_stderr())

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    async def _drain_stderr(self) -> None:
        assert self.proc and self.proc.stderr
        while True:
            line = await self.proc.stderr.readline()
            if not line:
                return
            self.stderr_tail.append(line.decode("utf-8", "replace").rstrip())
            del self.stderr_tail[:-50]

    async def _read_loop(self) -> None:
        assert self.proc and self.proc.stdout
        stdout = self.proc.stdout
        try:
            while True:
                length = None
                while True:
                    line = await stdout.readline()
                    if not line:
                        return
                    line = line.strip()
                    if not line:
                        break
                    name, _, value = line.partition(b":")
                    if name.strip().lower() == b"content-length":
                        length = int(value.strip())
                if length is None:
                    continue
                body = await stdout.readexactly(length)
                arrived = time.perf_counter()
                self._dispatch(Message(arrived, json.loads(body)), length)
        except (asyncio.IncompleteReadError, ConnectionError):
            return
        finally:
            self.closed.set()
            for _, _, fut in self._pending.values():
                if not fut.done():
                    fut.set_exception(ConnectionError(f"{self.name} closed its stdout"))
            for _, fut in self._waiters:
                if not fut.done():
                    fut.set_exception(ConnectionError(f"{self.name} closed its stdout"))

    def _dispatch(self, msg: Message, length: int) -> None:
        payload = msg.payload
        if "id" in payload and "method" not in payload:
            entry = self._pending.pop(payload["id"], None)
            if entry is None:
                return
            method, sent, fut = entry
            if fut.done():
                return
            if "error" in payload and payload["error"] is not None:
                fut.set_exception(LspError(method, payload["error"]))
            else:
                fut.set_result(Response(sent, msg.arrived, payload.get("result"), length))
            return
        if "id" in payload:  # a request from the server
            self.server_requests.append(msg)
            self._answer_server_request(payload)
            # server requests may also be waited on (e.g. workDoneProgress/create)
        else:
            self.notifications.append(msg)
        for i, (pred, fut) in enumerate(list(self._waiters)):
            if not fut.done() and pred(msg):
                fut.set_result(msg)
        self._waiters = [(p, f) for p, f in self._waiters if not f.done()]

    def _answer_server_request(self, payload: dict[str, Any]) -> None:
        method = payload.get("method")
        result: Any = None
        if method == "workspace/configuration":
            items = (payload.get("params") or {}).get("items") or []
            result = [self.settings if (it.get("section") in (None, "namel3ss")) else None for it in items]
        self._write({"jsonrpc": "2.0", "id": payload["id"], "result": result})

    # ------------------------------------------------------------------ sending
    def _write(self, obj: dict[str, Any]) -> float:
        assert self.proc and self.proc.stdin
        body = json.dumps(obj, separators=(",", ":")).encode("utf-8")
        data = b"Content-Length: %d\r\n\r\n" % len(body) + body
        sent = time.perf_counter()
        self.proc.stdin.write(data)
        return sent

    async def request(self, method: str, params: Any = None, timeout: float | None = 60.0) -> Response:
        try:
            fut = await self.send_request(method, params)
            return await asyncio.wait_for(fut, timeout)
        except (ConnectionError, BrokenPipeError) as exc:
            raise ConnectionError(f"{exc}\n{await self.stderr_text()}") from None

    async def stderr_text(self) -> str:
        """The last lines the process wrote to stderr (waits briefly for it to finish writing)."""
        if self._stderr_task is not None:
            try:
                await asyncio.wait_for(asyncio.shield(self._stderr_task), 1.0)
            except (asyncio.TimeoutError, Exception):
                pass
        return f"--- {self.name} stderr (last lines) ---\n" + "\n".join(self.stderr_tail[-25:])

    async def send_request(self, method: str, params: Any = None) -> asyncio.Future:
        """Send a request and return the future of its Response without waiting for it."""
        msg_id = next(self._ids)
        fut: asyncio.Future = asyncio.get_running_loop().create_future()
        obj = {"jsonrpc": "2.0", "id": msg_id, "method": method}
        if params is not None:
            obj["params"] = params
        # register before writing: the answer may come back before write() returns control
        self._pending[msg_id] = (method, 0.0, fut)
        sent = self._write(obj)
        self._pending[msg_id] = (method, sent, fut)
        assert self.proc and self.proc.stdin
        await self.proc.stdin.drain()
        return fut

    async def notify(self, method: str, params: Any = None) -> float:
        obj: dict[str, Any] = {"jsonrpc": "2.0", "method": method}
        if params is not None:
            obj["params"] = params
        sent = self._write(obj)
        assert self.proc and self.proc.stdin
        await self.proc.stdin.drain()
        return sent

    # ------------------------------------------------------------------ waiting
    def wait_for(self, pred: Callable[[Message], bool], *, since: int = 0) -> asyncio.Future:
        """A future for the first message (notification or server request) matching ``pred``.

        Notifications already received at index >= ``since`` are checked first.
        """
        fut: asyncio.Future = asyncio.get_running_loop().create_future()
        for msg in self.notifications[since:]:
            if pred(msg):
                fut.set_result(msg)
                return fut
        self._waiters.append((pred, fut))
        return fut

    async def wait_diagnostics(
        self, uri: str, version: int | None = None, *, since: int = 0, timeout: float = 60.0
    ) -> Message:
        def pred(m: Message) -> bool:
            if m.method != "textDocument/publishDiagnostics":
                return False
            p = m.params or {}
            if p.get("uri") != uri:
                return False
            return version is None or p.get("version") in (None, version)

        return await asyncio.wait_for(self.wait_for(pred, since=since), timeout)

    # ------------------------------------------------------------------ lifecycle
    async def initialize(self, initialization_options: Any = None, root: str | None = None) -> Response:
        caps = {
            "general": {"positionEncodings": ["utf-16"]},
            "window": {"workDoneProgress": True, "showMessage": {}},
            "workspace": {"configuration": False, "workspaceFolders": False},
            "textDocument": {
                "synchronization": {"dynamicRegistration": False, "didSave": True},
                "completion": {
                    "completionItem": {
                        "snippetSupport": True,
                        "documentationFormat": ["markdown", "plaintext"],
                        "resolveSupport": {"properties": ["documentation", "detail", "additionalTextEdits"]},
                        "labelDetailsSupport": True,
                    },
                    "contextSupport": True,
                    # as VS Code and Neovim >= 0.10 advertise
                    "completionList": {
                        "itemDefaults": ["commitCharacters", "editRange", "insertTextFormat", "insertTextMode", "data"]
                    },
                },
                "hover": {"contentFormat": ["markdown", "plaintext"]},
                "publishDiagnostics": {"versionSupport": True, "relatedInformation": False},
            },
        }
        params = {
            "processId": os.getpid(),
            "rootUri": root,
            "capabilities": caps,
            "initializationOptions": initialization_options,
            "clientInfo": {"name": "namel3ss-bench", "version": "1"},
        }
        resp = await self.request("initialize", params)
        await self.notify("initialized", {})
        return resp

    async def did_open(self, uri: str, text: str, version: int = 1, language_id: str = "namel3ss") -> float:
        return await self.notify(
            "textDocument/didOpen",
            {"textDocument": {"uri": uri, "languageId": language_id, "version": version, "text": text}},
        )

    async def did_change(self, uri: str, version: int, changes: list[dict[str, Any]]) -> float:
        return await self.notify(
            "textDocument/didChange",
            {"textDocument": {"uri": uri, "version": version}, "contentChanges": changes},
        )

    async def completion(self, uri: str, line: int, character: int, timeout: float = 60.0) -> Response:
        return await self.request(
            "textDocument/completion",
            {"textDocument": {"uri": uri}, "position": {"line": line, "character": character}},
            timeout=timeout,
        )

    async def stop(self, timeout: float = 5.0) -> int | None:
        """shutdown + exit, then wait; kill the process if it lingers."""
        if self.proc is None:
            return None
        if self.proc.returncode is None and not self.closed.is_set():
            try:
                await self.request("shutdown", None, timeout=timeout)
                await self.notify("exit", None)
            except Exception:
                pass
        try:
            await asyncio.wait_for(self.proc.wait(), timeout)
        except asyncio.TimeoutError:
            self.proc.kill()
            await self.proc.wait()
        for task in (self._reader, self._stderr_task):
            if task is not None:
                task.cancel()
        return self.proc.returncode


def read_proc_status(pid: int) -> dict[str, int]:
    """VmHWM / VmRSS / VmPeak of a process in bytes (Linux /proc)."""
    out: dict[str, int] = {}
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                key, _, value = line.partition(":")
                if key in ("VmHWM", "VmRSS", "VmPeak", "VmSize"):
                    out[key] = int(value.split()[0]) * 1024
    except OSError:
        pass
    return out
