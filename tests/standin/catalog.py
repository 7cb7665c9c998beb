"""Model records for the stand-in Ollama: realistic details, deterministic digests and layers.

Well-known library models carry the facts a real `ollama show` reports (family, parameter size,
quantization, size on disk, context length, capabilities); any other name gets plausible
synthesized details derived from a hash of the name, so every run is reproducible.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from typing import Any, Iterable, Mapping

from namel3ss_lsp import model_names

# Real Ollama prints modified_at/expires_at in the server's local time with its offset.
LOCAL_TZ = timezone(timedelta(hours=-7))

_KNOWN: dict[str, dict[str, Any]] = {
    "llama3:8b": dict(
        family="llama", parameter_size="8.0B", quantization_level="Q4_0", size=4661224676,
        context_length=8192, embedding_length=4096, parameter_count=8030261248,
        capabilities=["completion"], license="META LLAMA 3 COMMUNITY LICENSE AGREEMENT\n"
        "Meta Llama 3 Version Release Date: April 18, 2024",
    ),
    "llama3:latest": dict(
        family="llama", parameter_size="8.0B", quantization_level="Q4_0", size=4661224676,
        context_length=8192, embedding_length=4096, parameter_count=8030261248,
        capabilities=["completion"], license="META LLAMA 3 COMMUNITY LICENSE AGREEMENT\n"
        "Meta Llama 3 Version Release Date: April 18, 2024",
    ),
    "llama3.2:latest": dict(
        family="llama", parameter_size="3.2B", quantization_level="Q4_K_M", size=2019393189,
        context_length=131072, embedding_length=3072, parameter_count=3212749888,
        capabilities=["completion", "tools"],
        license="LLAMA 3.2 COMMUNITY LICENSE AGREEMENT\nLlama 3.2 Version Release Date: September 25, 2024",
    ),
    "mistral:latest": dict(
        family="llama", parameter_size="7.2B", quantization_level="Q4_0", size=4113301824,
        context_length=32768, embedding_length=4096, parameter_count=7248023552,
        capabilities=["completion", "tools"], license="Apache License\nVersion 2.0, January 2004",
    ),
    "mistral:7b": dict(
        family="llama", parameter_size="7.2B", quantization_level="Q4_0", size=4113301824,
        context_length=32768, embedding_length=4096, parameter_count=7248023552,
        capabilities=["completion", "tools"], license="Apache License\nVersion 2.0, January 2004",
    ),
    "phi3:mini": dict(
        family="phi3", parameter_size="3.8B", quantization_level="Q4_0", size=2176178913,
        context_length=131072, embedding_length=3072, parameter_count=3821079552,
        capabilities=["completion"], license="Microsoft.\nCopyright (c) Microsoft Corporation.",
    ),
    "qwen2.5:0.5b": dict(
        family="qwen2", parameter_size="494.03M", quantization_level="Q4_K_M", size=397821319,
        context_length=32768, embedding_length=896, parameter_count=494032768,
        capabilities=["completion", "tools"], license="Apache License\nVersion 2.0, January 2004",
    ),
    "codellama:13b": dict(
        family="llama", parameter_size="13B", quantization_level="Q4_0", size=7365960935,
        context_length=16384, embedding_length=5120, parameter_count=13016028160,
        capabilities=["completion", "insert"], license="LLAMA 2 COMMUNITY LICENSE AGREEMENT",
    ),
    "llava:7b": dict(
        family="llama", families=["llama", "clip"], parameter_size="7B", quantization_level="Q4_0",
        size=4733363377, context_length=32768, embedding_length=4096, parameter_count=7241732096,
        capabilities=["completion", "vision"], license="Apache License\nVersion 2.0, January 2004",
    ),
    "nomic-embed-text:latest": dict(
        family="nomic-bert", parameter_size="137M", quantization_level="F16", size=274302450,
        context_length=2048, embedding_length=768, parameter_count=136727040,
        capabilities=["embedding"], license="Apache License\nVersion 2.0, January 2004",
    ),
}

_ARCH = {"llama": "llama", "phi3": "phi3", "qwen2": "qwen2", "nomic-bert": "nomic-bert", "gemma": "gemma"}


def sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def rfc3339nano(epoch: float, tz: timezone | None = LOCAL_TZ) -> str:
    """Go's RFC3339Nano: up to 9 fraction digits, trailing zeros trimmed; 'Z' for UTC."""
    nanos = int(round(epoch * 1e9))
    seconds, frac = divmod(nanos, 1_000_000_000)
    dt = datetime.fromtimestamp(seconds, tz or timezone.utc)
    text = dt.strftime("%Y-%m-%dT%H:%M:%S")
    digits = f"{frac:09d}".rstrip("0")
    if digits:
        text += "." + digits
    offset = dt.utcoffset() or timedelta(0)
    if tz is None or offset == timedelta(0):
        return text + "Z"
    sign = "-" if offset < timedelta(0) else "+"
    minutes = abs(int(offset.total_seconds())) // 60
    return f"{text}{sign}{minutes // 60:02d}:{minutes % 60:02d}"


@dataclass(frozen=True)
class Layer:
    digest: str  # sha256:<64hex>
    size: int
    media_type: str


@dataclass
class ModelRecord:
    name: str  # short form, stored spelling (tag always present)
    family: str = "llama"
    families: list[str] | None = None
    parameter_size: str = "7B"
    quantization_level: str = "Q4_K_M"
    size: int = 4_000_000_000
    context_length: int = 4096
    embedding_length: int = 4096
    parameter_count: int = 7_000_000_000
    capabilities: list[str] = field(default_factory=lambda: ["completion"])
    license: str = "Apache License\nVersion 2.0, January 2004"
    format: str = "gguf"
    modified: float = 0.0  # epoch seconds
    digest: str = ""
    extra_details: dict[str, Any] = field(default_factory=dict)
    revision: str = ""  # set when the registry published a new version: new layer digests

    @property
    def key(self) -> str:
        return model_names.parse(self.name).key

    @property
    def arch(self) -> str:
        return _ARCH.get(self.family, self.family)

    @property
    def modified_at(self) -> str:
        return rfc3339nano(self.modified)

    def details(self) -> dict[str, Any]:
        families = self.families  # None is sent as null, as Go encodes a nil slice
        out = {
            "parent_model": "",
            "format": self.format,
            "family": self.family,
            "families": families,
            "parameter_size": self.parameter_size,
            "quantization_level": self.quantization_level,
        }
        out.update(self.extra_details)
        return out

    def layers(self) -> list[Layer]:
        small = [
            ("template", 1429, "application/vnd.ollama.image.template"),
            ("license", 12403, "application/vnd.ollama.image.license"),
            ("params", 96, "application/vnd.ollama.image.params"),
        ]
        config_size = 485
        model_size = max(1, self.size - sum(s for _, s, _ in small) - config_size)
        rev = f"#{self.revision}" if self.revision else ""
        layers = [Layer("sha256:" + sha256_hex(self.name + "/model" + rev), model_size,
                        "application/vnd.ollama.image.model")]
        layers += [Layer("sha256:" + sha256_hex(f"{self.name}/{kind}"), size, media)
                   for kind, size, media in small]
        layers.append(Layer("sha256:" + sha256_hex(self.name + "/config" + rev), config_size,
                            "application/vnd.docker.container.image.v1+json"))
        return layers

    def tags_entry(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "model": self.name,
            "modified_at": self.modified_at,
            "size": self.size,
            "digest": self.digest,
            "details": self.details(),
        }

    def model_info(self) -> dict[str, Any]:
        arch = self.arch
        return {
            "general.architecture": arch,
            "general.file_type": 2 if self.quantization_level == "Q4_0" else 15,
            "general.parameter_count": self.parameter_count,
            "general.quantization_version": 2,
            f"{arch}.context_length": self.context_length,
            f"{arch}.embedding_length": self.embedding_length,
            f"{arch}.block_count": 32,
            "tokenizer.ggml.model": "gpt2",
            "tokenizer.ggml.tokens": [],
            "tokenizer.ggml.merges": [],
        }

    def show(self) -> dict[str, Any]:
        blob = self.layers()[0].digest.replace(":", "-")
        return {
            "license": self.license,
            "modelfile": (
                '# Modelfile generated by "ollama show"\n'
                "# To build a new Modelfile based on this, replace FROM with:\n"
                f"# FROM {self.name}\n\nFROM /home/u/.ollama/models/blobs/{blob}\n"
                'TEMPLATE """{{ .Prompt }}"""\nPARAMETER stop <|eot_id|>\n'
            ),
            "parameters": 'stop                           "<|eot_id|>"',
            "template": "{{ if .System }}{{ .System }}{{ end }}{{ .Prompt }}",
            "details": self.details(),
            "model_info": self.model_info(),
            "tensors": [{"name": "token_embd.weight", "type": self.quantization_level,
                         "shape": [self.embedding_length, 128256]}],
            "capabilities": list(self.capabilities),
            "modified_at": self.modified_at,
        }


_FIELDS = set(ModelRecord.__dataclass_fields__)


def make_record(spec: str | Mapping[str, Any], overrides: Mapping[str, Any] | None = None,
                *, index: int = 0) -> ModelRecord:
    """A record for a name (str) or a mapping with "name" and any ModelRecord field."""
    if isinstance(spec, Mapping):
        data = dict(spec)
        name = str(data.pop("name"))
    else:
        name, data = str(spec), {}
    short = model_names.normalize(name) if model_names.is_valid(name) else name
    base = dict(_KNOWN.get(short.lower(), {}))
    if not base:
        h = int(sha256_hex(short)[:8], 16)
        base = dict(size=1_000_000_000 + h % 7_000_000_000, parameter_size=f"{1 + h % 13}B",
                    context_length=4096)
    base.update(data)
    if overrides:
        base.update(overrides)
    base.setdefault("modified", 1746405464.706015 - 86400 * index)
    unknown = set(base) - _FIELDS
    extra = {k: base.pop(k) for k in unknown}
    base.setdefault("families", [base.get("family", "llama")])
    record = ModelRecord(name=short, **base)
    if extra:
        record.extra_details.update(extra)
    if not record.digest:
        record.digest = sha256_hex("manifest:" + short)
    return record


def with_overrides(record: ModelRecord, overrides: Mapping[str, Any]) -> ModelRecord:
    known = {k: v for k, v in overrides.items() if k in _FIELDS and k != "name"}
    updated = replace(record, **known)
    extra = {k: v for k, v in overrides.items() if k not in _FIELDS}
    if extra:
        updated.extra_details = {**record.extra_details, **extra}
    return updated


class ModelStore:
    """Installed and pullable models, keyed case-insensitively (Ollama matches with EqualFold)."""

    def __init__(self, installed: Iterable[Any] = (), pullable: Iterable[Any] = (),
                 details: Mapping[str, Mapping[str, Any]] | None = None):
        self.details = {model_names.parse(k).key: dict(v) for k, v in (details or {}).items()}
        self.installed: dict[str, ModelRecord] = {}
        self.pullable: dict[str, ModelRecord] = {}
        # key -> the manifest digest the registry now publishes for an installed model (knob
        # registry_digests): pulling it again downloads the new version and installs that digest.
        self.published: dict[str, str] = {}
        for i, spec in enumerate(installed):
            self._put(self.installed, spec, i)
        for i, spec in enumerate(pullable):
            self._put(self.pullable, spec, i)

    def _put(self, table: dict[str, ModelRecord], spec: Any, index: int) -> None:
        name = spec["name"] if isinstance(spec, Mapping) else str(spec)
        key = model_names.parse(name).key
        table[key] = make_record(spec, self.details.get(key), index=index)

    def set_details(self, details: Mapping[str, Mapping[str, Any]]) -> None:
        for name, values in details.items():
            key = model_names.parse(name).key
            self.details[key] = {**self.details.get(key, {}), **values}
            for table in (self.installed, self.pullable):
                if key in table:
                    table[key] = with_overrides(table[key], values)

    def find(self, name: str) -> ModelRecord | None:
        return self.installed.get(model_names.parse(name).key)

    def find_pullable(self, name: str) -> ModelRecord | None:
        return self.pullable.get(model_names.parse(name).key)

    def install(self, record: ModelRecord) -> None:
        record = replace(record, modified=time.time())
        self.installed[record.key] = record

    def update_for(self, name: str) -> ModelRecord | None:
        """The new version of an installed model when the registry publishes another digest."""
        installed = self.find(name)
        digest = self.published.get(model_names.parse(name).key)
        if installed is None or not digest or digest == installed.digest:
            return None
        return replace(installed, digest=digest, revision=digest[:12])

    def publish(self, digests: Mapping[str, Any]) -> None:
        """Knob registry_digests: {name: 64-hex digest, or true for a fresh one; null to drop}."""
        for name, value in digests.items():
            key = model_names.parse(str(name)).key
            if value is None or value is False:
                self.published.pop(key, None)
                continue
            if value is True:
                value = sha256_hex(f"manifest:{model_names.normalize(str(name))}:{len(self.published)}:"
                                   f"{time.time()}")
            if not isinstance(value, str) or len(value) != 64 or any(c not in "0123456789abcdef" for c in value):
                raise ValueError(f"knob 'registry_digests': {name!r} needs 64 lower-case hex characters or true")
            self.published[key] = value

    def remove(self, name: str) -> bool:
        return self.installed.pop(model_names.parse(name).key, None) is not None

    def listing(self) -> list[dict[str, Any]]:
        records = sorted(self.installed.values(), key=lambda r: r.modified, reverse=True)
        return [r.tags_entry() for r in records]


def bulk_listing(count: int) -> bytes:
    """Knob bulk_models: `count` installed models as pre-encoded /api/tags entries joined by ','
    (`bulk-000000:7b` newest, all older than the store's own models); b"" for none. Entries are
    lean (name, modified_at, size, parameter_size: an old server's shape) to keep the answer small."""
    if count <= 0:
        return b""
    import json

    start = 1_700_000_000.0
    parts = []
    for i in range(count):
        name = f"bulk-{i:06d}:7b"
        parts.append(json.dumps({
            "name": name, "modified_at": rfc3339nano(start - 60 * i), "size": 1_000_000_000 + i,
            "details": {"parameter_size": "7B"},
        }, separators=(",", ":")))
    return ",".join(parts).encode()
