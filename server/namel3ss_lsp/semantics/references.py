"""Which keys refer to which kinds of declaration: the reference table.

Derived from the real corpus (tests/corpus): every `key: value` whose value named a declaration
somewhere in the corpus was counted by (enclosing declaration, key, kind of what it named), and
the table keeps the pairs that always or nearly always named a declaration. README.md lists it.

A rule is *strict* when its values are always names (`tools: [search_web]`): an unknown name is
reported whether quoted or bare. A *soft* rule's key also takes free text (`prompt: "Summarise
this"`, `source: "users.csv"`): a value is a reference when a declaration of that name exists, and
an unknown one is reported only when it is a bare word (free text would be quoted).

Only identifier-like values are names: `$input`, `env.KEY`, `{{var}}` and text with spaces are not.
A model declaration's own `model:` is an Ollama (or cloud) model id, never a reference.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MODEL_KINDS = frozenset({"llm", "ai model"})
# Values with a meaning of their own where a name is expected.
MEMORY_POLICIES = frozenset({"conversation_window", "full_history", "summary", "none"})
GRAPH_ENDS = frozenset({"end", "END", "start", "START"})
# `model:` names a model declaration only inside these (elsewhere it is a model id or free text).
_MODEL_USERS = frozenset({"prompt", "chain", "step", "agent", "app", "planner", "graph", "workflow", "planning_workflow"})
# A chain step's `kind:` says what its `target:` names.
STEP_KINDS = {
    "prompt": frozenset({"prompt"}),
    "tool": frozenset({"tool"}),
    "agent": frozenset({"agent"}),
    "chain": frozenset({"chain"}),
    "planner": frozenset({"planner", "planning_workflow"}),
    "planning_workflow": frozenset({"planning_workflow", "planner"}),
    "llm": MODEL_KINDS,
    "rag": frozenset({"rag_pipeline"}),
    "rag_pipeline": frozenset({"rag_pipeline"}),
}

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def is_identifier(text: str) -> bool:
    """A name as declarations and references spell it (what a rename may produce)."""
    return _IDENTIFIER.fullmatch(text) is not None


@dataclass(frozen=True)
class ReferenceRule:
    kinds: frozenset[str] | None  # declaration keywords the value may name; None: any kind
    strict: bool  # unknown names are reported, quoted or bare
    contexts: frozenset[str] | None = None  # enclosing declaration keywords where it applies; None: all
    not_in: frozenset[str] = frozenset()  # enclosing declaration keywords where it does not
    excluded: frozenset[str] = frozenset()  # values that are not names here

    def applies_in(self, context: str | None) -> bool:
        if context in self.not_in:
            return False
        return self.contexts is None or context in self.contexts


def _rule(kinds, strict: bool, **kw) -> ReferenceRule:
    return ReferenceRule(frozenset(kinds) if kinds is not None else None, strict, **kw)


_TOOL = _rule({"tool"}, True)
_AGENT = _rule({"agent"}, True, excluded=GRAPH_ENDS)
_DATASET = _rule({"dataset"}, True)
_MEMORY = _rule({"memory"}, True, excluded=MEMORY_POLICIES)

RULES: dict[str, ReferenceRule] = {
    "llm": _rule(MODEL_KINDS, True, not_in=MODEL_KINDS),
    "model": _rule(MODEL_KINDS, False, contexts=_MODEL_USERS),
    "extends": _rule(MODEL_KINDS, True, contexts=MODEL_KINDS),
    "tools": _TOOL, "tool": _TOOL, "action_tools": _TOOL, "allowed_tools": _TOOL,
    "memory": _MEMORY, "memories": _MEMORY,
    "agents": _AGENT, "agent": _AGENT, "from_agent": _AGENT, "to_agent": _AGENT,
    "start": _rule({"agent"}, True, contexts=frozenset({"graph"}), excluded=GRAPH_ENDS),
    "termination": _rule({"agent"}, True, contexts=frozenset({"graph"}), excluded=GRAPH_ENDS),
    "dataset": _DATASET, "datasets": _DATASET, "source_dataset": _DATASET,
    "source": _rule({"dataset", "memory"}, False),
    "data_source": _rule({"dataset", "memory"}, False),
    "system_prompt": _rule({"prompt"}, False),
    "prompt": _rule({"prompt"}, False),
    "index": _rule({"index"}, False),
    "indices": _rule({"index"}, False),
    "rag": _rule({"rag_pipeline"}, False),
    "planner": _rule({"planner", "planning_workflow"}, False),
    "handler": _rule({"chain", "fn", "tool", "planning_workflow"}, False),
    "chain": _rule({"chain", "rag_pipeline"}, False),
    "target": _rule(None, False),  # narrowed by the step's `kind:` (see reference_rule)
}


def reference_rule(key: str, context: str | None, step_kind: str | None = None) -> ReferenceRule | None:
    """The rule for `key: value` inside a declaration of keyword `context`, or None when the value
    is not a reference there. `step_kind` is the `kind:` of the same map (chain steps)."""
    rule = RULES.get(key)
    if rule is None or not rule.applies_in(context):
        return None
    if key == "target" and step_kind is not None:
        kinds = STEP_KINDS.get(step_kind.lower())
        if kinds is not None:
            return ReferenceRule(kinds, False)
    return rule


def kind_group(kind: str) -> str:
    """Kinds that share one namespace: `ai model` and `llm` are both models."""
    return "model" if kind in MODEL_KINDS else kind
