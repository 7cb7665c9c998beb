"""Base URL resolution (documented priority, OLLAMA_HOST forms) and the strict host allow-list."""

from __future__ import annotations

import pytest

from namel3ss_lsp.ollama import DEFAULT_ALLOWED_HOSTS, host_allowed, parse_ollama_host, resolve_base_url
from namel3ss_lsp.ollama.urls import canonical_host, normalize_base_url, url_problem

ENV_ALL = {"NAMEL3SS_OLLAMA_BASE_URL": "http://env-base:1", "OLLAMA_HOST": "ollama-host:3"}


def test_priority_config_base_url_first():
    options = {"base_url": "http://cfg:9/", "host": "h", "port": 2}
    assert resolve_base_url(options, setting="http://setting:4", environ=ENV_ALL) == "http://cfg:9"


def test_priority_env_before_host_port():
    options = {"host": "h", "port": 2}
    assert resolve_base_url(options, setting="http://setting:4", environ=ENV_ALL) == "http://env-base:1"


def test_priority_host_port_before_setting():
    env = {"OLLAMA_HOST": "ollama-host:3"}
    assert resolve_base_url({"host": "h", "port": 2}, setting="http://setting:4", environ=env) == "http://h:2"
    assert resolve_base_url({"port": 11500}, environ={}) == "http://localhost:11500"
    assert resolve_base_url({"host": "gpu-box"}, environ={}) == "http://gpu-box:11434"
    assert resolve_base_url({"deployment_config": {"port": 11600}}, environ={}) == "http://localhost:11600"


def test_priority_setting_before_ollama_host():
    env = {"OLLAMA_HOST": "ollama-host:3"}
    assert resolve_base_url({}, setting="http://setting:4/", environ=env) == "http://setting:4"
    assert resolve_base_url({}, setting=None, environ=env) == "http://ollama-host:3"


def test_default():
    assert resolve_base_url({}, environ={}) == "http://localhost:11434"
    assert resolve_base_url(None, environ={"OLLAMA_HOST": "  "}) == "http://localhost:11434"


def test_non_text_values_are_skipped():
    class Ref:  # a bare identifier in a document
        pass

    assert resolve_base_url({"base_url": Ref(), "port": True}, environ={}) == "http://localhost:11434"
    assert resolve_base_url({"base_url": "  "}, environ={}) == "http://localhost:11434"


@pytest.mark.parametrize(
    "value, expected",
    [
        ("", "http://127.0.0.1:11434"),
        ("0.0.0.0", "http://127.0.0.1:11434"),
        ("0.0.0.0:11435", "http://127.0.0.1:11435"),
        (":56789", "http://127.0.0.1:56789"),
        ("::1", "http://[::1]:11434"),
        ("[::1]:5000", "http://[::1]:5000"),
        ("[::]:5000", "http://[::1]:5000"),
        ("example.com", "http://example.com:11434"),
        ("example.com:56789", "http://example.com:56789"),
        ("http://example.com", "http://example.com"),
        ("https://example.com", "https://example.com"),
        ("http://example.com:56789/", "http://example.com:56789"),
        ("https://example.com/ollama/", "https://example.com/ollama"),
        (' "localhost:8080" ', "http://localhost:8080"),
        ("'127.0.0.1'", "http://127.0.0.1:11434"),
        ("host:99999", "http://host:11434"),
        ("HTTP://LocalHost:11434", "http://localhost:11434"),
    ],
)
def test_ollama_host_forms(value, expected):
    assert parse_ollama_host(value) == expected


def test_normalize_keeps_suspicious_text_for_refusal():
    assert normalize_base_url("http://127.0.0.1@evil.example/") == "http://127.0.0.1@evil.example"
    assert url_problem(normalize_base_url("http://127.0.0.1@evil.example")) is not None
    assert url_problem("http://localhost:11434") is None


ALLOWED = list(DEFAULT_ALLOWED_HOSTS)


@pytest.mark.parametrize(
    "url",
    [
        "http://localhost:11434",
        "http://LOCALHOST:11434",
        "http://localhost.:11434",
        "http://LOCALHOST.:11434",
        "https://localhost",
        "http://127.0.0.1:11434",
        "http://[::1]:11434",
        "http://[0:0:0:0:0:0:0:1]:11434",
        "http://[::ffff:127.0.0.1]:11434",
        "http://2130706433",  # 127.0.0.1 as one number: what a resolver connects to
        "http://0x7f000001:11434",
        "http://127.1:11434",
        "http://0x7f.1:11434",
        "http://0177.1:11434",  # octal where httpx lets it through (not four parts): glibc reads 127.0.0.1
        "http://017700000001:11434",  # one octal number
        "http://0.0.0.0:11434",  # bind-all: connecting to it reaches this machine
        "http://localhost:11434/ollama",
        "http://localhost:1",
        "http://localhost:65535",
    ],
)
def test_allowed_spellings(url):
    assert host_allowed(url, ALLOWED)


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1@evil.example",
        "http://127.0.0.1:11434@evil.example",
        "http://user:pass@localhost:11434",
        "http://@localhost:11434",
        "http://evil.example#@127.0.0.1",
        "http://localhost#@evil.example",
        "http://localhost:11434?x=@evil",
        "http://evil.example\\@localhost",
        "http://[::ffff:10.0.0.1]:11434",
        "http://[::ffff:a00:1]:11434",
        "http://167772161",  # 10.0.0.1
        "http://10.0.0.1:11434",
        "http://0x0a000001",
        "http://4294967296",  # out of range
        "http://localhost.evil.example",
        "http://evil-localhost",
        "http://localhost..:11434",
        "http://loc%61lhost:11434",
        "http://localhost:0",
        "http://localhost:99999",
        "http://localhost:11434x",
        "http://[fe80::1%25eth0]:11434",
        "http://local host:11434",
        "http://localhost\t:11434",
        "ftp://localhost:11434",
        "file:///etc/passwd",
        "javascript:alert(1)",
        "gopher://localhost:11434",
        "http+unix://%2Fvar%2Frun%2Follama.sock",
        "ws://localhost:11434",
        "localhost:11434",
        "//localhost:11434",
        "http:localhost:11434",
        "http:/localhost:11434",
        "",
        "http://",
        "http://[::1",
        "http://::1:11434",
        "http://0177.0.0.1:11434",  # httpx refuses a dotted quad with a leading zero: so do we
        "http://localhost127.0.0.1",  # a typo: a host ending in a number must be an IP address
        "http://a.1",
        "http://host.123",
        "http://127.0.0.1.:11434",  # not numeric for the resolver (trailing dot): never sent to DNS
        "http://08.0.0.1",
        "http://a.0x",
        "http://\u2460\u2461\u2466.\u24ea.\u24ea.\u2460",  # circled digits: httpx refuses the IDNA
        "http://\uff4c\uff4f\uff43\uff41\uff4c\uff48\uff4f\uff53\uff54:11434",  # fullwidth localhost
        "http://localhost:\u00b2",  # a superscript digit is no port
    ],
)
def test_refused_spellings(url):
    assert not host_allowed(url, ALLOWED)


def test_non_text_url_is_refused():
    assert not host_allowed(None, ALLOWED)  # type: ignore[arg-type]
    assert not host_allowed(b"http://localhost", ALLOWED)  # type: ignore[arg-type]


def test_always_allowed_and_entries_with_ports():
    assert not host_allowed("http://gpu-box:11434", ALLOWED)
    assert host_allowed("http://gpu-box:11434", ALLOWED, always_allowed=["http://GPU-BOX:11434/"])
    assert host_allowed("http://gpu-box:11434", ["gpu-box:11434"])
    assert not host_allowed("http://gpu-box:8080", ["gpu-box:11434"])
    assert host_allowed("http://[::1]:8080", ["[::1]:8080"])
    assert not host_allowed("http://[::1]:8081", ["[::1]:8080"])
    assert host_allowed("http://10.1.2.3:11434", ["10.0.0.0/8"])
    assert host_allowed("http://[::ffff:10.0.0.1]:11434", ["10.0.0.0/8"])
    assert not host_allowed("http://11.1.2.3:11434", ["10.0.0.0/8"])
    assert host_allowed("http://box.lan:11434", ["*.lan"])
    assert not host_allowed("http://lan:11434", ["*.lan"])
    assert host_allowed("http://anything.example:1", ["*"])
    assert not host_allowed("ftp://anything.example:1", ["*"])
    assert host_allowed("http://localhost:11434", ["LOCALHOST."])
    assert not host_allowed("http://localhost:11434", [])
    assert not host_allowed("http://localhost:11434", None)


def test_localhost_and_loopback_ip_are_distinct_entries():
    assert not host_allowed("http://127.0.0.1:11434", ["localhost"])
    assert not host_allowed("http://localhost:11434", ["127.0.0.1"])


def test_canonical_host():
    assert canonical_host("LOCALHOST.") == "localhost"
    assert canonical_host("2130706433") == "127.0.0.1"
    assert canonical_host("::ffff:10.0.0.1") == "10.0.0.1"
    assert canonical_host("::") == "::1"
    assert canonical_host("a..b") is None
    assert canonical_host("-bad") is None
    assert canonical_host("bad host") is None


def test_host_allowed_never_raises():
    from hypothesis import given, settings
    from hypothesis import strategies as st

    pieces = st.sampled_from(["http://", "https://", "ftp://", "[", "]", "::", ":", "@", "#", "?", "%", ".",
                              "localhost", "127.0.0.1", "0x7f", "2130706433", "/", "\\", " ", "é", "ｌ", "9999999"])

    @settings(max_examples=300, deadline=None)
    @given(st.lists(pieces, max_size=8).map("".join), st.text(max_size=20))
    def check(url, noise):
        for candidate in (url, url + noise, noise):
            assert host_allowed(candidate, ALLOWED) in (True, False)
            resolve_base_url({"base_url": candidate}, environ={})
            parse_ollama_host(candidate)

    check()
