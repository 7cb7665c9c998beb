"""Our JSON-RPC/LSP protocol: pygls' `LanguageServerProtocol` with the changes we need.

Positions are always UTF-16 (the language core's unit); text synchronisation is done by our
DocumentStore (LSP line-break rules, clamped positions); the workDoneToken of
`workspace/executeCommand` is visible to the command handler; a request whose params do not
deserialize is answered instead of dropped; `$/cancelRequest` reaches a command's own task.

Message bodies come from our reader (framing.py) as decoded JSON values, to `handle_json`, which
checks the JSON-RPC 2.0 envelope before pygls' path (`structure_message`, `handle_message`):
-32700 (id null) for a body that is not JSON; -32600 (Invalid Request) for a request without
`"jsonrpc": "2.0"` (with its id when it has a usable one), for a batch (LSP has none: one error,
id null), for a body that is not a message, for a notification method sent with an id, and for a
request after `shutdown`; -32002 for a request before `initialize` (a notification then is
dropped). A malformed notification or response gets no answer (JSON-RPC says so); an invalid
response fails the request it answers at once, and a late one is ignored. A result that cannot be
serialised is answered -32603. Each malformed message is one log line, never a traceback.

Messages go out as compact JSON (no blanks after `,` and `:`: 8 % fewer bytes than pygls'), and a
result that is a `PreparedResult` (its JSON text made once and reused, e.g. the completion list of
1,000 models) is written as that text: serialising 1,090 completion items was most of a completion
request's time (3.3 ms on a slow machine, against 2.5 ms for a whole label-only answer from a
minimal pygls server).
"""

from __future__ import annotations

import asyncio
import inspect
import json
import logging
from typing import Any, Callable

from lsprotocol import types
from lsprotocol.types import ResponseError, ResponseErrorMessage
from pygls.exceptions import JsonRpcInternalError, JsonRpcInvalidParams
from pygls.protocol import LanguageServerProtocol
from pygls.protocol.json_rpc import JsonRPCNotification, JsonRPCRequestMessage, JsonRPCResponseMessage
from pygls.protocol.language_server import lsp_method

from .progress import current_work_done_token

logger = logging.getLogger("namel3ss_lsp")

PARSE_ERROR = -32700
INVALID_REQUEST = -32600
SERVER_NOT_INITIALIZED = -32002

# Methods LSP defines as notifications (client to server). Sent with an id, they are requests
# nobody would answer: refused with -32600 instead, and not run.
_NOTIFICATIONS = frozenset({
    types.INITIALIZED, types.CANCEL_REQUEST, types.SET_TRACE, types.PROGRESS,
    types.TEXT_DOCUMENT_DID_OPEN, types.TEXT_DOCUMENT_DID_CHANGE, types.TEXT_DOCUMENT_DID_CLOSE,
    types.TEXT_DOCUMENT_DID_SAVE, types.TEXT_DOCUMENT_WILL_SAVE, types.WORKSPACE_DID_CHANGE_CONFIGURATION,
    types.WORKSPACE_DID_CHANGE_WATCHED_FILES, types.WORKSPACE_DID_CHANGE_WORKSPACE_FOLDERS,
    types.WORKSPACE_DID_CREATE_FILES, types.WORKSPACE_DID_RENAME_FILES, types.WORKSPACE_DID_DELETE_FILES,
    types.WINDOW_WORK_DONE_PROGRESS_CANCEL, types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS,
})

# What `structure_message` returns for a message it has already dealt with (answered or logged).
BATCH = 256  # list items per json.dumps call in `json_in_batches`


def _json_in_batches(value: Any, default: Callable[[Any], Any]) -> str:
    """The compact JSON of plain data, lists longer than BATCH encoded a batch at a time."""
    if isinstance(value, dict):
        return "{" + ",".join(f"{json.dumps(str(k))}:{_json_in_batches(v, default)}" for k, v in value.items()) + "}"
    if isinstance(value, list) and len(value) > BATCH:
        return "[" + ",".join(json.dumps(value[i : i + BATCH], default=default, separators=(",", ":"))[1:-1]
                              for i in range(0, len(value), BATCH)) + "]"
    return json.dumps(value, default=default, separators=(",", ":"))


_IGNORED = JsonRPCNotification(method="$/namel3ss/ignored", jsonrpc="2.0", params=None)


class PreparedResult:
    """A request's result already in JSON form: `text`, the JSON text written as the response's
    `result`, and `value`, the same as a plain JSON value (dicts, lists, strings, numbers)."""

    __slots__ = ("text", "value")

    def __init__(self, value: Any, text: str) -> None:
        self.value = value
        self.text = text


def compact_json(value: Any) -> str:
    """The JSON text we send: compact, ASCII (so Content-Length counts characters = bytes)."""
    return json.dumps(value, separators=(",", ":"))


def _usable_id(value: Any) -> bool:
    """An id we can echo: LSP ids are integers or strings."""
    return isinstance(value, (int, str)) and not isinstance(value, bool)


def _response_id(data: Any) -> Any:
    """The id a response message answers (None for anything else)."""
    if isinstance(data, dict):
        return data.get("id") if "method" not in data and ("result" in data or "error" in data) else None
    if hasattr(data, "method") or not (hasattr(data, "result") or hasattr(data, "error")):
        return None
    return getattr(data, "id", None)


def _short(value: Any, limit: int = 80) -> str:
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= limit else text[:limit] + "..."


class Namel3ssProtocol(LanguageServerProtocol):
    """pygls' protocol with these changes: positions are always UTF-16 (the language core's unit);
    text synchronisation is done by our DocumentStore (LSP line-break rules, clamped positions);
    the workDoneToken of `workspace/executeCommand` is visible to the command handler; the JSON-RPC
    envelope is checked (`handle_json`)."""

    # --- JSON-RPC 2.0 ------------------------------------------------------------------------------
    def handle_unparseable(self, reason: str) -> None:
        """A body that is not JSON: -32700, id null."""
        logger.warning("a message that is not JSON (%s): answered %d", reason, PARSE_ERROR)
        self._send_error(None, PARSE_ERROR, f"Parse error: {reason}")

    def handle_json(self, data: Any) -> None:
        """One decoded message body: check the JSON-RPC envelope, then pygls' path."""
        if isinstance(data, list):
            logger.warning("a batch of %d messages (LSP has no batches): answered %d", len(data), INVALID_REQUEST)
            self._send_error(None, INVALID_REQUEST, "Invalid Request: batches are not supported by LSP")
            return
        if not isinstance(data, dict):
            logger.warning("a message that is a JSON %s, not an object: answered %d",
                           type(data).__name__, INVALID_REQUEST)
            self._send_error(None, INVALID_REQUEST, "Invalid Request: a message is a JSON object")
            return
        method = data.get("method")
        if "method" in data:
            if not self._valid_call(data) or not self._in_order(data):
                return
            # JSON-RPC lets params be left out; pygls' generic message types require the member
            # (an unknown method without params would get InvalidParams, not MethodNotFound).
            data.setdefault("params", None)
        elif not self._valid_response(data):
            return
        message = self.structure_message(data)
        if message is _IGNORED:
            return
        if method == types.INITIALIZE:
            self.initialize_received = True
        elif method == types.SHUTDOWN:
            self.shutdown_received = True  # `exit` may follow before the shutdown is done
        self.handle_message(message)

    initialize_received = False
    shutdown_received = False

    def _in_order(self, data: dict) -> bool:
        """A call that fits the session so far: nothing but `initialize` and `exit` before
        `initialize` (requests get -32002, notifications are dropped), no request after
        `shutdown` (-32600), no notification method sent as a request (-32600)."""
        method, has_id = data["method"], "id" in data
        if has_id and method in _NOTIFICATIONS:
            logger.warning("%s sent as a request (id %s): answered %d", _short(method), _short(data["id"], 40), INVALID_REQUEST)
            self._send_error(data["id"], INVALID_REQUEST, f"Invalid Request: {method} is a notification; it has no id")
            return False
        if not self.initialize_received and method not in (types.INITIALIZE, types.EXIT):
            if has_id:
                logger.warning("%s request before initialize: answered %d", _short(method), SERVER_NOT_INITIALIZED)
                self._send_error(data["id"], SERVER_NOT_INITIALIZED, "Server not initialized: send initialize first")
            else:
                logger.warning("%s notification before initialize: ignored", _short(method))
            return False
        if has_id and self._shutdown and method != types.EXIT:
            logger.warning("%s request after shutdown: answered %d", _short(method), INVALID_REQUEST)
            self._send_error(data["id"], INVALID_REQUEST, "Invalid Request: the server is shutting down")
            return False
        return True

    def _valid_call(self, data: dict) -> bool:
        """A request or notification: `"jsonrpc": "2.0"`, a string method, a usable id. A bad
        request is answered -32600; a bad notification is only logged."""
        method, has_id, msg_id = data["method"], "id" in data, data.get("id")
        if data.get("jsonrpc") != "2.0":
            problem = ('no "jsonrpc" member' if "jsonrpc" not in data
                       else f'"jsonrpc": {_short(data["jsonrpc"], 20)} instead of "2.0"')
        elif not isinstance(method, str):
            problem = "a method that is not a string"
        elif has_id and not (msg_id is None or _usable_id(msg_id)):
            problem = "an id that is neither an integer nor a string"
        else:
            return True
        name = _short(method) if isinstance(method, str) else "?"
        if has_id:
            reply_id = msg_id if _usable_id(msg_id) else None
            logger.warning("invalid %s request (id %s): %s; answered %d",
                           name, _short(reply_id, 40), problem, INVALID_REQUEST)
            self._send_error(reply_id, INVALID_REQUEST, f"Invalid Request: {problem}")
        else:
            logger.warning("invalid %s notification: %s; ignored", name, problem)
        return False

    def _valid_response(self, data: dict) -> bool:
        """A message without a method: a response to one of our requests, or not a message. An
        invalid response is never answered; the request it answers fails now instead of timing out."""
        has_id, msg_id = "id" in data, data.get("id")
        if has_id and msg_id is not None and not _usable_id(msg_id):  # pygls would fail on it, with a traceback
            logger.warning("a response whose id is neither an integer nor a string: ignored")
            return False
        pending = has_id and _usable_id(msg_id) and msg_id in self._request_futures
        if "result" not in data and "error" not in data:
            if pending and data.get("jsonrpc") == "2.0":
                data["result"] = None  # a client that leaves out a null result
                return True
            logger.warning("a message with no method, result or error: answered %d", INVALID_REQUEST)
            self._send_error(None, INVALID_REQUEST, "Invalid Request: neither a request, a notification nor a response")
            return False
        if data.get("jsonrpc") == "2.0" and has_id:
            return True
        problem = "no id" if not has_id else 'no "jsonrpc": "2.0"'
        logger.warning("invalid response (id %s): %s; ignored", _short(msg_id, 40), problem)
        if pending:
            error = ResponseError(code=INVALID_REQUEST, message=f"invalid response: {problem}")
            self._handle_response(msg_id, None, error)
        return False

    def _serialize_message(self, data: Any) -> Any:
        if isinstance(data, PreparedResult):
            return data.value
        return super()._serialize_message(data)

    def _send_data(self, data: Any) -> None:
        """pygls' `_send_data` with compact JSON, and a `PreparedResult` written as its text."""
        if data:
            self._send_body(lambda: self._body_of(data), answering=_response_id(data))

    def _body_of(self, data: Any) -> str:
        result = getattr(data, "result", None)
        if isinstance(result, PreparedResult) and getattr(data, "error", None) is None:
            return f'{{"id":{compact_json(data.id)},"jsonrpc":"2.0","result":{result.text}}}'
        return self.json_of(data)

    def json_of(self, value: Any) -> str:
        """The JSON text of `value` (lsprotocol objects included) as we send it; thread-safe."""
        return json.dumps(value, default=self._serialize_message, separators=(",", ":"))

    def json_in_batches(self, value: Any) -> str:
        """`json_of` for a big value, for a worker thread: its long lists are encoded BATCH items at
        a time. One `json.dumps` is one C call holding the interpreter lock: 27,000 diagnostics of
        a 10 MB document held it long enough to stall the event loop's requests (a lag watchdog
        found the loop waiting while `json_of` ran in the thread)."""
        if not isinstance(value, (dict, list, str, int, float, bool, type(None))):
            value = self._serialize_message(value)
        return _json_in_batches(value, self._serialize_message)

    def notify_prepared(self, method: str, params_text: str) -> None:
        """Send a notification whose params are already JSON text (made off the event loop)."""
        self._send_body(lambda: f'{{"method":{compact_json(method)},"jsonrpc":"2.0","params":{params_text}}}')

    def _send_body(self, make_body: Callable[[], str], answering: Any = None) -> None:
        """Write the message `make_body()` makes (ASCII JSON: its length in characters is its
        length in bytes); a failure is reported as pygls reports it, and serving goes on. A
        response that cannot be serialised (`answering` its request id) becomes an error response
        for that id, so that the client does not wait for ever (a resolve whose `data`, echoed
        back, was nested too deeply for the serialiser)."""
        if self.writer is None:
            logger.error("Unable to send data, no available transport!")
            return
        try:
            body = make_body()
        except Exception as error:  # the message cannot be made: nothing was written
            if answering is None:
                logger.exception("Error serialising a message", exc_info=True)
                self._server._report_server_error(error, JsonRpcInternalError)
                return
            logger.warning("the answer to request %s could not be serialised (%s): answered %d instead",
                           _short(answering, 40), type(error).__name__, JsonRpcInternalError.CODE)
            body = compact_json({"jsonrpc": "2.0", "id": answering, "error": {
                "code": JsonRpcInternalError.CODE, "message": f"Internal error: the result could not be serialised ({type(error).__name__})"}})
        try:
            if self._include_headers:
                header = f"Content-Length: {len(body)}\r\nContent-Type: {self.CONTENT_TYPE}; charset={self.CHARSET}\r\n\r\n"
                body = header + body
            written = self.writer.write(body.encode(self.CHARSET))
            if inspect.isawaitable(written):
                asyncio.ensure_future(written)
        except BrokenPipeError:
            logger.exception("Error sending data. BrokenPipeError", exc_info=True)
            raise
        except Exception as error:  # what pygls does: report it, keep serving
            logger.exception("Error sending data", exc_info=True)
            self._server._report_server_error(error, JsonRpcInternalError)

    def _send_error(self, msg_id: Any, code: int, message: str) -> None:
        # A plain dict: pygls' ResponseErrorMessage leaves out an id of None, JSON-RPC wants null.
        self._send_data({"jsonrpc": "2.0", "id": msg_id, "error": {"code": code, "message": message}})

    def structure_message(self, data: Any):
        """pygls' structure_message without its traceback in the log. A request whose params do
        not deserialize is answered InvalidParams (pygls would drop it and the client would wait
        for ever); a notification is logged and dropped; a response fails the request it answers."""
        if not isinstance(data, dict) or "jsonrpc" not in data:
            return data
        try:
            return self._structure(data)
        except Exception as exc:
            reason = _short(str(exc).splitlines()[0] if str(exc) else type(exc).__name__, 200)
            if "method" in data:
                method = _short(str(data.get("method")), 100)
                if "id" in data:
                    logger.warning("malformed %s request: %s; answered InvalidParams", method, reason)
                    error = JsonRpcInvalidParams(message=f"Invalid params for {method}").to_response_error()
                    self._send_error(data["id"], error.code, error.message)
                else:
                    logger.warning("malformed %s notification: %s; ignored", method, reason)
                return _IGNORED
            msg_id = data.get("id")
            logger.warning("malformed response (id %s): %s; ignored", _short(msg_id, 40), reason)
            if _usable_id(msg_id) and msg_id in self._request_futures:
                error = JsonRpcInternalError(message=f"malformed response: {reason}")
                self._handle_response(msg_id, None, error.to_response_error())
            return _IGNORED

    def _structure(self, data: dict):
        """pygls 2.x' JsonRPCProtocol.structure_message, minus the logging."""
        if "id" in data:
            if "error" in data:
                return self._converter.structure(data, ResponseErrorMessage)
            if "method" in data:
                request_type = self.get_message_type(data["method"]) or JsonRPCRequestMessage
                return self._converter.structure(data, request_type)
            response_type = self._result_types.pop(data["id"], None) or JsonRPCResponseMessage
            return self._converter.structure(data, response_type)
        notification_type = self.get_message_type(data.get("method", "")) or JsonRPCNotification
        return self._converter.structure(data, notification_type)

    def _execute_handler(self, msg_id: Any, handler: Any, callback: Any, args: Any = None, kwargs: Any = None) -> None:
        """pygls 2.1 files the future of a notification handler (ours are generators, coroutines or
        threads), and of the handler a generator request hands on to (a command's), under a
        made-up id in `_request_futures` and never takes it out: every didChange or command kept a
        Future, its lock and its id for the life of the server (~1 KB), and, made among the trees
        of an edit, they pinned the memory of closed documents. Taken out once done."""
        super()._execute_handler(msg_id, handler, callback, args, kwargs)
        if getattr(callback, "func", None) == self._send_handler_result:  # a request: pygls takes it out when answered
            return
        future = self._request_futures.get(msg_id)
        if future is None:
            return
        if future.done():
            del self._request_futures[msg_id]
            return
        # Taken out later on the event loop, never in the callback itself: a thread handler's
        # callback runs in its worker thread, and `shutdown` cancels the pending futures while it
        # iterates over `_request_futures` (a cancel runs the callbacks at once).
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # pragma: no cover - pygls handles messages on its event loop
            return
        future.add_done_callback(lambda _done: loop.call_soon_threadsafe(self._request_futures.pop, msg_id, None))

    def _run_generator(self, future: Any, *, gen: Any, result_future: Any) -> None:
        """pygls' step of a generator handler, but a step that was cancelled (a command's task, by
        `shutdown` or a closed Ollama client) cancels the request, which is then answered as
        cancelled; pygls raised the CancelledError in an event-loop callback, which asyncio logged
        with a traceback, and the request was never answered. Once the request is answered (it was
        cancelled), what the step raised is read and dropped, not logged as never retrieved."""
        if future is not None and future.done() and not future.cancelled() and result_future.done():
            future.exception()
        elif future is not None and future.cancelled() and not result_future.done():
            gen.close()
            result_future.cancel()
            return
        super()._run_generator(future, gen=gen, result_future=result_future)

    def _handle_response(self, msg_id: Any, result: Any = None, error: Any = None) -> None:
        """pygls' `_handle_response`, but an answer to a request the server gave up on (timed out,
        cancelled: a busy editor answering `workspace/configuration` late) is one log line, where
        pygls raised InvalidStateError with a traceback."""
        future = self._request_futures.get(msg_id)
        if future is not None and future.done():
            del self._request_futures[msg_id]
            logger.info("a late answer to request %s, no longer awaited: ignored", _short(msg_id, 40))
            return
        super()._handle_response(msg_id, result, error)

    # --- LSP ---------------------------------------------------------------------------------------
    def _handle_cancel_notification(self, msg_id: Any) -> None:
        """pygls cancels only the outer future of `workspace/executeCommand`; the command's own task
        would run on (a pull would keep downloading). Cancel that task too."""
        if not _usable_id(msg_id):  # pygls would fail on an unhashable id, with a traceback
            logger.warning("$/cancelRequest for an id that is neither an integer nor a string; ignored")
            return
        super()._handle_cancel_notification(msg_id)
        task = self._server.running_commands.get(msg_id)
        if task is not None and not task.done():
            task.cancel()

    @lsp_method(types.INITIALIZE)
    def lsp_initialize(self, params: types.InitializeParams):
        general = getattr(params.capabilities, "general", None)
        if general is not None and general.position_encodings:
            general.position_encodings = [types.PositionEncodingKind.Utf16]
        return (yield from super().lsp_initialize(params))

    @lsp_method(types.SHUTDOWN)
    def lsp_shutdown(self, *args: Any):
        """pygls' shutdown: our handler, then every other pending request cancelled, over a copy of
        `_request_futures`. Cancelling a command (a generator request, with a concurrent Future)
        answers it at once, which takes it out of the dict pygls was iterating over: `shutdown`
        while a command ran failed with "dictionary changed size during iteration" (pygls#606)."""
        if (handler := self.fm.features.get(types.SHUTDOWN)) is not None:
            yield handler, args, None
        current = self.msg_id
        for msg_id, future in list(self._request_futures.items()):
            if msg_id != current and not future.done():
                future.cancel()
        self._shutdown = True

    @lsp_method(types.TEXT_DOCUMENT_DID_OPEN)
    def lsp_text_document__did_open(self, params: types.DidOpenTextDocumentParams):
        if (handler := self.fm.features.get(types.TEXT_DOCUMENT_DID_OPEN)) is not None:
            yield handler, (params,), None

    @lsp_method(types.TEXT_DOCUMENT_DID_CHANGE)
    def lsp_text_document__did_change(self, params: types.DidChangeTextDocumentParams):
        if (handler := self.fm.features.get(types.TEXT_DOCUMENT_DID_CHANGE)) is not None:
            yield handler, (params,), None

    @lsp_method(types.TEXT_DOCUMENT_DID_CLOSE)
    def lsp_text_document__did_close(self, params: types.DidCloseTextDocumentParams):
        if (handler := self.fm.features.get(types.TEXT_DOCUMENT_DID_CLOSE)) is not None:
            yield handler, (params,), None

    @lsp_method(types.WORKSPACE_EXECUTE_COMMAND)
    def lsp_workspace__execute_command(self, params: types.ExecuteCommandParams):
        current_work_done_token.set(params.work_done_token)
        return (yield from super().lsp_workspace__execute_command(params))
