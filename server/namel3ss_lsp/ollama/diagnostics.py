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
import logging
import os
import time
from typing import Any, Callable, Generator, Iterable, Mapping, Sequence

from namel3ss_lsp import model_names
from namel3ss_lsp.language.types import Diagnostic, Position, Range, Severity

from .close_names import close_names
# What is read of each declaration lives in declarations.py; the names are also this module's.
from .declarations import (OPTION_MEANING, ClassifyMemo, DeclFacts, auto_pull_setting, declaration_options,
                           ollama_declarations, option_entry, option_meaning_hints, read_facts, server_range,
                           url_options, url_options_key, valid_model)
from .library import download_size as library_download_size
from .library import human_size
from .tools import OllamaEditorTools
from .urls import DEFAULT_ALLOWED_HOSTS, host_allowed, resolve_base_url, url_problem, url_suggestion

__all__ = [
    "OPTION_MEANING", "ClassifyMemo", "DeclFacts", "auto_pull_setting", "classify", "classify_steps",
    "declaration_options", "missing_model_severity", "model_diagnostics", "network_diagnostics",
    "ollama_declarations", "option_meaning_hints", "read_facts", "run_steps", "url_options", "url_options_key",
    "valid_model",
]

logger = logging.getLogger(__name__)


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




def _moved(rng: Any, lines: int) -> Any:
    if not lines or rng is None:
        return rng
    start, end = rng.start, rng.end
    return Range(Position(start.line + lines, start.character), Position(end.line + lines, end.character))


def _moved_diagnostic(diag: Diagnostic, lines: int) -> Diagnostic:
    if not lines:
        return diag
    return Diagnostic(_moved(diag.range, lines), diag.message, diag.code, diag.severity, diag.source, diag.data,
                      diag.related)


def classify(models: Iterable[Any], **checks: Any) -> list[Diagnostic]:
    """The Ollama diagnostics of `models` in one go (see `classify_steps` for the arguments)."""
    return run_steps(classify_steps(models, **checks))


def run_steps(steps: Any) -> Any:
    """Run a generator of steps (such as `classify_steps`) to its end; its return value."""
    while True:
        try:
            next(steps)
        except StopIteration as done:
            return done.value


SLICE_CHECK_EVERY = 32  # declarations between two looks at the clock (classify_steps' slices)


def classify_steps(
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
    memo: ClassifyMemo | None = None,
    slice_seconds: float | None = None,
) -> Generator[None, None, list[Diagnostic]]:
    """A generator returning the Ollama diagnostics of `models` (language ModelDecl objects),
    without any I/O of its own.

    base_url_of(options): the server of a declaration from its `declaration_options`, of which it
    is given only URL_OPTION_KEYS, at the top level and in deployment_config (`url_options`; it is
    asked once per value);
    allowed(base): whether the server may be contacted (else ollama-host-not-allowed; nothing more asked);
    listing(base): installed names, the failure (-> ollama-unreachable, once per server), or None
    when not known yet (no diagnostic); context_length(base, installed): tokens, or None when unknown;
    missing_severity: diagnostics.missingModel (None for off), and missing_severity_explicit whether
    the user set it (see `missing_model_severity`); download_size(model): bytes a pull would
    download, or None when unknown; on_unreachable(base, options): told about every declaration
    whose server failed; memo: what earlier calls read of the declarations (see ClassifyMemo).

    With `slice_seconds`, it yields whenever that much time went into it since it last yielded
    (the language server lets requests through then); without, it never yields. Each server's
    list and allow-list are asked once, at first use, so a pass sees one state of each even when
    it is spread over several turns of an event loop."""
    memo = ClassifyMemo() if memo is None else memo
    clock = time.perf_counter
    since = clock()
    read = [(decl, *memo.facts(decl)) for decl in models or () if getattr(decl, "is_ollama", False)]
    out: list[Diagnostic] = [_moved_diagnostic(hint, moved) for _, facts, moved in read for hint in facts.hints]
    bases: dict[Any, tuple[str, bool]] = {}  # url_key -> (base, whether it could not be read)
    allowed_of: dict[str, bool] = {}
    problems: dict[str, str | None] = {}
    listings: dict[str, Any] = {}
    indexes: dict[str, dict[str, str]] = {}
    missing_texts: dict[tuple, tuple[str, list[str], int | None]] = {}
    limits: dict[tuple[str, str], Any] = {}
    costly = False  # the last declaration looked for close names: look at the clock now
    for position, (decl, facts, _) in enumerate(read):
        if slice_seconds is not None and (costly or position % SLICE_CHECK_EVERY == 0) and clock() - since > slice_seconds:
            yield
            since = clock()
        costly = False
        if not facts.checked:
            continue
        model = facts.model
        base, unreadable = bases.get(facts.url_key) or _base(facts, base_url_of, bases)
        if unreadable:
            problems[base] = "it cannot be read"
        data: dict[str, Any] = {"model": model, "baseUrl": base}
        if base not in problems:
            problems[base] = url_problem(base)
        if problems[base] is not None:
            out.append(Diagnostic(
                server_range(decl),
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
                server_range(decl),
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
                on_unreachable(base, declaration_options(decl))  # read again: rare, and not kept
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
        installed = indexes[base].get(facts.key)
        if installed is None:
            auto_pull = facts.auto_pull
            severity = missing_model_severity(auto_pull, missing_severity, explicit=missing_severity_explicit)
            if severity is None:
                continue
            said = missing_texts.get((model, base, auto_pull))
            if said is None:  # the same model missing from the same server: said the same way
                said = missing_texts[(model, base, auto_pull)] = _missing_text(
                    model, base, auto_pull, names, download_size)
                # 'did you mean' among 200,000 names: ~20 ms each; 32 of them between two looks
                # at the clock held the loop ~0.6 s (lag watchdog, figure 12)
                costly = True
            message, close, size = said
            extra: dict[str, Any] = {"closeMatches": list(close), "autoPull": auto_pull is not False}
            if size:
                extra["downloadSize"] = size
            out.append(Diagnostic(decl.model_range, message,
                                  "ollama-model-missing", severity, data=dict(data, **extra)))
            continue
        num_ctx = facts.num_ctx
        if num_ctx is None:
            continue
        if (base, installed) not in limits:
            limits[(base, installed)] = context_length(base, installed)
        limit = limits[(base, installed)]
        if isinstance(limit, int) and not isinstance(limit, bool) and num_ctx > limit > 0:
            entry = option_entry(decl, "num_ctx")
            out.append(Diagnostic(
                entry.value_range if entry is not None else decl.model_range,
                f"num_ctx {num_ctx} exceeds the context length of '{installed}' ({limit} tokens); "
                f"Ollama will use at most {limit}.",
                "ollama-context-exceeded", Severity.WARNING,
                data=dict(data, contextLength=limit, numCtx=num_ctx)))
    return out


def _base(facts: DeclFacts, base_url_of: Callable[[Mapping[str, Any]], str],
          bases: dict[Any, tuple[str, bool]]) -> tuple[str, bool]:
    """The server of a declaration and whether its URL could not be read, remembered for the call."""
    options = facts.url_options
    try:
        found = (base_url_of(options), False)
    except Exception:  # noqa: BLE001 - a bug in resolution must not stop the other checks
        logger.exception("base URL of the declaration of %r unreadable", facts.model)
        found = (str(options.get("base_url") or options.get("host") or "?"), True)
    if facts.url_key is not None:
        bases[facts.url_key] = found
    return found


def _missing_text(model: str, base: str, auto_pull: bool | None, names: Any,
                  download_size: Callable[[str], int | None] | None) -> tuple[str, list[str], int | None]:
    """(message, close installed names, download size) of `model` missing from `base`."""
    close = close_names(model, names)
    size = None
    if auto_pull is not False and download_size is not None:
        try:
            size = download_size(model)
        except Exception:  # noqa: BLE001 - a size is a nicety
            size = None
    return _missing_message(model, base, auto_pull, close, size), close, size


async def model_diagnostics(
    models: Sequence[Any],
    tools: OllamaEditorTools,
    *,
    setting_base_url: str | None = None,
    allowed_hosts: Iterable[str] | None = DEFAULT_ALLOWED_HOSTS,
    missing_severity: Severity | None = Severity.WARNING,
    environ: Mapping[str, str] | None = None,
    missing_severity_explicit: bool | None = None,
    memo: ClassifyMemo | None = None,
) -> list[Diagnostic]:
    """`classify` over the network: each pass fetches (concurrently) what the previous one asked
    for, until nothing more is wanted (model lists, then /api/show of installed models). The
    declarations are read once for all passes (`memo`, or one of its own)."""
    memo = ClassifyMemo() if memo is None else memo
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
            memo=memo,
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
