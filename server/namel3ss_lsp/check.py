"""`namel3ss-lsp check PATH...`: analyse files and folders, print diagnostics, exit 0/1/2.

Text output is one line per diagnostic, `path:line:col: severity code: message` (1-based line and
column for people; the column counts UTF-16 units like the editor does). `--format json` prints a
list of `{"path", "diagnostics": [LSP Diagnostic objects]}`. Exit status: 0 when no diagnostic is
an error, 1 when one is, 2 for usage errors (a path that does not exist, no .ai file found).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Sequence

from namel3ss_lsp.language import Analysis, Diagnostic, Position, Range, Severity, analyze
from namel3ss_lsp.language.foreign import foreign_reason
from namel3ss_lsp.source_files import read_source

_SEVERITY_NAMES = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFORMATION: "info", Severity.HINT: "hint"}


def _network_diagnostics(analysis: Analysis, path: Path, base_url: str | None) -> list[Diagnostic]:
    """Diagnostics that need a live server: `ollama-model-missing`, `ollama-unreachable`,
    `ollama-host-not-allowed`, `ollama-context-exceeded` for `analysis.models`.

    Called only without --offline, once per file. The pure language core never does I/O; this
    is the one place where `check` may. Imported here so that `--offline` never loads httpx.
    """
    from namel3ss_lsp.ollama.diagnostics import network_diagnostics

    return network_diagnostics(analysis.models, base_url=base_url)


def _read(path: Path) -> tuple[str | None, Diagnostic | None]:
    """The file's text, or a single diagnostic saying why it cannot be analysed."""
    origin = Range(Position(0, 0), Position(0, 0))
    try:
        data = read_source(path)
    except OSError as exc:
        return None, Diagnostic(origin, f"cannot read file: {exc.strerror or exc}", "syntax-error", Severity.ERROR)
    reason = foreign_reason(data)  # Adobe Illustrator writes .ai files too: the detector `analyze` uses
    if reason is not None:
        return None, Diagnostic(origin, reason, "not-namel3ss", Severity.ERROR)
    try:
        return data.decode("utf-8-sig"), None
    except UnicodeDecodeError as exc:
        reason = f"not valid UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start}): binary or wrongly encoded file"
        return None, Diagnostic(origin, reason, "syntax-error", Severity.ERROR)


def collect_files(paths: Sequence[str]) -> tuple[list[Path], list[str]]:
    """Files named, and `*.ai` files under folders (sorted); plus the paths that do not exist."""
    files: list[Path] = []
    missing: list[str] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            files.extend(sorted(p for p in path.rglob("*.ai") if p.is_file()))
        elif path.exists():  # named: a device or FIFO is reported as not a regular file, not read
            files.append(path)
        else:
            missing.append(raw)
    return files, missing


def check_file(path: Path, *, offline: bool = True, base_url: str | None = None) -> list[Diagnostic]:
    text, problem = _read(path)
    if problem is not None:
        return [problem]
    # remember=False: a one-shot check never edits the file again, so caching chunks is waste.
    analysis = analyze(text, remember=False)
    diagnostics = list(analysis.diagnostics)
    if not offline:
        diagnostics.extend(_network_diagnostics(analysis, path, base_url))
        diagnostics.sort(key=lambda d: (d.range.start, d.range.end))
    return diagnostics


def _format_text(path: Path, d: Diagnostic) -> str:
    start = d.range.start
    severity = _SEVERITY_NAMES.get(d.severity, "error")
    return f"{path}:{start.line + 1}:{start.character + 1}: {severity} {d.code}: {d.message}"


def run_check(paths: Sequence[str], offline: bool = True, output_format: str = "text", base_url: str | None = None) -> int:
    """Check files and folders; print the diagnostics; return the exit status (0, 1 or 2)."""
    files, missing = collect_files(paths)
    for raw in missing:
        print(f"namel3ss-lsp check: {raw}: no such file or directory", file=sys.stderr)
    if missing:
        return 2
    if not files:
        print("namel3ss-lsp check: no .ai files found in " + ", ".join(paths), file=sys.stderr)
        return 2
    results: list[dict] = []
    failed = False
    errors = warnings = 0
    for path in files:
        diagnostics = check_file(path, offline=offline, base_url=base_url)
        errors += sum(d.severity == Severity.ERROR for d in diagnostics)
        warnings += sum(d.severity == Severity.WARNING for d in diagnostics)
        failed = failed or any(d.severity == Severity.ERROR for d in diagnostics)
        if output_format == "json":
            results.append({"path": str(path), "diagnostics": [d.to_lsp() for d in diagnostics]})
        else:
            for d in diagnostics:
                print(_format_text(path, d))
    if output_format == "json":
        json.dump(results, sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        print(f"{len(files)} file(s) checked: {errors} error(s), {warnings} warning(s)", file=sys.stderr)
    sys.stdout.flush()
    return 1 if failed else 0
