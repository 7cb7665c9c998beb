"""`namel3ss.ollama.startServer` and `auto_start_server: true` (only with ollama.allowServerStart).

Starting is done by the ollama package (`ollama serve`, detached, no shell). A document can only
ask for a start of a loopback server the user's settings allow, and only once per server.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
from urllib.parse import urlsplit

from namel3ss_lsp.ollama import OllamaError

from ..context import ServerContext
from .base import resolve_command_base_url

logger = logging.getLogger(__name__)


def is_loopback(base_url: str) -> bool:
    try:
        host = urlsplit(base_url).hostname or ""
    except ValueError:
        return False
    if host.rstrip(".").lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


async def start_server(ls: ServerContext, base_url: str) -> dict:
    from namel3ss_lsp.ollama import start_ollama_server  # noqa: PLC0415

    starting = ls.command_state.starting
    task = starting.get(base_url)
    if task is None or task.done():
        task = asyncio.ensure_future(start_ollama_server(base_url))
        starting[base_url] = task
    result = await asyncio.shield(task)
    await ls.hub.reload(base_url)
    ls.diagnostics.republish_all()
    try:
        await ls.status.check(base_url, force_notify=True)
    except Exception:
        logger.exception("status check after start failed")
    if isinstance(result, dict):
        return {**result, "baseUrl": result.get("baseUrl") or result.get("base_url") or base_url}
    return {"baseUrl": base_url, "started": bool(result)}


def maybe_auto_start(ls: ServerContext, base_url: str, options: dict) -> None:
    """A declaration with `auto_start_server: true` whose server is unreachable."""
    if options.get("auto_start_server") is not True:
        return
    if not ls.settings.allow_server_start:
        return
    attempted = ls.command_state.auto_start_attempted
    if base_url in attempted or not is_loopback(base_url) or not ls.hub.allowed(base_url):
        return
    attempted.add(base_url)
    logger.info("auto_start_server: starting Ollama for %s", base_url)

    async def run() -> None:
        try:
            await start_server(ls, base_url)
        except OllamaError as exc:
            logger.warning("auto_start_server: could not start Ollama for %s: %s", base_url, exc)

    ls.tasks.spawn(run(), f"auto-start:{base_url}")


async def start_server_command(ls: ServerContext, args: dict) -> dict:
    base = resolve_command_base_url(ls, args.get("baseUrl"))
    return await start_server(ls, base)
