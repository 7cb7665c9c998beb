"""What the Ollama checks read of a model declaration: its literal options, the server it names,
`auto_pull_model`, the `ollama-option-meaning` hints; and `ClassifyMemo`, which keeps that reading
by the declaration's text from one keystroke to the next (`diagnostics.classify` decides the rest
anew on every call, from what the servers are known to hold).
"""

from __future__ import annotations

import functools
import logging
import sys
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Iterable, Mapping

from namel3ss_lsp import model_names
from namel3ss_lsp.language.types import Diagnostic, Severity

OPTION_MEANING = "ollama-option-meaning"  # a code added to the contract's list (hint severity)

logger = logging.getLogger(__name__)


def _literal(value: Any) -> bool:
    """Plain literals only: the language core's Ref/Expr values are str subclasses."""
    return not (isinstance(value, str) and type(value) is not str)


def declaration_options(decl: Any) -> dict[str, Any]:
    """The literal options of a ModelDecl, with its deployment_config nested, for resolve_base_url
    (references such as `base_url: env.URL` are not URLs and are left out); {} if unreadable."""
    try:
        options = {k: v for k, v in decl.options().items() if _literal(v)}
        deployment = {k: v for k, v in decl.deployment_options().items() if _literal(v)}
    except Exception:
        logger.exception("options of %s unreadable", getattr(decl, "name", "?"))
        return {}
    if deployment:
        options["deployment_config"] = deployment
    return options


@functools.lru_cache(maxsize=8192)
def valid_model(model: str) -> bool:
    """model_names.is_valid, remembered: the same few ids come back on every keystroke."""
    return model_names.is_valid(model)


def ollama_declarations(models: Iterable[Any]) -> list[Any]:
    """The model declarations served by Ollama with a usable model id."""
    return [
        decl for decl in models or ()
        if getattr(decl, "is_ollama", False) and getattr(decl, "model_range", None) is not None
        and isinstance(getattr(decl, "model", None), str) and valid_model(decl.model)
    ]


def option_entry(decl: Any, key: str, sections: tuple[str, ...] = ("config",)) -> Any:
    for section in sections + (("entries",) if decl.kind == "llm" else ()):
        entry = (getattr(decl, section, None) or {}).get(key)
        if entry is not None and entry.value_range is not None:
            return entry
    return None


def server_range(decl: Any) -> Any:
    """Where a declaration names its server (base_url / host / port), else its model id."""
    for key in ("base_url", "host", "port"):
        entry = option_entry(decl, key, ("config", "deployment_config"))
        if entry is not None:
            return entry.value_range
    return decl.model_range


def _flag(value: Any) -> bool | None:
    """A literal boolean (true/false, or the strings "true"/"false"); None when absent or other."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and type(value) is str and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    return None


def auto_pull_setting(options: Mapping[str, Any]) -> bool | None:
    """`auto_pull_model` as the declaration writes it (config first, then deployment_config, as
    the provider reads it): True, False, or None when not written (the default is true)."""
    value = _flag(options.get("auto_pull_model"))
    if value is None and isinstance(options.get("deployment_config"), Mapping):
        value = _flag(options["deployment_config"].get("auto_pull_model"))
    return value


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return value


def option_meaning_hints(models: Iterable[Any]) -> list[Diagnostic]:
    """`ollama-option-meaning` hints (pure): what Ollama will do with deployment_config `num_gpu`."""
    out: list[Diagnostic] = []
    for decl in models or ():
        if not getattr(decl, "is_ollama", False):
            continue
        deployment = getattr(decl, "deployment_config", None) or {}
        entry = deployment.get("num_gpu")
        value = _number(getattr(entry, "value", None)) if entry is not None else None
        if entry is None or entry.value_range is None or value is None:
            continue
        config = getattr(decl, "config", None) or {}
        layers = deployment.get("gpu_layers")
        if config.get("num_gpu") is not None:
            message = ("num_gpu here is the number of GPUs, which Ollama cannot set per model; it is not sent. "
                       "config num_gpu (layers to offload, Ollama's meaning) is sent instead.")
        elif layers is not None:
            message = ("num_gpu here is the number of GPUs, which Ollama cannot set per model; it is not sent. "
                       "gpu_layers is sent as Ollama's num_gpu (layers to offload).")
        elif value == 0:
            message = ("num_gpu: 0 runs the model on the CPU only: it is sent to Ollama as num_gpu 0 "
                       "(Ollama's num_gpu counts layers offloaded to the GPU, not GPUs).")
        elif value < 0:
            message = ("num_gpu: -1 leaves the GPU use to Ollama (nothing is sent): it offloads as many "
                       "layers as fit.")
        else:
            message = (f"num_gpu: {value:g} is not sent: Ollama's num_gpu counts layers offloaded to the GPU, "
                       "not GPUs, and Ollama cannot be told how many GPUs a model uses. It offloads as many "
                       "layers as fit on the GPUs it sees (choose them with CUDA_VISIBLE_DEVICES when "
                       "starting ollama serve). To set the number of layers, use gpu_layers.")
        out.append(Diagnostic(entry.value_range, message, OPTION_MEANING, Severity.HINT,
                              data={"model": getattr(decl, "model", None), "key": "deployment_config.num_gpu",
                                    "value": value}))
    return out


# ---- what classify reads of one declaration, kept from one call to the next -----------------------
#
# A keystroke re-runs `classify` over every declaration of the document (500 in a 5,000-line file,
# 833 Ollama ones among the 4,178 of the 10 MB file of figure 10), and reading a declaration (its
# options, its server's URL normalised, its model id validated and parsed) was ~60 us of it: 30 ms
# a keystroke, 110 ms of event loop for the 10 MB file. All of that follows from the declaration's
# own text, so `ClassifyMemo` keeps it by that text (and its first column, on which the ranges of
# its hints depend) and a declaration the edit did not touch is not read again. What depends on
# the servers (allowed, listed, installed, context length) and on the settings is decided anew on
# every call, from the functions `classify` is given, and ranges come from the declarations at
# hand: the results are those of a fresh reading.

URL_OPTION_KEYS = ("base_url", "host", "port")  # all that resolve_base_url reads (also in deployment_config)


@dataclass(frozen=True, slots=True)
class DeclFacts:
    """What `classify` reads of one Ollama declaration. Plain data only (nothing here keeps a
    document's tree alive), and little of it: 5,000 declarations are kept. No ranges but the
    hints': a diagnostic takes its range from the declaration at hand."""

    line: int  # where the declaration started when read: its hints' ranges are for that line
    checked: bool  # a usable model id: checked against its server (else the hints only)
    model: Any
    key: str | None  # the model id's model_names key
    url_options: Mapping[str, Any]  # the options the server is resolved from (see url_options)
    url_key: Any  # url_options as a hashable value (None: unhashable, resolved every time)
    auto_pull: bool | None
    num_ctx: int | None  # a literal integer num_ctx, else None
    hints: tuple  # option_meaning_hints of the declaration


NO_OPTIONS: Mapping[str, Any] = MappingProxyType({})


def url_options(options: Mapping[str, Any]) -> dict[str, Any]:
    """The part of `declaration_options` a base URL is resolved from: URL_OPTION_KEYS, at the top
    level and in deployment_config (resolve_base_url ignores a deployment_config that is no map)."""
    found = {key: options[key] for key in URL_OPTION_KEYS if key in options}
    deployment = options.get("deployment_config")
    if isinstance(deployment, Mapping):
        nested = {key: deployment[key] for key in URL_OPTION_KEYS if key in deployment}
        if nested:
            found["deployment_config"] = nested
    return found


def url_options_key(options: Mapping[str, Any]) -> Any:
    """The options a base URL is resolved from (URL_OPTION_KEYS, top level and deployment_config),
    as a hashable value: equal keys, equal URLs. None when a value is not hashable."""
    parts: list[Any] = []
    for section in (options, options.get("deployment_config")):
        if isinstance(section, Mapping):
            parts.extend((type(value), value) for value in map(section.get, URL_OPTION_KEYS))
        else:
            parts.append(None)
    key = tuple(parts)
    try:
        hash(key)
    except TypeError:  # `base_url: [..]`: a list is no URL, but resolution decides that, every time
        return None
    return key


def read_facts(decl: Any, line: int, shared: dict | None = None) -> DeclFacts:
    """Read an Ollama declaration (`line`: where it starts) for `classify`. `shared`: equal URL
    options found before, to keep one copy of each."""
    hints = tuple(option_meaning_hints([decl]))
    model = getattr(decl, "model", None)
    checked = getattr(decl, "model_range", None) is not None and isinstance(model, str) and valid_model(model)
    if not checked:
        return DeclFacts(line, False, model, None, NO_OPTIONS, None, None, None, hints)
    options = declaration_options(decl)
    num_ctx = options.get("num_ctx")
    if not isinstance(num_ctx, int) or isinstance(num_ctx, bool):
        num_ctx = None
    urls = url_options(options)
    url_key = url_options_key(urls)
    if url_key is not None and shared is not None:
        if len(shared) >= 1024:
            shared.clear()
        url_key, urls = shared.setdefault(url_key, (url_key, MappingProxyType(urls) if urls else NO_OPTIONS))
    return DeclFacts(line, True, model, sys.intern(model_names.parse(model).key), urls, url_key,
                     auto_pull_setting(options), num_ctx, hints)


class ClassifyMemo:
    """DeclFacts by declaration text, from one `classify` call to the next (the language server
    keeps one for all documents). Two generations bound it: facts not used while `limit`
    characters of declarations were looked up are dropped."""

    def __init__(self, limit: int = 2_000_000) -> None:
        self.limit = limit
        self.reads = 0  # declarations read (not found here): for tests and benchmarks
        self._young: dict[tuple, DeclFacts] = {}
        self._old: dict[tuple, DeclFacts] = {}
        self._chars = 0
        self._shared: dict = {}  # URL options by their key: one copy of each

    def clear(self) -> None:
        """Forget every declaration (documents closed: their facts, spread over the whole heap,
        would keep it from being given back)."""
        self._young, self._old, self._shared, self._chars = {}, {}, {}, 0

    def facts(self, decl: Any) -> tuple[DeclFacts, int]:
        """The facts of `decl` and how many lines it moved since they were read (its hints move)."""
        try:
            start = decl.range.start
            line, key = start.line, (decl.decl.source, start.character)
        except Exception:  # noqa: BLE001 - not a language ModelDecl: read it, keep nothing
            self.reads += 1
            return read_facts(decl, 0), 0
        found = self._young.get(key)
        if found is None:
            found = self._old.pop(key, None)
            if found is None:
                self.reads += 1
                found = read_facts(decl, line, self._shared)
            self._young[key] = found
            self._chars += len(key[0])
            if self._chars > self.limit:
                self._old, self._young, self._chars = self._young, {}, 0
        return found, line - found.line
