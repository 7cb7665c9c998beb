"""Work-done progress with rate limiting and cancellation.

Uses the client's `workDoneToken` when the request carried one, else creates a token with
`window/workDoneProgress/create` when the client supports it, else does nothing (the work still
runs). Reports are sent at most once per `min_interval` (default 0.1 s, i.e. <= 10 a second); the
latest one is never lost: it is sent when the interval has passed or at `end()`.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import time
import uuid
from typing import Any, Callable

from lsprotocol import types

logger = logging.getLogger(__name__)

# Set by the protocol for the duration of a `workspace/executeCommand` request.
current_work_done_token: contextvars.ContextVar[Any] = contextvars.ContextVar(
    "namel3ss_work_done_token", default=None
)


def client_supports_progress(ls) -> bool:
    caps = getattr(ls, "client_capabilities", None)
    window = getattr(caps, "window", None) if caps else None
    return bool(getattr(window, "work_done_progress", False))


class WorkDone:
    def __init__(self, ls, title: str, *, cancellable: bool = True, min_interval: float = 0.12):
        self._ls = ls
        self.title = title
        self.cancellable = cancellable
        self.min_interval = min_interval
        self.token: Any = None
        self._last_sent = 0.0
        self._pending: types.WorkDoneProgressReport | None = None
        self._pending_text = ""
        self._timer: asyncio.TimerHandle | None = None
        self._ended = False
        self._cancel_callbacks: list[Callable[[], None]] = []
        self.reports_sent = 0

    async def begin(self, message: str | None = None, percentage: int | None = None) -> "WorkDone":
        token = current_work_done_token.get()
        try:
            if token is None and client_supports_progress(self._ls):
                token = f"namel3ss-{uuid.uuid4()}"
                await asyncio.wait_for(self._ls.work_done_progress.create_async(token), timeout=10)
        except Exception as exc:  # a client that refuses progress must not stop the work
            logger.info("work-done progress not available (%s): continuing without it", exc)
            token = None
        self.token = token
        if token is None:
            return self
        self._ls.work_done_progress.begin(
            token,
            types.WorkDoneProgressBegin(
                title=self.title, cancellable=self.cancellable, message=message, percentage=percentage
            ),
        )
        future = self._ls.work_done_progress.tokens.get(token)
        if future is not None:
            future.add_done_callback(self._on_token_done)
        self._last_sent = time.monotonic()
        return self

    def on_cancel(self, callback: Callable[[], None]) -> None:
        """Call `callback` when the user cancels from the client's progress UI."""
        self._cancel_callbacks.append(callback)

    def _on_token_done(self, future) -> None:
        if future.cancelled() and not self._ended:
            for callback in list(self._cancel_callbacks):
                try:
                    callback()
                except Exception:
                    logger.exception("progress cancel callback failed")

    def report(self, message: str | None = None, percentage: int | None = None) -> None:
        """Replace the pending report (rate-limited)."""
        if self.token is None or self._ended:
            return
        self._pending = types.WorkDoneProgressReport(message=message, percentage=percentage)
        self._maybe_send()

    def append(self, text: str) -> None:
        """Stream text: each sent report's message is the text produced since the previous report."""
        if self.token is None or self._ended or not text:
            return
        self._pending_text += text
        self._pending = None
        self._maybe_send()

    def _maybe_send(self) -> None:
        now = time.monotonic()
        wait = self._last_sent + self.min_interval - now
        if wait <= 0:
            if self._timer is not None:  # a late timer must not send a second report right after
                self._timer.cancel()
            self._send_pending()
        elif self._timer is None:
            self._timer = asyncio.get_running_loop().call_later(wait, self._send_pending)

    def _send_pending(self) -> None:
        self._timer = None
        if self.token is None or self._ended:
            return
        value = self._pending
        if self._pending_text:
            value = types.WorkDoneProgressReport(message=self._pending_text)
            self._pending_text = ""
        self._pending = None
        if value is None:
            return
        self._last_sent = time.monotonic()
        self.reports_sent += 1
        self._ls.work_done_progress.report(self.token, value)

    def end(self, message: str | None = None) -> None:
        if self.token is None or self._ended:
            return
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._pending_text or self._pending is not None:
            self._send_pending()
        self._ended = True
        self._ls.work_done_progress.end(self.token, types.WorkDoneProgressEnd(message=message))
        self._ls.work_done_progress.tokens.pop(self.token, None)


def watch_cancellation(progress: WorkDone, task: asyncio.Task) -> None:
    """Cancelling the progress in the client cancels `task`."""
    progress.on_cancel(lambda: task.cancel())
