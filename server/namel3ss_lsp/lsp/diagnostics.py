"""Diagnostics: debounced per document, pushed with the document version, never stale.

Syntax and schema results (the language core) are published as soon as the document is analysed;
Ollama results come from what the hub already knows (no waiting on the network) and join when a
background refresh changes what is known — the hub's listener republishes every open document.
"""

from __future__ import annotations

import asyncio
import difflib
import logging
from typing import TYPE_CHECKING, Any

from lsprotocol import types

from namel3ss_lsp import model_names

from namel3ss_lsp.ollama.diagnostics import declaration_options

from . import convert
from .documents import Document, debounce_delay, off_loop

if TYPE_CHECKING:
    from .server import Namel3ssLanguageServer

logger = logging.getLogger(__name__)

SOURCE = "namel3ss"
REPUBLISH_DELAY = 0.02
_SEVERITY = {
    "error": types.DiagnosticSeverity.Error,
    "warning": types.DiagnosticSeverity.Warning,
    "information": types.DiagnosticSeverity.Information,
    "hint": types.DiagnosticSeverity.Hint,
}


def ollama_declarations(analysis: Any) -> list[Any]:
    """Model declarations served by Ollama with a usable model id."""
    out = []
    for decl in getattr(analysis, "models", None) or []:
        if not getattr(decl, "is_ollama", False) or not getattr(decl, "model", None):
            continue
        if getattr(decl, "model_range", None) is None:
            continue
        if not model_names.is_valid(decl.model):  # the core reports ollama-model-invalid
            continue
        out.append(decl)
    return out


def decl_options(decl: Any) -> dict:
    """The declaration's literal options with `deployment_config` nested (references such as
    `base_url: env.URL` are not URLs and are left out), as the ollama package resolves them."""
    try:
        return declaration_options(decl)
    except Exception:
        logger.exception("options of %s unreadable", getattr(decl, "name", "?"))
        return {}


def _url_range(decl: Any) -> Any:
    """Where a declaration names its server (base_url / host entry), else its model id."""
    for section in (getattr(decl, "config", None) or {}, getattr(decl, "deployment_config", None) or {}):
        for key in ("base_url", "host", "port"):
            entry = section.get(key) if isinstance(section, dict) else None
            if entry is not None and getattr(entry, "value_range", None) is not None:
                return entry.value_range
    return decl.model_range


def close_names(model: str, installed: list[str], limit: int = 3) -> list[str]:
    """Installed names close to `model` (for 'did you mean' and `Replace with` quickfixes)."""
    if not installed:
        return []
    lowered = {name.lower(): name for name in installed}
    wanted = model.lower()
    matches = difflib.get_close_matches(wanted, list(lowered), n=limit, cutoff=0.6)
    base = wanted.split(":", 1)[0]
    for name in installed:  # same model, other tag: llama3:70b when llama3:8b is installed
        if name.lower().split(":", 1)[0] == base and name.lower() not in matches:
            matches.append(name.lower())
    return [lowered[m] for m in matches[:limit]]


def _diag(rng: Any, message: str, code: str, severity: types.DiagnosticSeverity, data: dict) -> types.Diagnostic:
    return types.Diagnostic(
        range=convert.range_(rng), message=message, severity=severity, code=code, source=SOURCE, data=data
    )


class ServerView:
    """What the hub knows about one server, read once per diagnostics pass (no I/O)."""

    def __init__(self, hub: Any, base: str) -> None:
        self.base = base
        self.allowed = hub.allowed(base)
        self.error = self.models = None
        self.names: list[str] = []
        self.by_key: dict[str, str] = {}
        if not self.allowed:
            return
        self.error, self.models = hub.error(base), hub.models(base)
        if (self.error is None and self.models is None) or hub.is_stale(base):
            hub.ensure_models(base)
        self.names = [str(m.get("name", "")) for m in self.models or []]
        for name in self.names:
            try:
                self.by_key.setdefault(model_names.parse(name).key, name)
            except Exception:
                continue

    def installed(self, model: str) -> str | None:
        try:
            return self.by_key.get(model_names.parse(model).key)
        except Exception:
            return None


def ollama_diagnostics(
    analysis: Any, hub: Any, settings: Any, on_unreachable: Any = None
) -> list[types.Diagnostic]:
    out: list[types.Diagnostic] = []
    unreachable_reported: set[str] = set()
    views: dict[str, ServerView] = {}
    for decl in ollama_declarations(analysis):
        options = decl_options(decl)
        base = hub.base_url_for(options)
        view = views.get(base)
        if view is None:
            view = views[base] = ServerView(hub, base)
        data = {"model": decl.model, "baseUrl": base}
        if not view.allowed:
            out.append(
                _diag(
                    _url_range(decl),
                    f"The Ollama server {base} is not in ollama.allowedHosts; the language server will "
                    f"not contact it. Add its host to the ollama.allowedHosts setting if you trust it.",
                    "ollama-host-not-allowed",
                    types.DiagnosticSeverity.Warning,
                    data,
                )
            )
            continue
        error, models = view.error, view.models
        if error is None and models is None:
            continue
        if error is not None:
            if on_unreachable is not None:
                on_unreachable(base, options)
            if base not in unreachable_reported:
                unreachable_reported.add(base)
                suggestion = getattr(error, "suggestion", None)
                description = getattr(error, "description", None) or str(error).strip().split("\n")[0] or "no answer"
                message = f"Ollama server {base} is not reachable: {description}"
                if suggestion:
                    message += f". {suggestion.splitlines()[0]}"
                out.append(
                    _diag(decl.model_range, message, "ollama-unreachable", types.DiagnosticSeverity.Warning, data)
                )
            continue
        names = view.names
        installed = view.installed(decl.model)
        if installed is None:
            severity_name = getattr(settings, "missing_model", "warning")
            if severity_name == "off":
                continue
            severity = _SEVERITY.get(severity_name, types.DiagnosticSeverity.Warning)
            message = f"Model '{decl.model}' is not installed on {base}."
            if options.get("auto_pull_model") is True:
                severity = types.DiagnosticSeverity.Information
                message += " It will be pulled on first use (auto_pull_model: true)."
            else:
                message += f" Pull it with `ollama pull {decl.model}` or the quick fix."
            similar = close_names(decl.model, names)
            if similar:
                message += " Did you mean " + " or ".join(f"'{s}'" for s in similar) + "?"
            out.append(_diag(decl.model_range, message, "ollama-model-missing", severity, dict(data, closeMatches=similar)))
            continue
        num_ctx = options.get("num_ctx")
        if isinstance(num_ctx, int) and not isinstance(num_ctx, bool):
            info = hub.info_peek(base, installed)
            limit = info.get("context_length") if isinstance(info, dict) else None
            if isinstance(limit, int) and not isinstance(limit, bool) and num_ctx > limit > 0:
                entry = (getattr(decl, "config", None) or {}).get("num_ctx")
                if entry is None and getattr(decl, "kind", None) == "llm":
                    entry = (getattr(decl, "entries", None) or {}).get("num_ctx")
                rng = getattr(entry, "value_range", None) or decl.model_range
                out.append(
                    _diag(
                        rng,
                        f"num_ctx {num_ctx} is larger than the context length of '{installed}' ({limit}); "
                        f"Ollama will use at most {limit}.",
                        "ollama-context-exceeded",
                        types.DiagnosticSeverity.Warning,
                        dict(data, contextLength=limit, numCtx=num_ctx),
                    )
                )
    return out


def language_diagnostics(analysis: Any) -> list[types.Diagnostic]:
    """The language core's syntax and schema diagnostics as LSP objects (CPU only, thread-safe)."""
    out: list[types.Diagnostic] = []
    for diag in getattr(analysis, "diagnostics", None) or []:
        try:
            out.append(convert.diagnostic(diag))
        except Exception:
            logger.exception("could not convert diagnostic %r", diag)
    return out


class DiagnosticsPublisher:
    def __init__(self, ls: "Namel3ssLanguageServer") -> None:
        self._ls = ls
        self._pending: dict[str, asyncio.Task] = {}
        self._syntax: dict[str, tuple[Any, list[types.Diagnostic]]] = {}
        self.published_count = 0

    def schedule(self, uri: str, *, delay: float | None = None) -> None:
        doc = self._ls.documents.get(uri)
        if doc is None:
            return
        previous = self._pending.pop(uri, None)
        if previous is not None and not previous.done():
            previous.cancel()
        if delay is None:
            delay = debounce_delay(len(doc.text))
        task = self._ls.tasks.spawn(self._run(doc, doc.version, delay), f"diagnostics:{uri}")
        if task is not None:
            self._pending[uri] = task

    def republish_all(self) -> None:
        """Every open document again (model lists changed...); bursts coalesce within 20 ms."""
        for doc in self._ls.documents.all():
            self.schedule(doc.uri, delay=max(REPUBLISH_DELAY, debounce_delay(len(doc.text))))

    async def _run(self, doc: Document, version: Any, delay: float) -> None:
        if delay:
            await asyncio.sleep(delay)
        if self._ls.documents.get(doc.uri) is not doc or doc.version != version:
            return
        analysis = await self._ls.documents.analysis(doc)
        if self._ls.documents.get(doc.uri) is not doc or doc.version != version:
            return  # a newer version arrived while analysing: its own run will publish
        cached = self._syntax.get(doc.uri)
        if cached is not None and cached[0] is analysis:
            syntax = cached[1]
        else:  # converted once per analysis, reused when only the Ollama part changes
            syntax = await off_loop(doc, language_diagnostics, analysis)
            self._syntax[doc.uri] = (analysis, syntax)
        if self._ls.documents.get(doc.uri) is not doc or doc.version != version:
            return
        self.publish(doc, analysis, syntax)

    def publish(self, doc: Document, analysis: Any, syntax: list[types.Diagnostic]) -> None:
        diagnostics = list(syntax)
        try:
            diagnostics.extend(
                ollama_diagnostics(analysis, self._ls.hub, self._ls.settings, self._on_unreachable)
            )
        except Exception:
            logger.exception("Ollama diagnostics failed for %s", doc.uri)
        self.published_count += 1
        self._ls.text_document_publish_diagnostics(
            types.PublishDiagnosticsParams(uri=doc.uri, diagnostics=diagnostics, version=doc.version)
        )

    def _on_unreachable(self, base_url: str, options: dict) -> None:
        from .start import maybe_auto_start  # noqa: PLC0415

        maybe_auto_start(self._ls, base_url, options)

    def clear(self, uri: str) -> None:
        self._syntax.pop(uri, None)
        task = self._pending.pop(uri, None)
        if task is not None and not task.done():
            task.cancel()
        self._ls.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=uri, diagnostics=[]))
