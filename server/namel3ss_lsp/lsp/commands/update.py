"""`namel3ss.ollama.updateModel`: pull an installed model again and say whether it changed.

`{"model", "baseUrl"?}` -> `{"model", "changed", "oldDigest", "newDigest", "status"}`. The model
must be installed (else -32001, kind "not_found": pull it instead). The digests are the 12-character
IDs `ollama list` shows, read from /api/tags just before and just after the pull; the pull has the
work-done progress of pullModel (percent and bytes, cancellable) and joins a pull of the same model
already running. The outcome is also shown with `window/showMessage`, since a command run from a
code action has no other way to speak. Afterwards the model list is re-read and every open
document republished, as after a pull.
"""

from __future__ import annotations

import logging

from lsprotocol import types
from pygls.exceptions import JsonRpcInvalidParams

from namel3ss_lsp import model_names
from namel3ss_lsp.ollama import OllamaError

from ..context import ServerContext
from .base import ollama_failure, resolve_command_base_url
from .pull import run_pull

logger = logging.getLogger(__name__)


def short_digest(digest: object) -> str | None:
    """The 12-character ID `ollama list` shows (the manifest digest's first 12 hex digits)."""
    if not isinstance(digest, str) or not digest:
        return None
    return digest.split(":", 1)[-1][:12]


async def update_command(ls: ServerContext, args: dict) -> dict:
    model = args["model"]
    reason = model_names.invalid_reason(model)
    if reason is not None:
        raise JsonRpcInvalidParams(message=f"Cannot update '{model}': {reason}")
    base = resolve_command_base_url(ls, args.get("baseUrl"))
    hub = ls.hub
    await hub.tools.list_available_models(base, force=True)  # the digest as it is now
    hub.note(base)
    index = await hub.current_index(base)
    entry = index.entry(model) if index is not None else None
    if entry is None:
        error = OllamaError(f"Ollama model '{model}' is not installed, so there is nothing to update.",
                            model=model, base_url=base, kind="not_found", status_code=404,
                            suggestion=f"Pull it instead: ollama pull {model}")
        raise ollama_failure(error, model=model, base_url=base)
    name = str(entry.get("name") or model)
    old = short_digest(entry.get("digest"))
    result, _joined, wd = await run_pull(ls, name, base, title=f"Updating {name}")
    await ls.reload_models(base)
    index = await hub.current_index(base)
    after = index.entry(name) if index is not None else None
    new = short_digest(after.get("digest")) if after is not None else None
    changed = bool(old and new and old != new)
    if changed:
        message = f"'{name}' updated: {old} -> {new}"
    elif old and new:
        message = f"'{name}' is already up to date ({new})"
    else:
        message = f"'{name}' pulled again (the server reports no digest to compare)"
    wd.end(message)
    try:
        ls.window_show_message(types.ShowMessageParams(type=types.MessageType.Info, message=f"{message} on {base}."))
    except Exception:
        logger.debug("showMessage failed", exc_info=True)
    status = result.get("status") if isinstance(result.get("status"), str) else "success"
    return {"model": name, "changed": changed, "oldDigest": old, "newDigest": new, "status": status}
