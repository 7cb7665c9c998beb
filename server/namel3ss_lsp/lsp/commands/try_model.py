"""`namel3ss.ollama.tryModel`: run a declared model once and measure it.

Sends the prompt through `OllamaProvider.stream` with the declaration's config options, streams the
reply as work-done progress reports (each report's `message` is the text produced since the previous
report, so the reports concatenated are the reply, in order), cancellable, and returns
`{"model", "text", "tokens": {"prompt", "completion", "total"}, "tokensPerSecond", "totalDurationMs"}`.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from pygls.exceptions import JsonRpcInvalidParams, JsonRpcRequestCancelled

from namel3ss_lsp import model_names
from namel3ss_lsp.ollama import OllamaError

from .base import ollama_failure, resolve_command_base_url
from ..diagnostics import decl_options, ollama_declarations
from ..progress import WorkDone

from ..context import ServerContext

logger = logging.getLogger(__name__)

DEFAULT_PROMPT = "Say hello and introduce yourself in one short sentence."


def find_declaration(ls: ServerContext, args: dict) -> Any:
    """The declaration the request is about (the code lens passes `uri` and `declaration`); without
    a `uri` the request stands alone and uses no declaration's options."""
    uri, name, model = args.get("uri"), args.get("declaration"), args["model"]
    if not uri:
        return None
    docs = [ls.documents.get(uri)]
    for doc in docs:
        if doc is None or doc.analysis is None:
            continue
        for decl in ollama_declarations(doc.analysis):
            if name and decl.name != name:
                continue
            if model_names.same_model(decl.model, model):
                return decl
    return None


async def try_model_command(ls: ServerContext, args: dict) -> dict:
    model = args["model"]
    reason = model_names.invalid_reason(model)
    if reason is not None:
        raise JsonRpcInvalidParams(message=f"Cannot try '{model}': {reason}")
    decl = find_declaration(ls, args)
    options = decl_options(decl) if decl is not None else {}
    base = resolve_command_base_url(ls, args.get("baseUrl") or (ls.hub.base_url_for(options) if decl else None))
    config = {k: v for k, v in options.items() if k not in _NOT_SENT}
    config["auto_pull_model"] = False  # trying never downloads
    config["auto_start_server"] = False  # ... nor starts a server
    prompt = args.get("prompt") or DEFAULT_PROMPT

    wd = WorkDone(ls, f"Trying {model}", cancellable=True, min_interval=0.1)
    await wd.begin(message=f"{base}: {prompt}")
    parts: list[str] = []

    def on_text(text: str) -> None:
        parts.append(text)
        wd.append(text)

    task = asyncio.ensure_future(ls.hub.tools.try_model(model, prompt, base, on_text=on_text, **config))
    wd.on_cancel(task.cancel)
    try:
        result = await asyncio.shield(task)
    except asyncio.CancelledError:
        if not task.done():  # the request itself was cancelled
            task.cancel()
            wd.end("cancelled")
            raise
        wd.end("cancelled")
        raise JsonRpcRequestCancelled(
            message=f"tryModel of '{model}' cancelled; the request to Ollama was stopped."
        ) from None
    except OllamaError as exc:
        wd.end(f"failed: {exc.description if hasattr(exc, 'description') else exc}")
        error = ollama_failure(exc, model=model, base_url=base)
        if isinstance(error.data, dict):
            error.data["text"] = "".join(parts)
        raise error from exc
    tokens = result.get("tokens") or {}
    tps = result.get("tokensPerSecond")
    total_ms = result.get("totalDurationMs")
    summary = f"{tokens.get('completion') or 0} tokens, {tps or 0:.1f} tok/s"
    if isinstance(total_ms, (int, float)):
        summary += f", {total_ms / 1000:.1f} s"
    wd.end(summary)
    return result


# Keys of a declaration's config that are not generation options.
_NOT_SENT = {"deployment_config", "base_url", "on_text", "prompt", "model"}
