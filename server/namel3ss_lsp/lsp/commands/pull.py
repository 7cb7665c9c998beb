"""`namel3ss.ollama.pullModel`: a download with work-done progress (percent and bytes, <= 10
reports a second, cancellable). A pull of a model already being pulled from the same server joins
the running one. On success the model list is re-read and every open document republished."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from pygls.exceptions import JsonRpcInvalidParams, JsonRpcRequestCancelled

from namel3ss_lsp import model_names
from namel3ss_lsp.ollama import OllamaError

from .base import ollama_failure, resolve_command_base_url
from ..convert import human_size
from ..progress import WorkDone

from ..context import ServerContext

logger = logging.getLogger(__name__)

CANCELLED_MESSAGE = (
    "Pull of '{model}' cancelled: the download request was stopped. Ollama may keep the partial "
    "layers it already downloaded on disk; a later pull of '{model}' resumes from them."
)


def describe_progress(progress: Any) -> tuple[str, int | None]:
    status = str(getattr(progress, "status", "") or "pulling")
    completed = getattr(progress, "completed", None)
    total = getattr(progress, "total", None)
    percent = getattr(progress, "percent", None)
    pct = None
    if isinstance(percent, (int, float)) and not isinstance(percent, bool):
        pct = max(0, min(100, int(percent)))
    if isinstance(completed, int) and isinstance(total, int) and total > 0:
        return f"{status}: {human_size(completed)} / {human_size(total)}", pct
    return status, pct


class PullJob:
    def __init__(self, model: str, base_url: str) -> None:
        self.model = model
        self.base_url = base_url
        self.task: asyncio.Task | None = None
        self.progresses: list[WorkDone] = []
        self.last: tuple[str, int | None] | None = None

    def on_progress(self, progress: Any) -> None:
        try:
            message, pct = describe_progress(progress)
        except Exception:
            logger.exception("bad pull progress %r", progress)
            return
        self.last = (message, pct)
        for wd in list(self.progresses):
            wd.report(message, pct)

    def attach(self, wd: WorkDone) -> None:
        self.progresses.append(wd)
        wd.on_cancel(self.cancel)

    def cancel(self) -> None:
        if self.task is not None and not self.task.done():
            logger.info("pull of %s from %s cancelled", self.model, self.base_url)
            self.task.cancel()


async def _run_pull(ls: ServerContext, job: PullJob) -> dict:
    result = await ls.hub.tools.pull_model(job.model, job.base_url, on_progress=job.on_progress)
    return result if isinstance(result, dict) else {"model": job.model, "status": "success"}


async def run_pull(ls: ServerContext, model: str, base: str, *, title: str) -> tuple[dict, bool, WorkDone]:
    """Pull `model` from `base` with work-done progress titled `title`, joining a pull of the same
    model already running. Returns (Ollama's result, joined, the progress, still open: the caller
    ends it). A failure ends the progress and raises the command's error."""
    key = (base, model_names.parse(model).key)
    pulls = ls.command_state.pulls
    job: PullJob | None = pulls.get(key)
    joined = job is not None and job.task is not None and not job.task.done()
    wd = WorkDone(ls, title, cancellable=True)
    if joined:
        assert job is not None
        await wd.begin(message=f"joined the pull of '{model}' already running from {base}")
        if job.last is not None:
            wd.report(*job.last)
    else:
        job = PullJob(model, base)
        await wd.begin(message=f"from {base}", percentage=0)
        job.task = ls.tasks.spawn(_run_pull(ls, job), f"pull:{base}:{model}", awaited=True)
        if job.task is None:
            raise JsonRpcInvalidParams(message="the server is shutting down")
        pulls[key] = job
        job.task.add_done_callback(lambda _t, k=key, j=job: pulls.pop(k, None) if pulls.get(k) is j else None)
    job.attach(wd)
    task = job.task
    assert task is not None
    try:
        result = await asyncio.shield(task)
    except asyncio.CancelledError:
        if task.cancelled():
            wd.end(CANCELLED_MESSAGE.format(model=model))
            raise JsonRpcRequestCancelled(message=CANCELLED_MESSAGE.format(model=model)) from None
        job.cancel()  # the request itself was cancelled ($/cancelRequest): stop the download too
        wd.end("cancelled")
        raise
    except OllamaError as exc:
        wd.end(f"failed: {str(exc).strip().splitlines()[0] if str(exc).strip() else exc}")
        raise ollama_failure(exc, model=model, base_url=base) from exc
    except Exception:
        wd.end("failed")
        raise
    return (result if isinstance(result, dict) else {}), joined, wd


async def pull_command(ls: ServerContext, args: dict) -> dict:
    model = args["model"]
    reason = model_names.invalid_reason(model)
    if reason is not None:
        raise JsonRpcInvalidParams(message=f"Cannot pull '{model}': {reason}")
    base = resolve_command_base_url(ls, args.get("baseUrl"))
    result, joined, wd = await run_pull(ls, model, base, title=f"Pulling {model}")
    wd.end(f"'{model}' pulled from {base}")
    if not joined:
        await ls.reload_models(base)
    out = {"model": model, "status": "success"}
    if joined:
        out["joined"] = True
    if isinstance(result, dict) and result.get("status") not in (None, "success"):
        out["status"] = result["status"]
    return out
