"""What Ollama sends, read tolerantly: model entries whose `details` always have every field
(real servers send `families: null` or leave fields out), and pull progress summed over layers.
Pure: no I/O."""

from __future__ import annotations

import re

from dataclasses import dataclass
from typing import Any, Awaitable, Callable, TypedDict, Union

DETAIL_KEYS = ("parent_model", "format", "family", "families", "parameter_size", "quantization_level")


@dataclass(frozen=True)
class PullProgress:
    """Progress of a pull, aggregated over layers: sums of completed/total bytes over digests."""

    status: str
    completed: int
    total: int
    percent: float | None  # None until a layer size is known; monotonic; 100.0 on success
    digest: str | None = None


ProgressCallback = Callable[[PullProgress], Union[None, Awaitable[None]]]


def _int(value: Any) -> int:
    if isinstance(value, bool):
        return 0
    if isinstance(value, (int, float)):
        return max(0, int(value))
    return 0


def normalize_details(details: Any) -> dict[str, Any]:
    """`details` with every field present: families null -> [], missing strings -> ""."""
    src = details if isinstance(details, dict) else {}
    out: dict[str, Any] = {k: v for k, v in src.items() if k not in DETAIL_KEYS}
    for key in DETAIL_KEYS:
        value = src.get(key)
        if key == "families":
            out[key] = [str(f) for f in value] if isinstance(value, list) else []
        else:
            out[key] = value if isinstance(value, str) else ""
    return out


def clip(text: str, limit: int) -> str:
    """`text`, or its first `limit` - 1 characters and "…": what a server says, kept to a size."""
    return text[: limit - 1] + "…" if len(text) > limit else text


# The characters and length any name Ollama accepts stays within (model_names has the exact rules;
# this is the cheap part of them, for lists of 200,000 names).
_NAME_CHARACTERS = re.compile(r"[A-Za-z0-9_.:/-]{1,600}")


def normalize_model_entry(entry: Any) -> dict[str, Any] | None:
    """A /api/tags (or /api/ps) entry in our shape; None when it has no usable name."""
    if not isinstance(entry, dict):
        return None
    name = entry.get("model") or entry.get("name")
    if not isinstance(name, str) or not _NAME_CHARACTERS.fullmatch(name):
        return None  # no model Ollama accepts has this name: 200,000 characters, a line break, markdown
    modified = entry.get("modified_at")
    digest = entry.get("digest")
    return {
        "name": name,
        "size": _int(entry.get("size")),
        "modified_at": modified if isinstance(modified, str) else None,
        "digest": digest if isinstance(digest, str) else None,
        "details": normalize_details(entry.get("details")),
    }


class RunningModel(TypedDict):
    """A model loaded in memory (an entry of GET /api/ps), as `OllamaEditorTools.list_running_models`
    returns it."""

    name: str
    size: int  # bytes of memory in use (RAM and VRAM)
    size_vram: int  # the part of `size` on the GPU
    gpu_percent: int | None  # share of `size` on the GPU (100: all on the GPU, 0: CPU only)
    context_length: int | None  # the context allocated (recent servers only)
    expires_at: str | None  # when it unloads (RFC 3339; year 2262 for keep_alive < 0)
    digest: str | None
    details: dict[str, Any]


def normalize_running_entry(entry: Any) -> RunningModel | None:
    """A /api/ps entry in our shape (every field present); None when it has no usable name."""
    base = normalize_model_entry(entry)
    if base is None:
        return None
    size, vram = base["size"], _int(entry.get("size_vram"))
    context = entry.get("context_length")
    expires = entry.get("expires_at")
    return RunningModel(
        name=base["name"], size=size, size_vram=vram,
        gpu_percent=round(100 * min(vram, size) / size) if size else None,
        context_length=int(context) if isinstance(context, (int, float)) and not isinstance(context, bool) else None,
        expires_at=expires if isinstance(expires, str) else None,
        digest=base["digest"], details=base["details"],
    )


class PullAggregator:
    """Feeds the NDJSON lines of a pull; sums completed/total bytes over digests, monotonic."""

    def __init__(self) -> None:
        self.layers: dict[str, list[int]] = {}
        self.percent: float | None = None

    def feed(self, obj: dict[str, Any]) -> PullProgress:
        status = str(obj.get("status") or "")
        digest = obj.get("digest") if isinstance(obj.get("digest"), str) else None
        if digest:
            layer = self.layers.setdefault(digest, [0, 0])
            layer[1] = max(layer[1], _int(obj.get("total")))
            completed = _int(obj.get("completed"))
            layer[0] = max(layer[0], min(completed, layer[1]) if layer[1] else completed)
        completed = sum(c for c, _ in self.layers.values())
        total = sum(t for _, t in self.layers.values())
        if status == "success":
            self.percent = 100.0
            completed = total = max(total, completed)
        elif total > 0:
            current = min(100.0, 100.0 * completed / total)
            self.percent = current if self.percent is None else max(self.percent, current)
        return PullProgress(status, completed, total, self.percent, digest)
