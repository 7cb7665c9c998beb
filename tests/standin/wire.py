"""Wire-level pieces of the stand-in: routes table, error type, Go-style messages, NDJSON streams."""

from __future__ import annotations

import json
import re
import socket
from typing import Any

ROUTES: dict[str, frozenset[str]] = {
    "/": frozenset({"GET", "HEAD"}),
    "/api/version": frozenset({"GET", "HEAD"}),
    "/api/tags": frozenset({"GET", "HEAD"}),
    "/api/show": frozenset({"POST"}),
    "/api/pull": frozenset({"POST"}),
    "/api/delete": frozenset({"DELETE"}),
    "/api/copy": frozenset({"POST"}),
    "/api/ps": frozenset({"GET"}),
    "/api/chat": frozenset({"POST"}),
    "/api/generate": frozenset({"POST"}),
    "/api/embed": frozenset({"POST"}),
}
JSON_UTF8 = "application/json; charset=utf-8"
NDJSON = "application/x-ndjson"
# The `nested` knob: valid JSON too deep for a recursive decoder (Python's json raises RecursionError).
NESTED = b"[" * 100_000 + b"]" * 100_000
FORCED_MESSAGES = {
    400: "bad request",
    401: "unauthorized",
    403: "",
    500: "stand-in: internal server error",
    502: "bad gateway",
    503: "server busy, please try again.  maximum pending requests exceeded",
}
_GO_DURATION = re.compile(r"^[-+]?((\d+(\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h))+$")


class Stats(dict):
    """Request counts per route; a route never requested reads as 0."""

    def __missing__(self, key: str) -> int:
        return 0


class _BadRequest(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


def _go_type(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def _quote(text: str) -> str:  # Go's %q, close enough
    return json.dumps(text)


class _Stream:
    """One chunked NDJSON response, applying the stream knobs."""

    def __init__(self, handler: Any, *, pace: float = 0.0):
        self.h = handler
        knobs = handler.knobs
        self.blank = knobs.blank_lines
        self.cut = knobs.cut_stream_after
        self.abrupt = knobs.cut_stream_abrupt
        self.malformed = knobs.is_malformed(handler.route)
        self.nested = knobs.is_nested(handler.route)
        self.pace = pace
        self.count = 0
        self.alive = True
        handler.send_response(200)
        handler.send_header("Content-Type", NDJSON)
        handler.send_header("Transfer-Encoding", "chunked")
        handler.end_headers()

    def _chunk(self, data: bytes) -> None:
        self.h.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.h.wfile.flush()

    def send(self, obj: dict[str, Any]) -> bool:
        if not self.alive:
            return False
        if self.cut is not None and self.count >= self.cut:
            self.end(cut=True)
            return False
        if self.count and self.pace and self.h.standin.sleep(self.pace):
            self._drop()
            return False
        line = json.dumps(obj) + "\n"
        if self.blank:
            line = "\n" + line
        if self.malformed and self.count == 1:
            line = '{"status": "pulling' + "\n" + line
        if self.nested and self.count == 1:
            line = NESTED.decode() + "\n" + line
        try:
            self._chunk(line.encode())
        except OSError:
            self.h.standin._note_aborted()
            self.alive = False
            self.h.close_connection = True
            return False
        self.count += 1
        return True

    def end(self, *, cut: bool = False) -> None:
        if not self.alive:
            return
        if cut and self.abrupt:
            self._drop()
            return
        self.alive = False
        try:
            self.h.wfile.write(b"0\r\n\r\n")
            self.h.wfile.flush()
        except OSError:
            self.h.close_connection = True

    def _drop(self) -> None:
        self.alive = False
        self.h.close_connection = True
        try:
            self.h.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


