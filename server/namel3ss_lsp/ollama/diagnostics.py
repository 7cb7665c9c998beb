"""Diagnostics about Ollama models: `ollama-host-not-allowed`, `ollama-unreachable`,
`ollama-model-missing`, `ollama-context-exceeded`, `ollama-option-meaning`, classified in one place
for every caller.

`classify` is pure: it sees the servers only through the functions it is given, so the language
server passes peeks at its caches (never waiting on the network) and `namel3ss-lsp check` passes
what `model_diagnostics` fetched:

    diags = await model_diagnostics(analysis.models, tools, setting_base_url=None)
    diags = network_diagnostics(analysis.models, base_url=args.base_url)   # sync, for check.py

Only Ollama declarations with a valid model id are checked (an invalid id already has the
language core's `ollama-model-invalid`). Every diagnostic carries `data = {"model", "baseUrl", ...}`.
A server outside the allow-list is never contacted; a base URL the HTTP client cannot use
(`http://localhost127.0.0.1`, `http://①②⑦.⓪.⓪.①`) is reported on the value with the reason and
a suggestion (code `ollama-host-not-allowed`, `data.reason = "invalid-url"`). Values of the
declaration that are references (`base_url: env.URL`) rather than literals are ignored when
resolving the server.

Severity of `ollama-model-missing` (`missing_model_severity`):

* `diagnostics.missingModel` set by the user (`missing_severity_explicit=True`, or any value other
  than the default warning) applies to every missing model; "off" (None) reports none;
* otherwise it follows `auto_pull_model` (config or deployment_config): `false` (the guide's
  "fail fast" production setting) is an error, since every request will fail; `true` written out
  is information (the contract: "will be pulled on first use"); left unset (auto-pull is the
  default) it is a warning that the model will be pulled on first use, with its download size
  when the library catalogue (ollama/library.py) knows it.

`ollama-option-meaning` (hint): deployment_config `num_gpu` is the guide's "number of GPUs", but
Ollama's num_gpu counts layers and has no per-model GPU count; the hint on the value says what
the provider will do with it (0: CPU only, sent as num_gpu 0; otherwise not sent).
"""

from __future__ import annotations

import asyncio
import difflib
import logging
import os
from typing import Any, Callable, Iterable, Mapping, Sequence

from namel3ss_lsp import model_names
from namel3ss_lsp.language.types import Diagnostic, Severity

from .library import download_size as library_download_size
from .library import human_size
from .tools import OllamaEditorTools
from .urls import DEFAULT_ALLOWED_HOSTS, host_allowed, resolve_base_url, url_problem, url_suggestion

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


def ollama_declarations(models: Iterable[Any]) -> list[Any]:
    """The model declarations served by Ollama with a usable model id."""
    return [
        decl for decl in models or ()
        if getattr(decl, "is_ollama", False) and getattr(decl, "model_range", None) is not None
        and isinstance(getattr(decl, "model", None), str) and model_names.is_valid(decl.model)
    ]


def _entry(decl: Any, key: str, sections: tuple[str, ...] = ("config",)) -> Any:
    for section in sections + (("entries",) if decl.kind == "llm" else ()):
        entry = (getattr(decl, section, None) or {}).get(key)
        if entry is not None and entry.value_range is not None:
            return entry
    return None


def _url_range(decl: Any) -> Any:
    """Where a declaration names its server (base_url / host / port), else its model id."""
    for key in ("base_url", "host", "port"):
        entry = _entry(decl, key, ("config", "deployment_config"))
        if entry is not None:
            return entry.value_range
    return decl.model_range


CLOSE_NAMES_SCAN = 2000


def close_names(model: str, installed: list[str], limit: int = 3) -> list[str]:
    """Installed names close to `model` (for 'did you mean' and `Replace with` quickfixes)."""
    lowered = {name.lower(): name for name in installed}
    wanted = model.lower()
    candidates = list(lowered)
    if len(candidates) > CLOSE_NAMES_SCAN:  # 200,000 models: difflib over all would take seconds
        candidates = [n for n in candidates if n[:3] == wanted[:3]][:CLOSE_NAMES_SCAN]
    matches = difflib.get_close_matches(wanted, candidates, n=limit, cutoff=0.6)
    base = wanted.split(":", 1)[0]
    for name in lowered:  # same model, other tag: llama3:70b when llama3:8b is installed
        if name.split(":", 1)[0] == base and name not in matches:
            matches.append(name)
    return [lowered[m] for m in matches[:limit]]


def _first_line(text: str | None) -> str:
    return text.strip().splitlines()[0] if text and text.strip() else ""


def _by_key(names: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for name in names:
        try:
            out.setdefault(model_names.parse(name).key, name)
        except Exception:
            continue
    return out


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


def missing_model_severity(auto_pull: bool | None, setting: Severity | None, *,
                           explicit: bool | None = None) -> Severity | None:
    """The severity of `ollama-model-missing` (see the module doc); None: not reported.

    `setting` is diagnostics.missingModel (None for "off"); `explicit` whether the user set it
    (None: unknown, taken as set when it differs from the default, warning)."""
    if setting is None:
        return None
    if explicit is None:
        explicit = setting != Severity.WARNING
    if explicit:
        return setting
    if auto_pull is False:
        return Severity.ERROR
    if auto_pull is True:
        return Severity.INFORMATION
    return setting


def _missing_message(model: str, base: str, auto_pull: bool | None, close: list[str], size: int | None) -> str:
    message = f"Model '{model}' is not installed on the Ollama server {base}"
    download = f", a download of about {human_size(size)}" if size else ""
    if auto_pull is False:
        message += "; auto_pull_model is false, so every request to it will fail."
    elif auto_pull is True:
        message += f"; it will be pulled on first use (auto_pull_model: true){download}."
    else:
        message += f"; it will be pulled on first use (auto_pull_model is true by default){download}."
    if close:
        message += " Did you mean " + " or ".join(f"'{c}'" for c in close) + "?"
    message += f" Run: ollama pull {model}" if auto_pull is not True else ""
    return message


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


def classify(
    models: Iterable[Any],
    *,
    base_url_of: Callable[[Mapping[str, Any]], str],
    allowed: Callable[[str], bool],
    listing: Callable[[str], Any],
    context_length: Callable[[str, str], Any],
    missing_severity: Severity | None = Severity.WARNING,
    on_unreachable: Callable[[str, dict], Any] | None = None,
    missing_severity_explicit: bool | None = None,
    download_size: Callable[[str], int | None] | None = library_download_size,
) -> list[Diagnostic]:
    """The Ollama diagnostics of `models` (language ModelDecl objects), without any I/O of its own.

    base_url_of(options): the server of a declaration from its `declaration_options`;
    allowed(base): whether the server may be contacted (else ollama-host-not-allowed; nothing more asked);
    listing(base): installed names, the failure (-> ollama-unreachable, once per server), or None
    when not known yet (no diagnostic); context_length(base, installed): tokens, or None when unknown;
    missing_severity: diagnostics.missingModel (None for off), and missing_severity_explicit whether
    the user set it (see `missing_model_severity`); download_size(model): bytes a pull would
    download, or None when unknown; on_unreachable(base, options): told about every declaration
    whose server failed."""
    models = list(models or ())
    out: list[Diagnostic] = option_meaning_hints(models)
    allowed_of: dict[str, bool] = {}
    problems: dict[str, str | None] = {}
    listings: dict[str, Any] = {}
    indexes: dict[str, dict[str, str]] = {}
    for decl in ollama_declarations(models):
        model, options = decl.model, declaration_options(decl)
        try:
            base = base_url_of(options)
        except Exception:  # noqa: BLE001 - a bug in resolution must not stop the other checks
            logger.exception("base URL of %s unreadable", getattr(decl, "name", "?"))
            base = str(options.get("base_url") or options.get("host") or "?")
            problems[base] = "it cannot be read"
        data: dict[str, Any] = {"model": model, "baseUrl": base}
        if base not in problems:
            problems[base] = url_problem(base)
        if problems[base] is not None:
            out.append(Diagnostic(
                _url_range(decl),
                f"The Ollama server URL {base!r} cannot be used: {problems[base]}. Model '{model}' was not "
                f"checked and nothing was contacted. {url_suggestion(base)}",
                "ollama-host-not-allowed", Severity.WARNING, data=dict(data, reason="invalid-url")))
            continue
        if base not in allowed_of:
            try:
                allowed_of[base] = bool(allowed(base))
            except Exception:  # noqa: BLE001 - refuse, never crash the pass
                logger.exception("allow-list check of %r failed; refusing", base)
                allowed_of[base] = False
        if not allowed_of[base]:
            out.append(Diagnostic(
                _url_range(decl),
                f"Ollama server {base} is not in ollama.allowedHosts, so model '{model}' was not checked "
                "and the server was not contacted. Add its host to ollama.allowedHosts if you trust it.",
                "ollama-host-not-allowed", Severity.WARNING, data=data))
            continue
        first_use = base not in listings
        if first_use:
            listings[base] = listing(base)
        names = listings[base]
        if names is None:
            continue
        if isinstance(names, BaseException):
            if on_unreachable is not None:
                on_unreachable(base, options)
            if first_use:
                text = getattr(names, "description", None) or _first_line(str(names)) or repr(names)
                hint = _first_line(getattr(names, "suggestion", None))
                where = "" if base in text else f" on {base}"
                out.append(Diagnostic(
                    decl.model_range,
                    f"Cannot check models{where}: {text}." + (f" {hint}" if hint else ""),
                    "ollama-unreachable", Severity.WARNING,
                    data=dict(data, kind=getattr(names, "kind", None) or "protocol")))
            continue
        if base not in indexes:
            indexes[base] = getattr(names, "by_key", None) or _by_key(names)
        installed = indexes[base].get(model_names.parse(model).key)
        if installed is None:
            auto_pull = auto_pull_setting(options)
            severity = missing_model_severity(auto_pull, missing_severity, explicit=missing_severity_explicit)
            if severity is None:
                continue
            close = close_names(model, names)
            size = None
            if auto_pull is not False and download_size is not None:
                try:
                    size = download_size(model)
                except Exception:  # noqa: BLE001 - a size is a nicety
                    size = None
            extra: dict[str, Any] = {"closeMatches": close, "autoPull": auto_pull is not False}
            if size:
                extra["downloadSize"] = size
            out.append(Diagnostic(decl.model_range, _missing_message(model, base, auto_pull, close, size),
                                  "ollama-model-missing", severity, data=dict(data, **extra)))
            continue
        num_ctx = options.get("num_ctx")
        if not isinstance(num_ctx, int) or isinstance(num_ctx, bool):
            continue
        limit = context_length(base, installed)
        if isinstance(limit, int) and not isinstance(limit, bool) and num_ctx > limit > 0:
            entry = _entry(decl, "num_ctx")
            out.append(Diagnostic(
                entry.value_range if entry is not None else decl.model_range,
                f"num_ctx {num_ctx} exceeds the context length of '{installed}' ({limit} tokens); "
                f"Ollama will use at most {limit}.",
                "ollama-context-exceeded", Severity.WARNING,
                data=dict(data, contextLength=limit, numCtx=num_ctx)))
    return out


async def model_diagnostics(
    models: Sequence[Any],
    tools: OllamaEditorTools,
    *,
    setting_base_url: str | None = None,
    allowed_hosts: Iterable[str] | None = DEFAULT_ALLOWED_HOSTS,
    missing_severity: Severity | None = Severity.WARNING,
    environ: Mapping[str, str] | None = None,
    missing_severity_explicit: bool | None = None,
) -> list[Diagnostic]:
    """`classify` over the network: each pass fetches (concurrently) what the previous one asked
    for, until nothing more is wanted (model lists, then /api/show of installed models)."""
    env = os.environ if environ is None else environ
    always = [u for u in (setting_base_url, resolve_base_url({}, setting=setting_base_url, environ=env)) if u]
    hosts = list(allowed_hosts or ())
    known: dict[tuple, Any] = {}

    async def fetch(key: tuple) -> Any:
        if key[0] == "tags":
            return [str(m.get("name", "")) for m in await tools.list_available_models(key[1])]
        info = await tools.model_info(key[2], key[1])
        return info.get("context_length") if isinstance(info, dict) else None

    while True:
        wanted: dict[tuple, None] = {}

        def peek(*key: str) -> Any:
            if key not in known:
                wanted[key] = None
            return known.get(key)

        diags = classify(
            models,
            base_url_of=lambda options: resolve_base_url(options, setting=setting_base_url, environ=env),
            allowed=lambda base: host_allowed(base, hosts, always_allowed=always),
            listing=lambda base: peek("tags", base),
            context_length=lambda base, installed: peek("show", base, installed),
            missing_severity=missing_severity,
            missing_severity_explicit=missing_severity_explicit,
        )
        if not wanted:
            return diags
        results = await asyncio.gather(*map(fetch, wanted), return_exceptions=True)
        for key, result in zip(wanted, results):
            known[key] = None if key[0] == "show" and isinstance(result, BaseException) else result


def network_diagnostics(models: Sequence[Any], *, base_url: str | None = None,
                        allowed_hosts: Iterable[str] | None = DEFAULT_ALLOWED_HOSTS,
                        request_timeout: float = 5.0) -> list[Diagnostic]:
    """Synchronous wrapper for `namel3ss-lsp check` (runs its own event loop; no server left open)."""
    if not any(getattr(m, "is_ollama", False) for m in models):
        return []

    async def run() -> list[Diagnostic]:
        tools = OllamaEditorTools(request_timeout=request_timeout)
        try:
            return await model_diagnostics(models, tools, setting_base_url=base_url, allowed_hosts=allowed_hosts)
        finally:
            await tools.aclose()

    return asyncio.run(run())
