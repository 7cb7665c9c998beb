"""HTTP plumbing of the stand-in Ollama: body reading, dispatch, knobs, error bodies, control routes."""

from __future__ import annotations

import json
import logging
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import urlsplit

from .routes import OllamaRoutes
from .wire import FORCED_MESSAGES, JSON_UTF8, NESTED, ROUTES, Stats, _BadRequest, _go_type

__all__ = ["Stats", "_Handler"]

log = logging.getLogger("tests.standin")


class _Handler(OllamaRoutes, BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "ollama-standin"
    sys_version = ""

    def version_string(self) -> str:
        return self.server_version

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        log.debug("stand-in: " + format, *args)

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_HEAD(self) -> None:
        self._dispatch("HEAD")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    def do_PUT(self) -> None:
        self._dispatch("PUT")

    def do_PATCH(self) -> None:
        self._dispatch("PATCH")

    def do_OPTIONS(self) -> None:
        self._dispatch("OPTIONS")

    @property
    def standin(self) -> Any:
        return self.server.standin  # type: ignore[attr-defined]

    # ---- plumbing ---------------------------------------------------------------------------
    def _read_body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            parts = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(parts)
                parts.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _dispatch(self, method: str) -> None:
        standin = self.standin
        try:
            raw = self._read_body()
        except (OSError, ValueError):
            self.close_connection = True
            return
        path = urlsplit(self.path).path or "/"
        self.route = path
        if path.startswith("/_standin/"):
            self._control(method, path, raw)
            return
        standin._count(method, path)
        standin._note_body(path, raw)
        self.knobs = knobs = standin.snapshot()
        if knobs.hangs(path):
            self._hang()
            return
        delay = knobs.latency_for(path)
        if delay and standin.sleep(delay):
            self.close_connection = True
            return
        allowed = ROUTES.get(path)
        try:
            if allowed is None:
                self._plain(404, "404 page not found")
            elif method not in allowed:
                self._plain(405, "405 method not allowed")
            elif knobs.status_for(path):
                code = int(knobs.status_for(path))
                if code in (404, 405):
                    self._plain(code, f"{code} {'page not found' if code == 404 else 'method not allowed'}")
                else:
                    self._error(code, FORCED_MESSAGES.get(code, f"stand-in: forced HTTP {code}"))
            else:
                name = path.rsplit("/", 1)[-1] or "root"
                try:
                    getattr(self, "_route_" + name)(method, raw)
                except _BadRequest as exc:
                    self._error(exc.status, exc.message)
        except OSError:
            standin._note_aborted()
            self.close_connection = True

    def _hang(self) -> None:
        standin = self.standin
        with standin._lock:
            release = standin._hang_release
        while not release.wait(0.05):
            if standin._stopping.is_set():
                break
        self.close_connection = True

    def _send(self, code: int, body: bytes, content_type: str | None) -> None:
        self.send_response(code)
        if content_type:
            self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD" and body:
            self.wfile.write(body)

    def _json(self, obj: Any, code: int = 200, content_type: str = JSON_UTF8) -> None:
        data = json.dumps(obj).encode()
        if code == 200 and self.knobs.is_malformed(self.route):
            data = data[: max(1, len(data) // 2)]
        if code == 200 and self.knobs.is_nested(self.route):
            data = NESTED
        self._send(code, data, content_type)

    def _error(self, code: int, message: str) -> None:
        if getattr(self, "knobs", None) is not None and self.knobs.non_json_errors:
            phrase = HTTPStatus(code).phrase if code in HTTPStatus._value2member_map_ else "Error"
            self._send(code, f"<html><body><h1>{code} {phrase}</h1>{message}</body></html>\n".encode(),
                       "text/html; charset=utf-8")
        elif code == 403 and not message:
            self._send(code, b"", None)
        else:
            self._send(code, json.dumps({"error": message}).encode(), JSON_UTF8)

    def _plain(self, code: int, text: str) -> None:
        self._send(code, text.encode(), "text/plain")

    def _body(self, raw: bytes, type_name: str) -> dict[str, Any]:
        if not raw.strip():
            raise _BadRequest(400, "missing request body")
        try:
            obj = json.loads(raw)
        except (json.JSONDecodeError, UnicodeDecodeError):
            first = raw.strip()[:1].decode("latin-1")
            raise _BadRequest(400, f"invalid character {first!r} looking for beginning of value") from None
        if obj is None:
            return {}
        if not isinstance(obj, dict):
            raise _BadRequest(400, f"json: cannot unmarshal {_go_type(obj)} into Go value of type api.{type_name}")
        return obj

    @staticmethod
    def _str_field(body: dict[str, Any], key: str, type_name: str) -> str:
        value = body.get(key)
        if value is None:
            return ""
        if not isinstance(value, str):
            raise _BadRequest(400, f"json: cannot unmarshal {_go_type(value)} into Go struct field "
                                   f"{type_name}.{key} of type string")
        return value

    def _model(self, body: dict[str, Any], type_name: str, *, alias: bool) -> str:
        name = self._str_field(body, "model", type_name)
        if not name and alias:
            name = self._str_field(body, "name", type_name)
        return name.strip()

    @staticmethod
    def _stream_flag(body: dict[str, Any], type_name: str) -> bool:
        value = body.get("stream")
        if value is None:
            return True
        if not isinstance(value, bool):
            raise _BadRequest(400, f"json: cannot unmarshal {_go_type(value)} into Go struct field "
                                   f"{type_name}.stream of type bool")
        return value

    # ---- control routes ---------------------------------------------------------------------
    def _control(self, method: str, path: str, raw: bytes) -> None:
        self.knobs = None  # type: ignore[assignment]
        standin = self.standin
        if path == "/_standin/config" and method == "POST":
            try:
                changes = json.loads(raw or b"{}")
                if not isinstance(changes, dict):
                    raise ValueError("the config body must be a JSON object")
                standin.configure(**changes)
            except (ValueError, TypeError) as exc:
                self._send(400, json.dumps({"error": str(exc)}).encode(), JSON_UTF8)
                return
            self._send(200, json.dumps({"status": "ok", "knobs": standin.snapshot().as_dict()}).encode(), JSON_UTF8)
        elif path == "/_standin/config" and method == "GET":
            self._send(200, json.dumps(standin.snapshot().as_dict()).encode(), JSON_UTF8)
        elif path == "/_standin/reset" and method == "POST":
            standin.reset()
            self._send(200, b'{"status":"ok"}', JSON_UTF8)
        elif path == "/_standin/stats" and method == "GET":
            self._send(200, json.dumps(standin.stats()).encode(), JSON_UTF8)
        else:
            self._plain(404, "404 page not found")

    # ---- Ollama routes ----------------------------------------------------------------------
