"""Every handler is wrapped: a failure is logged with context and becomes an LSP error (commands)
or a harmless empty answer (read-only features), never a dead server. Background tasks likewise."""

from __future__ import annotations

import asyncio
import functools
import inspect
import logging
from typing import Any, Callable, Coroutine, Iterable

from pygls.exceptions import JsonRpcException, JsonRpcInternalError

logger = logging.getLogger("namel3ss_lsp.lsp")


def describe(params: Any) -> str:
    """Short context for a log line: the document URI and position when there are any."""
    try:
        parts = []
        doc = getattr(params, "text_document", None)
        if doc is not None:
            parts.append(str(getattr(doc, "uri", doc)))
        pos = getattr(params, "position", None)
        if pos is not None:
            parts.append(f"{pos.line}:{pos.character}")
        command = getattr(params, "command", None)
        if command:
            parts.append(str(command))
        text = " ".join(parts) or repr(params)
        return text if len(text) < 300 else text[:297] + "..."
    except Exception:  # pragma: no cover - describing must never fail
        return "<params>"


def guarded(name: str, *, default: Any = None, raise_errors: bool = False) -> Callable:
    """Wrap a handler `(ls, params)`; on an unexpected exception log it with context and either
    return `default` or (for `raise_errors`) raise a JSON-RPC internal error with a clear message."""

    def decorate(fn: Callable) -> Callable:
        if inspect.iscoroutinefunction(fn):

            @functools.wraps(fn)
            async def async_wrapper(ls, *args, **kwargs):
                try:
                    return await fn(ls, *args, **kwargs)
                except (asyncio.CancelledError, JsonRpcException):
                    raise
                except Exception as exc:
                    return _failed(name, exc, args, default, raise_errors)

            return async_wrapper

        @functools.wraps(fn)
        def wrapper(ls, *args, **kwargs):
            try:
                return fn(ls, *args, **kwargs)
            except JsonRpcException:
                raise
            except Exception as exc:
                return _failed(name, exc, args, default, raise_errors)

        return wrapper

    return decorate


def _failed(name: str, exc: Exception, args: tuple, default: Any, raise_errors: bool) -> Any:
    context = describe(args[0]) if args else ""
    logger.exception("%s failed (%s): %s", name, context, exc)
    if raise_errors:
        raise JsonRpcInternalError(message=f"namel3ss: {name} failed: {exc}")
    return default() if callable(default) else default


class TaskGroup:
    """Background tasks owned by the server: logged when they fail, cancelled at shutdown."""

    def __init__(self) -> None:
        self._tasks: set[asyncio.Task] = set()
        self.closed = False

    def spawn(self, coro: Coroutine, name: str, *, awaited: bool = False) -> asyncio.Task | None:
        """Run `coro` in the background. `awaited`: somebody awaits the result and reports its
        failure (a pull's error goes back to the client), so it is not logged here as well."""
        if self.closed:
            coro.close()
            return None
        task = asyncio.ensure_future(coro)
        task.set_name(name)
        self._tasks.add(task)
        task.add_done_callback(lambda t: self._done(t, awaited))
        return task

    def _done(self, task: asyncio.Task, awaited: bool = False) -> None:
        self._tasks.discard(task)
        if task.cancelled():
            return
        exc = task.exception()
        if exc is not None and not awaited:
            logger.error("background task %s failed: %r", task.get_name(), exc, exc_info=exc)

    async def cancel_all(self) -> None:
        self.closed = True
        await cancel_and_wait(self._tasks)


async def cancel_and_wait(tasks: Iterable[asyncio.Task], timeout: float = 2.0) -> None:
    """Cancel the tasks not done yet and wait (at most `timeout` seconds) until they have ended."""
    pending = [task for task in tasks if not task.done()]
    for task in pending:
        task.cancel()
    if pending:
        await asyncio.wait(pending, timeout=timeout)
