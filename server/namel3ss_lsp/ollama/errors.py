"""OllamaError in the guide's format, and the suggestions that go with each kind of failure.

    Ollama model 'mistral:latest' is not available locally.
    Model: mistral:latest
    Server: http://localhost:11434

    Suggestion: Run: ollama pull mistral:latest
    Or enable auto_pull_model in your configuration.

`kind` lets callers branch without parsing text: "unreachable", "timeout", "not_found",
"invalid_name", "http", "protocol", "cancelled", "executable_not_found", "host_not_allowed",
"context_exceeded", "start_failed".
"""

from __future__ import annotations

KINDS = (
    "unreachable", "timeout", "not_found", "invalid_name", "http", "protocol", "cancelled",
    "executable_not_found", "host_not_allowed", "context_exceeded", "start_failed",
)

INSTALL_SUGGESTION = (
    "Install Ollama: curl -fsSL https://ollama.com/install.sh | sh (Linux), "
    "or download it from https://ollama.com/download (macOS, Windows); "
    "then make sure 'ollama' is on your PATH (which ollama)."
)


class OllamaError(Exception):
    """An Ollama failure with context and an actionable suggestion.

    `str(err)` is the guide's multi-line format; `err.description` is the first line alone.
    """

    def __init__(
        self,
        message: str,
        model: str | None = None,
        base_url: str | None = None,
        suggestion: str | None = None,
        original_error: BaseException | None = None,
        *,
        kind: str = "http",
        status_code: int | None = None,
    ):
        self.description = message
        self.model = model
        self.base_url = base_url
        self.suggestion = suggestion
        self.original_error = original_error
        self.kind = kind
        self.status_code = status_code
        super().__init__(self._format())

    def _format(self) -> str:
        text = self.description
        if self.model:
            text += f"\nModel: {self.model}"
        if self.base_url:
            text += f"\nServer: {self.base_url}"
        if self.suggestion:
            text += f"\n\nSuggestion: {self.suggestion}"
        return text

    @property
    def message(self) -> str:
        return self.description

    def to_dict(self) -> dict:
        return {
            "kind": self.kind,
            "message": self.description,
            "model": self.model,
            "baseUrl": self.base_url,
            "suggestion": self.suggestion,
            "statusCode": self.status_code,
        }

    def __reduce__(self):  # picklable despite keyword-only arguments
        return (_rebuild, (self.description, self.model, self.base_url, self.suggestion, self.kind,
                           self.status_code))


def _rebuild(message, model, base_url, suggestion, kind, status_code) -> OllamaError:
    return OllamaError(message, model, base_url, suggestion, kind=kind, status_code=status_code)


# ---- constructors for the common cases -------------------------------------------------------

def unreachable(base_url: str, *, model: str | None = None, original: BaseException | None = None) -> OllamaError:
    return OllamaError(
        f"Could not reach Ollama server at {base_url}",
        model=model, base_url=base_url, original_error=original, kind="unreachable",
        suggestion=(
            "Start Ollama with: ollama serve\n"
            f"Check that {base_url} is the right address (config base_url, NAMEL3SS_OLLAMA_BASE_URL, "
            f"OLLAMA_HOST); test it with: curl {base_url}/api/version"
        ),
    )


def timeout(base_url: str, seconds: float, what: str, *, model: str | None = None,
            original: BaseException | None = None) -> OllamaError:
    return OllamaError(
        f"Ollama server at {base_url} did not answer {what} within {seconds:g} s",
        model=model, base_url=base_url, original_error=original, kind="timeout",
        suggestion=(
            "The server may be busy loading a model or stuck. Check it with: "
            f"curl {base_url}/api/version ; restart it with: ollama serve ; "
            "or raise ollama.requestTimeout."
        ),
    )


def stalled(base_url: str, seconds: float, what: str, *, model: str | None = None,
            original: BaseException | None = None) -> OllamaError:
    return OllamaError(
        f"Ollama stopped sending data during {what} (nothing received for {seconds:g} s)",
        model=model, base_url=base_url, original_error=original, kind="timeout",
        suggestion=(
            "Check the network and the Ollama server log (journalctl -u ollama, or the terminal "
            "running ollama serve), then retry"
            + (f": ollama pull {model}" if model and what == "pull" else ".")
        ),
    )


def model_missing(model: str, base_url: str, *, original: BaseException | None = None) -> OllamaError:
    return OllamaError(
        f"Ollama model '{model}' is not available locally.",
        model=model, base_url=base_url, original_error=original, kind="not_found", status_code=404,
        suggestion=f"Run: ollama pull {model}\nOr enable auto_pull_model in your configuration.",
    )


def invalid_name(model: object, reason: str, base_url: str | None = None) -> OllamaError:
    shown = model if isinstance(model, str) else repr(model)
    return OllamaError(
        f"Invalid Ollama model name {shown!r}: {reason}.",
        model=None, base_url=base_url, kind="invalid_name",
        suggestion="Use a name like llama3:8b, mistral:latest or namespace/model:tag "
                   "(see https://ollama.com/library; list installed models with: ollama list)",
    )


def protocol(base_url: str, detail: str, *, model: str | None = None,
             original: BaseException | None = None) -> OllamaError:
    return OllamaError(
        f"Unexpected response from the Ollama server: {detail}",
        model=model, base_url=base_url, original_error=original, kind="protocol",
        suggestion=(
            f"Check that {base_url} is an Ollama server (curl {base_url}/api/version) and not a proxy "
            "or another service; update Ollama from https://ollama.com/download if it is old."
        ),
    )


def cancelled(base_url: str, what: str, *, model: str | None = None) -> OllamaError:
    return OllamaError(
        f"{what} was cancelled", model=model, base_url=base_url, kind="cancelled",
        suggestion="Run it again when you are ready" + (f": ollama pull {model}" if model else "."),
    )


def context_exceeded(model: str, base_url: str, detail: str, num_ctx: object = None) -> OllamaError:
    current = f" (num_ctx is {num_ctx})" if num_ctx else ""
    return OllamaError(
        f"Input is too large for model '{model}' context window{current}: {detail}",
        model=model, base_url=base_url, kind="context_exceeded", status_code=400,
        suggestion="Shorten the prompt, raise num_ctx in the model's config (if the model supports "
                   "it), or use a model with a larger context window.",
    )


def host_not_allowed(base_url: str) -> OllamaError:
    return OllamaError(
        f"The Ollama server {base_url} is not in the allowed hosts",
        base_url=base_url, kind="host_not_allowed",
        suggestion="Add its host to the namel3ss setting ollama.allowedHosts, or point the model at "
                   "an allowed server (default: localhost, 127.0.0.1, ::1).",
    )


def invalid_url(base_url: str, reason: str, suggestion: str | None = None) -> OllamaError:
    """A base URL the client will not connect to (kind "host_not_allowed": it is refused, never
    contacted, like a host outside the allow-list)."""
    return OllamaError(
        f"Refusing to contact {base_url!r}: it is not a usable Ollama server URL ({reason})",
        base_url=base_url, kind="host_not_allowed",
        suggestion=suggestion or "Write the server as http://host:port, e.g. http://localhost:11434",
    )


def http_status(base_url: str, status: int, detail: str, what: str, *, model: str | None = None) -> OllamaError:
    if status >= 500:
        hint = ("The Ollama server reported an internal error; check its log (journalctl -u ollama, or "
                "the terminal running ollama serve) and retry.")
        if status == 503:
            hint = "The server is busy (too many queued requests); retry in a moment."
    elif status == 404:
        hint = (f"The server does not know {what}; it may be an old Ollama or not Ollama at all. "
                "Upgrade from https://ollama.com/download and check the base URL.")
    elif status in (401, 403):
        hint = ("The server refused the request. If Ollama runs behind a proxy, check its credentials; "
                "if it is bound to a loopback address, connect through localhost/127.0.0.1.")
    else:
        hint = f"Check the request and the Ollama server log; upgrade Ollama if {what} is not supported."
    return OllamaError(
        f"Ollama server error {status} during {what}: {detail}",
        model=model, base_url=base_url, kind="http", status_code=status, suggestion=hint,
    )
