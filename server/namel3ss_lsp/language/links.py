"""Document links: a model id to its page, and a server's `base_url` when it may be contacted.

* In an Ollama `ai model` / `llm` declaration, the model id links to its page: the Ollama
  library for `llama3:8b` (`https://ollama.com/library/llama3`: the tag is dropped), the
  namespace page for `jmorgan/llama3` (`https://ollama.com/jmorgan/llama3`), Hugging Face for
  `hf.co/user/repo:Q4_K_M` (`https://huggingface.co/user/repo`). Ids on another registry
  (`localhost:5000/team/model:v1`), invalid or templated ids get no link.
* A `base_url` (in `config`, `deployment_config`, or flat in an `llm`) links to the server only
  when `allowed(url)` says so: the caller's allow-list, the same one that decides whether the
  server may be contacted at all. A document never gets a link to a host it may not reach.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable
from urllib.parse import quote

from namel3ss_lsp import model_names
from namel3ss_lsp.language.analysis import Analysis
from namel3ss_lsp.language.tree import Atom, Entry
from namel3ss_lsp.language.types import Range

_OLLAMA_HOSTS = frozenset({model_names.DEFAULT_HOST, "ollama.com", "www.ollama.com"})
_HUGGING_FACE_HOSTS = frozenset({"hf.co", "huggingface.co", "www.huggingface.co"})


@dataclass(frozen=True)
class Link:
    range: Range
    target: str
    tooltip: str


def model_page(model_id: str) -> tuple[str, str] | None:
    """(url, tooltip) of a model id's page, or None (invalid id, private registry)."""
    if model_names.invalid_reason(model_id) is not None:
        return None
    name = model_names.parse(model_id)
    host = (name.host or "").lower()
    model = quote(name.model or "")
    if host in _HUGGING_FACE_HOSTS:
        if not name.namespace:
            return None
        return f"https://huggingface.co/{quote(name.namespace)}/{model}", f"Open {name.namespace}/{name.model} on Hugging Face"
    if host and host not in _OLLAMA_HOSTS:
        return None  # a private registry: no public page to open
    namespace = name.namespace or model_names.DEFAULT_NAMESPACE
    if namespace.lower() == model_names.DEFAULT_NAMESPACE:
        return f"https://ollama.com/library/{model}", f"Open {name.model} in the Ollama library"
    return f"https://ollama.com/{quote(namespace)}/{model}", f"Open {namespace}/{name.model} on ollama.com"


def document_links(analysis: Analysis, allowed: Callable[[str], bool]) -> list[Link]:
    """Model-id and base-URL links of every model declaration, in source order."""
    links: list[Link] = []
    for md in analysis.models:
        if md.is_ollama and md.model and md.model_range is not None:
            page = model_page(md.model)
            if page is not None:
                links.append(Link(md.model_range, page[0], page[1]))
        entries = [md.config.get("base_url"), md.deployment_config.get("base_url")]
        if md.kind == "llm":
            entries.append(md.entries.get("base_url"))
        for entry in entries:
            link = _base_url_link(entry, allowed)
            if link is not None:
                links.append(link)
    links.sort(key=lambda link: (link.range.start, link.range.end))
    return links


def _base_url_link(entry: Entry | None, allowed: Callable[[str], bool]) -> Link | None:
    if entry is None or entry.value_node is None:
        return None
    atom = entry.value_node.single
    if not isinstance(atom, Atom) or atom.kind != "string" or not isinstance(atom.value, str):
        return None
    url = atom.value.strip()
    if not url.lower().startswith(("http://", "https://")) or any(c in url for c in " \t\n{}"):
        return None
    try:
        if not allowed(url):
            return None
    except Exception:  # whatever the allow-list does, a failure means no
        return None
    return Link(atom.inner_range, url, "Open this Ollama server")
