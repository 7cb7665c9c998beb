"""A command given a base URL the HTTP client cannot use says so (not "not in allowedHosts")."""

from __future__ import annotations

import pytest
from pygls.exceptions import JsonRpcException


@pytest.mark.parametrize("url", ["http://localhost127.0.0.1", "http://host.123", "http://①②⑦.⓪.⓪.①"])
async def test_unusable_base_url_is_refused_with_the_reason(shared_neovim, url):
    with pytest.raises(JsonRpcException) as info:
        await shared_neovim.command("namel3ss.ollama.status", {"baseUrl": url})
    error = info.value
    assert error.code == -32002
    assert "cannot be used" in error.message and "not in ollama.allowedHosts" not in error.message
    assert error.data["reason"] == "invalid-url"
