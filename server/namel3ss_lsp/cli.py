"""The `namel3ss-lsp` command: the language server (stdio by default), `check` and `format`."""

from __future__ import annotations

import argparse
import sys
from typing import Sequence

from namel3ss_lsp import __version__


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="namel3ss-lsp",
        description="Language server for Namel3ss .ai files (stdio unless --tcp), and a checker.",
    )
    parser.add_argument("--version", action="version", version=f"namel3ss-lsp {__version__}")
    parser.add_argument("--tcp", action="store_true", help="serve over TCP instead of stdio")
    parser.add_argument("--host", default="127.0.0.1", help="TCP host (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=2087, help="TCP port (default 2087)")
    parser.add_argument(
        "--log-level",
        default="WARNING",
        choices=["DEBUG", "INFO", "WARNING", "ERROR"],
        help="level of the log written to stderr",
    )
    parser.add_argument(
        "--max-message-bytes", type=int, default=None, metavar="N",
        help="largest LSP message read whole; a bigger one is skipped and logged "
        "(default: $NAMEL3SS_LSP_MAX_MESSAGE_BYTES, else 64 MiB)",
    )
    commands = parser.add_subparsers(dest="command")
    check = commands.add_parser("check", help="check .ai files and folders, print diagnostics")
    check.add_argument("paths", nargs="+", metavar="PATH", help="files, or folders searched for *.ai")
    check.add_argument(
        "--offline", action="store_true", help="make no network calls (no Ollama model checks)"
    )
    check.add_argument("--format", choices=["text", "json"], default="text")
    check.add_argument(
        "--base-url", default=None, help="Ollama server for declarations that name none"
    )
    fmt = commands.add_parser("format", help="format .ai files in place (or --check / --diff them)")
    fmt.add_argument("paths", nargs="+", metavar="PATH", help="files, folders searched for *.ai, or - for stdin")
    fmt.add_argument("--check", action="store_true", help="change nothing; list files that would change, exit 1 if any")
    fmt.add_argument("--diff", action="store_true", help="change nothing; print a unified diff, exit 1 if any")
    fmt.add_argument("--indent", type=int, default=4, metavar="N", help="spaces per indentation level (default 4)")
    fmt.add_argument("--tabs", action="store_true", help="indent with tabs instead of spaces")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:  # argparse exits 2 on usage errors, 0 on --help
        return int(exit_.code or 0)
    if args.command == "check":
        from namel3ss_lsp.check import run_check

        return run_check(args.paths, offline=args.offline, output_format=args.format, base_url=args.base_url)
    if args.command == "format":
        from namel3ss_lsp.format_command import run_format

        return run_format(args.paths, check=args.check, diff=args.diff, indent=args.indent, tabs=args.tabs)
    from namel3ss_lsp.lsp.server import serve

    serve(tcp=args.tcp, host=args.host, port=args.port, log_level=args.log_level, max_message_size=args.max_message_bytes)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
