"""Semantic checks of a parsed file, with the contract's diagnostic codes.

Severities, chosen so that the real corpus (every file written by the project) gives no error:

    error    syntax-error, invalid-type, out-of-range, missing-required, ollama-model-invalid,
             duplicate-declaration (the same kind and name twice in one file), and what the
             language calls invalid at the top level of a file (code syntax-error): a second `app`,
             an `import` with no module, a block declaration header without its `{ }`;
             `deployment_config` on a cloud provider (code unknown-key: the key does not exist
             for that provider, and the deployment it describes can never happen)
    warning  unknown-key, duplicate-key, and a provider outside the known
             list (code out-of-range: it may be a provider this server does not know yet)

`model` is required of Ollama declarations only: an `llm` for a hosted provider may take its
model from elsewhere (the provider's default, an environment variable).

Unknown keys are only reported where the schema is authoritative: the top-level keys of a model
declaration, and `config` / `deployment_config` of an Ollama model. vLLM, LocalAI and LM Studio
take engine-specific keys (gpu_memory_utilization, context_length, ...) that are never flagged.
A model declaration that `extends` another, or that another one extends, is a template and may
leave out `model`.
"""

from __future__ import annotations

import difflib
import re
from functools import lru_cache

from namel3ss_lsp import model_names
from namel3ss_lsp.language.models import ModelDecl
from namel3ss_lsp.language.schema import (
    CONFIG_KEYS,
    DEPLOYMENT_KEYS,
    LLM_EXTRA_KEYS,
    LOCAL_PROVIDERS,
    PROVIDERS,
    TOP_KEYS,
    KeySpec,
)
from namel3ss_lsp.language.tree import Declaration, Entry, Expr, Map, Ref
from namel3ss_lsp.language.types import Diagnostic, Range, Severity

ERROR, WARNING = Severity.ERROR, Severity.WARNING
# Statement-like top-level lines that declare nothing and may repeat.
_NOT_DECLARATIONS = frozenset({"module", "import", "use", "export", "from", "include", "language_version"})
# Pure, and a file names the same few models many times over.
_invalid_reason = lru_cache(maxsize=1024)(model_names.invalid_reason)
_DURATION = re.compile(r"-?(?:\d+(?:\.\d+)?(?:ns|us|µs|ms|s|m|h))+|-?0")


def _diag(rng: Range, message: str, code: str, severity: Severity, data=None) -> Diagnostic:
    return Diagnostic(rng, message, code, severity, data=data)


def _suggest(key: str, known) -> str:
    close = difflib.get_close_matches(key, list(known), n=1, cutoff=0.6)
    return f"; did you mean '{close[0]}'?" if close else ""


def check_duplicate_declarations(items: list) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    seen: dict[tuple[str, str], Declaration] = {}
    for decl in items:
        if not isinstance(decl, Declaration) or decl.name is None or not decl.keywords:
            continue
        if decl.keywords[0] in _NOT_DECLARATIONS:
            continue
        group = "model" if decl.keyword in ("ai model", "llm") else decl.keyword
        key = (group, decl.name)
        first = seen.get(key)
        if first is None:
            seen[key] = decl
            continue
        line = first.name_range.start.line + 1
        out.append(_diag(decl.name_range, f"duplicate declaration: {decl.keyword} '{decl.name}' is already declared on line {line}", "duplicate-declaration", ERROR))
    return out


# Declarations that only make sense with a `{ }` body (a header alone declares nothing usable).
# `app "Name"` and `dataset x from table y` are complete on one line and are not listed.
BLOCK_KEYWORDS = frozenset({
    "ai model", "llm", "agent", "prompt", "tool", "memory", "chain", "graph", "rag_pipeline", "index",
    "planner", "workflow", "planning_workflow", "fn", "template", "knowledge", "policy", "training",
    "connector", "frame", "theme", "query", "backend",
})


def check_file_structure(items: list) -> list[Diagnostic]:
    """What the language calls invalid at the top level: a second `app`, an `import` with no
    module, a block declaration whose header has no `{ }` (nor a tail such as `from table t`)."""
    out: list[Diagnostic] = []
    first_app: Declaration | None = None
    for decl in items:
        if not isinstance(decl, Declaration) or not decl.keywords:
            continue
        keyword = decl.keyword
        if keyword == "app":
            if first_app is None:
                first_app = decl
            else:
                line = first_app.selection_range.start.line + 1
                out.append(_diag(decl.selection_range, f"a file declares one app; this is a second one (the first is on line {line})", "syntax-error", ERROR))
        elif keyword in ("import", "use") and decl.name is None and not decl.tail and decl.body is None:
            out.append(_diag(decl.selection_range, f"'{keyword}' needs a module name, e.g. {keyword} shared.tools", "syntax-error", ERROR))
        elif keyword in BLOCK_KEYWORDS and decl.body is None and not decl.tail:
            what = f"{keyword} '{decl.name}'" if decl.name is not None else keyword
            out.append(_diag(decl.selection_range, f"{what} has no {{ }} block: a {keyword} declaration needs one, e.g. {keyword} {decl.name or 'name'} {{ ... }}", "syntax-error", ERROR))
    return out


def check_duplicate_keys(maps: list[Map]) -> list[Diagnostic]:
    return [d for d, _, _ in duplicate_keys(maps)]


def duplicate_keys(maps: list[Map]) -> list[tuple[Diagnostic, str, int]]:
    """(warning, key, 0-based line of the first entry) for each repeated key of each map."""
    out: list[tuple[Diagnostic, str, int]] = []
    for node in maps:
        seen: dict[str, Entry] = {}
        for entry in node.items:
            if not isinstance(entry, Entry):
                continue
            first = seen.get(entry.key)
            if first is None:
                seen[entry.key] = entry
                continue
            line = first.key_range.start.line
            out.append((duplicate_key(entry.key_range, entry.key, line), entry.key, line))
    return out


def duplicate_key(rng: Range, key: str, first_line: int) -> Diagnostic:
    """The duplicate-key warning (the chunk cache rebuilds it when the lines move)."""
    return _diag(rng, f"duplicate key '{key}' (first set on line {first_line + 1}); the last value wins", "duplicate-key", WARNING)


def _type_problem(spec: KeySpec, entry: Entry) -> tuple[str, str] | None:
    """(code, message) when the entry's value does not fit the spec, else None."""
    value = entry.value
    node = entry.value_node
    t = spec.type
    if node is None:
        return None
    if isinstance(value, Expr):  # compound: never a number or a boolean; otherwise not evaluated
        if t in ("float", "int", "bool"):
            want = {"float": "a number", "int": "an integer", "bool": "true or false"}[t]
            return "invalid-type", f"'{spec.name}' must be {want}, not '{value[:40]}'"
        return None
    if isinstance(value, Ref) and "." in value:
        return None  # a reference such as env.OLLAMA_TEMPERATURE: known only at run time
    if t in ("float", "int"):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return "invalid-type", f"'{spec.name}' must be {'an integer' if t == 'int' else 'a number'}, not {_kind(value)}"
        if t == "int" and isinstance(value, float):
            return "invalid-type", f"'{spec.name}' must be an integer, not {_num(value)}"
        low, high = spec.minimum, spec.maximum
        too_low = low is not None and (value <= low if spec.exclusive_minimum else value < low)
        if too_low or (high is not None and value > high):
            return "out-of-range", f"'{spec.name}' is {_num(value)}; it must be {spec.range_text}"
        return None
    if t == "bool":
        if not isinstance(value, bool):
            return "invalid-type", f"'{spec.name}' must be true or false, not {_kind(value)}"
        return None
    if t in ("string", "url", "model-id", "provider", "name"):
        if not isinstance(value, str):
            return "invalid-type", f"'{spec.name}' must be a string, not {_kind(value)}"
        if t == "url" and not re.match(r"https?://", value, re.I):
            return "invalid-type", f"'{spec.name}' must be an http:// or https:// URL, not '{value}'"
        return None
    if t == "list[string]":
        if not isinstance(value, list) or not all(isinstance(v, str) and not isinstance(v, (Ref, Expr)) for v in value):
            return "invalid-type", f"'{spec.name}' must be a list of strings, e.g. [\"\\n\\n\"]"
        return None
    if t == "duration":
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            return "invalid-type", f"'{spec.name}' must be a duration such as \"5m\" or a number of seconds"
        if isinstance(value, str) and not _DURATION.fullmatch(value.strip()):
            return "invalid-type", f"'{spec.name}' must be a duration with a unit such as \"5m\" or \"1h\", or a number of seconds; '{value}' is not"
        return None
    if t == "map":
        if not isinstance(value, dict):
            return "invalid-type", f"'{spec.name}' must be a block {{ ... }}, not {_kind(value)}"
    return None


def _kind(value: object) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return f"the number {_num(value)}"
    if isinstance(value, Ref):
        return f"the name '{value}'"
    if isinstance(value, str):
        return f'the string "{value[:30]}"'
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a block"
    if value is None:
        return "null"
    return "this value"


def _num(x: float) -> str:
    return str(int(x)) if isinstance(x, float) and x.is_integer() and abs(x) < 1e15 else str(x)


def _check_entries(entries: list[Entry], table: dict[str, KeySpec], *, unknown: bool, where: str) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    for entry in entries:
        spec = table.get(entry.key)
        if spec is None:
            if unknown:
                out.append(_diag(entry.key_range, f"unknown key '{entry.key}' in {where}{_suggest(entry.key, table)}", "unknown-key", WARNING))
            continue
        problem = _type_problem(spec, entry)
        if problem is not None:
            code, message = problem
            out.append(_diag(entry.value_range or entry.key_range, message, code, ERROR))
    return out


def check_model(md: ModelDecl, template_names: set[str]) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    decl = md.decl
    top_entries = decl.entries
    where_top = f"{md.kind} '{md.name}'" if md.name else md.kind
    if md.kind == "ai model":
        out += _check_entries(top_entries, TOP_KEYS, unknown=True, where=where_top)
    else:  # llm: flat options; only an Ollama llm has an authoritative key list
        table = {**CONFIG_KEYS, **LLM_EXTRA_KEYS, **TOP_KEYS} if md.is_ollama else {**TOP_KEYS, **LLM_EXTRA_KEYS}
        out += _check_entries(top_entries, table, unknown=md.is_ollama, where=where_top)
    partial = decl.body is not None and decl.body.partial  # a syntax error may have eaten `model`
    if md.model_entry is None and md.is_ollama and not md.extends and md.name not in template_names and not partial:
        rng = md.name_range or decl.selection_range
        out.append(_diag(rng, f"{where_top} has no 'model' (e.g. model: llama3:8b)", "missing-required", ERROR))
    provider = md.entries.get("provider")
    if provider is not None and md.provider is not None and md.provider not in PROVIDERS:
        out.append(_diag(md.provider_range or provider.value_range, f"unknown provider '{md.provider}'{_suggest(md.provider, PROVIDERS)} (known: {', '.join(PROVIDERS)})", "out-of-range", WARNING))
    config = md.entries.get("config")
    if md.is_ollama and config is not None and config.map is not None:
        out += _check_entries(config.map.entries, CONFIG_KEYS, unknown=True, where="Ollama config")
    deployment = md.entries.get("deployment_config")
    if deployment is not None and md.provider is not None:
        if md.provider not in LOCAL_PROVIDERS and md.provider in PROVIDERS:
            out.append(_diag(deployment.key_range, f"deployment_config only applies to local providers ({', '.join(sorted(LOCAL_PROVIDERS))}); '{md.provider}' runs remotely", "unknown-key", ERROR))
        elif md.is_ollama and deployment.map is not None:
            out += _check_entries(deployment.map.entries, DEPLOYMENT_KEYS, unknown=True, where="Ollama deployment_config")
    if md.is_ollama and md.model is not None and md.model_range is not None:
        reason = _invalid_reason(md.model)
        if reason:
            out.append(_diag(md.model_range, f"'{md.model}' is not a valid Ollama model name: {reason}", "ollama-model-invalid", ERROR, data={"model": md.model, "baseUrl": _literal_base_url(md)}))
    return out


def _literal_base_url(md: ModelDecl) -> str | None:
    entry = md.config.get("base_url")
    value = entry.value if entry is not None else None
    return value if isinstance(value, str) and not isinstance(value, Ref) else None


def check_models(models: list[ModelDecl]) -> list[Diagnostic]:
    templates = {m.extends for m in models if m.extends}
    out: list[Diagnostic] = []
    for md in models:
        out += check_model(md, templates)
    return out


def check_all(items: list, maps: list[Map], models: list[ModelDecl]) -> list[Diagnostic]:
    """All semantic checks: `items` are the top-level items, `maps` every map of the file."""
    return check_duplicate_declarations(items) + check_file_structure(items) + check_duplicate_keys(maps) + check_models(models)
