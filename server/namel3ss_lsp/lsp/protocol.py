"""Our JSON-RPC/LSP protocol: pygls' `LanguageServerProtocol` with the changes we need.

Positions are always UTF-16 (the language core's unit); text synchronisation is done by our
DocumentStore (LSP line-break rules, clamped positions); the workDoneToken of
`workspace/executeCommand` is visible to the command handler; a request whose params do not
deserialize is answered instead of dropped; `$/cancelRequest` reaches a command's own task.
"""

from __future__ import annotations

import logging
from typing import Any

from lsprotocol import types
from pygls.exceptions import JsonRpcInvalidParams
from pygls.protocol import LanguageServerProtocol
from pygls.protocol.json_rpc import JsonRPCNotification
from pygls.protocol.language_server import lsp_method

from .progress import current_work_done_token

logger = logging.getLogger("namel3ss_lsp")


class Namel3ssProtocol(LanguageServerProtocol):
    """pygls' protocol with three changes: positions are always UTF-16 (the language core's unit);
    text synchronisation is done by our DocumentStore (LSP line-break rules, clamped positions);
    the workDoneToken of `workspace/executeCommand` is visible to the command handler."""

    def structure_message(self, data: Any):
        """pygls drops a request whose params do not deserialize without answering it, so the
        client would wait for ever; answer it with InvalidParams instead."""
        try:
            return super().structure_message(data)
        except Exception as exc:
            if not (isinstance(data, dict) and "id" in data and "method" in data):
                raise
            method = str(data.get("method"))[:100]
            logger.warning("malformed %s request: %s", method, exc)
            error = JsonRpcInvalidParams(message=f"Invalid params for {method}")
            self._send_response(data["id"], error=error.to_response_error())
            return JsonRPCNotification(method="$/namel3ss/ignored", jsonrpc=self.VERSION, params=None)

    def _handle_cancel_notification(self, msg_id: Any) -> None:
        """pygls cancels only the outer future of `workspace/executeCommand`; the command's own task
        would run on (a pull would keep downloading). Cancel that task too."""
        super()._handle_cancel_notification(msg_id)
        task = self._server.running_commands.get(msg_id)
        if task is not None and not task.done():
            task.cancel()

    @lsp_method(types.INITIALIZE)
    def lsp_initialize(self, params: types.InitializeParams):
        general = getattr(params.capabilities, "general", None)
        if general is not None and general.position_encodings:
            general.position_encodings = [types.PositionEncodingKind.Utf16]
        return (yield from super().lsp_initialize(params))

    @lsp_method(types.TEXT_DOCUMENT_DID_OPEN)
    def lsp_text_document__did_open(self, params: types.DidOpenTextDocumentParams):
        if (handler := self.fm.features.get(types.TEXT_DOCUMENT_DID_OPEN)) is not None:
            yield handler, (params,), None

    @lsp_method(types.TEXT_DOCUMENT_DID_CHANGE)
    def lsp_text_document__did_change(self, params: types.DidChangeTextDocumentParams):
        if (handler := self.fm.features.get(types.TEXT_DOCUMENT_DID_CHANGE)) is not None:
            yield handler, (params,), None

    @lsp_method(types.TEXT_DOCUMENT_DID_CLOSE)
    def lsp_text_document__did_close(self, params: types.DidCloseTextDocumentParams):
        if (handler := self.fm.features.get(types.TEXT_DOCUMENT_DID_CLOSE)) is not None:
            yield handler, (params,), None

    @lsp_method(types.WORKSPACE_EXECUTE_COMMAND)
    def lsp_workspace__execute_command(self, params: types.ExecuteCommandParams):
        current_work_done_token.set(params.work_done_token)
        return (yield from super().lsp_workspace__execute_command(params))
