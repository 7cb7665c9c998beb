"""OllamaProvider(name, model, config): the guide's provider over /api/chat.

    provider = OllamaProvider("chat", "llama3:8b", {"temperature": 0.7, "num_ctx": 4096})
    reply = await provider.generate([{"role": "user", "content": "Hi"}])
    async for chunk in provider.stream(messages):
        print(chunk.output_text, end="")
        if chunk.metadata["done"]:
            chunk.metadata["tokens"]       # {"prompt", "completion", "total"}
            chunk.metadata["throughput"]   # {"tokens_per_second"} from Ollama's eval_count/eval_duration

Every key of a model declaration either reaches Ollama or is documented (in its hover text, from
language/schema.py) as not sent; `wire_location(section, key)` says where each one goes, and a
test walks the schema and checks every answer against the request the stand-in receives:

* `options`: every Ollama option the config sets (OLLAMA_OPTIONS: temperature ... num_gpu,
  main_gpu, use_mmap, num_thread, the legacy ones older servers read), `max_tokens` as num_predict
  (num_predict wins), `stop_sequences` as stop; deployment_config `num_thread`, `gpu_layers` as
  num_gpu, and `num_gpu: 0` as num_gpu 0 (see below). Anything unset keeps the model's defaults.
* top-level chat fields: `format` ("json" or a JSON schema), `think`, `keep_alive` (config or
  deployment_config; "300" without a unit is sent as 300 seconds: Ollama rejects unit-less strings).
* `system_prompt` / `system` (flat `llm` keys): a system message first, unless one is given.

deployment_config `num_gpu`: the guide calls it the number of GPUs; Ollama's num_gpu is the number
of layers to offload, and Ollama has no per-model GPU count. So `num_gpu: 0` (no GPU) is sent as
num_gpu 0 (no layer offloaded: CPU only), and any other value is not sent (Ollama offloads as
many layers as fit on the GPUs it sees; choose them with CUDA_VISIBLE_DEVICES for `ollama serve`).
`gpu_layers` and config `num_gpu` (Ollama's own meaning) win over it. The classifier
(ollama/declarations.py) tells the user with a hint (`ollama-option-meaning`).

`auto_pull_model` (default true): a missing model is pulled before the first request (and once
more if the server reports it missing mid-way). `auto_start_server` starts `ollama serve` only
when the provider was created with `allow_server_start=True`.
"""

from __future__ import annotations

import logging
import re
import time
from contextlib import aclosing
from dataclasses import dataclass, field
from typing import Any, AsyncIterator, Mapping

from namel3ss_lsp import model_names

from . import errors
from .client import require_valid_name
from .wire import ProgressCallback, PullProgress
from .errors import OllamaError
from .library import human_size
from .metrics import record_metric
from .server_process import start_ollama_server
from .tools import OllamaEditorTools
from .urls import resolve_base_url

log = logging.getLogger(__name__)

# Ollama's options (shared/ollama-api.md 4.4), sent under the same name when the config sets them.
OLLAMA_OPTIONS = (
    "num_ctx", "num_batch", "num_gpu", "main_gpu", "use_mmap", "num_thread", "draft_num_predict", "num_keep",
    "seed", "num_predict", "top_k", "top_p", "min_p", "typical_p", "repeat_last_n", "temperature",
    "repeat_penalty", "presence_penalty", "frequency_penalty", "stop",
)
# Removed from current Ollama (silently ignored there), still read by older servers: sent as given.
LEGACY_OPTIONS = (
    "numa", "low_vram", "f16_kv", "logits_all", "vocab_only", "use_mlock", "embedding_only", "tfs_z",
    "mirostat", "mirostat_tau", "mirostat_eta", "penalize_newline",
)
# Top-level fields of Ollama's chat request that a declaration may set.
CHAT_FIELDS = ("format", "think", "keep_alive")
_OPTION_KEYS = tuple(k for k in OLLAMA_OPTIONS + LEGACY_OPTIONS if k not in ("stop", "num_predict", "num_gpu", "num_thread"))
_SYSTEM_KEYS = ("system_prompt", "system")


def wire_location(section: str, key: str) -> tuple[str, str] | None:
    """Where a declaration key goes in the /api/chat request: ("options", name), ("body", name)
    for a top-level field, ("messages", "system"); None when it is not sent to Ollama (used by
    the client or the editor). `section` is "config" (also an `llm`'s flat keys), "deployment_config"
    or "top". deployment_config num_gpu is sent only as 0 (see the module doc)."""
    if section == "top":
        return ("body", "model") if key == "model" else None
    if section == "deployment_config":
        if key in ("num_thread", "num_gpu"):
            return ("options", key)
        if key == "gpu_layers":
            return ("options", "num_gpu")
        return ("body", key) if key == "keep_alive" else None
    if key in OLLAMA_OPTIONS or key in LEGACY_OPTIONS:
        return ("options", key)
    if key == "max_tokens":
        return ("options", "num_predict")
    if key == "stop_sequences":
        return ("options", "stop")
    if key in CHAT_FIELDS:
        return ("body", key)
    if key in _SYSTEM_KEYS:
        return ("messages", "system")
    return None


class PullLog:
    """Logs a pull's progress (the guide's "progress logged to console"): a line each time it
    passes another `step` percent or every `interval` seconds, whichever comes first, and
    one at the end with the size and time taken. Use as `on_progress`."""

    def __init__(self, model: str, base_url: str, *, step: float = 10.0, interval: float = 5.0,
                 logger: logging.Logger | None = None) -> None:
        self.model, self.base_url = model, base_url
        self.step, self.interval = float(step), float(interval)
        self.log = logger or log
        self.started = time.monotonic()
        self._logged_at = self.started
        self._next = self.step
        self._last: PullProgress | None = None
        self._logged: float | None = None  # the percentage of the last line logged
        self.lines = 0  # progress lines logged (not counting the end)

    def __call__(self, progress: PullProgress) -> None:
        self._last = progress
        if progress.status == "success" or progress.percent is None or progress.total <= 0:
            return
        now = time.monotonic()
        moved = self._logged is None or round(progress.percent) > round(self._logged)
        if moved and (progress.percent >= self._next or now - self._logged_at >= self.interval):
            self.log.info("Pulling %s on %s: %.0f%% (%s of %s)", self.model, self.base_url, progress.percent,
                          human_size(progress.completed), human_size(progress.total))
            self.lines += 1
            self._logged_at = now
            self._logged = progress.percent
            while self._next <= progress.percent:
                self._next += self.step

    def finished(self) -> None:
        total = self._last.total if self._last is not None else 0
        size = f"{human_size(total)}, " if total else ""
        self.log.info("Pulled %s on %s: 100%% (%sin %.1f s)", self.model, self.base_url, size,
                      time.monotonic() - self.started)

    def failed(self, error: BaseException) -> None:
        percent = self._last.percent if self._last is not None else None
        where = f" at {percent:.0f}%" if isinstance(percent, (int, float)) else ""
        self.log.warning("Pull of %s on %s failed%s: %s", self.model, self.base_url, where,
                         getattr(error, "description", error))


@dataclass
class ProviderResponse:
    model: str
    output_text: str
    raw: dict[str, Any] = field(default_factory=dict)
    metadata: dict[str, Any] = field(default_factory=dict)


def _flag(value: Any, default: bool) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    return default


def _number(value: Any, default: float) -> float:
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value >= 0:
        return float(value)
    return default


def keep_alive_value(value: Any) -> Any:
    """A keep_alive Ollama accepts: numbers as seconds, Go durations as strings, "300" -> 300."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return value
    if isinstance(value, str):
        text = value.strip()
        if re.fullmatch(r"-?\d+(\.\d+)?", text):
            return float(text) if "." in text else int(text)
        return text or None
    return None


def _messages(messages: Any) -> list[dict[str, Any]]:
    if isinstance(messages, str):
        return [{"role": "user", "content": messages}]
    out = []
    for message in messages or []:
        if isinstance(message, str):
            out.append({"role": "user", "content": message})
            continue
        if isinstance(message, Mapping):
            role, content = message.get("role", "user"), message.get("content", "")
            extra = {k: message[k] for k in ("images", "tool_calls", "tool_name", "thinking") if k in message}
        else:
            role, content = getattr(message, "role", "user"), getattr(message, "content", "")
            extra = {}
        out.append({"role": str(role), "content": "" if content is None else str(content), **extra})
    return out


def final_metadata(obj: Mapping[str, Any], wall_seconds: float) -> dict[str, Any]:
    """Token counts, throughput and durations of a done:true chunk (missing metrics count as 0)."""
    def count(key: str) -> int:
        value = obj.get(key)
        return int(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else 0

    prompt, completion = count("prompt_eval_count"), count("eval_count")
    eval_ns = count("eval_duration")
    if eval_ns > 0:
        tps = completion / eval_ns * 1e9
    else:
        tps = completion / wall_seconds if wall_seconds > 0 and completion else 0.0
    return {
        "done": True,
        "done_reason": obj.get("done_reason"),
        "tokens": {"prompt": prompt, "completion": completion, "total": prompt + completion},
        "throughput": {"tokens_per_second": tps},
        "durations": {
            "total_ms": count("total_duration") / 1e6 if "total_duration" in obj else wall_seconds * 1000,
            "load_ms": count("load_duration") / 1e6,
            "prompt_eval_ms": count("prompt_eval_duration") / 1e6,
            "eval_ms": eval_ns / 1e6,
        },
        "duration": wall_seconds,
    }


def _num_gpu(config: Mapping[str, Any], deployment: Mapping[str, Any]) -> Any:
    """Ollama's num_gpu (layers to offload): config num_gpu (Ollama's own meaning), else
    deployment_config gpu_layers, else 0 when deployment_config num_gpu (the guide's GPU count) is 0;
    None (Ollama decides) otherwise."""
    if config.get("num_gpu") is not None:
        return config["num_gpu"]
    layers = deployment.get("gpu_layers", config.get("gpu_layers"))
    if layers is not None:
        return layers
    gpus = deployment.get("num_gpu")
    if isinstance(gpus, (int, float)) and not isinstance(gpus, bool) and gpus == 0:
        return 0
    return None


class _Cleared:
    """What `ProviderCache.clear()` returns: already done, and awaitable (the guide awaits it)."""

    def __await__(self):
        return iter(())

    def __repr__(self) -> str:
        return "<cleared>"


class ProviderCache:
    """`provider._cache` (the guide's troubleshooting step `await provider._cache.clear()`): what
    the provider's tools know about its server. `clear()` forgets the model list and the model
    facts (/api/show) of this provider's base URL only, and the provider's readiness and health,
    so that the next call asks the server again; other servers' caches are untouched."""

    def __init__(self, provider: "OllamaProvider") -> None:
        self._provider = provider

    def clear(self) -> _Cleared:
        provider = self._provider
        provider.tools.forget(provider.base_url)
        provider._ready_at = None
        provider._health = None
        return _Cleared()

    def models(self) -> list[dict[str, Any]] | None:
        """The last model list fetched from this provider's server (no I/O); None when none."""
        return self._provider.tools.cached_models(self._provider.base_url)


class OllamaProvider:
    """A model on an Ollama server, configured like an `ai model` declaration's config."""

    def __init__(self, name: str, model: str, config: Mapping[str, Any] | None = None, *,
                 tools: OllamaEditorTools | None = None, allow_server_start: bool = False,
                 setting_base_url: str | None = None, environ: Mapping[str, str] | None = None):
        cfg = dict(config or {})
        self.name = name
        self.model = model
        self.config = cfg
        deployment = cfg.get("deployment_config")
        self.deployment_config = dict(deployment) if isinstance(deployment, Mapping) else {}
        self.base_url = resolve_base_url(cfg, setting=setting_base_url, environ=environ)

        def setting(key: str) -> Any:  # the guide sets client keys in config or in deployment_config
            return cfg[key] if cfg.get(key) is not None else self.deployment_config.get(key)

        self.auto_pull_model = _flag(setting("auto_pull_model"), True)
        self.auto_start_server = _flag(setting("auto_start_server"), False)
        self.allow_server_start = bool(allow_server_start)
        self.health_check_interval = _number(setting("health_check_interval"), 30.0)
        self.stall_timeout = _number(cfg.get("stall_timeout"), 300.0)
        self.pull_timeout = _number(cfg.get("pull_timeout"), 600.0)
        self._own_tools = tools is None
        self.tools = tools or OllamaEditorTools(
            request_timeout=_number(cfg.get("request_timeout", cfg.get("timeout")), 5.0),
            model_cache_ttl=_number(setting("model_cache_ttl"), 60.0),
            health_check_interval=self.health_check_interval,
            stall_timeout=self.stall_timeout,
        )
        self.started_server: dict[str, Any] | None = None  # start_ollama_server's result, when it ran
        self._ready_at: float | None = None
        self._health: tuple[dict[str, Any], float] | None = None
        self._cache = ProviderCache(self)

    async def aclose(self) -> None:
        if self._own_tools:
            await self.tools.aclose()

    close = aclose

    async def __aenter__(self) -> "OllamaProvider":
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    # ---- model management -------------------------------------------------------------------
    async def list_models(self) -> list[dict[str, Any]]:
        return await self.tools.list_available_models(self.base_url)

    async def show_model(self, model: str | None = None) -> dict[str, Any]:
        return await self.tools.model_info(self.model if model is None else model, self.base_url)

    async def pull_model(self, model: str | None = None, *, pull_timeout: float | None = 600,
                         on_progress: ProgressCallback | None = None) -> dict[str, Any]:
        target = self.model if model is None else model
        result = await self.tools.pull_model(target, self.base_url, on_progress=on_progress, pull_timeout=pull_timeout)
        self._ready_at = None
        return result

    async def delete_model(self, model: str | None = None) -> bool:
        removed = await self.tools.delete_model(self.model if model is None else model, self.base_url)
        self._ready_at = None
        return removed

    async def health_check(self, *, force: bool = False) -> dict[str, Any]:
        """{status: healthy|model_missing|unhealthy, model_available, server_health, available_models,
        base_url, error, suggestion, ...}; at most one real check per health_check_interval unless
        forced. Never raises for network faults."""
        now = time.monotonic()
        if not force and self._health and now - self._health[1] < self.health_check_interval:
            return dict(self._health[0])
        status = await self.tools.check_status(self.base_url)
        names = status["models"] if status["models_count"] is not None else []
        available = model_names.is_valid(self.model) and model_names.find_installed(self.model, names) is not None
        healthy = status["reachable"] and status["error"] is None
        result = {
            "status": ("healthy" if available else "model_missing") if healthy else "unhealthy",
            "provider": "ollama",
            "name": self.name,
            "model": self.model,
            "model_available": bool(available),
            "base_url": self.base_url,
            "server_health": {k: status[k] for k in ("reachable", "version", "response_time_ms", "models_count")},
            "available_models": names,
            "configuration": {
                "auto_pull": self.auto_pull_model, "auto_start": self.auto_start_server,
                "context_window": self.config.get("num_ctx"), "temperature": self.config.get("temperature"),
            },
            "error": status["error"],
            "suggestion": status["suggestion"],
            "checked_at": status["checked_at"],
        }
        self._health = (result, now)
        return dict(result)

    # ---- readiness --------------------------------------------------------------------------
    async def _ensure_ready(self) -> None:
        require_valid_name(self.model, self.base_url)
        now = time.monotonic()
        if self._ready_at is not None and now - self._ready_at < self.health_check_interval:
            return
        if self.auto_start_server and self.allow_server_start:
            status = await self.tools.check_status(self.base_url)
            if not status["reachable"]:
                self.started_server = await start_ollama_server(self.base_url)
                self.tools.invalidate(self.base_url)
        started = time.perf_counter()
        try:
            models = await self.tools.list_available_models(self.base_url)
        except OllamaError as err:
            if err.kind == "unreachable" and self.auto_start_server and not self.allow_server_start:
                raise OllamaError(
                    err.description, model=self.model, base_url=self.base_url, kind=err.kind, original_error=err,
                    suggestion="Start it with: ollama serve (auto_start_server is set, but starting servers "
                               "is not allowed here; enable the setting ollama.allowServerStart)") from err
            raise
        found = model_names.find_installed(self.model, [m["name"] for m in models])
        record_metric("ollama.model.check_duration", time.perf_counter() - started,
                      {"base_url": self.base_url, "model": self.model})
        if found is None:
            if not self.auto_pull_model:
                raise errors.model_missing(self.model, self.base_url)
            await self._auto_pull()
        self._ready_at = time.monotonic()

    async def _auto_pull(self) -> None:
        log.info("Ollama model %s is missing on %s; pulling it (auto_pull_model)", self.model, self.base_url)
        progress = PullLog(self.model, self.base_url)
        try:
            await self.tools.pull_model(self.model, self.base_url, pull_timeout=self.pull_timeout,
                                        on_progress=progress)
        except OllamaError as err:
            progress.failed(err)
            raise OllamaError(
                f"Failed to auto-pull Ollama model '{self.model}': {err.description}",
                model=self.model, base_url=self.base_url, kind=err.kind, original_error=err,
                suggestion=f"Try manually: ollama pull {self.model}\nCheck disk space and network connectivity.",
            ) from err
        progress.finished()

    # ---- generation -------------------------------------------------------------------------
    def build_payload(self, messages: Any, *, stream: bool = True, **overrides: Any) -> dict[str, Any]:
        """The /api/chat body: options, top-level fields and messages from the config (see the
        module doc and `wire_location`); per-call overrides win over the config."""
        merged = {**self.config, **overrides}
        deployment = self.deployment_config
        options: dict[str, Any] = {k: merged[k] for k in _OPTION_KEYS if merged.get(k) is not None}
        num_predict = merged.get("num_predict", merged.get("max_tokens"))
        if num_predict is not None:
            options["num_predict"] = num_predict
        stop = merged.get("stop", merged.get("stop_sequences"))
        if isinstance(stop, str):
            options["stop"] = [stop]
        elif isinstance(stop, (list, tuple)):
            options["stop"] = [str(s) for s in stop]
        num_thread = merged.get("num_thread", deployment.get("num_thread"))
        if num_thread is not None:
            options["num_thread"] = num_thread
        num_gpu = _num_gpu(merged, deployment)
        if num_gpu is not None:
            options["num_gpu"] = num_gpu
        payload: dict[str, Any] = {"model": self.model, "messages": self._with_system(_messages(messages), merged),
                                   "stream": stream}
        if options:
            payload["options"] = options
        for key in ("format", "think"):
            if merged.get(key) is not None:
                payload[key] = merged[key]
        keep_alive = keep_alive_value(merged.get("keep_alive", deployment.get("keep_alive")))
        if keep_alive is not None:
            payload["keep_alive"] = keep_alive
        return payload

    @staticmethod
    def _with_system(messages: list[dict[str, Any]], merged: Mapping[str, Any]) -> list[dict[str, Any]]:
        system = next((merged[k] for k in _SYSTEM_KEYS if isinstance(merged.get(k), str) and merged[k]), None)
        if system is None or any(m.get("role") == "system" for m in messages):
            return messages
        return [{"role": "system", "content": system}] + messages

    async def stream(self, messages: Any, **overrides: Any) -> AsyncIterator[ProviderResponse]:
        """Chunks of the reply; the last has metadata done/tokens/throughput. Raises OllamaError."""
        await self._ensure_ready()
        payload = self.build_payload(messages, stream=True, **overrides)
        retried = False
        while True:
            produced = False
            try:
                async with aclosing(self._stream_once(payload)) as chunks:
                    async for chunk in chunks:
                        produced = True
                        yield chunk
                return
            except OllamaError as err:
                if err.kind == "not_found" and self.auto_pull_model and not retried and not produced:
                    retried = True
                    self.tools.invalidate(self.base_url)
                    await self._auto_pull()
                    continue
                if err.kind == "context_exceeded":
                    raise errors.context_exceeded(self.model, self.base_url, err.description,
                                                  payload.get("options", {}).get("num_ctx")) from err
                raise

    async def _stream_once(self, payload: dict[str, Any]) -> AsyncIterator[ProviderResponse]:
        client = self.tools.client(self.base_url)
        started = time.perf_counter()
        count = 0
        async with aclosing(client.chat_stream(payload, model=self.model, stall_timeout=self.stall_timeout)) as objs:
            async for obj in objs:
                count += 1
                message = obj.get("message") if isinstance(obj.get("message"), Mapping) else {}
                content = message.get("content")
                metadata: dict[str, Any] = {"done": bool(obj.get("done")), "provider": "ollama",
                                            "chunk_number": count, "created_at": obj.get("created_at")}
                for key in ("thinking", "tool_calls"):
                    if message.get(key):
                        metadata[key] = message[key]
                if obj.get("done"):
                    metadata.update(final_metadata(obj, time.perf_counter() - started))
                    self._record(metadata, count)
                yield ProviderResponse(model=str(obj.get("model") or self.model),
                                       output_text=content if isinstance(content, str) else "",
                                       raw=dict(obj), metadata=metadata)

    def _record(self, metadata: dict[str, Any], chunks: int) -> None:
        labels = {"base_url": self.base_url, "model": self.model, "provider": self.name}
        tokens = metadata["tokens"]
        record_metric("ollama.tokens.prompt", tokens["prompt"], labels)
        record_metric("ollama.tokens.completion", tokens["completion"], labels)
        record_metric("ollama.tokens.total", tokens["total"], labels)
        record_metric("ollama.throughput.tokens_per_second", metadata["throughput"]["tokens_per_second"], labels)
        record_metric("ollama.stream.chunks", chunks, labels)

    async def generate(self, messages: Any, **overrides: Any) -> ProviderResponse:
        """The whole reply as one ProviderResponse (metadata as on the last stream chunk)."""
        parts: list[str] = []
        last: ProviderResponse | None = None
        extra: dict[str, Any] = {}
        async with aclosing(self.stream(messages, **overrides)) as chunks:
            async for chunk in chunks:
                parts.append(chunk.output_text)
                for key in ("thinking", "tool_calls"):
                    if key in chunk.metadata:
                        extra.setdefault(key, []).append(chunk.metadata[key])
                last = chunk
        if last is None:  # chat_stream raises unless a done chunk arrived; defensive
            raise errors.protocol(self.base_url, "the reply had no chunks", model=self.model)
        metadata = dict(last.metadata)
        if "thinking" in extra:
            metadata["thinking"] = "".join(str(t) for t in extra["thinking"])
        if "tool_calls" in extra:
            metadata["tool_calls"] = [c for calls in extra["tool_calls"] for c in calls]
        raw = dict(last.raw)
        raw["message"] = {"role": "assistant", "content": "".join(parts)}
        return ProviderResponse(model=last.model, output_text="".join(parts), raw=raw, metadata=metadata)

