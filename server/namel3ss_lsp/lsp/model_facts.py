"""The words hover and completion use for a model: one-line details, facts of an installed model
(`/api/tags`, `/api/show`), whether and how it is loaded (`/api/ps`), and what the Ollama library
snapshot says of a model that is not installed. Pure text: no I/O, no LSP types."""

from __future__ import annotations

import time
from typing import Any

from namel3ss_lsp.ollama.library import LibraryModel, catalogue, human_size
from namel3ss_lsp.ollama.wire import clip

from .model_index import timestamp

FOREVER_AFTER = 7_000_000_000  # an expiry past ~2190 means keep_alive < 0: loaded until stopped


def size_text(size: Any) -> str:
    return human_size(size) if isinstance(size, (int, float)) and not isinstance(size, bool) and size > 0 else ""


def model_detail(entry: dict) -> str:
    """`8.0B, Q4_0, 4.7 GB`: what `ollama list` shows of an installed model, in one short line."""
    details = entry.get("details") or {}
    parts = [details.get("parameter_size"), details.get("quantization_level"), size_text(entry.get("size"))]
    return ", ".join(str(p) for p in parts if p)


def library_detail(model: LibraryModel, tag: str | None = None) -> str:
    """`not installed: pull 4.9 GB` (+ the capabilities), for a model of the library."""
    size = size_text(model.size(tag))
    text = f"not installed: pull {size}" if size else "not installed"
    return f"{text} ({', '.join(model.capabilities)})" if model.capabilities else text


def unloads_text(expires_at: Any, now: float | None = None) -> str:
    """`unloads in 4 min`, `stays loaded (keep_alive < 0)`, or "" when unknown."""
    when = timestamp(expires_at)
    if when == float("-inf"):
        return ""
    if when > FOREVER_AFTER:
        return "stays loaded (keep_alive < 0)"
    left = when - (time.time() if now is None else now)
    if left <= 0:
        return "unloading now"
    if left < 90:
        return f"unloads in {int(left)} s"
    if left < 90 * 60:
        return f"unloads in {round(left / 60)} min"
    return f"unloads in {left / 3600:.1f} h"


def loaded_text(running: dict) -> str:
    """`5.1 GB in memory (100% GPU), context 4096 tokens, unloads in 4 min` of an /api/ps entry."""
    size, vram = running.get("size"), running.get("size_vram")
    parts = []
    if size_text(size):
        if isinstance(vram, int) and isinstance(size, int) and size > 0:
            share = round(100 * min(vram, size) / size)
            where = "CPU only" if share == 0 else f"{share}% GPU, {size_text(vram)} VRAM"
            parts.append(f"{size_text(size)} in memory ({where})")
        else:
            parts.append(f"{size_text(size)} in memory")
    if running.get("context_length"):
        parts.append(f"context {running['context_length']} tokens")
    unloads = unloads_text(running.get("expires_at"))
    if unloads:
        parts.append(unloads)
    return ", ".join(parts) or "yes"


def installed_facts(entry: dict | None, info: dict | None) -> list[tuple[str, Any]]:
    """(label, value) facts of an installed model: /api/tags details, joined by /api/show's."""
    info = info or {}
    entry = entry or {}
    details = entry.get("details") or {}
    facts = [
        ("family", info.get("family") or details.get("family")),
        ("parameters", info.get("parameter_size") or details.get("parameter_size")),
        ("quantization", info.get("quantization_level") or details.get("quantization_level")),
        ("context length", info.get("context_length")),
        ("capabilities", ", ".join(info.get("capabilities") or []) or None),
        ("size", size_text(entry.get("size") or info.get("size")) or None),
        ("license", info.get("license")),
        ("modified", entry.get("modified_at")),
        ("digest", str(entry.get("digest"))[:12] if entry.get("digest") else None),
    ]
    # What a server reports is shown, not trusted: a 30 MB "first line" of a license made a 30 MB hover.
    return [(label, clip(value, FACT_MAX) if isinstance(value, str) else value) for label, value in facts]


FACT_MAX = 200  # characters of one fact in a hover


def running_lines(running: dict | None, known: bool) -> list[str]:
    """The `- loaded: ...` line: what the last health check read from /api/ps ([] when unknown)."""
    if running is not None:
        return [f"- loaded: {loaded_text(running)}"]
    return ["- loaded: no (not in memory at the last health check)"] if known else []


def library_lines(model: LibraryModel, tag: str | None = None) -> list[str]:
    """What the library snapshot says of a model: description, capabilities, tags and sizes."""
    shown = tag or model.default_tag
    lines = [model.description] if model.description else []
    lines.append("")
    if model.capabilities:
        lines.append(f"- capabilities: {', '.join(model.capabilities)}")
    tags = ", ".join(f"{t} ({size_text(model.tags[t])})" for t in model.tag_names())
    lines.append(f"- tags: {tags}")
    size = size_text(model.size(shown))
    if size:
        lines.append(f"- download: {size} (`ollama pull {model.name}:{shown}`)")
    snapshot = catalogue().snapshot
    lines.append("")
    lines.append(f"From the Ollama library (ollama.com/library{', snapshot of ' + snapshot if snapshot else ''}).")
    return lines
