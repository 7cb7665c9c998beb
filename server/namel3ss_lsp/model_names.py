"""Ollama model names: parse, validate with a reason, normalize, match.

A port of Ollama's `types/model/name.go` rules (shared/ollama-api.md section 3). Pure and
protocol-free, so both the language core (the `ollama-model-invalid` check) and the Ollama client
(which must refuse a bad name before it reaches a URL, a request body or a process) use it.

    name := [ [scheme "://"] host "/" ] [ namespace "/" ] model [ ":" tag ]
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable

DEFAULT_HOST = "registry.ollama.ai"
DEFAULT_NAMESPACE = "library"
DEFAULT_TAG = "latest"

_MISSING = None  # a separator was present but the piece next to it is empty

_PART_RULES = {
    # part: (pattern, allowed characters in words, max length)
    "host": (re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.:-]*\Z"), "letters, digits, '_', '.', ':', '-'", 350),
    "namespace": (re.compile(r"[A-Za-z0-9_][A-Za-z0-9_-]*\Z"), "letters, digits, '_', '-'", 80),
    "model": (re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*\Z"), "letters, digits, '_', '.', '-'", 80),
    "tag": (re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*\Z"), "letters, digits, '_', '.', '-'", 80),
}


@dataclass(frozen=True)
class ModelName:
    """The parts of a model name; a part is None when it was absent (defaults not applied)."""

    scheme: str | None
    host: str | None
    namespace: str | None
    model: str | None
    tag: str | None
    # Which parts had a separator present but nothing next to it ("llama3:" has an empty tag).
    empty_parts: tuple[str, ...] = ()

    @property
    def full(self) -> str:
        """`host/namespace/model:tag` with Ollama's defaults, e.g. registry.ollama.ai/library/llama3:latest."""
        return (
            f"{self.host or DEFAULT_HOST}/{self.namespace or DEFAULT_NAMESPACE}/"
            f"{self.model or ''}:{self.tag or DEFAULT_TAG}"
        )

    @property
    def short(self) -> str:
        """The form `/api/tags` uses (Ollama's DisplayShortest): the tag is always included."""
        host = self.host or DEFAULT_HOST
        namespace = self.namespace or DEFAULT_NAMESPACE
        model_tag = f"{self.model or ''}:{self.tag or DEFAULT_TAG}"
        if host.lower() != DEFAULT_HOST:
            return f"{host}/{namespace}/{model_tag}"
        if namespace.lower() != DEFAULT_NAMESPACE:
            return f"{namespace}/{model_tag}"
        return model_tag

    @property
    def key(self) -> str:
        """Case-insensitive identity: Ollama looks installed models up with EqualFold on every part."""
        return self.full.lower()


def parse(name: str) -> ModelName:
    """Split a name into its parts exactly as Ollama's ParseNameBare does (no validation).

    The scheme is split off last, from what remains once the model and the namespace are cut at
    the last two '/': `https://host/ns/model` has the host `host`, but `https://ns/model` has the
    host `https:/` (the remainder `https:/` holds no '://'), which is invalid, as in Ollama."""
    rest = name
    empty: list[str] = []

    tag = None
    colon, slash = rest.rfind(":"), rest.rfind("/")
    if colon > slash:  # a host's ":port" comes before a "/", so it is never taken for a tag
        rest, tag = rest[:colon], rest[colon + 1 :]
        if not tag:
            empty.append("tag")

    scheme = namespace = host = None
    if "/" in rest:
        rest, model = rest.rsplit("/", 1)
        if not model:
            empty.append("model")
        if "/" in rest:
            remainder, namespace = rest.rsplit("/", 1)
            if not remainder:
                empty.append("host")
            else:
                before, sep, after = remainder.partition("://")  # Go: strings.Cut(s, "://")
                if sep:
                    scheme, host = before, after  # an empty host after the scheme takes the default
                else:
                    host = remainder
        else:
            namespace = rest
        if not namespace:
            empty.append("namespace")
    else:
        model = rest
    return ModelName(
        scheme=scheme,
        host=host or None,
        namespace=namespace or None,
        model=model or None,
        tag=tag or None,
        empty_parts=tuple(empty),
    )


def invalid_reason(name: str) -> str | None:
    """Why Ollama would reject `name`, in words; None when the name is valid."""
    if not isinstance(name, str) or not name.strip():
        return "the model name is empty"
    if name != name.strip():
        return "the model name has leading or trailing spaces"
    bad = next((ch for ch in name if ord(ch) > 127), None)
    if bad is not None:
        return f"the model name has the non-ASCII character {bad!r}; only ASCII is allowed"
    control = next((ch for ch in name if ord(ch) < 32 or ord(ch) == 127), None)
    if control is not None:
        return f"the model name has the control character {control!r}"
    if " " in name:
        return "the model name has a space"
    if "@" in name:
        return "'@' is not allowed (digest references are not supported by Ollama)"
    parsed = parse(name)
    for part in parsed.empty_parts:
        return _empty_reason(part, name)
    if parsed.model is None:
        return "the model part is missing"
    if parsed.host is not None and "/" in parsed.host:  # "https://ns/model": no host after the scheme
        return (f"Ollama reads the host of '{_clip(name)}' as '{_clip(parsed.host)}', which is not a host; "
                "a name with a scheme needs a host: scheme://host/namespace/model")
    for part in ("host", "namespace", "model", "tag"):
        value = getattr(parsed, part)
        if value is None:
            continue
        pattern, allowed, limit = _PART_RULES[part]
        if len(value) > limit:
            return f"the {part} '{_clip(value)}' is {len(value)} characters long; at most {limit} are allowed"
        if value[0] in ".-":
            return f"the {part} '{_clip(value)}' must not start with '{value[0]}'"
        if not pattern.match(value):
            shown = _first_disallowed(value, part)
            return f"the {part} '{_clip(value)}' has {shown}; a {part} may contain {allowed}"
    return None


def is_valid(name: str) -> bool:
    return invalid_reason(name) is None


def normalize(name: str) -> str:
    """The `/api/tags` form of a valid name: `llama3` -> `llama3:latest`."""
    return parse(name).short


def same_model(a: str, b: str) -> bool:
    """Whether two names refer to the same model, case-insensitively, with defaults applied."""
    return parse(a).key == parse(b).key


def find_installed(name: str, installed: Iterable[str]) -> str | None:
    """The installed spelling of `name` (matched as Ollama does: defaults, EqualFold), or None."""
    wanted = parse(name).key
    for candidate in installed:
        if parse(candidate).key == wanted:
            return candidate
    return None


def _first_disallowed(value: str, part: str) -> str:
    allowed = {
        "host": set("_.:-"),
        "namespace": set("_-"),
        "model": set("_.-"),
        "tag": set("_.-"),
    }[part]
    for ch in value:
        if not (ch.isascii() and (ch.isalnum() or ch in allowed)):
            return f"the character {ch!r}"
    return "a character that is not allowed"


def _empty_reason(part: str, name: str) -> str:
    if part == "tag":
        return f"'{_clip(name)}' ends with ':' but has no tag after it"
    if part == "model":
        return f"'{_clip(name)}' has no model name after the last '/'"
    return f"the {part} of '{_clip(name)}' is empty"


def _clip(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
