"""OllamaEditorTools: what an editor needs from Ollama (status, model lists for completion, model
details for hover, validation, pull and delete), with caching and single-flight.

Every method works on an instance (`tools = OllamaEditorTools(request_timeout=2)`) and, as in the
Namel3ss guide, on the class itself (`await OllamaEditorTools.check_status()`), which uses a shared
default instance.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import os
import re
import time
import types
from typing import Any, AsyncIterator, Iterable, Mapping

from namel3ss_lsp import model_names

from . import errors
from .cache import ModelCache, SingleFlight, refreeze
from .client import OFF_LOOP_ENTRIES, OllamaClient, require_valid_name
from .wire import ProgressCallback, RunningModel, clip, normalize_details
from .errors import OllamaError
from .metrics import record_metric
from .urls import host_allowed, normalize_base_url, resolve_base_url, url_problem, url_suggestion

log = logging.getLogger(__name__)

DEFAULT_MODEL = "llama3:8b"


class _hybrid:
    """A method that, called on the class, runs on the class's shared default instance."""

    def __init__(self, fn: Any):
        self.fn = fn
        functools.update_wrapper(self, fn)  # type: ignore[arg-type]

    def __get__(self, obj: Any, cls: type) -> Any:
        return types.MethodType(self.fn, obj if obj is not None else cls.default())


LICENSE_LINE_MAX = 500  # characters of a license's first line kept
_FIRST_LINE = re.compile(r"\S[^\r\n\x0b\x0c\x1c-\x1e\x85\u2028\u2029]*")  # ends where str.splitlines ends a line


def extract_model_info(raw: Mapping[str, Any], name: str, entry: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The facts of an /api/show answer an editor shows (hover, context-length checks)."""
    info = raw.get("model_info") if isinstance(raw.get("model_info"), Mapping) else {}
    arch = info.get("general.architecture") if isinstance(info.get("general.architecture"), str) else None
    details = normalize_details(raw.get("details") or (entry or {}).get("details"))

    def arch_value(suffix: str) -> int | None:
        value = info.get(f"{arch}.{suffix}") if arch else None
        if value is None:
            value = next((v for k, v in info.items() if k.endswith("." + suffix)), None)
        if value is None:
            value = details.get(suffix)
        return int(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None

    license_text = raw.get("license") if isinstance(raw.get("license"), str) else ""
    first = _FIRST_LINE.search(license_text)  # not splitlines(): a license may be megabytes
    license_line = first.group().strip() if first else None
    if license_line:  # kept to a size: the first line of a file without breaks is all of it
        license_line = clip(license_line, LICENSE_LINE_MAX)
    capabilities = raw.get("capabilities")
    count = info.get("general.parameter_count")
    return {
        "name": (entry or {}).get("name") or model_names.normalize(name),
        "context_length": arch_value("context_length"),
        "embedding_length": arch_value("embedding_length"),
        "capabilities": [str(c) for c in capabilities] if isinstance(capabilities, list) else [],
        "family": details["family"] or None,
        "families": details["families"],
        "parameter_size": details["parameter_size"] or None,
        "quantization_level": details["quantization_level"] or None,
        "format": details["format"] or None,
        "architecture": arch,
        "parameter_count": int(count) if isinstance(count, (int, float)) and not isinstance(count, bool) else None,
        "license": license_line,
        "size": (entry or {}).get("size"),
        "digest": (entry or {}).get("digest"),
        "modified_at": raw.get("modified_at") if isinstance(raw.get("modified_at"), str) else None,
        "parameters": raw.get("parameters") if isinstance(raw.get("parameters"), str) else None,
        "details": details,
    }


def _freeze_released(holder: list, old: Any) -> tuple[Any, list[str]]:
    """`refreeze` of the list in `holder` and its names, in a worker thread, where the list given
    is let go of too."""
    models = holder.pop()
    frozen = refreeze(models, old)
    del models
    return frozen, [m["name"] for m in frozen]


class OllamaEditorTools:
    """Editor-facing Ollama API. All network methods are async; cached lookups are instant."""

    _default: "OllamaEditorTools | None" = None
    # The provider class chat_stream builds, set by the package (namel3ss_lsp.ollama) once both
    # modules are loaded: provider.py imports this module, so this one must not import it back.
    provider_class: Any = None

    def __init__(self, *, request_timeout: float = 5.0, model_cache_ttl: float = 60.0,
                 health_check_interval: float = 30.0, stall_timeout: float = 300.0,
                 pull_stall_timeout: float = 120.0, base_url: str | None = None,
                 allowed_hosts: Iterable[str] | None = None, always_allowed: Iterable[str] = (),
                 environ: Mapping[str, str] | None = None):
        self.request_timeout = float(request_timeout)
        self.model_cache_ttl = float(model_cache_ttl)
        self.health_check_interval = float(health_check_interval)
        self.stall_timeout = float(stall_timeout)
        self.pull_stall_timeout = float(pull_stall_timeout)
        self.default_base_url = normalize_base_url(base_url) if base_url else None
        self.allowed_hosts = None if allowed_hosts is None else list(allowed_hosts)
        self.always_allowed = list(always_allowed)
        self.environ = environ
        self.cache = ModelCache(self.model_cache_ttl)
        self._flight = SingleFlight()
        self._clients: dict[str, OllamaClient] = {}
        self._status: dict[str, tuple[dict[str, Any], float]] = {}
        # (a stored model list, its names, the same as a set): a list of 200,000 is not walked per call
        self._names: tuple[Any, list[str], frozenset] | None = None

    @classmethod
    def default(cls) -> "OllamaEditorTools":
        if cls._default is None:
            cls._default = cls()
        return cls._default

    # ---- plumbing ---------------------------------------------------------------------------
    def set_allowed_hosts(self, allowed_hosts: Iterable[str] | None, always_allowed: Iterable[str] = ()) -> None:
        """Refuse (OllamaError kind "host_not_allowed") every server outside the list; None = no check."""
        self.allowed_hosts = None if allowed_hosts is None else list(allowed_hosts)
        self.always_allowed = list(always_allowed)

    def resolve(self, base_url: str | None = None) -> str:
        if base_url:
            # A URL that normalises to nothing ("'", quotes and blanks) stays as given, so that it
            # is refused as unusable rather than taken for "no URL" (the default server).
            return normalize_base_url(base_url) or base_url
        if self.default_base_url:
            return self.default_base_url
        env = os.environ if self.environ is None else self.environ
        return resolve_base_url({}, environ=env)

    def client(self, base_url: str | None = None) -> OllamaClient:
        """The pooled client of a server (one per base URL and event loop). Must run in a loop."""
        base = self.resolve(base_url)
        problem = url_problem(base)
        if problem:
            raise errors.invalid_url(base, problem, url_suggestion(base))
        if self.allowed_hosts is not None and not host_allowed(base, self.allowed_hosts,
                                                               always_allowed=self.always_allowed):
            raise errors.host_not_allowed(base)
        loop = asyncio.get_running_loop()
        client = self._clients.get(base)
        if client is None or client.closed or client.loop is not loop:
            client = OllamaClient(base, request_timeout=self.request_timeout, stall_timeout=self.stall_timeout,
                                  pull_stall_timeout=self.pull_stall_timeout)
            self._clients[base] = client
        return client

    async def aclose(self) -> None:
        """Cancel the model-list and model-details fetches in flight, then close every pooled HTTP
        client (of the running loop; others are dropped)."""
        await self._flight.cancel_all()
        clients, self._clients = list(self._clients.values()), {}
        loop = asyncio.get_running_loop()
        for client in clients:
            if client.loop is loop and not client.closed:
                await client.aclose()

    def invalidate(self, base_url: str | None = None) -> None:
        """Forget cached lists, details and status (of one server, or all)."""
        base = self.resolve(base_url) if base_url else None
        self.cache.invalidate(base)
        if base is None:
            self._status.clear()
        else:
            self._status.pop(base, None)

    def forget(self, base_url: str | None = None) -> None:
        """Forget everything known about one server (the default one when None): its model list,
        including the last known one `cached_models` peeks at, its model facts (/api/show), its
        last error and status. Other servers keep theirs."""
        base = self.resolve(base_url)
        self.cache.forget(base)
        self._status.pop(base, None)

    # ---- status -----------------------------------------------------------------------------
    @_hybrid
    async def check_status(self, base_url: str | None = None, *, force: bool = True) -> dict[str, Any]:
        """{reachable, base_url, models_count, models, error, suggestion, version, response_time_ms,
        checked_at}. Never raises for network faults. With force=False, a status younger than
        health_check_interval is returned from memory."""
        base = self.resolve(base_url)
        if not force and base in self._status:
            status, at = self._status[base]
            if time.monotonic() - at < self.health_check_interval:
                return dict(status)
        result: dict[str, Any] = {
            "reachable": False, "base_url": base, "models_count": None, "models": [], "error": None,
            "suggestion": None, "version": None, "response_time_ms": None, "checked_at": time.time(),
        }
        started = time.perf_counter()
        bug: Exception | None = None
        try:
            client = self.client(base)
            version, models = await asyncio.gather(client.version(), self._fetch_models(base),
                                                   return_exceptions=True)
        except OllamaError as err:
            version = models = err
        except Exception as err:  # noqa: BLE001 - status must not raise
            log.exception("check_status(%s) failed", base)
            bug = err
            version = models = errors.protocol(base, repr(err), original=err)
        elapsed = time.perf_counter() - started
        # Reachable: the server itself answered something (an HTTP error or an odd body counts).
        # A refusal before any request (bad URL, allow-list) or a failure of our own does not.
        answered = [r for r in (version, models) if not isinstance(r, BaseException)
                    or isinstance(r, OllamaError) and r.kind in ("http", "protocol", "not_found")]
        result["reachable"] = bool(answered) and bug is None
        # The time the check took, answered or not: a failed check reports how long it took to fail
        # (the guide's health snippet formats it with :.0f).
        result["response_time_ms"] = round(elapsed * 1000, 1)
        if isinstance(version, str):
            result["version"] = version
        if isinstance(models, list):
            result["models_count"] = len(models)
            result["models"] = list(self._names_of(models)[0])
        failure = next((r for r in (models, version) if isinstance(r, BaseException)), None)
        if isinstance(failure, BaseException):
            if not isinstance(failure, OllamaError):
                failure = errors.protocol(base, repr(failure), original=failure)
            result["error"] = failure.description
            result["suggestion"] = failure.suggestion
        record_metric("ollama.health.check_duration", elapsed, {"base_url": base, "reachable": result["reachable"]})
        self._status[base] = (dict(result), time.monotonic())
        return result

    def _names_of(self, listing: Any) -> tuple[list[str], frozenset]:
        """The names of a model list, and as a set (remembered for the last list asked about)."""
        found = self._names
        if found is None or found[0] is not listing:
            names = [m["name"] for m in listing]
            found = self._names = (listing, names, frozenset(names))
        return found[1], found[2]

    # ---- model lists ------------------------------------------------------------------------
    async def _fetch_models(self, base: str) -> list[dict[str, Any]]:
        async def fetch() -> list[dict[str, Any]]:
            try:
                models = await self.client(base).tags()
            except OllamaError as err:
                self.cache.store_error(base, err)
                raise
            if len(models) > OFF_LOOP_ENTRIES:  # freezing 200,000 entries took 1.5 s of the loop
                holder = [models]
                del models  # let go of in the thread (freeing them here held the loop too)
                frozen, names = await asyncio.to_thread(_freeze_released, holder, self.cache.peek(base))
                frozen = self.cache.store_models(base, frozen, frozen=True)
                self._names = (frozen, names, frozenset(names))
            else:
                frozen = self.cache.store_models(base, models)
            record_metric("ollama.models.count", len(frozen), {"base_url": base})
            return frozen

        return await self._flight.do(("tags", base), fetch)

    @_hybrid
    async def list_available_models(self, base_url: str | None = None, *, force: bool = False) -> list[dict[str, Any]]:
        """[{name, size, modified_at, digest, details}] from /api/tags; cached for model_cache_ttl;
        concurrent callers share one request. Raises OllamaError.

        The list and its dicts are read-only and shared with every other caller (a cache hit costs
        nothing): they refuse changes with a TypeError; `list(...)`, `dict(...)` or
        `copy.deepcopy(...)` give mutable copies."""
        base = self.resolve(base_url)
        if not force:
            fresh = self.cache.fresh_models(base)
            if fresh is not None:
                return fresh
        return await self._fetch_models(base)

    def cached_models(self, base_url: str | None = None) -> list[dict[str, Any]] | None:
        """The last model list fetched from the server (however old), without any I/O; None = never.
        Read-only and shared, like `list_available_models`' result."""
        return self.cache.peek(self.resolve(base_url))

    def cache_age(self, base_url: str | None = None) -> float | None:
        return self.cache.age(self.resolve(base_url))

    def last_error(self, base_url: str | None = None) -> OllamaError | None:
        """The error of the last failed model-list fetch of a server (cleared by a success)."""
        return self.cache.last_error(self.resolve(base_url))

    def refreshing(self, base_url: str | None = None) -> bool:
        return self._flight.running(("tags", self.resolve(base_url)))

    @_hybrid
    async def model_info(self, name: str, base_url: str | None = None, *, force: bool = False) -> dict[str, Any]:
        """Facts from /api/show: context_length, capabilities, family, parameter_size,
        quantization_level, license (first line), size (from the model list), ... Cached; the dict
        is read-only and shared (see `list_available_models`)."""
        base = self.resolve(base_url)
        require_valid_name(name, base)
        key = (base, model_names.parse(name).key)
        if not force:
            cached = self.cache.info(key)
            if cached is not None:
                return cached

        async def fetch() -> dict[str, Any]:
            raw = await self.client(base).show(name)
            listing = self.cache.peek(base) or []
            names, known = self._names_of(listing)
            if name in known:  # the installed spelling itself: the common case
                found: str | None = name
            elif len(names) > OFF_LOOP_ENTRIES:  # parses every name: not on the event loop
                found = await asyncio.to_thread(model_names.find_installed, name, names)
            else:
                found = model_names.find_installed(name, names)
            entry = next((m for m in listing if m["name"] == found), None) if found else None
            return self.cache.store_info(key, extract_model_info(raw, name, entry))

        return await self._flight.do(("show",) + key, fetch)

    @_hybrid
    async def list_running_models(self, base_url: str | None = None) -> list[RunningModel]:
        """The models loaded in memory right now (GET /api/ps, what `ollama ps` shows):
        [{name, size, size_vram, gpu_percent, context_length, expires_at, digest, details}], latest
        expiry first. Never cached (loading and unloading happen all the time). Raises OllamaError."""
        return await self.client(self.resolve(base_url)).ps()

    # ---- names ------------------------------------------------------------------------------
    @staticmethod
    def validate_model_name(name: str) -> dict[str, Any]:
        """{is_valid, message, normalized} by Ollama's own rules (normalized: `llama3` -> `llama3:latest`)."""
        reason = model_names.invalid_reason(name) if isinstance(name, str) else "a model name must be text"
        if reason is None:
            return {"is_valid": True, "message": "Valid model name", "normalized": model_names.normalize(name)}
        return {"is_valid": False, "message": reason[0].upper() + reason[1:], "normalized": None}

    @staticmethod
    def get_default_model() -> str:
        return DEFAULT_MODEL

    @staticmethod
    def get_supported_capabilities() -> dict[str, Any]:
        """What the Ollama provider supports today. Vision, tools, thinking and embeddings depend on
        the model: ask `model_info(name)["capabilities"]`."""
        return {
            "chat": True,
            "completion": True,
            "streaming": True,
            "embeddings": True,
            "function_calling": True,
            "vision": True,
            "thinking": True,
            "structured_output": True,
            "auto_pull": True,
            "local_deployment": True,
            "model_management": True,
            "model_dependent": ["embeddings", "function_calling", "vision", "thinking"],
            "model_capabilities": ["completion", "tools", "insert", "vision", "embedding", "thinking"],
        }

    # ---- pull / delete ----------------------------------------------------------------------
    @_hybrid
    async def pull_model(self, name: str, base_url: str | None = None, *, on_progress: ProgressCallback | None = None,
                         pull_timeout: float | None = None, stall_timeout: float | None = None) -> dict[str, Any]:
        """Pull with progress (`on_progress(PullProgress)`, sync or async, aggregated over layers and
        monotonic). Returns {"model", "status": "success"}. Cancel the awaiting task to stop it."""
        base = self.resolve(base_url)
        require_valid_name(name, base)
        client = self.client(base)
        started = time.perf_counter()
        labels = {"base_url": base, "model": name}
        result = "error"
        try:
            outcome = await client.pull(name, on_progress=on_progress, stall_timeout=stall_timeout,
                                        total_timeout=pull_timeout)
            result = "success"
            record_metric("ollama.model.pull_duration", time.perf_counter() - started, labels)
            return outcome
        except asyncio.CancelledError:
            result = "cancelled"
            raise
        finally:
            record_metric("ollama.model.pulls.total", 1, {**labels, "result": result})
            self.invalidate(base)

    @_hybrid
    async def delete_model(self, name: str, base_url: str | None = None) -> bool:
        """Remove a model: True when removed, False when it was not installed. Raises OllamaError."""
        base = self.resolve(base_url)
        require_valid_name(name, base)
        try:
            await self.client(base).delete(name)
        except OllamaError as err:
            if err.kind == "not_found":
                return False
            raise
        finally:
            self.invalidate(base)
        return True

    # ---- chat -------------------------------------------------------------------------------
    def chat_stream(self, model: str, messages: Any, base_url: str | None = None, **config: Any) -> AsyncIterator[Any]:
        """Stream a reply (ProviderResponse chunks) without auto-pull; `config` as OllamaProvider's."""
        options = {"auto_pull_model": False, **config}
        if base_url:
            options["base_url"] = base_url
        elif self.default_base_url:
            options["base_url"] = self.default_base_url
        provider_class = type(self).provider_class
        if provider_class is None:  # pragma: no cover - set by namel3ss_lsp.ollama on import
            raise RuntimeError("namel3ss_lsp.ollama did not set OllamaEditorTools.provider_class")
        return provider_class("editor", model, options, tools=self).stream(messages)

    async def try_model(self, model: str, prompt: str = "Say hello in one short sentence.",
                        base_url: str | None = None, *, on_text: Any = None, **config: Any) -> dict[str, Any]:
        """Run one prompt; the `namel3ss.ollama.tryModel` result: {model, text, tokens:{prompt,
        completion, total}, tokensPerSecond, totalDurationMs}. `on_text(chunk_text)` sees the stream."""
        parts: list[str] = []
        final: dict[str, Any] = {}
        async for chunk in self.chat_stream(model, [{"role": "user", "content": prompt}], base_url, **config):
            parts.append(chunk.output_text)
            if on_text is not None and chunk.output_text:
                outcome = on_text(chunk.output_text)
                if asyncio.iscoroutine(outcome):
                    await outcome
            if chunk.metadata.get("done"):
                final = chunk.metadata
        return {
            "model": model,
            "text": "".join(parts),
            "tokens": final.get("tokens", {"prompt": 0, "completion": 0, "total": 0}),
            "tokensPerSecond": final.get("throughput", {}).get("tokens_per_second", 0.0),
            "totalDurationMs": final.get("durations", {}).get("total_ms"),
        }
