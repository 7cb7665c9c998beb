"""OllamaProvider(name, model, config): the guide's provider over /api/chat.

    provider = OllamaProvider("chat", "llama3:8b", {"temperature": 0.7, "num_ctx": 4096})
    reply = await provider.generate([{"role": "user", "content": "Hi"}])
    async for chunk in provider.stream(messages):
        print(chunk.output_text, end="")
        if chunk.metadata["done"]:
            chunk.metadata["tokens"]       # {"prompt", "completion", "total"}
            chunk.metadata["throughput"]   # {"tokens_per_second"} from Ollama's eval_count/eval_duration

Options sent to Ollama are only those the config sets (temperature, top_k, top_p, min_p,
repeat_penalty, repeat_last_n, num_ctx, num_predict or max_tokens, seed, stop, num_batch;
deployment_config num_thread, and gpu_layers as Ollama's num_gpu); anything unset keeps the model's
own defaults. `keep_alive` comes from config or deployment_config ("300" without a unit is sent as
300 seconds, since Ollama rejects unit-less strings).

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
from .wire import ProgressCallback
from .errors import OllamaError
from .metrics import record_metric
from .server_process import start_ollama_server
from .tools import OllamaEditorTools
from .urls import resolve_base_url

log = logging.getLogger(__name__)

_OPTION_KEYS = ("temperature", "top_k", "top_p", "min_p", "typical_p", "repeat_penalty", "repeat_last_n",
                "presence_penalty", "frequency_penalty", "num_ctx", "seed", "num_batch", "num_keep")


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
        self.auto_pull_model = _flag(cfg.get("auto_pull_model"), True)
        self.auto_start_server = _flag(cfg.get("auto_start_server"), False)
        self.allow_server_start = bool(allow_server_start)
        self.health_check_interval = _number(cfg.get("health_check_interval"), 30.0)
        self.stall_timeout = _number(cfg.get("stall_timeout"), 300.0)
        self.pull_timeout = _number(cfg.get("pull_timeout"), 600.0)
        self._own_tools = tools is None
        self.tools = tools or OllamaEditorTools(
            request_timeout=_number(cfg.get("request_timeout"), 5.0),
            model_cache_ttl=_number(cfg.get("model_cache_ttl"), 60.0),
            health_check_interval=self.health_check_interval,
            stall_timeout=self.stall_timeout,
        )
        self.started_server: dict[str, Any] | None = None  # start_ollama_server's result, when it ran
        self._ready_at: float | None = None
        self._health: tuple[dict[str, Any], float] | None = None

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
        try:
            await self.tools.pull_model(self.model, self.base_url, pull_timeout=self.pull_timeout)
        except OllamaError as err:
            raise OllamaError(
                f"Failed to auto-pull Ollama model '{self.model}': {err.description}",
                model=self.model, base_url=self.base_url, kind=err.kind, original_error=err,
                suggestion=f"Try manually: ollama pull {self.model}\nCheck disk space and network connectivity.",
            ) from err

    # ---- generation -------------------------------------------------------------------------
    def build_payload(self, messages: Any, *, stream: bool = True, **overrides: Any) -> dict[str, Any]:
        merged = {**self.config, **overrides}
        options: dict[str, Any] = {k: merged[k] for k in _OPTION_KEYS if merged.get(k) is not None}
        num_predict = merged.get("num_predict", merged.get("max_tokens"))
        if num_predict is not None:
            options["num_predict"] = num_predict
        stop = merged.get("stop")
        if isinstance(stop, str):
            options["stop"] = [stop]
        elif isinstance(stop, (list, tuple)):
            options["stop"] = [str(s) for s in stop]
        deployment = self.deployment_config
        if deployment.get("num_thread") is not None:
            options["num_thread"] = deployment["num_thread"]
        gpu_layers = deployment.get("gpu_layers", merged.get("gpu_layers"))
        if gpu_layers is not None:
            options["num_gpu"] = gpu_layers
        payload: dict[str, Any] = {"model": self.model, "messages": _messages(messages), "stream": stream}
        if options:
            payload["options"] = options
        keep_alive = keep_alive_value(merged.get("keep_alive", deployment.get("keep_alive")))
        if keep_alive is not None:
            payload["keep_alive"] = keep_alive
        return payload

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

