"""Popular models of the Ollama library: what they are, their tags, how much a pull downloads.

The facts come from `library.json`, next to this module and shipped inside the wheel: a hand-made
snapshot of https://ollama.com/library (its date and source are written in the file). It works
offline; nothing here touches the network. Ollama's API cannot tell the size of a model before it
is pulled (the registry manifest is read only by the pull itself), so the sizes are those the site
lists for each tag: good enough to warn that "auto-pull will download about 40 GB". A name that is
not in the snapshot has no known size (`download_size` returns None) and nothing is claimed about it.

    download_size("llama3:70b")   # 40_000_000_000
    download_size("llama3")       # llama3:latest, the 8B: 4_700_000_000
    find_model("qwen3").tags      # {"0.6b": 523_000_000, ..., "235b": 142_000_000_000}
"""

from __future__ import annotations

import functools
import json
import logging
import re
from dataclasses import dataclass, field
from importlib import resources

from namel3ss_lsp import model_names

log = logging.getLogger(__name__)

CATALOGUE_FILE = "library.json"
CAPABILITIES = ("tools", "vision", "thinking", "embedding")

_GB, _MB = 1_000_000_000, 1_000_000
_SIZE = re.compile(r"\s*([0-9]+(?:\.[0-9]+)?)\s*(TB|GB|MB|KB|B)\s*\Z", re.IGNORECASE)
_UNITS = {"TB": 1000 * _GB, "GB": _GB, "MB": _MB, "KB": 1000, "B": 1}


@dataclass(frozen=True)
class LibraryModel:
    """One model of the library: `name` (no tag), its tags with their download sizes in bytes,
    the tag `latest` points to, capabilities among tools, vision, thinking, embedding."""

    name: str
    description: str
    capabilities: tuple[str, ...]
    default_tag: str
    tags: dict[str, int] = field(hash=False, compare=False)

    @property
    def default_name(self) -> str:
        """`name:tag` of what `ollama pull name` downloads, e.g. llama3.1:8b."""
        return f"{self.name}:{self.default_tag}"

    def size(self, tag: str | None = None) -> int | None:
        """Download size of a tag (None or "latest": the default tag); None when not listed."""
        if tag is None or tag.lower() == "latest":
            tag = self.default_tag
        for known, size in self.tags.items():
            if known.lower() == tag.lower():
                return size
        return None

    def tag_names(self) -> list[str]:
        """Every listed tag, the default first, without a `latest` that only repeats the default."""
        return [self.default_tag] + [t for t in self.tags if t != self.default_tag]


@dataclass(frozen=True)
class Catalogue:
    models: tuple[LibraryModel, ...]
    source: str
    snapshot: str
    about: str


def parse_size(text: object) -> int | None:
    """'4.9GB' -> 4_900_000_000 (decimal units, as ollama.com prints them); None when unreadable."""
    if isinstance(text, (int, float)) and not isinstance(text, bool):
        return int(text) if text >= 0 else None
    match = _SIZE.match(str(text))
    if match is None:
        return None
    return int(round(float(match.group(1)) * _UNITS[match.group(2).upper()]))


def load_catalogue(text: str) -> Catalogue:
    """The catalogue of a library.json text; entries that do not make sense are skipped with a log line."""
    data = json.loads(text)
    models = []
    for raw in data.get("models") or []:
        try:
            name = str(raw["name"])
            tags = {str(tag): parse_size(size) for tag, size in dict(raw.get("tags") or {}).items()}
            tags = {tag: size for tag, size in tags.items() if size is not None}
            default = str(raw.get("default") or "latest")
            if not model_names.is_valid(f"{name}:{default}") or default not in tags:
                raise ValueError(f"bad name or default tag {name}:{default}")
            capabilities = tuple(str(c) for c in raw.get("capabilities") or () if str(c) in CAPABILITIES)
            models.append(LibraryModel(name, str(raw.get("description") or ""), capabilities, default, tags))
        except (KeyError, TypeError, ValueError) as exc:
            log.warning("library.json: skipping %r: %s", raw, exc)
    return Catalogue(tuple(models), str(data.get("source") or ""), str(data.get("snapshot") or ""),
                     str(data.get("about") or ""))


@functools.lru_cache(maxsize=1)
def catalogue() -> Catalogue:
    """The shipped snapshot (read once; an unreadable file gives an empty catalogue, logged)."""
    try:
        text = resources.files(__package__).joinpath(CATALOGUE_FILE).read_text(encoding="utf-8")
        return load_catalogue(text)
    except (OSError, ValueError) as exc:
        log.error("the Ollama library catalogue %s cannot be read: %s", CATALOGUE_FILE, exc)
        return Catalogue((), "", "", "")


def library_models() -> tuple[LibraryModel, ...]:
    return catalogue().models


@functools.lru_cache(maxsize=1)
def _by_name() -> dict[str, LibraryModel]:
    return {m.name.lower(): m for m in library_models()}


def find_model(name: str) -> LibraryModel | None:
    """The library model a name refers to (`llama3.1`, `llama3.1:70b`, `library/llama3.1`), or None
    (also for names on another registry or namespace: they are not the library's)."""
    if not isinstance(name, str) or not name:
        return None
    parsed = model_names.parse(name)
    if parsed.model is None:
        return None
    if (parsed.host or model_names.DEFAULT_HOST).lower() != model_names.DEFAULT_HOST:
        return None
    if (parsed.namespace or model_names.DEFAULT_NAMESPACE).lower() != model_names.DEFAULT_NAMESPACE:
        return None
    return _by_name().get(parsed.model.lower())


def library_tag(name: str) -> tuple[LibraryModel, str] | None:
    """(model, tag) of a listed `name:tag` (`latest` or no tag: the default tag), else None."""
    if not isinstance(name, str) or not model_names.is_valid(name):
        return None
    model = find_model(name)
    if model is None:
        return None
    tag = model_names.parse(name).tag or "latest"
    if tag.lower() == "latest":
        return model, model.default_tag
    for known in model.tags:
        if known.lower() == tag.lower():
            return model, known
    return None


def library_entry(name: str) -> tuple[str, int] | None:
    """(description, approximate download size) of a listed library tag; None otherwise."""
    found = library_tag(name)
    if found is None:
        return None
    model, tag = found
    size = model.size(tag)
    return (model.description, size) if size is not None else None


def download_size(name: str) -> int | None:
    """About how many bytes pulling `name` downloads, when the library is known to say; else None."""
    entry = library_entry(name)
    return entry[1] if entry else None


def _flat() -> dict[str, tuple[str, int]]:
    out: dict[str, tuple[str, int]] = {}
    for model in library_models():
        for tag, size in model.tags.items():
            out[f"{model.name}:{tag}"] = (model.description, size)
        out.setdefault(f"{model.name}:latest", (model.description, model.size() or 0))
    return out


# name:tag -> (description, approximate download size in bytes), every listed tag (kept for callers
# of the first version of this module).
LIBRARY: dict[str, tuple[str, int]] = _flat()


def human_size(size: int | float | None) -> str:
    """4.7 GB, 398 MB (decimal units, as ollama.com and `ollama list` print them)."""
    if not isinstance(size, (int, float)) or isinstance(size, bool) or size < 0:
        return "?"
    for unit, factor in (("GB", _GB), ("MB", _MB), ("KB", 1000)):
        if size >= factor:
            value = size / factor
            return f"{value:.1f} {unit}" if value < 10 else f"{value:.0f} {unit}"
    return f"{int(size)} B"
