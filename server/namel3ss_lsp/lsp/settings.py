"""The `namel3ss` settings section (DESIGN.md section 3) and how its three sources merge.

Sources, lowest priority first: built-in defaults, `initializationOptions` (the object itself),
then the latest client value, whether pushed with `workspace/didChangeConfiguration`
(`{"settings": {"namel3ss": {...}}}`) or pulled with `workspace/configuration` (section `namel3ss`).
Both nested (`{"ollama": {"baseUrl": ...}}`) and dotted (`{"ollama.baseUrl": ...}`) spellings are
accepted. A value of the wrong type is ignored with a warning; it never stops the server.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field, replace
from typing import Any, Mapping

logger = logging.getLogger(__name__)

SECTION = "namel3ss"
SEVERITIES = ("error", "warning", "information", "hint", "off")
DEFAULT_ALLOWED_HOSTS = ("localhost", "127.0.0.1", "::1")
_CLIENT_SIDE_SECTIONS = ("server", "trace")


@dataclass(frozen=True)
class Settings:
    base_url: str | None = None
    allowed_hosts: tuple[str, ...] = DEFAULT_ALLOWED_HOSTS
    request_timeout: float = 5.0
    health_check_interval: float = 30.0
    model_cache_ttl: float = 60.0
    allow_server_start: bool = False
    missing_model: str = "warning"
    inlay_model_facts: bool = True  # inlayHints.modelFacts: size and quantization after a model id
    inlay_references: bool = True  # inlayHints.references: the model a reference resolves to
    # Not part of the contract's table: kept to ourselves, set only by tests/benchmarks.
    extra: Mapping[str, Any] = field(default_factory=dict)

    def to_camel(self) -> dict[str, Any]:
        return {
            "ollama": {
                "baseUrl": self.base_url,
                "allowedHosts": list(self.allowed_hosts),
                "requestTimeout": self.request_timeout,
                "healthCheckInterval": self.health_check_interval,
                "modelCacheTtl": self.model_cache_ttl,
                "allowServerStart": self.allow_server_start,
            },
            "diagnostics": {"missingModel": self.missing_model},
            "inlayHints": {"modelFacts": self.inlay_model_facts, "references": self.inlay_references},
        }


def _positive_number(value: Any, *, allow_zero: bool = False) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    if not math.isfinite(value) or value < 0 or (value == 0 and not allow_zero):
        return None
    return float(value)


def _convert(key: str, value: Any) -> tuple[bool, Any]:
    """(ok, converted value) for one dotted key."""
    if key == "ollama.baseUrl":
        if value is None or (isinstance(value, str) and value.strip() == ""):
            return True, None
        if isinstance(value, str):
            return True, value.strip()
        return False, None
    if key == "ollama.allowedHosts":
        if isinstance(value, (list, tuple)) and all(isinstance(h, str) for h in value):
            return True, tuple(h.strip() for h in value if h.strip())
        return False, None
    if key in ("ollama.requestTimeout", "ollama.healthCheckInterval"):
        number = _positive_number(value)
        return number is not None, number
    if key == "ollama.modelCacheTtl":
        number = _positive_number(value, allow_zero=True)
        return number is not None, number
    if key in ("ollama.allowServerStart", "inlayHints.modelFacts", "inlayHints.references"):
        return isinstance(value, bool), value
    if key == "diagnostics.missingModel":
        if isinstance(value, str) and value.lower() in SEVERITIES:
            return True, value.lower()
        return False, None
    return False, None


_FIELDS = {
    "ollama.baseUrl": "base_url",
    "ollama.allowedHosts": "allowed_hosts",
    "ollama.requestTimeout": "request_timeout",
    "ollama.healthCheckInterval": "health_check_interval",
    "ollama.modelCacheTtl": "model_cache_ttl",
    "ollama.allowServerStart": "allow_server_start",
    "diagnostics.missingModel": "missing_model",
    "inlayHints.modelFacts": "inlay_model_facts",
    "inlayHints.references": "inlay_references",
}


def flatten(obj: Any, prefix: str = "") -> dict[str, Any]:
    """`{"ollama": {"baseUrl": x}}` and `{"ollama.baseUrl": x}` both become `{"ollama.baseUrl": x}`."""
    out: dict[str, Any] = {}
    if not isinstance(obj, Mapping):
        return out
    for key, value in obj.items():
        if not isinstance(key, str):
            continue
        dotted = f"{prefix}{key}"
        if dotted in _FIELDS:
            out[dotted] = value
        elif isinstance(value, Mapping):
            out.update(flatten(value, dotted + "."))
        else:
            out[dotted] = value
    return out


def unwrap_section(obj: Any) -> Any:
    """Accept either the section object itself or an object holding it under `namel3ss`."""
    if isinstance(obj, Mapping) and isinstance(obj.get(SECTION), Mapping):
        return obj[SECTION]
    return obj


def apply(base: Settings, obj: Any, *, source: str) -> Settings:
    """`base` with the values of `obj` (one source) applied; bad values are logged and skipped."""
    changes: dict[str, Any] = {}
    extra = dict(base.extra)
    for key, value in flatten(unwrap_section(obj)).items():
        if key not in _FIELDS:
            if key.startswith("test."):
                extra[key] = value
            elif key.split(".", 1)[0] in _CLIENT_SIDE_SECTIONS:
                pass  # the editor's own settings (how to start us, tracing) arrive in the section too
            else:
                logger.info("settings (%s): ignoring unknown key %r", source, key)
            continue
        ok, converted = _convert(key, value)
        if not ok:
            logger.warning("settings (%s): ignoring %s=%r (wrong type or out of range)", source, key, value)
            continue
        changes[_FIELDS[key]] = converted
    return replace(base, extra=extra, **changes)


class SettingsStore:
    """Holds the layers and gives the effective settings."""

    def __init__(self) -> None:
        self._init: Any = {}
        self._client: Any = {}
        self.current = Settings()

    def set_initialization_options(self, obj: Any) -> Settings:
        self._init = obj if isinstance(obj, Mapping) else {}
        return self._recompute()

    def set_client(self, obj: Any, *, source: str) -> Settings:
        self._client = obj if isinstance(obj, Mapping) else {}
        self._client_source = source
        return self._recompute()

    def _recompute(self) -> Settings:
        settings = apply(Settings(), self._init, source="initializationOptions")
        settings = apply(settings, self._client, source=getattr(self, "_client_source", "client"))
        self.current = settings
        return settings
