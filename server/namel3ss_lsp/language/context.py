"""Where is the cursor? Completion context and hover targets.

Completion happens on half-typed text (`model: lla`, `model: llama3:` with the cursor after the
colon, `model: "`, `temperature: `), which often does not parse. So `completion_context` reads the
text itself: it finds the braces enclosing the cursor with a small forward scan of the current
top-level block (strings and comments respected), reads the headers of those braces, and looks at
the current line up to the cursor. The parsed analysis is only used to find the `ModelDecl`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from namel3ss_lsp.language.analysis import Analysis, analyze
from namel3ss_lsp.language.models import ModelDecl
from namel3ss_lsp.language.schema import KeySpec, lookup_key
from namel3ss_lsp.language.scan import _skip_string, _skip_triple
from namel3ss_lsp.language.types import Position, Range

_INTEREST = re.compile(r"""(?P<triple>\"\"\"|''')|(?P<str>["'])|(?P<comment>\#)|(?P<open>[{\[(])|(?P<close>[}\])])""")
_MODEL_HEADER = re.compile(r"^\s*(ai\s+model|llm)\b\s*(?:\"([^\"]*)\"|'([^']*)'|([\w$\-]+))?")
_KEY_HEADER = re.compile(r"^\s*([\w$][\w$\-]*)\s*:\s*$")
_VALUE_LINE = re.compile(r"""^(\s*)([\w$][\w$\-]*|"[^"]*"|'[^']*')\s*:[ \t]*(.*)$""")
_KEY_LINE = re.compile(r"^(\s*)([\w$][\w$\-]*)?$")
_ID_CHARS = re.compile(r"[\w.\-:/@$]*")


@dataclass
class CompletionContext:
    kind: str  # "model-id" | "provider" | "key" | "value" | "none"
    decl: ModelDecl | None
    section: str | None  # "top" | "config" | "deployment_config" | None
    key: str | None  # the key whose value is being typed (value contexts)
    prefix: str  # what is typed so far (without quotes)
    replace_range: Range  # the text a completion item replaces (the whole token under the cursor)
    quoted: bool = False  # the value is inside quotes (do not insert quotes)
    model_kind: str | None = None  # "ai model" | "llm" when inside a model declaration


@dataclass
class NodeInfo:
    kind: str  # "model-id" | "provider" | "key" | "none"
    range: Range | None = None
    decl: ModelDecl | None = None
    section: str | None = None
    key: str | None = None
    spec: KeySpec | None = None


def _enclosing_headers(text: str, start: int, cursor: int) -> list[str]:
    """Headers (the line text before each '{') of the braces still open at `cursor`."""
    stack: list[tuple[str, int]] = []
    pos = start
    while pos < cursor:
        m = _INTEREST.search(text, pos, cursor)
        if m is None:
            break
        kind = m.lastgroup
        p = m.start()
        if kind == "open":
            line_start = text.rfind("\n", 0, p) + 1
            stack.append((text[line_start:p] if text[p] == "{" else text[p], p))
            pos = p + 1
        elif kind == "close":
            if stack:
                stack.pop()
            pos = p + 1
        elif kind == "str":
            pos = _skip_string(text, p, cursor)
        elif kind == "triple":
            pos = _skip_triple(text, p, cursor)
        else:
            nl = text.find("\n", p, cursor)
            pos = cursor if nl == -1 else nl
    return [header for header, _ in stack]


def _block_start_fast(text: str, cursor: int) -> int:
    """Like _block_start but searching backwards, so huge files cost only the current block."""
    pos = text.rfind("\n", 0, cursor)
    while pos > 0:
        prev = text.rfind("\n", 0, pos)
        line_start = prev + 1
        ch = text[line_start] if line_start < len(text) else ""
        if ch.isalpha() or ch == "_":
            return line_start
        pos = prev
    return 0


def _find_model(analysis: Analysis, offset: int, name: str | None) -> ModelDecl | None:
    index = analysis.line_index
    pos = index.position(offset)
    best = None
    for md in analysis.models:
        if md.range.contains(pos):
            best = md  # nested declarations come later: the innermost wins
    if best is None and name:
        best = analysis.model_named(name)
    return best


def _section_of(headers: list[str]) -> tuple[str | None, str | None, str | None]:
    """(model kind, model name, section) from the enclosing headers, innermost last."""
    for i in range(len(headers) - 1, -1, -1):
        m = _MODEL_HEADER.match(headers[i])
        if m is None:
            continue
        kind = "ai model" if m.group(1).startswith("ai") else "llm"
        name = m.group(2) or m.group(3) or m.group(4)
        inner = headers[i + 1 :]
        if not inner:
            return kind, name, "top"
        if len(inner) == 1:
            km = _KEY_HEADER.match(inner[0])
            if km and km.group(1) in ("config", "deployment_config"):
                return kind, name, km.group(1)
        return kind, name, None
    return None, None, None


def completion_context(source: str | Analysis, position: Position) -> CompletionContext:
    """What a completion at `position` should offer. Never raises; "none" when unsure."""
    analysis = source if isinstance(source, Analysis) else analyze(source)
    if analysis.foreign is not None:  # an Illustrator or binary file: nothing to complete
        return CompletionContext("none", None, None, None, "", Range(position, position))
    text = analysis.text
    index = analysis.line_index
    cursor = index.offset(position)
    line_no = index.line_of(cursor)
    line_start = index.line_starts[line_no]
    line_end = index.line_end(line_no)
    before = text[line_start:cursor]
    empty = Range(position, position)
    try:
        headers = _enclosing_headers(text, _block_start_fast(text, cursor), line_start)
    except Exception:  # pragma: no cover - defensive: completion must never fail
        headers = []
    model_kind, model_name, section = _section_of(headers)
    decl = _find_model(analysis, cursor, model_name) if model_kind else None
    if "#" in before and _in_comment(before):
        return CompletionContext("none", decl, section, None, "", empty, model_kind=model_kind)

    vm = _VALUE_LINE.match(before)
    if vm is not None:
        key = vm.group(2).strip("\"'")
        typed = vm.group(3)
        quoted = typed[:1] in ("\"", "'")
        if quoted and typed.count(typed[0]) >= 2:
            return CompletionContext("none", decl, section, key, "", empty, model_kind=model_kind)
        value_start = cursor - len(typed) + (1 if quoted else 0)
        prefix = typed[1:] if quoted else typed
        if not quoted and not _ID_CHARS.fullmatch(prefix):
            return CompletionContext("none", decl, section, key, "", empty, model_kind=model_kind)
        token_end = cursor + _ID_CHARS.match(text, cursor, line_end).end() - cursor
        replace = index.range(value_start, token_end)
        if model_kind and section == "top" and key == "model":
            kind = "model-id"
        elif model_kind and section == "top" and key == "provider":
            kind = "provider"
        else:
            kind = "value"
        return CompletionContext(kind, decl, section, key, prefix, replace, quoted, model_kind)

    km = _KEY_LINE.match(before)
    if km is not None and headers:
        prefix = km.group(2) or ""
        word_end = cursor + _ID_CHARS.match(text, cursor, line_end).end() - cursor
        rest = text[word_end:line_end].lstrip()
        if rest.startswith(":"):  # the key is already there: completing it would duplicate the colon
            word_end = cursor
        replace = index.range(cursor - len(prefix), max(cursor, word_end))
        return CompletionContext("key", decl, section, None, prefix, replace, False, model_kind)
    return CompletionContext("none", decl, section, None, "", empty, model_kind=model_kind)


def _in_comment(before: str) -> bool:
    quote = None
    for ch in before:
        if quote:
            if ch == quote:
                quote = None
        elif ch in "\"'":
            quote = ch
        elif ch == "#":
            return True
    return False


def node_at(analysis: Analysis, position: Position) -> NodeInfo:
    """What is under `position`, for hover: a model id, a provider, or a key with its spec."""
    for md in analysis.models:
        if not md.range.contains(position):
            continue
        if md.model_range is not None and md.model_range.contains(position):
            return NodeInfo("model-id", md.model_range, md, "top", "model", lookup_key("top", "model"))
        if md.provider_range is not None and md.provider_range.contains(position):
            return NodeInfo("provider", md.provider_range, md, "top", "provider", lookup_key("top", "provider"))
        top_section = "llm" if md.kind == "llm" else "top"
        for section, entries in (("config", md.config), ("deployment_config", md.deployment_config)):
            for entry in entries.values():
                if entry.key_range.contains(position):
                    return NodeInfo("key", entry.key_range, md, section, entry.key, lookup_key(section, entry.key))
        for entry in md.entries.values():
            if entry.key_range.contains(position):
                return NodeInfo("key", entry.key_range, md, "top", entry.key, lookup_key(top_section, entry.key))
    return NodeInfo("none")
