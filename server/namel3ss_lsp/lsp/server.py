"""The language server object, its lifecycle and `serve()` (called by cli.py).

Features live in their own modules; each has `register(ls)`. This module wires them, owns the
shared state (documents, settings, the Ollama hub, background tasks) and the lifecycle:
initialize (settings from initializationOptions) -> initialized (pull workspace/configuration,
start health checks, first status notification) -> shutdown (cancel tasks, close HTTP clients).
"""

from __future__ import annotations

import asyncio
import gc
import importlib
import logging
import os
import sys
import threading
from typing import Any

from lsprotocol import types
from pygls.exceptions import JsonRpcException, JsonRpcInternalError
from pygls.lsp.server import LanguageServer

from namel3ss_lsp import __version__

from .commands.base import CommandState
from .commands.start import maybe_auto_start
from .diagnostics import DiagnosticsPublisher
from .documents import DocumentStore
from .guard import TaskGroup, cancel_and_wait, guarded
from .ollama_state import OllamaHub
from .protocol import Namel3ssProtocol
from .settings import SECTION, Settings, SettingsStore
from .status import StatusMonitor
from .workspace_index import WorkspaceIndexService

logger = logging.getLogger("namel3ss_lsp")


class Namel3ssLanguageServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__("namel3ss-lsp", __version__, protocol_cls=Namel3ssProtocol, max_workers=4)
        self.tasks = TaskGroup()
        self.settings_store = SettingsStore()
        self.documents = DocumentStore()
        self.hub = OllamaHub(self.tasks, self.settings_store.current)
        # The checks' facts of closed documents' declarations are scattered over the heap's arenas:
        # kept, not one arena could be given back (profile: 75 of 75 kept, 30 MB free in them).
        self.documents.on_release.append(self.hub.classify_memo.clear)
        self.diagnostics = DiagnosticsPublisher(self)
        self.diagnostics.on_unreachable = lambda base, options: maybe_auto_start(self, base, options)
        self.status = StatusMonitor(self)
        self.workspace_index = WorkspaceIndexService(self)
        self.initialized = False
        self.command_state = CommandState()
        self.hub.on_change(self._on_models_changed)
        self._model_change_listeners: list = []

    @property
    def running_commands(self) -> dict:
        """Request id -> task of a running command (for `$/cancelRequest`)."""
        return self.command_state.running

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
            await self.status.check(base_url, fresh=True)
        except Exception:
            logger.exception("status check after a model change failed (%s)", base_url)

    def apply_settings(self, settings: Settings) -> None:
        self.hub.reconfigure(settings)
        self.diagnostics.republish_all()
        self.status.poke()

    def client_supports(self, path: str) -> bool:
        try:
            value: Any = self.client_capabilities
        except AttributeError:  # before `initialize`: pygls has none yet
            return False
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
        # Commands still running (a pull, a status check) and the health checks under way are
        # stopped and waited for before their HTTP clients close: closed under them, they failed
        # with "lost the connection" and asyncio logged each failure with a traceback at exit.
        await cancel_and_wait(self.running_commands.values())
        await self.tasks.cancel_all()
        await self.status.stop()
        try:
            await self.hub.aclose()
        except Exception:
            logger.exception("closing the Ollama clients failed")


# Feature modules, one per feature; each has `register(ls)`. One name a line, so that adding a
# feature is a one-line change.
FEATURES = (
    "sync",
    "completion",
    "hover",
    "code_actions",
    "commands",
    "symbols",
    "folding",
    "code_lens",
    "workspace_index",
    "navigation",
    "semantic_tokens",
    "formatting",
    "selection_range",
    "document_link",
    "inlay_hints",
)


def create_server() -> Namel3ssLanguageServer:
    ls = Namel3ssLanguageServer()
    _register_lifecycle(ls)
    for name in FEATURES:
        importlib.import_module(f"{__package__}.{name}").register(ls)
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
        ls.tasks.spawn(ls.workspace_index.index_workspace(), "index-workspace")
        ls.tasks.spawn(ls.workspace_index.register_watcher(), "register-watcher")
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
        # timer ends it shortly after. pygls counts a shutdown only once its handler is done: an
        # `exit` written right behind `shutdown` (not waiting for its answer) is still a clean exit.
        if ls.protocol.shutdown_received:
            ls.protocol._shutdown = True  # what pygls' own exit reads for the exit code
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


SWITCH_INTERVAL = 0.001  # seconds a thread may hold the interpreter lock while another waits
FULL_COLLECTIONS_NEVER = 1 << 30  # middle-generation passes before a full one is considered: see serve()


def serve(tcp: bool = False, host: str = "127.0.0.1", port: int = 2087, log_level: str = "WARNING",
          max_message_size: int | None = None) -> None:
    """Serve over stdio (or TCP) with our tolerant, bounded reader (framing.py). A message body
    larger than `max_message_size` bytes (default: $NAMEL3SS_LSP_MAX_MESSAGE_BYTES, else 64 MiB)
    is skipped with one logged error."""
    from . import framing

    ls = create_server()
    _setup_logging(ls, log_level)
    # A worker thread (a huge document's analysis, a big model list) holds the interpreter lock for
    # up to the switch interval each time the event loop lets go of it for a system call; at the
    # default 5 ms, requests from other documents while a 10 MB document was analysed took p50
    # 13 ms, max 149 ms; at 1 ms, p50 5 ms, max 119 ms, and three times as many were answered.
    sys.setswitchinterval(SWITCH_INTERVAL)
    # A full cyclic-GC pass stops every thread, the event loop with them, for ~1 µs per object it
    # walks. What the server keeps (analyses, model lists) is frozen out of its view, so a full pass
    # finds next to nothing; but while a 200,000-model list was read in worker threads, the usual
    # trigger (a quarter more long-lived objects) fired a dozen full passes over the growing list,
    # 34 to 712 ms each: those were completion's stalls. Young collections go on as usual; full
    # ones happen where the server chooses: over what is not frozen at each health check
    # (analysis_queue.sweep_garbage, skipped while a big list or tree is still in view), over
    # everything once little text is left open (documents.release).
    gc.set_threshold(*gc.get_threshold()[:2], FULL_COLLECTIONS_NEVER)
    if tcp:
        framing.start_tcp(ls, host, port, max_message_size=max_message_size)
    else:
        framing.start_io(ls, max_message_size=max_message_size)
