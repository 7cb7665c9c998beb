"""Ollama base URLs, pure: resolution in the documented priority, OLLAMA_HOST, and the host allow-list.

* `resolve_base_url(options, setting=, environ=)`: config `base_url`, env NAMEL3SS_OLLAMA_BASE_URL,
  config `host`/`port` (or deployment_config's), the editor setting `ollama.baseUrl`, OLLAMA_HOST,
  then http://localhost:11434. Normalized: lower-case scheme and host, no trailing slash, default
  port dropped, 0.0.0.0 / [::] (bind-all) -> 127.0.0.1 / [::1].
* `parse_ollama_host(value)`: OLLAMA_HOST with ollama-python's rules (shared/ollama-api.md 4.1).
* `host_allowed(url, allowed_hosts, always_allowed=)`: strict. Only http/https, no userinfo, no
  query/fragment, no percent-escapes or odd characters in the host; hosts compared in canonical form
  (case-insensitive, one trailing dot dropped, IDNA, every IPv4 spelling such as 2130706433,
  0x7f.1 or 0177.0.0.1 reduced to a dotted quad, IPv4-mapped IPv6 reduced to IPv4, bind-all
  addresses to loopback). Entries: host names, IPs, `host:port`, `[v6]:port`, URLs, CIDR
  networks (`10.0.0.0/8`), `*.suffix`, and `*` (anything).
"""

from __future__ import annotations

import ipaddress
import os
import re
from typing import Iterable, Mapping
from urllib.parse import urlsplit

DEFAULT_BASE_URL = "http://localhost:11434"
DEFAULT_PORT = 11434
BASE_URL_ENV = "NAMEL3SS_OLLAMA_BASE_URL"
OLLAMA_HOST_ENV = "OLLAMA_HOST"
DEFAULT_ALLOWED_HOSTS = ("localhost", "127.0.0.1", "::1")

_SCHEME_PORTS = {"http": 80, "https": 443}
_HOSTNAME = re.compile(r"[a-z0-9_](?:[a-z0-9_-]*[a-z0-9_])?(?:\.[a-z0-9_](?:[a-z0-9_-]*[a-z0-9_])?)*\Z")
_NUMERIC_LABEL = re.compile(r"(?:0[xX][0-9a-fA-F]*|[0-9]+)\Z")


# ---- parsing and normalizing ----------------------------------------------------------------

def _clean(text: str) -> str:
    return text.strip().strip("\"'").strip()


def _split_host_port(hostport: str, default_port: int) -> tuple[str, int, bool]:
    """(host, port, explicit) from `host`, `host:port`, `[v6]`, `[v6]:port` or a bare IPv6."""
    host, port_text = hostport, ""
    if hostport.startswith("["):
        end = hostport.find("]")
        if end < 0:
            return hostport, default_port, False
        host, rest = hostport[1:end], hostport[end + 1:]
        port_text = rest[1:] if rest.startswith(":") else ""
    elif hostport.count(":") > 1:
        host = hostport  # bare IPv6 such as ::1
    elif ":" in hostport:
        host, port_text = hostport.rsplit(":", 1)
    if port_text.isdigit() and 0 < int(port_text) <= 65535:
        return host, int(port_text), True
    return host, default_port, False


def _connectable(host: str) -> str:
    """A bind-all address means "this machine" to a client."""
    lowered = host.lower()
    if lowered in ("", "0.0.0.0"):
        return "127.0.0.1"
    if lowered in ("::", "0:0:0:0:0:0:0:0"):
        return "::1"
    return lowered


def _bracket(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def normalize_base_url(url: str, *, default_port: int = DEFAULT_PORT) -> str:
    """A clean base URL. Text that is not a plain http(s) URL (userinfo, query, odd characters) is
    returned stripped but otherwise unchanged, so that `host_allowed` and the client refuse it rather
    than silently pointing somewhere else."""
    text = _clean(url)
    if not text:
        return text
    scheme, sep, rest = text.partition("://")
    if not sep:
        scheme, rest, port = "http", text, default_port
    else:
        scheme = scheme.lower()
        if scheme not in _SCHEME_PORTS:
            return text.rstrip("/")
        port = _SCHEME_PORTS[scheme]
    hostport, slash, path = rest.partition("/")
    if any(ch in hostport for ch in "@?#\\%") or any(c.isspace() for c in text) or "?" in path or "#" in path:
        return text.rstrip("/")
    host, port, _ = _split_host_port(hostport, port)
    host = _connectable(host)
    path = path.strip("/")
    shown_port = "" if port == _SCHEME_PORTS[scheme] else f":{port}"
    return f"{scheme}://{_bracket(host)}{shown_port}" + (f"/{path}" if path else "")


def parse_ollama_host(value: str | None) -> str:
    """OLLAMA_HOST as a client reads it: empty -> http://127.0.0.1:11434; `:1234` -> 127.0.0.1:1234."""
    text = _clean(value or "")
    if not text:
        return "http://127.0.0.1:11434"
    return normalize_base_url(text)


def base_url_host_port(url: str) -> tuple[str, int]:
    """(host, port) a base URL connects to, with the scheme's default port."""
    parts = urlsplit(url if "://" in url else f"http://{url}")
    scheme = (parts.scheme or "http").lower()
    host, port, explicit = _split_host_port(parts.netloc.rpartition("@")[2], _SCHEME_PORTS.get(scheme, 80))
    return host, port


def _text_option(options: Mapping, key: str) -> str | None:
    value = options.get(key)
    if isinstance(value, str) and _clean(value):
        return value
    return None


def _port_option(options: Mapping) -> int | None:
    value = options.get("port")
    if isinstance(value, bool):
        return None
    if isinstance(value, int) and 0 < value <= 65535:
        return value
    if isinstance(value, str) and value.strip().isdigit() and 0 < int(value) <= 65535:
        return int(value)
    return None


def _from_host_port(options: Mapping) -> str | None:
    host, port = _text_option(options, "host"), _port_option(options)
    if host is None and port is None:
        return None
    if host and "://" in host:
        url = normalize_base_url(host)
        if port is not None:
            parts = urlsplit(url)
            h, _, _ = _split_host_port(parts.netloc, DEFAULT_PORT)
            url = f"{parts.scheme}://{_bracket(h)}:{port}{parts.path}"
        return normalize_base_url(url)
    h = _clean(host) if host else "localhost"
    h, p, explicit = _split_host_port(h, DEFAULT_PORT)
    return normalize_base_url(f"http://{_bracket(h)}:{port if port is not None else p}")


def resolve_base_url(options: Mapping | None = None, *, setting: str | None = None,
                     environ: Mapping[str, str] | None = None) -> str:
    """The Ollama server of a model declaration, in the documented priority (see module doc)."""
    env = os.environ if environ is None else environ
    opts: Mapping = options if isinstance(options, Mapping) else {}
    explicit = _text_option(opts, "base_url")
    if explicit:
        return normalize_base_url(explicit)
    from_env = env.get(BASE_URL_ENV)
    if from_env and _clean(from_env):
        return normalize_base_url(from_env)
    url = _from_host_port(opts)
    if url is None and isinstance(opts.get("deployment_config"), Mapping):
        url = _from_host_port(opts["deployment_config"])
    if url:
        return url
    if isinstance(setting, str) and _clean(setting):
        return normalize_base_url(setting)
    ollama_host = env.get(OLLAMA_HOST_ENV)
    if ollama_host and _clean(ollama_host):
        return parse_ollama_host(ollama_host)
    return DEFAULT_BASE_URL


# ---- the allow-list -------------------------------------------------------------------------

def _ipv4_whatwg(host: str) -> str | None:
    """Every IPv4 spelling a resolver may accept (2130706433, 0x7f.1, 0177.0.0.1, 127.1)."""
    parts = host.split(".")
    if len(parts) > 1 and parts[-1] == "":
        parts.pop()
    if not parts or len(parts) > 4:
        return None
    numbers = []
    for part in parts:
        if part == "":
            return None
        if part[:2].lower() == "0x":
            digits = part[2:]
            numbers.append(int(digits, 16) if digits else 0)
        elif len(part) > 1 and part.startswith("0"):
            if any(c not in "01234567" for c in part):
                return None
            numbers.append(int(part, 8))
        else:
            numbers.append(int(part))
    if any(n > 255 for n in numbers[:-1]) or numbers[-1] >= 256 ** (5 - len(numbers)):
        return None
    value = numbers[-1] + sum(n * 256 ** (3 - i) for i, n in enumerate(numbers[:-1]))
    return str(ipaddress.IPv4Address(value))


def canonical_host(host: str) -> str | None:
    """The canonical form of a URL host, or None when it is not an acceptable host."""
    if not host or any(ord(c) < 33 or ord(c) == 127 for c in host) or any(c in host for c in "%@\\/?#"):
        return None
    if ":" in host:  # IPv6 (brackets already removed)
        try:
            ip = ipaddress.IPv6Address(host.strip("[]"))
        except ValueError:
            return None
        if ip.ipv4_mapped is not None:
            return _connectable(str(ip.ipv4_mapped))
        return "::1" if ip.is_unspecified else str(ip)
    try:
        ascii_host = host.encode("idna").decode("ascii") if not host.isascii() else host
    except UnicodeError:
        return None
    ascii_host = ascii_host.lower()
    if ascii_host.endswith("."):
        ascii_host = ascii_host[:-1]
    if not ascii_host or ascii_host.endswith("."):
        return None
    labels = ascii_host.split(".")
    if _NUMERIC_LABEL.match(labels[-1]):
        ipv4 = _ipv4_whatwg(ascii_host)
        return _connectable(ipv4) if ipv4 else None
    if not _HOSTNAME.match(ascii_host):
        return None
    return ascii_host


def _target(url: object) -> tuple[str, int] | None:
    """(canonical host, effective port) of a base URL, or None when it must be refused."""
    if not isinstance(url, str) or not url or any(c.isspace() or ord(c) < 32 or ord(c) == 127 for c in url):
        return None
    if "\\" in url:
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in _SCHEME_PORTS or not url.lower().startswith(scheme + "://"):
        return None
    if not parts.netloc or "@" in parts.netloc or parts.query or parts.fragment or "?" in url or "#" in url:
        return None
    netloc = parts.netloc
    if netloc.startswith("["):
        end = netloc.find("]")
        if end < 0:
            return None
        raw_host, rest = netloc[1:end], netloc[end + 1:]
        if rest and not rest.startswith(":"):
            return None
        port_text = rest[1:]
    else:
        if netloc.count(":") > 1:
            return None
        raw_host, _, port_text = netloc.partition(":")
        if raw_host.startswith("[") or "]" in raw_host:
            return None
    if port_text and (not port_text.isdigit() or not 0 < int(port_text) <= 65535):
        return None
    host = canonical_host(raw_host)
    if host is None:
        return None
    return host, int(port_text) if port_text else _SCHEME_PORTS[scheme]


def _entry(entry: object) -> tuple[str, object, int | None] | None:
    if not isinstance(entry, str) or not entry.strip():
        return None
    text = entry.strip()
    if text == "*":
        return ("any", None, None)
    if "://" in text:
        parts = urlsplit(text)
        target = _target(f"{parts.scheme}://{parts.netloc}")
        if target is None:
            return None
        explicit = parts.port is not None if _safe_port(parts) else False
        return ("host", target[0], target[1] if explicit else None)
    if "/" in text:
        try:
            return ("net", ipaddress.ip_network(text, strict=False), None)
        except ValueError:
            return None
    if text.startswith("*."):
        host = canonical_host(text[2:])
        return ("suffix", host, None) if host else None
    host, port, explicit = _split_host_port(text, 0)
    host = canonical_host(host)
    if host is None:
        return None
    return ("host", host, port if explicit else None)


def _safe_port(parts) -> bool:
    try:
        parts.port
    except ValueError:
        return False
    return True


def host_allowed(url: str, allowed_hosts: Iterable[str] | None, *, always_allowed: Iterable[str] = ()) -> bool:
    """Whether a document may point the server at `url` (see module doc for the rules)."""
    target = _target(url)
    if target is None:
        return False
    host, port = target
    entries = list(allowed_hosts or ()) + list(always_allowed or ())
    for raw in entries:
        entry = _entry(raw)
        if entry is None:
            continue
        kind, value, entry_port = entry
        if entry_port is not None and entry_port != port:
            continue
        if kind == "any":
            return True
        if kind == "host" and value == host:
            return True
        if kind == "suffix" and isinstance(value, str) and host.endswith("." + value) and ":" not in host:
            return True
        if kind == "net":
            try:
                if ipaddress.ip_address(host) in value:  # type: ignore[operator]
                    return True
            except ValueError:
                continue
    return False


def url_problem(url: str) -> str | None:
    """Why the client must not connect to `url` (None when it is a plain http(s) base URL)."""
    if _target(url) is None:
        return ("it is not a plain http:// or https:// URL with a valid host (no user name, query, "
                "fragment or unusual characters)")
    return None
