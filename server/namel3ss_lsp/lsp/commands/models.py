"""`listModels`, `status` and `refresh`: what the Ollama servers in use have."""

from __future__ import annotations

from ..context import ServerContext
from .base import resolve_command_base_url


async def list_models(ls: ServerContext, args: dict) -> list:
    base = resolve_command_base_url(ls, args.get("baseUrl"))
    try:
        models = await ls.hub.tools.list_available_models(base)
    finally:
        ls.hub.note(base)
    return models


async def status_command(ls: ServerContext, args: dict) -> dict:
    base = resolve_command_base_url(ls, args.get("baseUrl"))
    return await ls.status.check(base, force_notify=True)


async def refresh_command(ls: ServerContext, args: dict) -> dict:
    bases = ls.status.bases_in_use()
    allowed = [b for b in bases if ls.hub.allowed(b)]
    for base in allowed:
        await ls.hub.reload(base)
    ls.diagnostics.republish_all()
    ls.status.poke()
    return {"baseUrls": allowed}
