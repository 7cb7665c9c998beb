"""Fault knobs of the stand-in Ollama: what they mean and how they are validated.

Route-keyed knobs accept a route path ("/api/tags"), a short name ("tags"), or "*" for every API
route. Set them at construction (`StandIn(latency={"/api/tags": 0.2})`), with `StandIn.configure`, or
over HTTP: `POST /_standin/config` with a JSON object of knobs (unknown knobs are a 400).

| knob | value | effect |
|---|---|---|
| latency | seconds, or {route: seconds} | delay before answering |
| status | {route: code} | answer with that HTTP status and an error body |
| malformed | [routes] or {route: true} | truncated JSON body; in streams a broken line after the first |
| nested | [routes] or {route: true} | valid JSON nested 100,000 deep (`[[[...]]]`) as the body; in streams as the line after the first |
| non_json_errors | bool | every error body is text/plain (a proxy or an ancient server) |
| blank_lines | bool | streams carry blank lines between objects |
| cut_stream_after | int or null | streams end after N lines, without `success`/`done` |
| cut_stream_abrupt | bool | with cut_stream_after: drop the connection instead of ending cleanly |
| hang | bool or [routes] | accept the request and never answer (until reset, a knob change or stop) |
| pull_error | str or null | a pull reports `{"error": ...}` after `error_after` lines (500 when stream:false) |
| chat_error | str or null | the same for chat/generate streams |
| error_after | int | lines before pull_error/chat_error (default 2) |
| pull_lines_per_second | float | pace of pull progress lines (0 = as fast as possible) |
| pull_extra_statuses | [str] | extra status lines before `success` (e.g. "removing unused layers") |
| chat_chunk_delay | seconds | pause between chat/generate chunks |
| version | str | what /api/version reports |
| models | [names or {name, ...details}] | replaces the installed models |
| pullable | [names or {...}] | replaces the models a pull can fetch |
| model_details | {name: {context_length, family, capabilities, ...}} | overrides model details |
| loaded | [names or {name, size, size_vram, context_length, keep_alive}] | models /api/ps reports as loaded (installed ones; keep_alive in seconds, default 300, negative = for ever) |
| registry_digests | {name: digest or true or null} | the registry publishes a new version of an installed model: a pull of it downloads new layers, reports "removing unused layers", and /api/tags then shows the new digest |
| bulk_models | int | that many extra installed models `bulk-000000:7b` ... (older than the others, newest first) appended to /api/tags, generated once and served pre-encoded (only /api/tags lists them; 200,000 make a 20 MB answer) |
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any, Mapping

API_ROUTES = (
    "/", "/api/version", "/api/tags", "/api/show", "/api/pull", "/api/delete", "/api/copy",
    "/api/ps", "/api/chat", "/api/generate", "/api/embed",
)

STORE_KNOBS = ("models", "pullable", "model_details", "loaded", "registry_digests", "bulk_models")


def route_key(name: str) -> str:
    if name in ("*", "/"):
        return name
    if name.startswith("/"):
        return name
    return "/api/" + name


def _route_map(value: Any, *, kind: type | tuple, knob: str) -> dict[str, Any]:
    if value is None:
        return {}
    if isinstance(value, bool) and knob in ("hang", "malformed", "nested"):
        return {"*": True} if value else {}
    if isinstance(value, (int, float)) and not isinstance(value, bool) and knob == "latency":
        return {"*": float(value)}
    if isinstance(value, (list, tuple)):
        return {route_key(str(r)): True for r in value}
    if isinstance(value, Mapping):
        out = {}
        for k, v in value.items():
            if not isinstance(v, kind) or isinstance(v, bool) and kind is not bool:
                raise ValueError(f"knob {knob!r}: bad value {v!r} for route {k!r}")
            out[route_key(str(k))] = v
        return out
    raise ValueError(f"knob {knob!r}: expected a route map, got {value!r}")


@dataclass
class Knobs:
    latency: dict[str, float] = field(default_factory=dict)
    status: dict[str, int] = field(default_factory=dict)
    malformed: dict[str, bool] = field(default_factory=dict)
    nested: dict[str, bool] = field(default_factory=dict)
    non_json_errors: bool = False
    blank_lines: bool = False
    cut_stream_after: int | None = None
    cut_stream_abrupt: bool = False
    hang: dict[str, bool] = field(default_factory=dict)
    pull_error: str | None = None
    chat_error: str | None = None
    error_after: int = 2
    pull_lines_per_second: float = 0.0
    pull_extra_statuses: list[str] = field(default_factory=list)
    chat_chunk_delay: float = 0.0
    version: str = "0.12.6"

    def copy(self) -> "Knobs":
        return copy.deepcopy(self)

    def apply(self, changes: Mapping[str, Any]) -> None:
        """Validate and apply knob changes (store knobs are handled by the server)."""
        for name, value in changes.items():
            if name in STORE_KNOBS:
                continue
            if name == "latency":
                self.latency = {k: float(v) for k, v in _route_map(value, kind=(int, float), knob=name).items()}
            elif name == "status":
                self.status = {k: int(v) for k, v in _route_map(value, kind=int, knob=name).items()}
            elif name in ("malformed", "hang", "nested"):
                setattr(self, name, {k: bool(v) for k, v in _route_map(value, kind=bool, knob=name).items() if v})
            elif name in ("non_json_errors", "blank_lines", "cut_stream_abrupt"):
                setattr(self, name, bool(value))
            elif name == "cut_stream_after":
                self.cut_stream_after = None if value is None else int(value)
            elif name in ("pull_error", "chat_error"):
                setattr(self, name, None if value is None else str(value))
            elif name == "error_after":
                self.error_after = int(value)
            elif name in ("pull_lines_per_second", "chat_chunk_delay"):
                setattr(self, name, max(0.0, float(value)))
            elif name == "pull_extra_statuses":
                if not isinstance(value, (list, tuple)):
                    raise ValueError("knob 'pull_extra_statuses' must be a list of strings")
                self.pull_extra_statuses = [str(v) for v in value]
            elif name == "version":
                self.version = str(value)
            else:
                raise ValueError(f"unknown stand-in knob {name!r}")

    @staticmethod
    def _for(table: Mapping[str, Any], route: str, default: Any = None) -> Any:
        if route in table:
            return table[route]
        if "*" in table and route in API_ROUTES:
            return table["*"]
        return default

    def latency_for(self, route: str) -> float:
        return float(self._for(self.latency, route, 0.0))

    def status_for(self, route: str) -> int | None:
        return self._for(self.status, route)

    def is_malformed(self, route: str) -> bool:
        return bool(self._for(self.malformed, route, False))

    def is_nested(self, route: str) -> bool:
        return bool(self._for(self.nested, route, False))

    def hangs(self, route: str) -> bool:
        return bool(self._for(self.hang, route, False))

    def as_dict(self) -> dict[str, Any]:
        return copy.deepcopy(self.__dict__)
