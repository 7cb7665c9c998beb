"""Content that is not Namel3ss at all, recognised before any parsing.

`.ai` is also Adobe Illustrator's extension, and its files are PDF (`%PDF-`) or PostScript
(`%!PS-Adobe`) inside. Parsing one as Namel3ss gives thousands of syntax errors and costs seconds
and hundreds of megabytes; binary content (NUL bytes) is no better. `foreign_reason` says, from
the first bytes and one C-level search, that a file is one of those. It is the one detector of
`analyze` (the language server, every feature), `namel3ss-lsp check` and the workspace index, and
it takes the raw bytes of a file as well as the text an editor sends.
"""

from __future__ import annotations

ILLUSTRATOR = "this looks like an Adobe Illustrator file (PDF or PostScript), not Namel3ss: it is not analysed"
BINARY = "binary content (NUL bytes), not Namel3ss: it is not analysed"
_HEAD = 1024  # a byte order mark and blank lines may come before the signature
_SIGNATURES = ("%PDF-", "%!PS")  # Illustrator writes `%!PS-Adobe-3.0`; a Namel3ss file never starts with `%`


def foreign_reason(content: str | bytes) -> str | None:
    """Why `content` (a file's bytes or an editor's text) is not Namel3ss source, else None."""
    if isinstance(content, (bytes, bytearray)):
        head = bytes(content[:_HEAD]).lstrip(b"\xef\xbb\xbf \t\r\n\f").decode("latin-1")
        binary = b"\0" in content
    else:
        head = content[:_HEAD].lstrip("\ufeff\u00ef\u00bb\u00bf \t\r\n\f")  # the BOM, also read as Latin-1
        binary = "\0" in content
    if head.startswith(_SIGNATURES):
        return ILLUSTRATOR
    if binary:
        return BINARY
    return None
