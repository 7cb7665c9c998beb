"""What Ollama sends, read tolerantly: model entries whose `details` always have every field
(real servers send `families: null` or leave fields out), and pull progress summed over layers.
Pure: no I/O."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Awaitable, Callable, Union

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


def normalize_model_entry(entry: Any) -> dict[str, Any] | None:
    """A /api/tags (or /api/ps) entry in our shape; None when it has no usable name."""
    if not isinstance(entry, dict):
        return None
    name = entry.get("model") or entry.get("name")
    if not isinstance(name, str) or not name:
        return None
    modified = entry.get("modified_at")
    digest = entry.get("digest")
    return {
        "name": name,
        "size": _int(entry.get("size")),
        "modified_at": modified if isinstance(modified, str) else None,
        "digest": digest if isinstance(digest, str) else None,
        "details": normalize_details(entry.get("details")),
    }


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
