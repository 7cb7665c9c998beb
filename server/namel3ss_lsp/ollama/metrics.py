"""Metrics with the guide's names, delivered to listeners as `fn(name, value, labels)`.

Names (the Namel3ss Ollama guide's dotted names; for Prometheus replace "." with "_", e.g.
`ollama.requests.total` -> `ollama_requests_total`):

| name | value | labels |
|---|---|---|
| ollama.requests.total | 1 per HTTP request | base_url, endpoint, method, status ("error" on no answer) |
| ollama.request.duration | seconds per HTTP request (to the last byte for streams) | same |
| ollama.errors.total | 1 per OllamaError raised by the client | base_url, endpoint, kind |
| ollama.tokens.prompt / .completion / .total | tokens of one chat/generate | base_url, model, provider |
| ollama.throughput.tokens_per_second | eval_count / eval_duration (Ollama's own timing) | same |
| ollama.stream.chunks | chunks of one streamed reply | same |
| ollama.model.check_duration | seconds to check a model is installed | base_url, model |
| ollama.model.pull_duration | seconds of a successful pull | base_url, model |
| ollama.model.pulls.total | 1 per pull | base_url, model, result (success/error/cancelled) |
| ollama.health.check_duration | seconds of a check_status | base_url, reachable |
| ollama.models.count | installed models after a list | base_url |

A listener that raises is logged and ignored; it never breaks a request.
"""

from __future__ import annotations

import logging
import threading
from typing import Callable, Mapping

log = logging.getLogger(__name__)

MetricListener = Callable[[str, float, Mapping[str, str]], None]

METRIC_NAMES = (
    "ollama.requests.total",
    "ollama.request.duration",
    "ollama.errors.total",
    "ollama.tokens.prompt",
    "ollama.tokens.completion",
    "ollama.tokens.total",
    "ollama.throughput.tokens_per_second",
    "ollama.stream.chunks",
    "ollama.model.check_duration",
    "ollama.model.pull_duration",
    "ollama.model.pulls.total",
    "ollama.health.check_duration",
    "ollama.models.count",
)

_listeners: list[MetricListener] = []
_lock = threading.Lock()


def register_metric_listener(listener: MetricListener) -> Callable[[], None]:
    """Call `listener(name, value, labels)` for every metric; returns a function that unregisters it."""
    with _lock:
        _listeners.append(listener)

    def unregister() -> None:
        unregister_metric_listener(listener)

    return unregister


def unregister_metric_listener(listener: MetricListener) -> None:
    with _lock:
        try:
            _listeners.remove(listener)
        except ValueError:
            pass


def record_metric(name: str, value: float, labels: Mapping[str, object] | None = None) -> None:
    with _lock:
        listeners = list(_listeners)
    if not listeners:
        return
    clean = {k: "" if v is None else str(v) for k, v in (labels or {}).items()}
    for listener in listeners:
        try:
            listener(name, value, dict(clean))
        except Exception:  # noqa: BLE001 - a listener must never break a request
            log.exception("metric listener %r failed on %s", listener, name)
