"""Ollama base URLs, pure: resolution in the documented priority, OLLAMA_HOST, and the host allow-list.

* `resolve_base_url(options, setting=, environ=)`: config `base_url`, env NAMEL3SS_OLLAMA_BASE_URL,
  config `host`/`port` (or deployment_config's), the editor setting `ollama.baseUrl`, OLLAMA_HOST,
  then http://localhost:11434. Normalized: lower-case scheme and host, no trailing slash, default
  port dropped, 0.0.0.0 / [::] (bind-all) -> 127.0.0.1 / [::1].
* `parse_ollama_host(value)`: OLLAMA_HOST with ollama-python's rules (shared/ollama-api.md 4.1).
* `host_allowed(url, allowed_hosts, always_allowed=)`: strict, and decided on exactly the host the
  HTTP client connects to: the URL is parsed by httpx.URL (what httpx refuses is refused) and the
  host is compared in canonical form (case-insensitive, one trailing dot dropped, IDNA as httpx
  encodes it, a numeric host reduced to the dotted quad the resolver reads: 2130706433, 0x7f.1,
  127.1, IPv4-mapped IPv6 to IPv4, bind-all addresses to loopback). Only http/https, no userinfo,
  no query/fragment, no percent-escapes or odd characters in the host; a host that ends in a
  number but is no address (`localhost127.0.0.1`, `a.1`) is refused, never sent to DNS. Entries:
  host names, IPs, `host:port`, `[v6]:port`, URLs, CIDR networks (`10.0.0.0/8`), `*.suffix`, and
  `*` (anything). Never raises.
* `url_target(url)`: that (host, port), or None; `url_problem(url)`: why not, in words;
  `url_suggestion(url)`: what to write instead.
"""

from __future__ import annotations

import ipaddress
import os
import re
from functools import lru_cache
from typing import Iterable, Mapping
from urllib.parse import urlsplit

DEFAULT_BASE_URL = "http://localhost:11434"
DEFAULT_PORT = 11434
BASE_URL_ENV = "NAMEL3SS_OLLAMA_BASE_URL"
OLLAMA_HOST_ENV = "OLLAMA_HOST"
DEFAULT_ALLOWED_HOSTS = ("localhost", "127.0.0.1", "::1")

_SCHEME_PORTS = {"http": 80, "https": 443}
_HOSTNAME = re.compile(r"[a-z0-9_](?:[a-z0-9_-]*[a-z0-9_])?(?:\.[a-z0-9_](?:[a-z0-9_-]*[a-z0-9_])?)*\Z")


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
    if _ascii_digits(port_text) and 0 < int(port_text) <= 65535:
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


def _plain_host(host: str) -> bool:
    """A host normalize_base_url may rebuild: no brackets left, and colons only in a real IPv6."""
    if "[" in host or "]" in host:
        return False
    if ":" in host:
        try:
            ipaddress.IPv6Address(host)
        except ValueError:
            return False
    return True


def _strip_slashes(text: str) -> str:
    """Trailing slashes off, but never into the `://` (so that normalizing twice changes nothing)."""
    stripped = text.rstrip("/")
    if "://" in text and "://" not in stripped:
        return text[: text.index("://") + 3]
    return stripped


def normalize_base_url(url: str, *, default_port: int = DEFAULT_PORT) -> str:
    """A clean base URL. Text that is not a plain http(s) URL (userinfo, query, odd characters) is
    returned stripped but otherwise unchanged, so that `host_allowed` and the client refuse it rather
    than silently pointing somewhere else. Normalizing twice changes nothing: the allow-list checks
    the normalized URL, and the client normalizes what it is given once more."""
    text = url if isinstance(url, str) else ""
    for _ in range(8):
        settled = _normalize_once(text, default_port)
        if settled == text:
            break
        text = settled
    return text


def _normalize_once(url: str, default_port: int) -> str:
    text = _clean(url)
    if not text:
        return text
    scheme, sep, rest = text.partition("://")
    if not sep:
        scheme, rest, port = "http", text, default_port
    else:
        scheme = scheme.lower()
        if scheme not in _SCHEME_PORTS:
            return _strip_slashes(text)
        port = _SCHEME_PORTS[scheme]
    hostport, slash, path = rest.partition("/")
    if any(c.isspace() for c in text):
        return text
    if any(ch in hostport for ch in "@?#\\%") or "?" in path or "#" in path:
        return _strip_slashes(text)
    host, port, _ = _split_host_port(hostport, port)
    if not _plain_host(host):
        return _strip_slashes(text)  # left as written: refused later, never rebuilt into another host
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
    if isinstance(value, str) and _ascii_digits(value.strip()) and 0 < int(value) <= 65535:
        return int(value)
    return None


def _from_host_port(options: Mapping) -> str | None:
    host, port = _text_option(options, "host"), _port_option(options)
    if host is None and port is None:
        return None
    if host and "://" in host:
        url = normalize_base_url(host)
        if port is not None:
            try:
                parts = urlsplit(url)
            except ValueError:  # "http://[": refused later by host_allowed and the client
                return url
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
#
# One parser decides for the allow-list and for the connection: the URL is parsed with httpx.URL,
# exactly as the HTTP client parses it, and the host it yields (`raw_host`, already IDNA-encoded)
# is what is compared. Whatever httpx refuses is refused; on top of that we refuse what a base URL
# has no business carrying (userinfo, query, fragment, percent-escapes, odd host characters).
# A host ending in a number is an IPv4 address for the resolver (glibc's inet_aton: 127.1,
# 0x7f.1, 2130706433) or nothing: `localhost127.0.0.1` is refused as a typo rather than sent to
# DNS, and a numeric spelling is reduced to the dotted quad the socket really connects to.

_INET_PART = re.compile(r"0[xX][0-9a-fA-F]*|0[0-7]*|[1-9][0-9]*")
_ENDS_IN_NUMBER = re.compile(r"(?:[0-9]+|0[xX][0-9a-fA-F]*)\Z")
_AUTHORITY_END = re.compile(r"[/?#]")


def _ascii_digits(text: str) -> bool:
    """`str.isdigit` is true for '²' and '①', which int() refuses: ASCII digits only."""
    return bool(text) and text.isascii() and text.isdigit()


def _inet_aton(host: str) -> str | None:
    """The dotted quad glibc's inet_aton_exact (what getaddrinfo uses for numeric hosts) reads in
    `host`: 1 to 4 parts, each decimal, octal (leading 0) or hex (0x); None when it is not one."""
    parts = host.split(".")
    if not 1 <= len(parts) <= 4:
        return None
    numbers = []
    for part in parts:
        if not _INET_PART.fullmatch(part) or part[:2].lower() == "0x" and len(part) == 2:
            return None  # "0x" alone: strtoul reads "0" and stops at "x"
        numbers.append(int(part, 16) if part[:2].lower() == "0x" else int(part, 8) if part[0] == "0" else int(part))
    *front, last = numbers
    if any(n > 255 for n in front) or last >= 256 ** (4 - len(front)):
        return None
    value = last + sum(n << (8 * (3 - i)) for i, n in enumerate(front))
    return str(ipaddress.IPv4Address(value))


def _host_reason(raw: str) -> tuple[str | None, str | None]:
    """(canonical host, None) for a host as httpx yields it (`raw_host`), or (None, why not)."""
    if not raw:
        return None, "it has no host"
    if any(ord(c) <= 32 or ord(c) >= 127 for c in raw) or any(c in raw for c in "%@\\/?#[]"):
        return None, f"the host {raw!r} has characters a host name cannot have"
    if ":" in raw:  # IPv6 (httpx has removed the brackets)
        try:
            ip = ipaddress.IPv6Address(raw)
        except ValueError:
            return None, f"the host {raw!r} is not a valid IPv6 address"
        if ip.ipv4_mapped is not None:
            return _connectable(str(ip.ipv4_mapped)), None
        return ("::1" if ip.is_unspecified else str(ip)), None
    host = raw.lower()
    last = host.split(".")[-1]
    if _ENDS_IN_NUMBER.match(last) or (host.endswith(".") and _ENDS_IN_NUMBER.match(host[:-1].split(".")[-1] or "x")):
        ipv4 = _inet_aton(host)
        if ipv4 is None:
            return None, f"the host {raw!r} ends in a number but is not an IP address"
        return _connectable(ipv4), None
    if host.endswith("."):
        host = host[:-1]  # one trailing dot: the same DNS name, fully qualified
    if not host or not _HOSTNAME.match(host):
        return None, f"the host {raw!r} is not a valid host name"
    return host, None


def _httpx_url(url: str):
    import httpx  # noqa: PLC0415 - the HTTP client's own parser

    try:
        return httpx.URL(url)
    except (httpx.InvalidURL, ValueError, TypeError, UnicodeError) as exc:
        return exc


def canonical_host(host: str) -> str | None:
    """The canonical form of a URL host (brackets of IPv6 removed), or None when it is not an
    acceptable host; parsed as the HTTP client parses it (IDNA, lower case, numeric IPv4)."""
    if not isinstance(host, str) or not host:
        return None
    return _canonical_host_text(host)


@lru_cache(maxsize=2048)
def _canonical_host_text(host: str) -> str | None:
    if any(ord(c) <= 32 or ord(c) == 127 for c in host) or any(c in host for c in "%@\\/?#[]"):
        return None
    if ":" in host:
        return _host_reason(host)[0]
    parsed = _httpx_url(f"http://{host}/")
    if isinstance(parsed, Exception):
        return None
    return _host_reason(parsed.raw_host.decode("ascii", "replace"))[0]


def _parse_target(url: object) -> tuple[tuple[str, int] | None, str | None]:
    """((canonical host, port), None) a base URL connects to, or (None, why it must be refused)."""
    if not isinstance(url, str) or not url.strip():
        return None, "it is empty"
    return _parse_target_text(url)


@lru_cache(maxsize=2048)  # pure, and asked for the same few URLs on every diagnostics pass
def _parse_target_text(url: str) -> tuple[tuple[str, int] | None, str | None]:
    if any(c.isspace() or ord(c) < 32 or ord(c) == 127 for c in url):
        return None, "it contains spaces or control characters"
    if "\\" in url:
        return None, "it contains a backslash"
    scheme, sep, rest = url.partition("://")
    if not sep or scheme.lower() not in _SCHEME_PORTS:
        return None, "it does not start with http:// or https://"
    if "?" in url or "#" in url:
        return None, "it has a query or a fragment ('?' or '#')"
    authority = _AUTHORITY_END.split(rest, 1)[0]
    if "@" in authority:
        return None, "it has a user name ('@') in front of the host"
    parsed = _httpx_url(url)
    if isinstance(parsed, Exception):
        return None, f"the HTTP client cannot use it ({parsed})"
    if parsed.scheme not in _SCHEME_PORTS or parsed.userinfo or parsed.query or parsed.fragment:
        return None, "it is not a plain http:// or https:// URL"
    port = parsed.port if parsed.port is not None else _SCHEME_PORTS[parsed.scheme]
    if not 0 < port <= 65535:
        return None, f"the port {port} is outside 1 to 65535"
    host, reason = _host_reason(parsed.raw_host.decode("ascii", "replace"))
    if host is None:
        return None, reason
    return (host, port), None


def url_target(url: object) -> tuple[str, int] | None:
    """(canonical host, port) the HTTP client connects to for a base URL, or None when refused."""
    return _parse_target(url)[0]


def _target(url: object) -> tuple[str, int] | None:
    return _parse_target(url)[0]


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
    """Whether a document may point the server at `url` (see module doc for the rules). Never
    raises: a URL or an entry that cannot be read is refused / skipped."""
    target = _target(url)
    if target is None:
        return False
    host, port = target
    entries = list(allowed_hosts or ()) + list(always_allowed or ())
    for raw in entries:
        try:
            entry = _entry(raw)
        except ValueError:  # urlsplit of a malformed entry such as "http://[::1"
            entry = None
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
    """Why the client must not connect to `url`, in words (None when it is a plain http(s) base
    URL whose host the HTTP client can connect to)."""
    return _parse_target(url)[1]


_GLUED_LOCAL = re.compile(r"(?i)(localhost|127\.0\.0\.1)[.:_-]?((?:localhost|\d[\d.]*)?)\Z")


def url_suggestion(url: object) -> str:
    """What to write instead of a refused base URL (a guess at the typo, then the general form)."""
    text = url if isinstance(url, str) else ""
    authority = _AUTHORITY_END.split(text.partition("://")[2] or text, 1)[0]
    host = authority.rpartition("@")[2]
    if not host.startswith("["):
        host = host.split(":", 1)[0]
    glued = _GLUED_LOCAL.match(host)
    if glued and glued.group(2):
        return ("The host looks like two hosts run together; did you mean http://localhost:11434 or "
                "http://127.0.0.1:11434? Write the server as http://host:port.")
    return "Write the server as http://host:port, e.g. http://localhost:11434 or http://127.0.0.1:11434."
