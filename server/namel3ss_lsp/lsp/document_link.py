"""Document links: model ids to their library page, allowed `base_url`s to the server.

Whether a base URL may be linked is the server's allow-list question, asked of the Ollama hub
(`ls.hub.allowed`, read-only): a document never gets a link to a host it may not reach.
"""

from __future__ import annotations

import logging

from lsprotocol import types

from namel3ss_lsp.language.links import document_links

from . import convert
from .documents import off_loop
from .guard import guarded

from .context import ServerContext

logger = logging.getLogger(__name__)


def build(analysis, allowed, tooltips: bool) -> list[types.DocumentLink]:
    return [
        types.DocumentLink(range=convert.range_(link.range), target=link.target, tooltip=link.tooltip if tooltips else None)
        for link in document_links(analysis, allowed)
    ]


def _refuse(base_url: str) -> bool:
    return False


def register(ls: ServerContext) -> None:
    @ls.feature(types.TEXT_DOCUMENT_DOCUMENT_LINK)
    @guarded("documentLink", default=list)
    async def document_link(ls: ServerContext, params: types.DocumentLinkParams) -> list:
        doc = ls.documents.get(params.text_document.uri)
        if doc is None:
            return []
        analysis = await ls.documents.analysis(doc)
        hub = getattr(ls, "hub", None)
        allowed = hub.allowed if hub is not None else _refuse
        tooltips = ls.client_supports("text_document.document_link.tooltip_support")
        return await off_loop(doc, build, analysis, allowed, tooltips)
