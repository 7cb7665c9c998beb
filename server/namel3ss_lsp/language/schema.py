"""What the keys of a model declaration mean: types, ranges, defaults, one line of documentation.

Sections:
    "top"                the keys of `ai model NAME { ... }` (and of `llm NAME { ... }`, which also
                         takes the `config` keys flat at its top level)
    "config"             Ollama generation and client options (`config: { ... }`)
    "deployment_config"  how the local server runs the model (`deployment_config: { ... }`)

Facts come from the Namel3ss Ollama Integration Guide (DESIGN.md section 2) and Ollama's own
option table (shared/ollama-api.md section 4.4). Where Ollama accepts a wider range than the guide
states, the wider one is used so that valid files are never flagged (num_gpu -1 = auto, num_thread
0 = auto, num_predict -1 = unlimited / -2 = fill the context).
"""

from __future__ import annotations

from dataclasses import dataclass

PROVIDERS = (
    "ollama", "vllm", "local_ai", "lm_studio", "openai", "anthropic", "azure_openai",
    "google", "vertex", "bedrock", "mistral", "cohere",
)
LOCAL_PROVIDERS = frozenset({"ollama", "vllm", "local_ai", "lm_studio"})
MODEL_KEYWORDS = ("ai model", "llm")


@dataclass(frozen=True)
class KeySpec:
    name: str
    type: str  # float | int | bool | string | url | list[string] | duration | map | model-id | provider | name
    default: object = None
    minimum: float | None = None
    maximum: float | None = None
    doc: str = ""
    enum: tuple[str, ...] | None = None
    exclusive_minimum: bool = False  # minimum itself is not allowed (repeat_penalty > 0)

    @property
    def range_text(self) -> str:
        """`0 to 2`, `at least 1`, `greater than 0`, or ''."""
        if self.minimum is not None and self.maximum is not None:
            return f"{_num(self.minimum)} to {_num(self.maximum)}"
        if self.minimum is not None:
            return f"greater than {_num(self.minimum)}" if self.exclusive_minimum else f"at least {_num(self.minimum)}"
        if self.maximum is not None:
            return f"at most {_num(self.maximum)}"
        return ""

    def describe(self) -> str:
        """Markdown for a hover: doc, type, default, range."""
        lines = [f"**{self.name}**: {self.doc}", "", f"Type: `{self.type}`"]
        if self.default is not None:
            lines.append(f"Default: `{_show(self.default)}`")
        if self.range_text:
            lines.append(f"Range: {self.range_text}")
        if self.enum:
            lines.append("Values: " + ", ".join(f"`{v}`" for v in self.enum))
        return "\n".join(lines)


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)


def _show(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{value}"'
    return str(value)


def _table(*specs: KeySpec) -> dict[str, KeySpec]:
    return {s.name: s for s in specs}


TOP_KEYS = _table(
    KeySpec("provider", "provider", None, doc="Who serves the model: ollama, vllm, local_ai, lm_studio, or a cloud provider. Not sent to the model server.", enum=PROVIDERS),
    KeySpec("model", "model-id", None, doc="The model id, e.g. `llama3:8b` for Ollama or `meta-llama/Llama-2-7b-chat-hf` for vLLM."),
    KeySpec("config", "map", None, doc="Generation and client options passed to the provider."),
    KeySpec("deployment_config", "map", None, doc="How the local server runs the model (local providers only)."),
    KeySpec("description", "string", None, doc="A sentence saying what the model is for. Not sent to the model server."),
    KeySpec("local_model_path", "string", None, doc="Path of a local model file (LocalAI, e.g. a .gguf). Not sent to Ollama, which serves the models it has pulled."),
    KeySpec("extends", "name", None, doc="Another `ai model` whose settings this one starts from. Not sent to the model server."),
    KeySpec("metadata", "map", None, doc="Free-form metadata for introspection and management. Not sent to the model server."),
)

_SERVER_KEYS = (
    KeySpec("base_url", "url", "http://localhost:11434", doc="Ollama server URL; wins over NAMEL3SS_OLLAMA_BASE_URL and host/port. Not sent to Ollama: it is where requests go."),
    KeySpec("host", "string", "127.0.0.1", doc="Ollama server host, used with `port` when no base_url is given. Not sent to Ollama: it is where requests go."),
    KeySpec("port", "int", 11434, 1, 65535, doc="Ollama server port. Not sent to Ollama: it is where requests go."),
    KeySpec("auto_pull_model", "bool", True, doc="Pull the model on first use when it is not installed. Not sent to Ollama: the client pulls before the first request. A missing model is a warning when unset, information when true, an error when false."),
    KeySpec("auto_start_server", "bool", False, doc="Start `ollama serve` when the server is not running (opt-in). Not sent to Ollama: the client starts it (the editor only with the setting ollama.allowServerStart)."),
    KeySpec("model_cache_ttl", "float", 60, 0, doc="Seconds a model-availability check stays cached. Not sent to Ollama: a cache of the client."),
    KeySpec("health_check_interval", "float", 30, 0, doc="Minimum seconds between two server health checks. Not sent to Ollama: used by the client."),
    KeySpec("keep_alive", "duration", "5m", doc='How long the model stays loaded after a request: "5m", "1h", seconds, or -1 for ever. Sent as the request\'s keep_alive.'),
)

CONFIG_KEYS = _table(
    KeySpec("temperature", "float", 0.7, 0, 2, doc="Sampling temperature: higher is more creative, lower more focused."),
    KeySpec("top_k", "int", 40, 1, doc="Sample only from the k most likely tokens."),
    KeySpec("top_p", "float", 0.9, 0, 1, doc="Nucleus sampling: keep the smallest token set whose probability reaches p."),
    KeySpec("min_p", "float", 0.0, 0, 1, doc="Drop tokens less likely than min_p times the most likely one."),
    KeySpec("typical_p", "float", 1.0, 0, 1, doc="Locally typical sampling (1.0 disables it)."),
    KeySpec("repeat_penalty", "float", 1.1, 0, exclusive_minimum=True, doc="Penalty for repeated tokens (1.0 = none)."),
    KeySpec("repeat_last_n", "int", 64, -1, doc="How far back repetition is penalised (0 = off, -1 = num_ctx)."),
    KeySpec("presence_penalty", "float", 0.0, doc="Penalty for tokens already present in the text."),
    KeySpec("frequency_penalty", "float", 0.0, doc="Penalty growing with how often a token already appeared."),
    KeySpec("num_ctx", "int", 2048, 1, doc="Context window size in tokens."),
    KeySpec("max_tokens", "int", None, 1, doc="Maximum number of tokens to generate (sent to Ollama as num_predict)."),
    KeySpec("num_predict", "int", -1, -2, doc="Maximum tokens to generate (-1 = unlimited, -2 = fill the context)."),
    KeySpec("seed", "int", -1, doc="Random seed for reproducible output (-1 = random)."),
    KeySpec("stop", "list[string]", None, doc="Strings that end generation when produced."),
    KeySpec("stop_sequences", "list[string]", None, doc="Namel3ss spelling of `stop`: strings that end generation. Sent as Ollama's `stop` (`stop` wins when both are set)."),
    KeySpec("num_keep", "int", 4, -1, doc="Tokens of the prompt kept when the context is shifted."),
    KeySpec("num_batch", "int", 512, 1, doc="Prompt processing batch size (load-time)."),
    KeySpec("num_gpu", "int", -1, -1, doc="Layers offloaded to the GPU (-1 = automatic; load-time)."),
    KeySpec("main_gpu", "int", None, 0, doc="GPU used for small tensors when several are present."),
    KeySpec("num_thread", "int", 0, 0, doc="CPU threads (0 = automatic)."),
    KeySpec("use_mmap", "bool", None, doc="Memory-map the model file (load-time)."),
    KeySpec("draft_num_predict", "int", 4, 0, doc="Tokens drafted per step in speculative decoding."),
    KeySpec("format", "string", None, doc='Response format: "json" or a JSON schema. Sent as the chat request\'s `format`.'),
    KeySpec("think", "bool", None, doc="Let thinking models think before answering. Sent as the chat request's `think`."),
    # Accepted by older servers and by ollama-python, silently ignored by current Ollama.
    *(KeySpec(k, t, None, doc="Legacy option: sent in `options`; older Ollama servers read it, current ones ignore it.") for k, t in (
        ("numa", "bool"), ("low_vram", "bool"), ("f16_kv", "bool"), ("logits_all", "bool"),
        ("vocab_only", "bool"), ("use_mlock", "bool"), ("embedding_only", "bool"), ("tfs_z", "float"),
        ("mirostat", "int"), ("mirostat_tau", "float"), ("mirostat_eta", "float"), ("penalize_newline", "bool"),
    )),
    *_SERVER_KEYS,
)

DEPLOYMENT_KEYS = _table(
    KeySpec("num_gpu", "int", -1, -1, doc="Number of GPUs in the Namel3ss guide, but Ollama cannot set a GPU count per model: `0` runs the model on the CPU only (sent as Ollama's num_gpu 0: no layer offloaded); any other value is not sent to Ollama, which offloads as many layers as fit on the GPUs it sees (choose them with CUDA_VISIBLE_DEVICES for `ollama serve`; set a layer count with gpu_layers)."),
    KeySpec("num_thread", "int", 0, 0, doc="CPU threads for inference (0 = automatic)."),
    KeySpec("gpu_layers", "int", None, -1, doc="Model layers offloaded to the GPU, sent as Ollama's num_gpu (-1 = as many as fit)."),
    # The guide's own example (local-model-chat) sets the server keys here too, and the provider
    # merges deployment_config into its server settings, so they are valid in both sections.
    *_SERVER_KEYS,
)

# `llm NAME { ... }` declarations take their options flat, next to provider and model.
LLM_EXTRA_KEYS = _table(
    KeySpec("system_prompt", "string", None, doc="System prompt sent before every conversation (to Ollama as a first system message)."),
    KeySpec("system", "string", None, doc="System prompt (older spelling of system_prompt)."),
    KeySpec("api_key", "string", None, doc="API key (prefer an env reference such as env.OPENAI_API_KEY). Not sent to Ollama, which needs no key."),
    KeySpec("timeout", "float", None, 0, doc="Request timeout in seconds. Not sent to Ollama: the client's timeout for its metadata requests."),
    KeySpec("stream", "bool", None, doc="Stream the reply token by token. Not sent to Ollama as given: its client always streams, and joins the reply when asked for it whole."),
    KeySpec("max_retries", "int", None, 0, doc="How often a failed request is retried. Not sent to Ollama: its client retries only once, after pulling a missing model."),
)

SECTIONS = {"top": TOP_KEYS, "config": CONFIG_KEYS, "deployment_config": DEPLOYMENT_KEYS}


def lookup_key(section: str, key: str) -> KeySpec | None:
    """The spec of `key` in a section ("top", "config", "deployment_config", or "llm" for flat llm keys)."""
    if section == "llm":
        return TOP_KEYS.get(key) or LLM_EXTRA_KEYS.get(key) or CONFIG_KEYS.get(key)
    table = SECTIONS.get(section)
    return None if table is None else table.get(key)


def keys_for(section: str) -> dict[str, KeySpec]:
    """All keys of a section, for completion."""
    if section == "llm":
        return {**CONFIG_KEYS, **LLM_EXTRA_KEYS, **TOP_KEYS}
    return dict(SECTIONS.get(section, {}))
