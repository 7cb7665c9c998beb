"""Diagnostics that need a live Ollama server, for `namel3ss-lsp check` (and any other caller):
`ollama-model-missing`, `ollama-unreachable`, `ollama-host-not-allowed`, `ollama-context-exceeded`.

    diags = await model_diagnostics(analysis.models, tools, setting_base_url=None,
                                    allowed_hosts=DEFAULT_ALLOWED_HOSTS)
    diags = network_diagnostics(analysis.models, base_url=args.base_url)   # sync, for check.py

Only Ollama declarations with a valid model id are checked (an invalid id already has the
language core's `ollama-model-invalid`). Every diagnostic carries `data = {"model", "baseUrl", ...}`.
A server outside the allow-list is never contacted. Values of the declaration that are references
(`base_url: env.URL`) rather than literals are ignored when resolving the server.
"""

from __future__ import annotations

import asyncio
import difflib
import os
from typing import Any, Iterable, Mapping, Sequence

from namel3ss_lsp import model_names
from namel3ss_lsp.language.types import Diagnostic, Severity

from .errors import OllamaError
from .tools import OllamaEditorTools
from .urls import DEFAULT_ALLOWED_HOSTS, host_allowed, resolve_base_url

_URL_KEYS = ("base_url", "host", "port")


def _literal(value: Any) -> bool:
    """Plain literals only: the language core's Ref/Expr values are str subclasses."""
    return not (isinstance(value, str) and type(value) is not str)


def declaration_options(decl: Any) -> dict[str, Any]:
    """The literal options of a ModelDecl, with its deployment_config nested, for resolve_base_url."""
    options = {k: v for k, v in decl.options().items() if _literal(v)}
    deployment = {k: v for k, v in decl.deployment_options().items() if _literal(v)}
    if deployment:
        options["deployment_config"] = deployment
    return options


def _url_range(decl: Any) -> Any:
    for key in _URL_KEYS:
        entry = decl.config.get(key) or (decl.entries.get(key) if decl.kind == "llm" else None)
        if entry is not None and entry.value_range is not None:
            return entry.value_range
    return decl.model_range


def _auto_pull_explicit(options: Mapping[str, Any]) -> bool:
    return options.get("auto_pull_model") is True


def _first_line(text: str | None) -> str:
    return (text or "").strip().splitlines()[0] if text and text.strip() else ""


async def model_diagnostics(
    models: Sequence[Any],
    tools: OllamaEditorTools,
    *,
    setting_base_url: str | None = None,
    allowed_hosts: Iterable[str] | None = DEFAULT_ALLOWED_HOSTS,
    missing_severity: Severity | None = Severity.WARNING,
    environ: Mapping[str, str] | None = None,
) -> list[Diagnostic]:
    """Network diagnostics for the Ollama declarations among `models` (language ModelDecl objects).

    `missing_severity=None` turns ollama-model-missing off (setting diagnostics.missingModel: off).
    A missing model whose config says `auto_pull_model: true` is reported at INFORMATION."""
    env = os.environ if environ is None else environ
    always = [u for u in (setting_base_url, resolve_base_url({}, setting=setting_base_url, environ=env)) if u]
    allowed = list(allowed_hosts or ())
    out: list[Diagnostic] = []
    wanted: list[tuple[Any, str, dict[str, Any]]] = []
    for decl in models:
        if not getattr(decl, "is_ollama", False) or decl.model_range is None:
            continue
        model = decl.model
        if not isinstance(model, str) or not model_names.is_valid(model):
            continue
        options = declaration_options(decl)
        base = resolve_base_url(options, setting=setting_base_url, environ=env)
        data = {"model": model, "baseUrl": base}
        if not host_allowed(base, allowed, always_allowed=always):
            out.append(Diagnostic(
                _url_range(decl),
                f"Ollama server {base} is not in ollama.allowedHosts, so model '{model}' was not checked "
                "(the server was not contacted).",
                "ollama-host-not-allowed", Severity.WARNING, data=data))
            continue
        wanted.append((decl, base, options))

    bases = sorted({base for _, base, _ in wanted})
    listings = await asyncio.gather(*[tools.list_available_models(b) for b in bases], return_exceptions=True)
    by_base = dict(zip(bases, listings))
    context_checks = []
    for decl, base, options in wanted:
        model = decl.model
        data: dict[str, Any] = {"model": model, "baseUrl": base}
        listing = by_base[base]
        if isinstance(listing, BaseException):
            err = listing if isinstance(listing, OllamaError) else None
            description = err.description if err else repr(listing)
            suggestion = err.suggestion if err else None
            data.update({"kind": err.kind if err else "protocol", "suggestion": suggestion})
            hint = _first_line(suggestion)
            out.append(Diagnostic(
                decl.model_range,
                f"Cannot check model '{model}': {description}." + (f" {hint}" if hint else ""),
                "ollama-unreachable", Severity.WARNING, data=data))
            continue
        names = [m["name"] for m in listing]
        installed = model_names.find_installed(model, names)
        if installed is None:
            if missing_severity is None:
                continue
            close = difflib.get_close_matches(model_names.normalize(model), names, n=3, cutoff=0.6)
            data["closeMatches"] = close
            if _auto_pull_explicit(options):
                message = (f"Model '{model}' is not installed on {base}; it will be pulled on first use "
                           "(auto_pull_model: true).")
                severity = Severity.INFORMATION
            else:
                message = f"Model '{model}' is not installed on the Ollama server {base}. Run: ollama pull {model}"
                severity = missing_severity
            if close:
                message += f" (installed: {', '.join(close)})"
            out.append(Diagnostic(decl.model_range, message, "ollama-model-missing", severity, data=data))
            continue
        num_ctx_entry = decl.config.get("num_ctx") or (decl.entries.get("num_ctx") if decl.kind == "llm" else None)
        if num_ctx_entry is not None and isinstance(num_ctx_entry.value, int) and not isinstance(num_ctx_entry.value, bool):
            context_checks.append((decl, base, installed, num_ctx_entry))

    infos = await asyncio.gather(*[tools.model_info(installed, base) for _, base, installed, _ in context_checks],
                                 return_exceptions=True)
    for (decl, base, installed, entry), info in zip(context_checks, infos):
        if isinstance(info, BaseException):
            continue
        limit = info.get("context_length")
        if isinstance(limit, int) and entry.value > limit:
            out.append(Diagnostic(
                entry.value_range or decl.model_range,
                f"num_ctx {entry.value} exceeds the context length of '{installed}' ({limit} tokens); "
                "Ollama will not give the model more than it was trained for.",
                "ollama-context-exceeded", Severity.WARNING,
                data={"model": decl.model, "baseUrl": base, "contextLength": limit, "numCtx": entry.value}))
    out.sort(key=lambda d: (d.range.start, d.range.end))
    return out


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
