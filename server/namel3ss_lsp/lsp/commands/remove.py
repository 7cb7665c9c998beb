"""`namel3ss.ollama.removeModel`: asks with `window/showMessageRequest` (model, server, size) unless
`confirmed` is true, removes only on the answer `Remove`, then re-reads the model list and
republishes every open document."""

from __future__ import annotations

import asyncio
import logging

from lsprotocol import types
from pygls.exceptions import JsonRpcInvalidParams

from namel3ss_lsp import model_names
from namel3ss_lsp.ollama import OllamaError

from .base import ollama_failure, resolve_command_base_url
from ..convert import human_size

from ..context import ServerContext

logger = logging.getLogger(__name__)

REMOVE_ANSWER = "Remove"
CANCEL_ANSWER = "Cancel"


async def remove_command(ls: ServerContext, args: dict) -> dict:
    model = args["model"]
    reason = model_names.invalid_reason(model)
    if reason is not None:
        raise JsonRpcInvalidParams(message=f"Cannot remove '{model}': {reason}")
    base = resolve_command_base_url(ls, args.get("baseUrl"))
    if args.get("confirmed") is not True:
        entry = ls.hub.model_entry(base, model)
        if entry is None and not ls.hub.models(base):
            try:  # learn the size for the question; a failure here is not fatal
                await asyncio.wait_for(ls.hub.tools.list_available_models(base), timeout=ls.settings.request_timeout)
                entry = ls.hub.model_entry(base, model)
            except (OllamaError, asyncio.TimeoutError):
                entry = None
        size = human_size(entry.get("size")) if entry else ""
        size_text = f" ({size} on disk)" if size else ""
        question = f"Remove model '{model}'{size_text} from the Ollama server at {base}? This deletes it from disk."
        try:
            answer = await ls.window_show_message_request_async(
                types.ShowMessageRequestParams(
                    type=types.MessageType.Warning,
                    message=question,
                    actions=[types.MessageActionItem(title=REMOVE_ANSWER), types.MessageActionItem(title=CANCEL_ANSWER)],
                )
            )
        except Exception as exc:  # no dialog, no removal
            logger.info("confirmation dialog failed (%s): not removing %s", exc, model)
            return {"model": model, "removed": False}
        title = getattr(answer, "title", None) if answer is not None else None
        if isinstance(answer, dict):
            title = answer.get("title")
        if title != REMOVE_ANSWER:
            return {"model": model, "removed": False}
    try:
        removed = await ls.hub.tools.delete_model(model, base)
    except OllamaError as exc:
        if getattr(exc, "kind", None) == "not_found":
            removed = False
        else:
            raise ollama_failure(exc, model=model, base_url=base) from exc
    await ls.reload_models(base)
    return {"model": model, "removed": bool(removed)}
