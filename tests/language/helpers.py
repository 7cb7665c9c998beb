"""Small helpers shared by the language tests."""

from __future__ import annotations

from namel3ss_lsp.language import Analysis, Diagnostic, analyze


def codes(analysis: Analysis) -> list[str]:
    return [d.code for d in analysis.diagnostics]


def only(analysis: Analysis, code: str) -> list[Diagnostic]:
    return [d for d in analysis.diagnostics if d.code == code]


def decl(body: str, *, provider: str = "ollama", model: str = "llama3:8b", name: str = "m") -> str:
    """An `ai model` declaration with `body` lines added after provider and model."""
    return f"ai model {name} {{\n    provider: {provider}\n    model: {model}\n{body}}}\n"


def text_at(text: str, rng) -> str:
    """The text a Range covers (ASCII test texts only)."""
    lines = text.split("\n")
    assert rng.start.line == rng.end.line
    return lines[rng.start.line][rng.start.character : rng.end.character]


__all__ = ["analyze", "codes", "only", "decl", "text_at"]
