"""The Ollama API of namel3ss-lsp (async, httpx; no editor dependencies).

    from namel3ss_lsp.ollama import OllamaEditorTools, OllamaProvider, OllamaError, register_metric_listener

Modules: errors (OllamaError), urls (base URL resolution, host allow-list), wire (tolerant
reading of Ollama's JSON, pull progress), client (HTTP, one server), cache (TTL caches,
single-flight), tools (OllamaEditorTools), provider (OllamaProvider), metrics, server_process
(start `ollama serve`), diagnostics (model checks for `check` and the LSP), library (well-known
library models and their download sizes).
"""

from .client import OllamaClient, require_valid_name
from .errors import KINDS as ERROR_KINDS
from .errors import OllamaError
from .metrics import METRIC_NAMES, record_metric, register_metric_listener, unregister_metric_listener
from .provider import OllamaProvider, ProviderResponse, final_metadata, keep_alive_value
from .server_process import start_ollama_server
from .tools import DEFAULT_MODEL, OllamaEditorTools, extract_model_info

# The one-way rule: provider imports tools, never the reverse; the package wires the class that
# OllamaEditorTools.chat_stream / try_model build.
OllamaEditorTools.provider_class = OllamaProvider
from .library import download_size, library_entry
from .wire import PullProgress, RunningModel, normalize_model_entry, normalize_running_entry
from .urls import (
    BASE_URL_ENV,
    DEFAULT_ALLOWED_HOSTS,
    DEFAULT_BASE_URL,
    canonical_host,
    host_allowed,
    normalize_base_url,
    parse_ollama_host,
    resolve_base_url,
    url_problem,
    url_suggestion,
    url_target,
)

__all__ = [
    "OllamaEditorTools", "OllamaProvider", "OllamaError", "register_metric_listener",
    "unregister_metric_listener", "record_metric", "METRIC_NAMES", "ERROR_KINDS",
    "OllamaClient", "PullProgress", "ProviderResponse", "normalize_model_entry", "require_valid_name",
    "final_metadata", "keep_alive_value", "start_ollama_server", "DEFAULT_MODEL", "extract_model_info",
    "BASE_URL_ENV", "DEFAULT_ALLOWED_HOSTS", "DEFAULT_BASE_URL", "canonical_host", "host_allowed",
    "normalize_base_url", "parse_ollama_host", "resolve_base_url", "url_problem",
    "url_suggestion", "url_target", "RunningModel", "normalize_running_entry", "download_size", "library_entry",
]
