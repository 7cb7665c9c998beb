"""The semantic layer and the IDE functions in-process: tables of multi-file fixtures with a `$0`
cursor, as rust-analyzer tests its `ide` crate."""

from __future__ import annotations

import pytest

from namel3ss_lsp.ide import navigation
from namel3ss_lsp.ide.reference_checks import reference_diagnostics
from namel3ss_lsp.language import analyze
from namel3ss_lsp.language.types import Position
from namel3ss_lsp.semantics import WorkspaceIndex, summarize
from tests.conftest import corpus_files


def workspace(files: dict[str, str]) -> tuple[WorkspaceIndex, str | None, Position | None]:
    """Index `files` (name -> text); the one holding `$0` gives the cursor (removed)."""
    index = WorkspaceIndex()
    cursor_uri = cursor = None
    for name, text in files.items():
        uri = f"file:///ws/{name}"
        if "$0" in text:
            offset = text.index("$0")
            text = text.replace("$0", "")
            before = text[:offset]
            cursor_uri, cursor = uri, Position(before.count("\n"), offset - (before.rfind("\n") + 1))
        index.set_file(summarize(uri, analyze(text)))
    return index, cursor_uri, cursor


MODELS = 'llm fast_llm {\n    provider: ollama\n    model: llama3:8b\n}\n\nllm "gpt4" {\n    provider: "openai"\n}\n'
TOOLS = 'tool "search_web" {\n    description: "x"\n}\nmemory history {\n    kind: "buffer"\n}\n'


@pytest.mark.parametrize(
    "text, expected",
    [
        ('agent a {\n    llm: fast$0_llm\n}\n', [("models.ai", 0)]),
        ('agent a {\n    llm: "gp$0t4"\n}\n', [("models.ai", 5)]),
        ('agent a {\n    tools: [x, "search$0_web"]\n}\n', [("tools.ai", 0)]),
        ('agent a {\n    memory: hist$0ory\n}\n', [("tools.ai", 3)]),
        ('prompt p {\n    model: fast$0_llm\n}\n', [("models.ai", 0)]),
        ('graph g {\n    edges: [{ from_agent: "a$0", to_agent: "end" }]\n}\nagent a {\n}\n', [("main.ai", 3)]),
        ('chain c {\n    steps: [{ kind: "tool", target: "search$0_web" }]\n}\n', [("tools.ai", 0)]),
        # a model declaration's own `model:` is a model id, not a reference
        ('llm x {\n    provider: ollama\n    model: fast$0_llm\n}\n', []),
        # a key is not a reference
        ('agent a {\n    ll$0m: fast_llm\n}\n', []),
    ],
)
def test_definition(text, expected):
    index, uri, cursor = workspace({"models.ai": MODELS, "tools.ai": TOOLS, "main.ai": text})
    found = navigation.definition(index, uri, cursor)
    assert [(d.uri.rsplit("/", 1)[-1], d.selection_range.start.line) for d in found] == expected


def test_unknown_references_strict_and_soft():
    text = (
        'agent a {\n    tools: ["serch_web"]\n    memory: "conversation_window"\n    system_prompt: "You are kind."\n'
        '    prompt: undeclared_prompt\n    source: "users.csv"\n}\n'
    )
    index, _, _ = workspace({"tools.ai": TOOLS, "main.ai": text})
    diags = reference_diagnostics(index, "file:///ws/main.ai")
    messages = sorted(d.message for d in diags)
    assert len(messages) == 2, messages
    assert "unknown tool 'serch_web'" in messages[1] and "did you mean 'search_web'?" in messages[1]
    assert "unknown prompt 'undeclared_prompt'" in messages[0]  # soft key, bare word: a reference
    assert {d.data["replacement"] for d in diags} == {"search_web", None}


def test_conflicts_only_between_shared_modules():
    index, _, _ = workspace({
        "a.ai": TOOLS,
        "b.ai": 'tool search_web {\n}\n',
        "app1.ai": 'app "One"\nllm fast_llm {\n    provider: "openai"\n}\n',
        "app2.ai": 'app "Two"\nllm fast_llm {\n    provider: "openai"\n}\n',
    })
    dup = reference_diagnostics(index, "file:///ws/b.ai")
    assert [d.code for d in dup] == ["duplicate-declaration"] and dup[0].related[0][0] == "file:///ws/a.ai"
    assert reference_diagnostics(index, "file:///ws/app1.ai") == []


def test_many_duplicates_list_a_bounded_number_of_related_places():
    many = 'tool t {\n    description: "x"\n}\n' * 30
    index, _, _ = workspace({"a.ai": many, "b.ai": many})
    dup = [d for d in reference_diagnostics(index, "file:///ws/b.ai") if d.code == "duplicate-declaration"]
    assert len(dup) == 30  # each declaration still gets its diagnostic
    for d in dup:
        assert len(d.related) == 20 and {uri for uri, _, _ in d.related} == {"file:///ws/a.ai"}
        assert "30 declarations in other files, the first 20 listed" in d.message


def test_rename_keeps_style_and_refuses_conflicts():
    index, uri, cursor = workspace({"models.ai": MODELS, "main.ai": 'agent a {\n    llm: "gpt$04"\n}\nagent b {\n    llm: fast_llm\n}\n'})
    edits = navigation.rename(index, uri, cursor, "gpt5")
    assert {u.rsplit("/", 1)[-1]: [(r.start.line, r.start.character, r.end.character) for r, _ in e] for u, e in edits.items()} == {
        "models.ai": [(5, 5, 9)],  # inside the quotes of `llm "gpt4"`
        "main.ai": [(1, 10, 14)],
    }
    with pytest.raises(navigation.RenameError, match="already exists"):
        navigation.rename(index, uri, cursor, "fast_llm")
    with pytest.raises(navigation.RenameError, match="not a valid name"):
        navigation.rename(index, uri, cursor, "9lives")


def test_index_updates_report_changed_names():
    index = WorkspaceIndex()
    assert index.set_file(summarize("file:///a.ai", analyze(TOOLS))) == {"search_web", "history"}
    # a body edit changes no name
    assert index.set_file(summarize("file:///a.ai", analyze(TOOLS.replace('"x"', '"y"')))) == set()
    assert index.set_file(summarize("file:///a.ai", analyze(TOOLS.replace("search_web", "find_web")))) == {"search_web", "find_web"}
    assert index.remove_file("file:///a.ai") == {"find_web", "history"}
    assert len(index) == 0


def test_the_corpus_has_no_unknown_reference_and_every_reference_kind_exists():
    index = WorkspaceIndex()
    for path in corpus_files():
        if "invalid" not in path.parts:
            index.set_file(summarize(path.as_uri(), analyze(path.read_text(encoding="utf-8"))))
    unknown = [(f.uri, d.message) for f in index.files() for d in reference_diagnostics(index, f.uri) if d.code == "unknown-reference"]
    assert unknown == []
    resolved = sum(1 for f in index.files() for r in f.references if index.resolve(r))
    assert resolved >= 200  # the table really finds the corpus' references


def test_each_app_resolves_to_its_own_declarations():
    app = 'app "{n}"\nllm gpt4 {{\n    provider: "openai"\n}}\nagent a {{\n    llm: gpt4\n}}\n'
    index, _, _ = workspace({"one.ai": app.format(n="One"), "two.ai": app.format(n="Two"), "shared.ai": 'agent s {\n    llm: gpt4\n}\n'})
    one, two = "file:///ws/one.ai", "file:///ws/two.ai"
    found = navigation.definition(index, one, Position(5, 10))
    assert [d.uri for d in found] == [one]
    refs = navigation.references(index, one, Position(1, 5), include_declaration=False)
    # its own reference, and the shared module's (which, with no module declaring gpt4, may mean any)
    assert sorted(r.uri for r in refs) == [one, "file:///ws/shared.ai"]
    edits = navigation.rename(index, two, Position(5, 10), "gpt5")
    assert sorted(edits) == ["file:///ws/shared.ai", two]


class CountingIndex(WorkspaceIndex):
    def __init__(self) -> None:
        super().__init__()
        self.lookups = 0

    def declarations_named(self, *args, **kwargs):
        self.lookups += 1
        return super().declarations_named(*args, **kwargs)


def test_model_target_follows_extends_without_walking_every_path():
    index = CountingIndex()
    chain = ('ai model base {\n    provider: ollama\n    model: llama3:8b\n}\n'
             'ai model middle {\n    extends: base\n}\nai model top {\n    extends: middle\n}\n')
    index.set_file(summarize("file:///ws/chain.ai", analyze(chain)))
    top = index.declarations_named("top")[0]
    assert index.model_target(top).name == "base"
    # four declarations called `a`, each extending `a`: a cycle that once took 4^8 lookups
    cycle = "ai model a {\n    extends: a\n}\n" * 4 + "agent x {\n    llm: a\n}\n"
    index.set_file(summarize("file:///ws/cycle.ai", analyze(cycle)))
    index.lookups = 0
    assert index.model_target(index.declarations_named("a")[0]) is None
    assert index.lookups <= 4 * 8  # each at most once a level (all paths: 4^8 = 65,536)


def _target_by_every_path(index: WorkspaceIndex, decl, depth: int = 0):
    """The definition of `model_target`: depth first, each parent's line before the next's."""
    from namel3ss_lsp.semantics.index import MAX_EXTENDS, MODEL_KINDS

    if decl.provider == "ollama" and decl.model:
        return decl
    if not decl.extends or depth >= MAX_EXTENDS:
        return None
    for parent in index.declarations_named(decl.extends, MODEL_KINDS, prefer=decl.uri):
        found = _target_by_every_path(index, parent, depth + 1)
        if found is not None:
            return found
    return None


def test_model_target_follows_the_definition_on_random_workspaces():
    import random

    rng = random.Random(8)
    for _ in range(150):
        index = WorkspaceIndex()
        for f in range(rng.randint(1, 3)):
            blocks = []
            for _ in range(rng.randint(1, 5)):
                lines = [f"    extends: m{rng.randint(0, 3)}"] if rng.random() < 0.7 else []
                if rng.random() < 0.3:
                    lines += ["    provider: ollama", f"    model: llama{rng.randint(0, 9)}"]
                blocks.append(f"{rng.choice(['llm', 'ai model'])} m{rng.randint(0, 3)} {{\n" + "\n".join(lines) + "\n}\n")
            index.set_file(summarize(f"file:///ws/f{f}.ai", analyze("".join(blocks))))
        for decl in index.declarations():
            assert index.model_target(decl) is _target_by_every_path(index, decl)


def test_model_target_through_thousands_of_same_named_declarations():
    """3,000 `llm m { extends: m }` (69 KB): asking what one ends in took 40 s of the event loop
    (an inlay hint, a hover) when each declaration was followed once a level."""
    index = CountingIndex()
    index.set_file(summarize("file:///ws/same.ai", analyze("llm m {\n    extends: m\n}\n" * 3000)))
    first = index.declarations_named("m")[0]
    index.lookups = 0
    assert index.model_target(first) is None
    assert index.lookups <= 8


def test_names_are_listed_once_until_declarations_change():
    """Each file's unknown references look for close names among every declared name: listed
    once per kinds (42 ms for 90,000 declarations, per file diagnosed), again only when a name
    comes or goes."""
    index, _, _ = workspace({"tools.ai": TOOLS, "models.ai": MODELS})
    tools = index.names(frozenset({"tool"}))
    assert tools == ["search_web"] and index.names(frozenset({"tool"})) is tools
    assert index.names(frozenset({"llm", "ai model"})) == ["fast_llm", "gpt4"]
    index.set_file(summarize("file:///ws/tools.ai", analyze(TOOLS + "\n\n")))  # same names, moved
    assert index.names(frozenset({"tool"})) is tools
    index.set_file(summarize("file:///ws/more.ai", analyze('tool fetch_page {\n    description: "y"\n}\n')))
    assert index.names(frozenset({"tool"})) == ["fetch_page", "search_web"]
    index.remove_file("file:///ws/more.ai")
    assert index.names(frozenset({"tool"})) == ["search_web"]


def test_close_names_among_very_many_compare_those_with_the_same_start():
    from namel3ss_lsp.ide.reference_checks import CLOSE_SCAN, close_name

    few = ["search_web", "summarize"]
    assert close_name("serch_web", few) == "search_web" and close_name("zzz", few) is None
    many = sorted([f"tool_{i:05d}" for i in range(90_000)] + ["search_web", "xsearch_web"])
    assert len(many) > CLOSE_SCAN
    assert close_name("search_wbe", many) == "search_web"
    assert close_name("tool_00999x", many) == "tool_00999"
    # beyond the first CLOSE_SCAN names with its start, a close name is not looked for: a typo
    # in the first three characters ("xsearch_web") is the price of a bounded search
    assert close_name("ysearch_web", many) is None
    assert close_name("ysearch_web", ["xsearch_web"]) == "xsearch_web"


def test_many_references_to_one_name_are_resolved_once():
    """2,000 agents `a`, each with `llm: a` (no model `a`): 2,000 warnings, but the name is looked up
    a few times, not once per reference over all 2,000 declarations (4.4 s for 3,000 of them); the
    inlay hints of those references likewise."""
    from namel3ss_lsp.ide.inlay_hints import inlay_hints

    index = CountingIndex()
    n = 2000
    analysis = analyze("agent a {\n    llm: a\n}\n" * n + "ai model base {\n    provider: ollama\n    model: llama3:8b\n}\n"
                       + "agent b {\n    llm: base\n}\n" * n)
    summary = summarize("file:///ws/agents.ai", analysis)
    index.set_file(summary)
    index.lookups = 0
    diags = reference_diagnostics(index, "file:///ws/agents.ai")
    unknown = [d for d in diags if d.code == "unknown-reference"]
    assert len(unknown) == n and {d.message for d in unknown} == {"unknown model 'a': no file of the workspace declares it ('a' is a agent, not a model)"}
    assert index.lookups <= 4
    index.lookups = 0
    hints = inlay_hints(analysis, summary, index, lambda model, options: None, lambda md: {}, model_facts=False)
    assert len(hints) == n and {h.label for h in hints} == {" → llama3:8b"}
    assert index.lookups <= 4


@pytest.mark.parametrize("text", ["agent a {\n    {x}: 1\n}\n", 'prompt p {\n    template: "{{msg.role}}: {{msg.content}}"\n    {{msg.role}}: 2\n}\n']
                         + [path.read_text(encoding="utf-8", errors="replace") for path in corpus_files()[:40]])
def test_semantic_tokens_never_overlap(text):
    from namel3ss_lsp.ide.semantic_tokens import tokens

    analysis = analyze(text)
    items = tokens(analysis, summarize("file:///ws/t.ai", analysis))
    for before, after in zip(items, items[1:]):
        assert (before[0], before[1]) < (after[0], after[1])
        assert before[0] < after[0] or before[1] + before[2] <= after[1], (before, after)


@pytest.mark.parametrize("path", corpus_files()[:45], ids=lambda p: p.name)
def test_semantic_tokens_of_a_window_are_the_file_tokens_it_touches(path):
    """A range request gives exactly the whole file's tokens that touch the range (it only skips,
    by offset, the nodes outside it before making their ranges)."""
    import random

    from namel3ss_lsp.ide.semantic_tokens import tokens
    from namel3ss_lsp.language.types import Range

    text = path.read_text(encoding="utf-8", errors="replace")
    analysis = analyze(text)
    summary = summarize("file:///ws/t.ai", analysis)
    everything = tokens(analysis, summary)
    lines = text.split("\n")
    rng = random.Random(path.name)
    for _ in range(6):
        a, b = sorted(rng.randrange(len(lines)) for _ in range(2))
        window = Range(Position(a, rng.randrange(len(lines[a]) + 2)), Position(b, rng.randrange(len(lines[b]) + 2)))
        if window.end < window.start:
            window = Range(window.end, window.start)
        touching = [t for t in everything
                    if not (Position(t[0], t[1] + t[2]) < window.start or Position(t[0], t[1]) > window.end)]
        assert tokens(analysis, summary, window) == touching, window


def test_semantic_tokens_of_a_window_make_ranges_for_the_window_only():
    """100 lines of a 40,000-line file: positions are computed for those lines' nodes, not for every
    node of the file (the range request took as long as the whole file)."""
    from namel3ss_lsp.ide.semantic_tokens import tokens
    from namel3ss_lsp.language.positions import LineIndex
    from namel3ss_lsp.language.types import Range

    text = "tool t {\n    description: \"x\"\n}\n" + "agent a {\n    tools: [t, t, t]\n    llm: t\n}\n" * 10_000
    analysis = analyze(text)
    summary = summarize("file:///ws/t.ai", analysis)
    calls = []

    class CountingLineIndex(LineIndex):
        __slots__ = ()

        def position(self, offset: int) -> Position:
            calls.append(offset)
            return super().position(offset)

    analysis.line_index.__class__ = CountingLineIndex  # the nodes' `doc.index` is the same object
    window = Range(Position(100, 0), Position(200, 0))
    assert len(tokens(analysis, summary, window)) == 200 and calls  # 25 agents of 8 tokens
    assert len(calls) < 2_000  # the whole file: over 300,000


def test_replacing_a_file_removes_its_entries_once_per_name():
    """3,000 `agent a` with `llm: m` in each of two files: replacing one file's summary filters each
    name's table once, not once per declaration (0.33 s of the event loop per keystroke)."""
    text = "agent a {\n    llm: m\n}\n" * 3000

    class CountingRemovals(WorkspaceIndex):
        removals = 0

        @staticmethod
        def _remove(table, name, uri):
            CountingRemovals.removals += 1
            WorkspaceIndex._remove(table, name, uri)

    index = CountingRemovals()
    index.set_file(summarize("file:///ws/x.ai", analyze(text)))
    index.set_file(summarize("file:///ws/y.ai", analyze(text)))
    CountingRemovals.removals = 0
    index.set_file(summarize("file:///ws/x.ai", analyze(text + "\n")))
    assert CountingRemovals.removals <= 4
    assert len(index.declarations_named("a")) == 6000
    assert index.referring_files({"m"}) == {"file:///ws/x.ai", "file:///ws/y.ai"}
    index.remove_file("file:///ws/y.ai")
    assert {d.uri for d in index.declarations_named("a")} == {"file:///ws/x.ai"}
