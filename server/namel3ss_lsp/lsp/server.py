"""The language server object, its lifecycle and `serve()` (called by cli.py).

Features live in their own modules; each has `register(ls)`. This module wires them, owns the
shared state (documents, settings, the Ollama hub, background tasks) and the lifecycle:
initialize (settings from initializationOptions) -> initialized (pull workspace/configuration,
start health checks, first status notification) -> shutdown (cancel tasks, close HTTP clients).
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
import threading
from typing import Any

from lsprotocol import types
from pygls.exceptions import JsonRpcException, JsonRpcInternalError, JsonRpcInvalidParams
from pygls.lsp.server import LanguageServer
from pygls.protocol import LanguageServerProtocol
from pygls.protocol.json_rpc import JsonRPCNotification
from pygls.protocol.language_server import lsp_method

from namel3ss_lsp import __version__

from .diagnostics import DiagnosticsPublisher
from .documents import DocumentStore
from .guard import TaskGroup, guarded
from .ollama_state import OllamaHub
from .progress import current_work_done_token
from .settings import SECTION, Settings, SettingsStore
from .status import StatusMonitor

logger = logging.getLogger("namel3ss_lsp")


class Namel3ssProtocol(LanguageServerProtocol):
    """pygls' protocol with three changes: positions are always UTF-16 (the language core's unit);
    text synchronisation is done by our DocumentStore (LSP line-break rules, clamped positions);
    the workDoneToken of `workspace/executeCommand` is visible to the command handler."""

    def structure_message(self, data: Any):
        """pygls drops a request whose params do not deserialize without answering it, so the
        client would wait for ever; answer it with InvalidParams instead."""
        try:
            return super().structure_message(data)
        except Exception as exc:
            if not (isinstance(data, dict) and "id" in data and "method" in data):
                raise
            method = str(data.get("method"))[:100]
            logger.warning("malformed %s request: %s", method, exc)
            error = JsonRpcInvalidParams(message=f"Invalid params for {method}")
            self._send_response(data["id"], error=error.to_response_error())
            return JsonRPCNotification(method="$/namel3ss/ignored", jsonrpc=self.VERSION, params=None)

    def _handle_cancel_notification(self, msg_id: Any) -> None:
        """pygls cancels only the outer future of `workspace/executeCommand`; the command's own task
        would run on (a pull would keep downloading). Cancel that task too."""
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


class Namel3ssLanguageServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__("namel3ss-lsp", __version__, protocol_cls=Namel3ssProtocol, max_workers=4)
        self.tasks = TaskGroup()
        self.settings_store = SettingsStore()
        self.documents = DocumentStore()
        self.hub = OllamaHub(self.tasks, self.settings_store.current)
        self.diagnostics = DiagnosticsPublisher(self)
        self.status = StatusMonitor(self)
        self.initialized = False
        self.running_commands: dict = {}  # request id -> task of a running command ($/cancelRequest)
        self.pulls: dict = {}  # (base URL, model key) -> running PullJob (a second pull joins it)
        self.starting: dict = {}  # base URL -> task starting `ollama serve`
        self.auto_start_attempted: set = set()  # base URLs auto_start_server already tried
        self.hub.on_change(self._on_models_changed)
        self._model_change_listeners: list = []

    @property
    def settings(self) -> Settings:
        return self.settings_store.current

    def on_models_changed(self, listener) -> None:
        self._model_change_listeners.append(listener)

    def _on_models_changed(self, base_url: str, what: str = "models") -> None:
        self.diagnostics.republish_all()
        if what != "models":
            return
        for listener in self._model_change_listeners:
            try:
                listener(base_url)
            except Exception:
                logger.exception("model change listener failed")

    async def reload_models(self, base_url: str) -> None:
        """After a pull, remove or start: re-read the model list, republish every open document,
        and let the status bar see the new model count now rather than at the next health check."""
        await self.hub.reload(base_url)
        self.diagnostics.republish_all()
        try:
            await self.status.check(base_url)
        except Exception:
            logger.exception("status check after a model change failed (%s)", base_url)

    def apply_settings(self, settings: Settings) -> None:
        self.hub.reconfigure(settings)
        self.diagnostics.republish_all()
        self.status.poke()

    def client_supports(self, path: str) -> bool:
        value: Any = self.client_capabilities
        for part in path.split("."):
            value = getattr(value, part, None)
            if value is None:
                return False
        return bool(value)

    async def pull_configuration(self) -> None:
        """`workspace/configuration` for section `namel3ss`, when the client supports it."""
        if not self.client_supports("workspace.configuration"):
            return
        try:
            result = await asyncio.wait_for(
                self.workspace_configuration_async(
                    types.ConfigurationParams(items=[types.ConfigurationItem(section=SECTION)])
                ),
                timeout=5,
            )
        except Exception as exc:
            logger.info("workspace/configuration failed: %s", exc)
            return
        if result and isinstance(result[0], dict):
            self.apply_settings(self.settings_store.set_client(result[0], source="workspace/configuration"))

    def report_server_error(self, error: Exception, source: Any) -> None:
        # Logged, never shown as a popup for every hiccup; the server goes on. An LSP error answer
        # (invalid params, an Ollama failure) is the expected outcome of a request, not a fault.
        if isinstance(error, JsonRpcException) and not isinstance(error, JsonRpcInternalError):
            logger.debug("request answered with an error: %s", error)
            return
        logger.error("pygls reported %s: %s", getattr(source, "__name__", source), error)

    async def close(self) -> None:
        await self.tasks.cancel_all()
        try:
            await self.hub.aclose()
        except Exception:
            logger.exception("closing the Ollama clients failed")


def create_server() -> Namel3ssLanguageServer:
    ls = Namel3ssLanguageServer()
    _register_lifecycle(ls)
    from . import (  # noqa: PLC0415 - feature modules, one per feature
        code_actions,
        code_lens,
        commands,
        completion,
        folding,
        hover,
        symbols,
        sync,
    )

    for module in (sync, completion, hover, code_actions, commands, symbols, folding, code_lens):
        module.register(ls)
    return ls


def _register_lifecycle(ls: Namel3ssLanguageServer) -> None:
    @ls.feature(types.INITIALIZE)
    @guarded("initialize")
    def initialize(ls: Namel3ssLanguageServer, params: types.InitializeParams) -> None:
        settings = ls.settings_store.set_initialization_options(params.initialization_options)
        ls.hub.reconfigure(settings)
        info = params.client_info
        logger.info("initialize from %s %s", getattr(info, "name", "?"), getattr(info, "version", ""))

    @ls.feature(types.INITIALIZED)
    @guarded("initialized")
    async def initialized(ls: Namel3ssLanguageServer, params: types.InitializedParams) -> None:
        ls.initialized = True
        await ls.pull_configuration()
        ls.status.start()

    @ls.feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION)
    @guarded("didChangeConfiguration")
    async def did_change_configuration(ls: Namel3ssLanguageServer, params: types.DidChangeConfigurationParams) -> None:
        settings = params.settings
        if isinstance(settings, dict) and isinstance(settings.get(SECTION), dict):
            ls.apply_settings(ls.settings_store.set_client(settings[SECTION], source="didChangeConfiguration"))
        else:  # the pull model: the notification only says "something changed"
            await ls.pull_configuration()

    @ls.feature(types.SHUTDOWN)
    async def shutdown(ls: Namel3ssLanguageServer, params: Any = None) -> None:
        await ls.close()

    @ls.feature(types.EXIT)
    def exit_(ls: Namel3ssLanguageServer, params: Any = None) -> None:
        # The LSP exit code: 0 after a shutdown request, else 1. pygls then closes the streams and
        # leaves the loop; should anything keep the process alive (a blocked stdin read), a daemon
        # timer ends it shortly after.
        code = 0 if ls.protocol._shutdown else 1
        if code:
            logger.warning("exit without shutdown")
            os._exit(code)
        timer = threading.Timer(3.0, os._exit, (code,))
        timer.daemon = True
        timer.start()


class _LogMessageHandler(logging.Handler):
    """Forwards our own log records to the client as window/logMessage."""

    _LEVELS = {
        logging.ERROR: types.MessageType.Error,
        logging.WARNING: types.MessageType.Warning,
        logging.INFO: types.MessageType.Info,
    }

    def __init__(self, ls: Namel3ssLanguageServer) -> None:
        super().__init__()
        self._ls = ls
        self._busy = False

    def emit(self, record: logging.LogRecord) -> None:
        # Only from the event loop's thread (worker threads must not write to the client).
        if self._busy or self._ls.protocol.writer is None or threading.current_thread() is not threading.main_thread():
            return
        self._busy = True
        try:
            kind = self._LEVELS.get(record.levelno, types.MessageType.Log)
            if record.levelno >= logging.ERROR:
                kind = types.MessageType.Error
            self._ls.window_log_message(types.LogMessageParams(type=kind, message=self.format(record)))
        except Exception:
            pass
        finally:
            self._busy = False


class _ExpectedErrors(logging.Filter):
    """pygls logs every error answer with a traceback; keep that for real faults only."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and isinstance(record.exc_info[1], JsonRpcException):
            return isinstance(record.exc_info[1], JsonRpcInternalError)
        return True


def _setup_logging(ls: Namel3ssLanguageServer, log_level: str) -> None:
    level = getattr(logging, str(log_level).upper(), logging.WARNING)
    stderr = logging.StreamHandler(sys.stderr)
    stderr.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [stderr]
    # Libraries (pygls logs every message at INFO) only speak up at DEBUG; our own log follows the level.
    root.setLevel(level if level <= logging.DEBUG else max(level, logging.WARNING))
    logging.getLogger("pygls.protocol.json_rpc").addFilter(_ExpectedErrors())
    ours = logging.getLogger("namel3ss_lsp")
    ours.setLevel(level)
    forward = _LogMessageHandler(ls)
    forward.setLevel(max(level, logging.INFO))
    forward.setFormatter(logging.Formatter("%(name)s: %(message)s"))
    ours.addHandler(forward)


def serve(tcp: bool = False, host: str = "127.0.0.1", port: int = 2087, log_level: str = "WARNING") -> None:
    ls = create_server()
    _setup_logging(ls, log_level)
    if tcp:
        ls.start_tcp(host, port)
    else:
        ls.start_io()
