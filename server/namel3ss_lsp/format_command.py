"""`namel3ss-lsp format PATH...`: format files in place, or `--check` / `--diff` them (for CI).

Files are named, or found under folders (`*.ai`; hidden folders, virtual environments,
node_modules and build output are not searched); `-` reads standard input and writes the result
to standard output. Exit status, as `ruff format`: 0 when all is well; 1 with `--check` or
`--diff` when some file would change; 2 on an error (a path that does not exist, an unreadable
file, a file with syntax errors: its well-formed declarations are formatted, the broken ones are
left as they are and reported). Files that are not Namel3ss sources (`.ai` is also Adobe
Illustrator's extension: PDF/PostScript content, NUL bytes, not UTF-8) are skipped with a
message and never written. Messages and the summary go to stderr; stdout carries the list of
files that would change (`--check`), the diff (`--diff`) or the formatted text (`-`).
"""

from __future__ import annotations

import difflib
import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from namel3ss_lsp.language.foreign import foreign_reason
from namel3ss_lsp.source_files import read_source
from namel3ss_lsp.language.format import FormatOptions, Formatted, format_document


_LINES = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+\Z")
# Folders never searched (they are named on the command line if wanted): other people's files
# (virtual environments, node_modules, build output) must not be rewritten by `format .`.
SKIPPED_FOLDERS = frozenset({
    "node_modules", "venv", "site-packages", "__pycache__", "__pypackages__", "build", "dist",
    "buck-out", "_build",
})


def collect_files(paths: Sequence[str]) -> tuple[list[Path], list[str]]:
    """Files named, and `*.ai` files under folders (sorted), skipping hidden folders and
    SKIPPED_FOLDERS; plus the paths that do not exist."""
    files: list[Path] = []
    missing: list[str] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found = []
            for folder, subfolders, names in os.walk(path):
                subfolders[:] = [d for d in subfolders if not d.startswith(".") and d not in SKIPPED_FOLDERS]
                found.extend(Path(folder) / name for name in names if name.endswith(".ai"))
            files.extend(sorted(p for p in found if p.is_file()))
        elif path.is_file():
            files.append(path)
        else:
            missing.append(raw)
    return files, missing


@dataclass
class _Outcome:
    changed: bool = False
    error: bool = False
    skipped: bool = False


def _decode(path: str, data: bytes) -> str | None:
    reason = foreign_reason(data)
    if reason is None:
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError as exc:
            reason = f"not valid UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start})"
    _say(f"{path}: skipped: {reason}")
    return None


def _say(message: str) -> None:
    print(message, file=sys.stderr)


def _report(path: str, formatted: Formatted) -> bool:
    """Print what was left unformatted; True when that is an error (a syntax error)."""
    error = False
    for part in formatted.skipped:
        lines = f"line {part.first_line + 1}" if part.first_line == part.last_line else f"lines {part.first_line + 1}-{part.last_line + 1}"
        kind = "not formatted" if part.syntax_error else "left as it is"
        _say(f"{path}:{part.first_line + 1}:1: {kind} ({lines}): {part.reason}")
        error = error or part.syntax_error
    return error


def _diff(path: str, old: str, new: str) -> str:
    def lines(text: str) -> list[str]:
        out = _LINES.findall(text)  # LSP's line breaks only (str.splitlines also breaks at \f)
        if out and not out[-1].endswith(("\n", "\r")):
            out[-1] += "\n\\ No newline at end of file\n"
        return out

    return "".join(difflib.unified_diff(lines(old), lines(new), f"{path}", f"{path}"))


def _format_one(path: Path, options: FormatOptions, check: bool, diff: bool) -> _Outcome:
    try:
        data = read_source(path)
    except OSError as exc:
        _say(f"{path}: error: cannot read file: {exc.strerror or exc}")
        return _Outcome(error=True)
    text = _decode(str(path), data)
    if text is None:
        return _Outcome(skipped=True)
    formatted = format_document(text, options)
    if formatted.error:
        _say(f"{path}: error: {formatted.error}")
        return _Outcome(error=True)
    outcome = _Outcome(changed=formatted.changed, error=_report(str(path), formatted))
    if not formatted.changed:
        return outcome
    if diff:
        sys.stdout.write(_diff(str(path), text, formatted.text))
    if check and not diff:
        print(f"Would reformat: {path}")
    if not check and not diff:
        try:
            path.write_bytes(formatted.text.encode("utf-8"))
        except OSError as exc:
            _say(f"{path}: error: cannot write file: {exc.strerror or exc}")
            outcome.error = True
    return outcome


def _format_stdin(options: FormatOptions, check: bool, diff: bool) -> int:
    data = sys.stdin.buffer.read()
    text = _decode("<stdin>", data)
    if text is None:
        sys.stdout.buffer.write(data)  # a filter must not swallow its input
        return 0
    formatted = format_document(text, options)
    error = bool(formatted.error) or _report("<stdin>", formatted)
    if formatted.error:
        _say(f"<stdin>: error: {formatted.error}")
    if diff:
        sys.stdout.write(_diff("<stdin>", text, formatted.text))
    elif not check:
        sys.stdout.buffer.write(formatted.text.encode("utf-8"))
    sys.stdout.flush()
    if error:
        return 2
    return 1 if (check or diff) and formatted.changed else 0


def run_format(paths: Sequence[str], check: bool = False, diff: bool = False, indent: int = 4, tabs: bool = False) -> int:
    """Format files and folders; return the exit status (0, 1 or 2)."""
    options = FormatOptions(indent, not tabs)
    if list(paths) == ["-"]:
        return _format_stdin(options, check, diff)
    files, missing = collect_files(paths)
    for raw in missing:
        _say(f"namel3ss-lsp format: {raw}: no such file or directory")
    if not files and not missing:
        _say("namel3ss-lsp format: no .ai files found in " + ", ".join(paths))
    changed = unchanged = skipped = 0
    error = bool(missing)
    for path in files:
        outcome = _format_one(path, options, check, diff)
        error = error or outcome.error
        skipped += outcome.skipped
        if outcome.changed:
            changed += 1
        elif not outcome.skipped:
            unchanged += 1
    sys.stdout.flush()
    if check or diff:
        summary = f"{_files(changed)} would be reformatted, {_files(unchanged)} already formatted"
    else:
        summary = f"{_files(changed)} reformatted, {_files(unchanged)} left unchanged"
    if skipped:
        summary += f", {_files(skipped)} skipped"
    _say(summary)
    if error:
        return 2
    return 1 if (check or diff) and changed else 0


def _files(n: int) -> str:
    return f"{n} file" if n == 1 else f"{n} files"
