"""The LSP base protocol (`Content-Length` header, blank line, JSON body), read tolerantly and
within bounds; used for stdio and TCP instead of pygls' reader.

pygls' reader (`pygls.io_.run_async`) matches one exact header line, `Content-Length: N\\r\\n`,
and never resynchronises: a lower-case header, a missing space, LF-only line ends, a wrong length
or a body without a header leave the server alive but deaf for good, and `Content-Length:
1000000000000` kills it (MemoryError). This reader:

* accepts header names in any case, optional whitespace around the value, CRLF or LF line ends,
  and ignores other headers (Content-Type);
* bounds memory: a header line is at most MAX_HEADER_LINE bytes, and a body larger than the
  maximum message size (`NAMEL3SS_LSP_MAX_MESSAGE_BYTES`, default 64 MiB) is read and discarded
  in chunks, with one logged error, never held whole;
* resynchronises: bytes that are not a header are skipped (one log line per run) up to the next
  `Content-Length` header, wherever it starts;
* finds the boundaries a wrong Content-Length hides, from one fact about JSON: a header line
  (`Content-Length: 12` followed by a raw line break) cannot occur inside a JSON text (outside a
  string the bare word is not JSON, inside a string a raw line break is not allowed). So such a
  line ends a body early (a Content-Length that is too long, or absurd); a body that is a complete
  JSON value followed by more bytes gives those bytes back to the stream (too long by less than a
  header line); a body that does not parse (too short) is reported, answered -32700 by the
  protocol, and the reader goes on at the next header. (A Content-Length that is too long waits,
  as it must, for the bytes of the next message before the body can end.)

The maximum message size: `serve(max_message_size=...)`, else `$NAMEL3SS_LSP_MAX_MESSAGE_BYTES`
(a positive number of bytes), else 64 MiB.

`FrameParser` is sans-I/O (bytes in, events out); `run_framed` drives it from any
`async read(n) -> bytes` and hands each decoded body to the protocol on the event loop's thread,
as pygls does. `start_io` and `start_tcp` are pygls' `_start_io_async` and `start_tcp` with this
reader; stdin is still read on the server's thread pool (pygls' `max_workers` behaviour).

Offering it upstream (pygls): `run_async` and `run` in `pygls/io_.py` would each become a loop
of `data = read(CHUNK)` / `parser.feed(data)` over this `FrameParser` (sans-I/O, so the sync,
async and WASM loops share it), with `max_message_size` a `JsonRPCServer` argument. The JSON-RPC
checks (`Namel3ssProtocol.handle_json`: -32700, -32600 for a missing `"jsonrpc": "2.0"` and for
batches, one log line and no traceback per bad message) would go to `JsonRPCProtocol`, replacing
the `json.loads(body, object_hook=structure_message)` call, whose object hook runs on every nested
object. Tests: tests/reliability/test_framing.py (byte streams against the real process).
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
import sys
import threading
from dataclasses import dataclass
from typing import Any, Awaitable, BinaryIO, Callable, Optional

from pygls.exceptions import JsonRpcException
from pygls.io_ import StdoutWriter

logger = logging.getLogger(__name__)

MAX_MESSAGE_SIZE_ENV = "NAMEL3SS_LSP_MAX_MESSAGE_BYTES"
DEFAULT_MAX_MESSAGE_SIZE = 64 * 1024 * 1024
CHUNK = 64 * 1024  # bytes asked of the stream per read
MAX_HEADER_LINE = 8 * 1024  # a longer "header line" is garbage
_LOOK_BACK = 256  # the longest header line recognised inside a body (name, spaces, 20 digits)
_HUGE = 1 << 64  # a Content-Length of more than 20 digits

# `Content-Length:` anywhere: where a header block (re)starts.
_CONTENT_LENGTH = re.compile(rb"content-length[ \t]*:", re.IGNORECASE)
# The Content-Length line at the start of the buffer (the value is checked separately).
_CONTENT_LENGTH_LINE = re.compile(rb"content-length[ \t]*:([^\n]*)\n", re.IGNORECASE)
# A complete Content-Length header line, as it may appear inside a body (see the module doc).
_HEADER_IN_BODY = re.compile(rb"content-length[ \t]*:[ \t]*[0-9]+[ \t]*\r?\n\Z", re.IGNORECASE)
# Any other well-formed header line (RFC 7230 token, colon, value); and blank lines.
_TOKEN = rb"[!#$%&'*+.^_`|~0-9A-Za-z-]+"
_HEADER_LINE = re.compile(_TOKEN + rb"[ \t]*:[^\r\n]*\r?\n")
_NOT_GARBAGE = re.compile(rb"(?m)^(?:" + _TOKEN + rb"[ \t]*:[^\r\n]{0,%d})?[ \t\r]*\n" % MAX_HEADER_LINE)
_JSON_SPACE = re.compile(r"[ \t\n\r]*")


_HEADER_NAME = b"content-length"


def _header_cut_into(body: bytes) -> int:
    """Where, in a body that is not JSON, the next message's header begins (a Content-Length
    header, or the start of one cut off by the body's end), or -1. With a valid body, the JSON's
    end shows where the message ends; with a broken one, this is the only sign left."""
    match = _CONTENT_LENGTH.search(body, 1)
    if match is not None:
        return match.start()
    tail = body[-len(_HEADER_NAME):].lower()
    for size in range(len(tail), 0, -1):
        if _HEADER_NAME.startswith(tail[-size:]):
            return len(body) - size
    return -1


def _not_json(literal: str) -> float:
    raise ValueError(f"{literal} is not JSON")


# Python's decoder takes NaN and Infinity, which JSON does not have; echoed back (a resolve's
# `data`), they would make a reply no strict client can parse.
_DECODER = json.JSONDecoder(parse_constant=_not_json)

_SEEK, _HEADERS, _BODY, _SKIP = "seek", "headers", "body", "skip"


@dataclass(frozen=True)
class Message:
    """A body that decoded to a JSON value (any value: the protocol checks the JSON-RPC shape)."""

    value: Any


@dataclass(frozen=True)
class Unparseable:
    """A body that is not JSON (-32700)."""

    reason: str


@dataclass(frozen=True)
class Problem:
    """Something in the byte stream worth one log line (garbage skipped, a wrong length...)."""

    text: str
    level: int = logging.WARNING



class FrameParser:
    """Bytes in (`feed`), events out: `Message`, `Unparseable`, `Problem`. Holds at most
    max(max_message_size, MAX_HEADER_LINE) + the last chunk fed."""

    def __init__(self, max_message_size: int = DEFAULT_MAX_MESSAGE_SIZE) -> None:
        self.max_message_size = max_message_size
        self._buf = bytearray()
        self._state = _SEEK
        self._length: Optional[int] = None  # the Content-Length of the header block being read
        self._remaining = 0  # bytes of an oversized body still to skip
        self._scanned = 0  # buffer offset up to which a body was searched for a header line
        self._garbage = 0  # bytes skipped in the current run that were not header lines
        self._why: Optional[str] = None  # what started the current run of skipped bytes

    def feed(self, data: bytes) -> list:
        self._buf += data
        events: list = []
        while self._step(events):
            pass
        return events

    def close(self) -> list:
        """The end of the stream: report what was left unfinished."""
        events: list = []
        if self._state == _BODY:
            events.append(Problem(f"the stream ended inside a body ({len(self._buf)} of {self._length} bytes)"))
        elif self._state == _SKIP:
            pass  # already reported when the skip began
        else:
            self._account(len(self._buf))
            self._flush_garbage(events, "at the end of the stream")
        self._buf.clear()
        self._state = _SEEK
        return events

    # --- the states --------------------------------------------------------------------------------
    def _step(self, events: list) -> bool:
        """One step; False when more bytes are needed."""
        if self._state == _SEEK:
            return self._seek(events)
        if self._state == _HEADERS:
            return self._header_line(events)
        if self._state == _BODY:
            return self._body(events)
        return self._skip(events)

    def _seek(self, events: list) -> bool:
        match = _CONTENT_LENGTH.search(self._buf)
        if match is None:
            # Keep what may be the start of a header: the last partial line (if it is not too long
            # to be one), else the last few bytes.
            newline = self._buf.rfind(b"\n")
            keep = len(self._buf) - (newline + 1)
            if keep > MAX_HEADER_LINE:
                keep = _LOOK_BACK
            self._discard(len(self._buf) - keep)
            return False
        self._discard(match.start())
        self._flush_garbage(events, "before the next Content-Length header")
        self._state = _HEADERS
        return True

    def _header_line(self, events: list) -> bool:
        end = self._buf.find(b"\n", 0, MAX_HEADER_LINE)
        if end < 0:
            if len(self._buf) < MAX_HEADER_LINE:
                return False
            self._restart(f"a header line longer than {MAX_HEADER_LINE} bytes")
            self._discard(1)  # so that seeking moves on
            return True
        line = bytes(self._buf[: end + 1])
        if not line.strip():  # the blank line: the body follows
            del self._buf[: end + 1]
            length = self._length if self._length is not None else 0
            self._length = length
            if length > self.max_message_size:
                shown = f"{length} bytes" if length < _HUGE else "more than 10**20 bytes"
                events.append(Problem(
                    f"a message of {shown} exceeds the maximum message size ({self.max_message_size} "
                    f"bytes, {MAX_MESSAGE_SIZE_ENV}): its body is skipped", logging.ERROR))
                self._state, self._remaining, self._scanned = _SKIP, length, 0
            else:
                self._state, self._scanned = _BODY, 0
            return True
        content_length = _CONTENT_LENGTH_LINE.match(line)
        if content_length is not None:
            value = content_length.group(1).strip()
            if value.isdigit():
                self._length = int(value) if len(value) <= 20 else _HUGE
                del self._buf[: end + 1]
                return True
            del self._buf[: end + 1]
            self._restart(f"an invalid Content-Length {value[:40].decode('latin-1')!r}")
            return True
        if self._length is not None and _HEADER_LINE.fullmatch(line):
            del self._buf[: end + 1]  # another header: ignored
            return True
        # Not a header: this header block is broken; look for the next one from this line on.
        self._restart("a header block that does not end in a blank line")
        return True

    def _body(self, events: list) -> bool:
        length = self._length or 0
        have = min(len(self._buf), length)
        header = self._header_in_body(self._scanned, have)
        if header >= 0:
            events.append(Problem(
                f"Content-Length {length}, but a new header began after {header} bytes: the body ends there"))
            body = bytes(memoryview(self._buf)[:header])
            del self._buf[:header]
        elif len(self._buf) >= length:
            body = bytes(memoryview(self._buf)[:length])
            del self._buf[:length]
        else:
            self._scanned = have
            return False
        self._state, self._length = _SEEK, None
        events.extend(self._decode(body, length))
        return True

    def _skip(self, events: list) -> bool:
        have = min(len(self._buf), self._remaining)
        header = self._header_in_body(self._scanned, have)
        if header >= 0:
            del self._buf[:header]
            events.append(Problem(f"a header began {self._remaining - header} bytes before the end of the skipped "
                                  "body: reading on from there", logging.DEBUG))
            self._state, self._length = _SEEK, None
            return True
        if len(self._buf) >= self._remaining:
            del self._buf[: self._remaining]
            self._state, self._length = _SEEK, None
            return True
        drop = max(0, len(self._buf) - _LOOK_BACK)
        del self._buf[:drop]
        self._remaining -= drop
        self._scanned = len(self._buf)
        return False

    # --- helpers -----------------------------------------------------------------------------------
    def _header_in_body(self, start: int, end: int) -> int:
        """Where a complete Content-Length header line ending in buf[start:end] begins, or -1."""
        buf = self._buf
        newline = buf.find(b"\n", start, end)
        while newline >= 0:
            before = newline - 1
            while before >= 0 and buf[before] in b" \t\r":
                before -= 1
            if before >= 0 and 0x30 <= buf[before] <= 0x39:
                match = _HEADER_IN_BODY.search(buf, max(0, newline - _LOOK_BACK), newline + 1)
                if match is not None:
                    return match.start()
            newline = buf.find(b"\n", newline + 1, end)
        return -1

    def _decode(self, body: bytes, length: int) -> list:
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError as exc:
            return [Unparseable(f"the body is not UTF-8 ({exc.reason} at byte {exc.start})")]
        if not text.strip(" \t\r\n"):
            return [Unparseable("an empty body")]
        try:
            value, end = _DECODER.raw_decode(text, _JSON_SPACE.match(text).end())
        except RecursionError:
            return [Unparseable("a body nested too deeply")]
        except ValueError as exc:
            reason = getattr(exc, "msg", None) or str(exc)[:100]
            where = f" at line {exc.lineno} column {exc.colno}" if hasattr(exc, "lineno") else ""
            cut = _header_cut_into(body)
            if cut > 0:  # a Content-Length too long ate the start of the next header: hand it back
                self._buf[:0] = body[cut:]
                where += f"; its last {len(body) - cut} bytes begin a header and are read again"
            return [Unparseable(f"{reason}{where}")]
        rest = text[end:]
        if not rest.strip(" \t\r\n"):
            return [Message(value)]
        # A Content-Length too long by a few bytes: they belong to what follows.
        extra = rest.encode("utf-8")
        self._buf[:0] = extra
        return [Problem(f"Content-Length {length} runs {len(extra)} bytes past the end of its JSON body: "
                        "they are read again as the stream"), Message(value)]

    def _discard(self, n: int) -> None:
        if n > 0:
            self._account(n)
            del self._buf[:n]

    def _account(self, n: int) -> None:
        chunk = bytes(self._buf[:n])
        self._garbage += len(_NOT_GARBAGE.sub(b"", chunk))

    def _restart(self, why: str) -> None:
        """Back to seeking a Content-Length header, because of `why` (logged with what is skipped)."""
        self._state, self._length = _SEEK, None
        if self._why is None:
            self._why = why

    def _flush_garbage(self, events: list, where: str) -> None:
        if self._why is not None:
            skipped = f": skipped {self._garbage} bytes {where}" if self._garbage else ""
            events.append(Problem(f"{self._why}{skipped}"))
        elif self._garbage:
            events.append(Problem(f"skipped {self._garbage} bytes that are not part of a message {where}"))
        self._why, self._garbage = None, 0


# --- the loop ------------------------------------------------------------------------------------

def max_message_size_from_env(environ: Optional[dict] = None) -> int:
    """`NAMEL3SS_LSP_MAX_MESSAGE_BYTES` (a positive number of bytes), else 64 MiB."""
    raw = (os.environ if environ is None else environ).get(MAX_MESSAGE_SIZE_ENV, "").strip()
    if not raw:
        return DEFAULT_MAX_MESSAGE_SIZE
    try:
        value = int(raw.replace("_", ""))
        if value > 0:
            return value
    except ValueError:
        pass
    logger.warning("%s=%r is not a positive number of bytes: using %d", MAX_MESSAGE_SIZE_ENV, raw,
                   DEFAULT_MAX_MESSAGE_SIZE)
    return DEFAULT_MAX_MESSAGE_SIZE


def dispatch(protocol: Any, event: Any) -> None:
    """One parser event to the protocol: ours has `handle_json`/`handle_unparseable` (the JSON-RPC
    checks); a plain pygls protocol gets pygls' own path."""
    if isinstance(event, Problem):
        logger.log(event.level, "%s", event.text)
    elif isinstance(event, Unparseable):
        if hasattr(protocol, "handle_unparseable"):
            protocol.handle_unparseable(event.reason)
        else:
            logger.warning("unparseable message: %s", event.reason)
    elif hasattr(protocol, "handle_json"):
        protocol.handle_json(event.value)
    elif isinstance(event.value, dict):
        protocol.handle_message(protocol.structure_message(event.value))
    else:
        logger.warning("a message that is a JSON %s, not an object: ignored", type(event.value).__name__)


async def run_framed(
    stop_event: threading.Event,
    read: Callable[[int], Awaitable[bytes]],
    protocol: Any,
    *,
    max_message_size: int = DEFAULT_MAX_MESSAGE_SIZE,
    error_handler: Optional[Callable[[Exception, type], Any]] = None,
) -> None:
    """pygls' `run_async` with `FrameParser`: read chunks until the end of the stream or
    `stop_event`, and hand each event to the protocol."""
    parser = FrameParser(max_message_size)
    while not stop_event.is_set():
        data = await read(CHUNK)
        for event in parser.feed(data) if data else parser.close():
            try:
                dispatch(protocol, event)
            except Exception as exc:  # a fault of ours, not of the message: keep the traceback
                logger.exception("Unable to handle message")
                if error_handler is not None:
                    error_handler(exc, JsonRpcException)
        if not data:
            break


def stdin_reader(stdin: BinaryIO, executor: Any) -> Callable[[int], Awaitable[bytes]]:
    """`read(n)`: at most n bytes, whatever is there (one read of the pipe), on `executor` like
    pygls' StdinAsyncReader; b"" at the end."""
    read1 = getattr(stdin, "read1", None)
    if read1 is None:
        fd = stdin.fileno()

        def read1(n: int) -> bytes:
            return os.read(fd, n)

    async def read(n: int) -> bytes:
        return await asyncio.get_running_loop().run_in_executor(executor, read1, n)

    return read


def start_io(ls: Any, stdin: Optional[BinaryIO] = None, stdout: Optional[BinaryIO] = None, *,
             max_message_size: Optional[int] = None) -> None:
    """pygls' `JsonRPCServer._start_io_async` with the tolerant reader."""
    size = max_message_size or max_message_size_from_env()
    ls._stop_event = threading.Event()
    read = stdin_reader(stdin or sys.stdin.buffer, ls.thread_pool)
    ls.protocol.set_writer(StdoutWriter(stdout or sys.stdout.buffer))
    try:
        asyncio.run(run_framed(ls._stop_event, read, ls.protocol, max_message_size=size,
                               error_handler=ls.report_server_error))
    except BrokenPipeError:
        logger.error("Connection to the client is lost! Shutting down the server.")
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        ls.shutdown()


def start_tcp(ls: Any, host: str, port: int, *, max_message_size: Optional[int] = None) -> None:
    """pygls' `JsonRPCServer.start_tcp` with the tolerant reader."""
    size = max_message_size or max_message_size_from_env()
    logger.info("Starting TCP server on %s:%s", host, port)
    ls._stop_event = stop_event = threading.Event()

    async def connection(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        ls.protocol.set_writer(writer)
        await run_framed(stop_event, reader.read, ls.protocol, max_message_size=size,
                         error_handler=ls.report_server_error)
        ls.shutdown()

    async def serve() -> None:
        ls._server = await asyncio.start_server(connection, host, port)
        async with ls._server:
            await ls._server.serve_forever()

    try:
        asyncio.run(serve())
    except asyncio.CancelledError:
        logger.debug("Server was cancelled")
