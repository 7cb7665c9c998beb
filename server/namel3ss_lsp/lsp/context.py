"""`ServerContext`: what a feature handler may use of the server, typed in one place.

Handlers and services take a `ServerContext` instead of naming the concrete server class, so
no feature module imports `server.py` (which imports the features to register them): the import
arrows point one way, server -> features -> context. The concrete class is
`server.Namel3ssLanguageServer`; anything of pygls' `LanguageServer` API not listed here (window
and workspace requests, `feature`, `command`) is reached through `__getattr__`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from .commands.base import CommandState
    from .diagnostics import DiagnosticsPublisher
    from .documents import DocumentStore
    from .guard import TaskGroup
    from .ollama_state import OllamaHub
    from .settings import Settings
    from .status import StatusMonitor
    from .workspace_index import WorkspaceIndexService


class ServerContext(Protocol):
    documents: "DocumentStore"  # open documents and their analyses
    hub: "OllamaHub"  # which server, allowed, installed: what is known of each Ollama server
    diagnostics: "DiagnosticsPublisher"
    status: "StatusMonitor"
    workspace_index: "WorkspaceIndexService"
    tasks: "TaskGroup"  # background tasks, logged when they fail, cancelled at shutdown
    command_state: "CommandState"  # running commands, pulls, server starts
    protocol: Any
    client_capabilities: Any

    @property
    def settings(self) -> "Settings": ...

    def client_supports(self, path: str) -> bool: ...

    async def reload_models(self, base_url: str) -> None: ...

    def __getattr__(self, name: str) -> Any: ...
