"""End-to-end harness: the real server process over stdio, driven by a pytest-lsp client that
records everything the server sends (diagnostics with versions, status notifications, progress,
message requests, code lens refreshes), with the recorded capabilities of VS Code and Neovim 0.7."""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

from lsprotocol import types
from pytest_lsp import LanguageClient, client_capabilities
from pytest_lsp.client import DEFAULT_CLIENT_FEATURES, register_lsp_features
from pytest_lsp.protocol import LanguageClientProtocol
from pygls.protocol import default_converter

REPO = Path(__file__).resolve().parent.parent.parent
FAKE_OLLAMA_DIR = Path(__file__).resolve().parent / "fake_ollama"

# The recorded client profiles pytest-lsp ships (checked: visual_studio_code_v1.65.2, neovim_v0.7.0).
VSCODE = "visual-studio-code@v1.65.2"
NEOVIM = "neovim@v0.7.0"
PROFILES = (VSCODE, NEOVIM)


class RawCodeActionProtocol(LanguageClientProtocol):
    """lsprotocol structures any code action that has a `command` as a `Command` (its union hook
    only looks for the key), losing `kind`, `edit` and `diagnostics`. Real editors parse JSON
    themselves; the tests read code action results as plain JSON too."""

    def get_result_type(self, method: str):
        if method == types.TEXT_DOCUMENT_CODE_ACTION:
            return None
        return super().get_result_type(method)


class RecordingClient(LanguageClient):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("protocol_cls", RawCodeActionProtocol)
        super().__init__(*args, **kwargs)
        self.published: dict[str, list[types.PublishDiagnosticsParams]] = {}
        self.statuses: list[dict] = []
        self.message_requests: list[types.ShowMessageRequestParams] = []
        self.message_answer: str | None = None  # title to answer window/showMessageRequest with
        self.code_lens_refreshes = 0
        self.registrations: list[types.Registration] = []
        self.inlay_hint_refreshes = 0

    # --- conveniences ---------------------------------------------------------------------------
    def latest(self, uri: str) -> types.PublishDiagnosticsParams | None:
        items = self.published.get(uri) or []
        return items[-1] if items else None

    def codes(self, uri: str) -> list[str]:
        latest = self.latest(uri)
        return [str(d.code) for d in (latest.diagnostics if latest else [])]

    def open(self, uri: str, text: str, version: int = 1) -> None:
        self.text_document_did_open(
            types.DidOpenTextDocumentParams(
                text_document=types.TextDocumentItem(uri=uri, language_id="namel3ss", version=version, text=text)
            )
        )

    def change(self, uri: str, version: int, changes: list) -> None:
        self.text_document_did_change(
            types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
                content_changes=changes,
            )
        )

    async def command(self, name: str, *arguments: Any, token: Any = None) -> Any:
        result = await self.workspace_execute_command_async(
            types.ExecuteCommandParams(command=name, arguments=list(arguments), work_done_token=token)
        )
        return _plain(result)

    async def wait_diagnostics(
        self, uri: str, predicate: Callable[[types.PublishDiagnosticsParams], bool] | None = None, timeout: float = 20
    ) -> types.PublishDiagnosticsParams:
        def ok() -> bool:
            latest = self.latest(uri)
            return latest is not None and (predicate is None or predicate(latest))

        try:
            await wait_until(ok, timeout, what=f"diagnostics for {uri}")
        except AssertionError as exc:
            seen = [(p.version, [str(d.code) for d in p.diagnostics]) for p in self.published.get(uri, [])]
            last = self.latest(uri)
            first = [f"{d.code}: {d.message[:300]}" for d in last.diagnostics[:3]] if last is not None else []
            raise AssertionError(f"{exc}; published: {seen[-5:]}; the first of the last: {first}; "
                                 f"statuses: {self.statuses[-3:]}") from None
        latest = self.latest(uri)
        assert latest is not None
        return latest

    async def wait_codes(self, uri: str, predicate: Callable[[list[str]], bool], timeout: float = 20) -> list:
        latest = await self.wait_diagnostics(uri, lambda p: predicate([str(d.code) for d in p.diagnostics]), timeout)
        return list(latest.diagnostics)


async def wait_until(condition: Callable[[], bool], timeout: float = 10, *, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while True:
        if condition():
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        await asyncio.sleep(0.02)


def _publish(client: RecordingClient, params: types.PublishDiagnosticsParams) -> None:
    client.diagnostics[params.uri] = params.diagnostics
    client.published.setdefault(params.uri, []).append(params)


def _status(client: RecordingClient, params: Any) -> None:
    client.statuses.append(_plain(params))


def _message_request(client: RecordingClient, params: types.ShowMessageRequestParams):
    client.message_requests.append(params)
    if client.message_answer is None:
        return None
    return types.MessageActionItem(title=client.message_answer)


def _code_lens_refresh(client: RecordingClient, params: Any) -> None:
    client.code_lens_refreshes += 1


def _inlay_hint_refresh(client: RecordingClient, params: Any) -> None:
    client.inlay_hint_refreshes += 1


def _register_capability(client: RecordingClient, params: types.RegistrationParams) -> None:
    client.registrations.extend(params.registrations)


def _client_factory() -> RecordingClient:
    client = RecordingClient(converter_factory=default_converter)
    features = dict(DEFAULT_CLIENT_FEATURES)
    features[types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS] = _publish
    features["namel3ss/ollamaStatus"] = _status
    features[types.WINDOW_SHOW_MESSAGE_REQUEST] = _message_request
    features[types.WORKSPACE_CODE_LENS_REFRESH] = _code_lens_refresh
    features[types.CLIENT_REGISTER_CAPABILITY] = _register_capability
    features[types.WORKSPACE_INLAY_HINT_REFRESH] = _inlay_hint_refresh
    register_lsp_features(client, features)
    return client


def server_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("OLLAMA_HOST", "NAMEL3SS_OLLAMA_BASE_URL")}
    paths = [str(REPO / "server"), str(REPO)]
    if env.get("PYTHONPATH"):
        paths.append(env["PYTHONPATH"])
    env["PYTHONPATH"] = os.pathsep.join(paths)
    env["PYTHONUNBUFFERED"] = "1"
    env.update(extra or {})
    return env


def fast_settings(base_url: str | None = None, **ollama: Any) -> dict:
    """Settings that keep the suite quick: short timeouts and health-check interval."""
    settings: dict[str, Any] = {
        "ollama": {"requestTimeout": 2, "healthCheckInterval": 0.2, "modelCacheTtl": 60, **ollama},
    }
    if base_url is not None:
        settings["ollama"]["baseUrl"] = base_url
    return settings


async def start_client(
    profile: str = VSCODE,
    *,
    init: dict | None = None,
    configuration: dict | None = None,
    env: dict[str, str] | None = None,
    log_level: str = "INFO",
    root: Path | None = None,
    capabilities: Callable[[types.ClientCapabilities], None] | None = None,
) -> RecordingClient:
    """A server over stdio, initialized with the client profile's capabilities. Its workspace is
    `root`, by default an empty folder (so the background index has nothing to read)."""
    root = root or _empty_root()
    client = _client_factory()
    if configuration is not None:
        client.set_configuration(configuration, section="namel3ss")
    await client.start_io(sys.executable, "-m", "namel3ss_lsp", "--log-level", log_level, env=server_env(env))
    caps = client_capabilities(profile)
    if capabilities is not None:  # a test's changes to the recorded profile
        capabilities(caps)
    await client.initialize_session(
        types.InitializeParams(
            capabilities=caps,
            initialization_options=init,
            root_uri=root.as_uri(),
            workspace_folders=[types.WorkspaceFolder(uri=root.as_uri(), name=root.name)],
        )
    )
    return client


_EMPTY_ROOT: list[Path] = []


def _empty_root() -> Path:
    if not _EMPTY_ROOT:
        _EMPTY_ROOT.append(Path(tempfile.mkdtemp(prefix="namel3ss-empty-workspace-")))
    return _EMPTY_ROOT[0]


async def stop_client(client: RecordingClient) -> None:
    try:
        await asyncio.wait_for(client.shutdown_session(), timeout=10)
    finally:
        await client.stop()


def model_block(model: str, name: str = "chat_model", *, config: dict | None = None, kind: str = "ai model") -> str:
    """An `ai model` declaration served by Ollama, with an optional config map."""
    lines = [f"{kind} {name} {{", "    provider: ollama", f"    model: {model}"]
    if config:
        lines.append("    config: {")
        for key, value in config.items():
            if isinstance(value, bool):
                text = "true" if value else "false"
            elif isinstance(value, str):
                text = f'"{value}"'
            else:
                text = str(value)
            lines.append(f"        {key}: {text}")
        lines.append("    }")
    lines.append("}")
    return "\n".join(lines) + "\n"


def find_position(text: str, needle: str, offset: int = 0) -> types.Position:
    """LSP position (UTF-16) of `needle` (+offset characters) in `text`."""
    index = text.index(needle) + offset
    line = text.count("\n", 0, index)
    start = text.rfind("\n", 0, index) + 1
    prefix = text[start:index]
    return types.Position(line=line, character=len(prefix.encode("utf-16-le")) // 2)


def _plain(value: Any) -> Any:
    """pygls hands unknown notifications' params over as namedtuple-like objects: back to dicts."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)) and not hasattr(value, "_asdict"):
        return [_plain(v) for v in value]
    if hasattr(value, "_asdict"):
        return {k: _plain(v) for k, v in value._asdict().items()}
    if hasattr(value, "__dict__") and not isinstance(value, type):
        return {k: _plain(v) for k, v in vars(value).items()}
    return value


class StandinFactory:
    """`standins(models=..., pullable=..., **knobs)`: stand-in Ollama processes, stopped by stop_all()."""

    def __init__(self) -> None:
        self.started: list = []

    def __call__(self, models: list[str] | None = None, pullable: list[str] | None = None, **knobs: Any):
        from tests.standin.process import StandInProcess

        server = StandInProcess(models=models, pullable=pullable, **knobs)
        server.start()
        self.started.append(server)
        return server

    def stop_all(self) -> None:
        for server in self.started:
            try:
                server.stop()
            except Exception:  # already gone: a test stopped it on purpose
                pass


class ClientFactory:
    """`lsp(profile=None, init=..., env=...)`: real server processes with recording clients."""

    def __init__(self) -> None:
        self.started: list[RecordingClient] = []

    async def __call__(self, profile: str | None = None, **kwargs: Any) -> RecordingClient:
        client = await start_client(profile or VSCODE, **kwargs)
        self.started.append(client)
        return client

    async def stop_all(self) -> None:
        for client in self.started:
            try:
                await stop_client(client)
            except Exception:  # a test that killed its server on purpose
                pass
