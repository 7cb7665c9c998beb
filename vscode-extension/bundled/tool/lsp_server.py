"""Starts the copy of namel3ss-lsp bundled with the VS Code extension.

    python3 -I lsp_server.py [namel3ss-lsp arguments]

`-I` (isolated mode) makes Python ignore PYTHONPATH, PYTHONHOME and the user's site-packages, so
nothing installed on the machine can shadow the bundle; this script puts the extension's own copy
of the server and of its pure-Python dependencies (../libs) first on sys.path, then runs the
server. `--probe` prints one JSON line (interpreter version, whether the bundle imports) and exits
0 when the server can run, 3 when it cannot.

Kept importable by any Python (no f-strings): an interpreter that is too old must be able to say so.
"""
import json
import os
import sys

MINIMUM = (3, 10)
LIBS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "libs")


def _version():
    return "%d.%d.%d" % tuple(sys.version_info[:3])


def _probe():
    report = {"ok": False, "version": _version(), "executable": sys.executable}
    if sys.version_info < MINIMUM:
        report["error"] = "Python %d.%d or later is needed" % MINIMUM
    else:
        try:
            import namel3ss_lsp  # noqa: F401
            import namel3ss_lsp.lsp.server  # noqa: F401
            import pygls  # noqa: F401

            report["ok"] = True
            report["server"] = os.path.dirname(namel3ss_lsp.__file__)
        except Exception as exc:  # a broken bundle: say what failed
            report["error"] = "%s: %s" % (type(exc).__name__, exc)
    sys.stdout.write(json.dumps(report) + "\n")
    sys.stdout.flush()
    return 0 if report["ok"] else 3


def main():
    sys.path.insert(0, LIBS)
    if sys.argv[1:2] == ["--probe"]:
        return _probe()
    if sys.version_info < MINIMUM:
        sys.stderr.write(
            "namel3ss-lsp needs Python %d.%d or later; %s is Python %s\n" % (MINIMUM + (sys.executable, _version()))
        )
        return 3
    from namel3ss_lsp.cli import main as cli_main

    return cli_main(sys.argv[1:])


if __name__ == "__main__":
    sys.exit(main())
