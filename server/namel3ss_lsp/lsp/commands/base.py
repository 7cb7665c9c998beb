"""What every command shares: the ids of the contract, argument checking, error mapping, the
server a command talks to, and the wrapper that makes a handler cancellable.

Each command takes a single object argument (none at all means `{}`); a wrong shape is refused with
InvalidParams naming the command and what was expected. Ollama failures become an LSP error whose
message is the guide's text and whose `data` says `kind`, `suggestion`, `model` and `baseUrl`.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable

from pygls.exceptions import JsonRpcException, JsonRpcInvalidParams, JsonRpcServerError

from namel3ss_lsp.ollama import OllamaError, url_problem, url_suggestion

from ..context import ServerContext
from ..guard import describe

logger = logging.getLogger(__name__)

PULL = "namel3ss.ollama.pullModel"
REMOVE = "namel3ss.ollama.removeModel"
LIST = "namel3ss.ollama.listModels"
STATUS = "namel3ss.ollama.status"
REFRESH = "namel3ss.ollama.refresh"
START = "namel3ss.ollama.startServer"
TRY = "namel3ss.ollama.tryModel"
UPDATE = "namel3ss.ollama.updateModel"

OLLAMA_ERROR_CODE = -32001  # an Ollama failure (unreachable, not found, HTTP error, ...)
NOT_ALLOWED_CODE = -32002  # a host outside ollama.allowedHosts

# name -> {key: (python types, required)}
SPECS: dict[str, dict[str, tuple[tuple[type, ...], bool]]] = {
    PULL: {"model": ((str,), True), "baseUrl": ((str,), False)},
    REMOVE: {"model": ((str,), True), "baseUrl": ((str,), False), "confirmed": ((bool,), False)},
    LIST: {"baseUrl": ((str,), False)},
    STATUS: {"baseUrl": ((str,), False)},
    REFRESH: {},
    START: {"baseUrl": ((str,), False)},
    UPDATE: {"model": ((str,), True), "baseUrl": ((str,), False)},
    TRY: {
        "model": ((str,), True),
        "prompt": ((str,), False),
        "baseUrl": ((str,), False),
        "uri": ((str,), False),
        "declaration": ((str,), False),
    },
}

@dataclass
class CommandState:
    """What running commands share, owned by the server: a second pull of the same model joins
    the first; `ollama serve` is started once per server; `$/cancelRequest` finds a command's task."""

    running: dict = field(default_factory=dict)  # request id -> task of a running command
    pulls: dict = field(default_factory=dict)  # (base URL, model key) -> running PullJob
    starting: dict = field(default_factory=dict)  # base URL -> task starting `ollama serve`
    auto_start_attempted: set = field(default_factory=set)  # base URLs auto_start_server tried


_TYPE_NAMES = {str: "a string", bool: "true or false", int: "an integer", dict: "an object"}


def parse_arguments(command: str, args: tuple) -> dict[str, Any]:
    spec = SPECS[command]
    if len(args) == 0 or (len(args) == 1 and args[0] is None):
        obj: Any = {}
    elif len(args) > 1:
        raise JsonRpcInvalidParams(
            message=f"{command} takes a single object argument, got {len(args)} arguments"
        )
    else:
        obj = args[0]
    if not isinstance(obj, dict):
        expected = ", ".join(f'"{k}"' for k in spec) or "no keys"
        raise JsonRpcInvalidParams(
            message=f"{command} takes a single object argument ({expected}), got {type(obj).__name__}"
        )
    out: dict[str, Any] = {}
    for key, (kinds, required) in spec.items():
        if key not in obj or obj[key] is None:
            if required:
                raise JsonRpcInvalidParams(message=f'{command}: the argument needs "{key}" ({_TYPE_NAMES[kinds[0]]})')
            continue
        value = obj[key]
        if not isinstance(value, kinds) or (bool not in kinds and isinstance(value, bool)):
            raise JsonRpcInvalidParams(
                message=f'{command}: "{key}" must be {_TYPE_NAMES[kinds[0]]}, got {type(value).__name__}'
            )
        if isinstance(value, str) and required and not value.strip():
            raise JsonRpcInvalidParams(message=f'{command}: "{key}" must not be empty')
        out[key] = value
    return out


def ollama_failure(exc: OllamaError, *, model: str | None = None, base_url: str | None = None) -> JsonRpcException:
    data = {
        "kind": getattr(exc, "kind", None),
        "suggestion": getattr(exc, "suggestion", None),
        "model": getattr(exc, "model", None) or model,
        "baseUrl": getattr(exc, "base_url", None) or base_url,
    }
    return JsonRpcServerError(message=str(exc), code=OLLAMA_ERROR_CODE, data=data)


def resolve_command_base_url(ls: ServerContext, base_url: str | None) -> str:
    """The server a command talks to: the given baseUrl (normalised) or the default one; refused
    with a clear error when its host is outside ollama.allowedHosts."""
    hub = ls.hub
    try:
        base = hub.base_url_for({"base_url": base_url}) if base_url else hub.default_base_url()
    except Exception as exc:
        raise JsonRpcInvalidParams(message=f'"baseUrl" is not a usable URL: {exc}') from exc
    problem = url_problem(base)
    if problem is not None:  # a URL the HTTP client cannot use: say so, not "not allowed"
        raise JsonRpcServerError(
            message=f"The Ollama server URL {base!r} cannot be used: {problem}. {url_suggestion(base)}",
            code=NOT_ALLOWED_CODE,
            data={"baseUrl": base, "kind": "host_not_allowed", "reason": "invalid-url"},
        )
    if not hub.allowed(base):
        raise JsonRpcServerError(
            message=f"The Ollama server {base} is not in ollama.allowedHosts; not contacting it. "
            "Add its host to the ollama.allowedHosts setting if you trust it.",
            code=NOT_ALLOWED_CODE,
            data={"baseUrl": base, "kind": "host_not_allowed"},
        )
    return base


Handler = Callable[[ServerContext, dict], Awaitable[Any]]


def add_command(ls: ServerContext, name: str, handler: Handler) -> None:
    async def run(ls, *args):  # no annotations: pygls evaluates them (get_type_hints)
        arguments = parse_arguments(name, args)
        # pygls runs a command as a task of its own; remember it so `$/cancelRequest` reaches it
        request_id = ls.protocol.msg_id
        running = ls.command_state.running
        if request_id is not None:
            running[request_id] = asyncio.current_task()
        try:
            return await handler(ls, arguments)
        except JsonRpcException:
            raise
        except OllamaError as exc:
            raise ollama_failure(exc, model=arguments.get("model")) from exc
        except Exception as exc:
            logger.exception("command %s failed (%s)", name, describe(arguments))
            raise JsonRpcServerError(message=f"{name} failed: {exc}", code=-32000) from exc
        finally:
            if request_id is not None:
                running.pop(request_id, None)

    run.__name__ = name.rsplit(".", 1)[-1]
    ls.command(name)(run)
