"""How the IDE features write facts for people: sizes."""

from __future__ import annotations

from typing import Any


def human_size(size: Any) -> str:
    """'4.7 GB', '398.0 MB', '12 B' (decimal units, as Ollama prints them); '' when not a size."""
    if not isinstance(size, (int, float)) or isinstance(size, bool) or size < 0:
        return ""
    value = float(size)
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if value < 1000 or unit == "TB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    return ""
