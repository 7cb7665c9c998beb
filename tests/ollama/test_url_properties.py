"""One parser for the allow-list and the HTTP client (issue 17, item 3).

For any string: the host the allow-list decides on and the host the HTTP client (httpx, then the
resolver) would connect to are the same, or both refuse; and nothing raises. Numeric hosts are
compared with what glibc's resolver itself reads (getaddrinfo with AI_NUMERICHOST: no DNS query
is ever made), so `0x7f.1` must be 127.0.0.1 for both, and a host that ends in a number but is not
an address (`localhost127.0.0.1`, `a.1`) must be refused rather than looked up.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import sys

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from namel3ss_lsp.ollama import OllamaEditorTools, OllamaError
from namel3ss_lsp.ollama.urls import (
    DEFAULT_ALLOWED_HOSTS,
    canonical_host,
    host_allowed,
    normalize_base_url,
    parse_ollama_host,
    resolve_base_url,
    url_problem,
    url_suggestion,
    url_target,
)

SCHEMES = st.sampled_from(["http://", "https://", "HTTP://", "ftp://", "http:/", "", "//", "http:"])
HOST_PIECES = st.sampled_from([
    "localhost", "LOCALHOST", "127", "0", "1", "255", "256", "00", "08", "0177", "0x7f", "0X7F", "0x",
    "2130706433", "4294967296", "017700000001", "1e1", ".", ".", ".", "-", "_", "a", "host", "evil.example",
    "xn--", "xn--bcher-kva", "ü", "ß", "\u2460", "\u24ea", "\u2466", "\uff4c", "\u00b2", "\u0661", "\u3002",
    "[", "]", "::", ":", "ffff", "::ffff:", "7f00", "@", "#", "?", "%", "%2e", "\\", " ", "\t", "*",
])
PORTS = st.one_of(st.just(""), st.sampled_from([":11434", ":80", ":0", ":65536", ":99999", ":+80", ":080",
                                                 ":\u00b2", ":", ":1x"]),
                  st.integers(min_value=0, max_value=70000).map(lambda n: f":{n}"))
PATHS = st.sampled_from(["", "/", "/ollama", "/?x", "#f", "/a@b"])

STRUCTURED = st.builds(lambda s, h, p, path: s + "".join(h) + p + path,
                       SCHEMES, st.lists(HOST_PIECES, max_size=8), PORTS, PATHS)
ANY_TEXT = st.text(max_size=40)
URLS = st.one_of(STRUCTURED, ANY_TEXT, st.builds(lambda a, b: a + b, STRUCTURED, ANY_TEXT))

LOOPBACK_OF_BIND_ALL = {"0.0.0.0": "127.0.0.1", "::": "::1"}


def _resolver_numeric(raw: str) -> str | None:
    """The IPv4 address glibc's resolver reads in a host, without any DNS query; None if not numeric."""
    try:
        infos = socket.getaddrinfo(raw, None, socket.AF_INET, socket.SOCK_STREAM, 0, socket.AI_NUMERICHOST)
    except (socket.gaierror, UnicodeError, ValueError, OSError):
        return None
    return infos[0][4][0] if infos else None


def _client_target(url: str) -> tuple[str, int]:
    """(host, port) the HTTP client would connect to: httpx's own parse (raises when it refuses)."""
    parsed = httpx.URL(url)
    port = parsed.port if parsed.port is not None else {"http": 80, "https": 443}.get(parsed.scheme, 0)
    return parsed.raw_host.decode("ascii"), port


def _same_host(ours: str, raw: str) -> bool:
    if ":" in raw:  # IPv6 literal
        ip = ipaddress.IPv6Address(raw)
        if ip.ipv4_mapped is not None:
            ip4 = str(ip.ipv4_mapped)
            return ours == LOOPBACK_OF_BIND_ALL.get(ip4, ip4)
        return ours == LOOPBACK_OF_BIND_ALL.get(str(ip), str(ip))
    numeric = _resolver_numeric(raw) if sys.platform.startswith("linux") else None
    if numeric is not None:
        return ours == LOOPBACK_OF_BIND_ALL.get(numeric, numeric)
    name = raw.lower()
    return ours == (name[:-1] if name.endswith(".") else name)


def _never_raises(url: str) -> None:
    assert host_allowed(url, DEFAULT_ALLOWED_HOSTS) in (True, False)
    assert host_allowed(url, ["*"], always_allowed=[url]) in (True, False)
    assert url_problem(url) is None or isinstance(url_problem(url), str)
    assert isinstance(url_suggestion(url), str)
    canonical_host(url)
    once = normalize_base_url(url)
    assert normalize_base_url(once) == once, "normalizing twice must change nothing: the allow-list " \
        "checks the normalized URL and the client normalizes what it is given again"
    parse_ollama_host(url)
    resolve_base_url({"base_url": url}, environ={})
    resolve_base_url({"host": url, "port": 11434}, environ={})


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(URLS)
def test_allow_list_and_http_client_agree_on_the_host(url):
    _never_raises(url)
    target = url_target(url)
    assert (target is None) == (url_problem(url) is not None)
    try:
        raw, port = _client_target(url)
    except (httpx.InvalidURL, ValueError, TypeError, UnicodeError):
        assert target is None, f"the allow-list accepts {url!r}, which the HTTP client refuses"
        return
    if target is None:
        return  # refused by the stricter allow-list; the client factory refuses it too (next test)
    host, our_port = target
    assert our_port == port, (url, target, port)
    assert _same_host(host, raw), (url, target, raw)


def test_client_factory_refuses_exactly_what_the_allow_list_refuses():
    """`OllamaEditorTools.client()` (the only way our code opens a connection) refuses a base URL
    exactly when `url_target` does, and otherwise connects to the host the allow-list saw."""

    async def main() -> None:
        tools = OllamaEditorTools(request_timeout=1)
        try:
            @settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
            @given(URLS)
            def check(url):
                base = tools.resolve(url) if url.strip() else normalize_base_url("http://localhost:11434")
                target = url_target(base)
                try:
                    client = tools.client(base)
                except OllamaError as err:
                    assert target is None, (url, base, err)
                    assert base in str(err) and err.kind == "host_not_allowed"
                    return
                assert target is not None, (url, base)
                raw, port = _client_target(str(client._http.base_url))
                assert port == target[1] and _same_host(target[0], raw), (url, base, target, raw)

            check()
        finally:
            await tools.aclose()

    asyncio.run(main())


@pytest.mark.parametrize("url, host", [
    ("http://0x7f.1:11434", "127.0.0.1"),
    ("http://127.1:11434", "127.0.0.1"),
    ("http://2130706433:11434", "127.0.0.1"),
    ("http://0177.1:11434", "127.0.0.1"),
    ("http://[::ffff:7f00:1]:11434", "127.0.0.1"),
    ("http://B\u00fcCHER.de:11434", "xn--bcher-kva.de"),
    ("http://LOCALHOST.:11434", "localhost"),
])
def test_numeric_and_idna_spellings_reduce_to_what_the_socket_uses(url, host):
    assert url_target(url) == (host, 11434)


@pytest.mark.parametrize("url", [
    "http://a.1", "http://host.123", "http://localhost127.0.0.1",
    "http://\u2460\u2461\u2466.\u24ea.\u24ea.\u2460",  # passed as 127.0.0.1 before, then httpx refused it
    "http://0177.0.0.1:11434",  # httpx refuses it
])
def test_hosts_the_client_cannot_use_are_refused_with_a_reason(url):
    assert url_target(url) is None
    assert not host_allowed(url, ["*"])
    assert url in url_problem(url) or "host" in url_problem(url) or "HTTP client" in url_problem(url)
