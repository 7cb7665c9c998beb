"""A big answer is decoded in steps (the interpreter lock is let go between elements) and must give
exactly what `json.loads` gives, or the same error."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from namel3ss_lsp.ollama.cache import freeze, refreeze
from namel3ss_lsp.ollama.client import loads_in_steps

values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4),
    max_leaves=12,
)


@settings(max_examples=200, deadline=None)
@given(models=st.lists(values, max_size=6), extra=st.dictionaries(st.text(max_size=6), values, max_size=3),
       pretty=st.booleans(), key=st.sampled_from(["models", "tags"]))
def test_decoded_in_steps_equals_json_loads(models, extra, pretty, key):
    extra.pop(key, None)
    body = json.dumps({key: models, **extra}, indent=2 if pretty else None).encode()
    assert loads_in_steps(body) == json.loads(body)


@pytest.mark.parametrize("body", [
    b'{"models":[1,2', b'{"models":[1 2]}', b'{"models":[1,]}', b'{"models":[]', b'{"models":[1]}x', b'\xff',
])
def test_a_broken_answer_raises_as_json_loads_does(body):
    with pytest.raises(ValueError):
        json.loads(body)
    with pytest.raises(ValueError):
        loads_in_steps(body)


def test_a_big_list_frozen_off_the_loop_keeps_the_stored_list_when_equal():
    models = [{"name": f"m{i}:latest", "size": i} for i in range(3000)]
    old = freeze(models)
    assert refreeze([dict(m) for m in models], old) is old
    changed = [dict(m) for m in models]
    changed[5] = {"name": "m5:latest", "size": -1}
    new = refreeze(changed, old)
    assert new is not old and new[4] is old[4] and new[5]["size"] == -1
    # compared a slice at a time: a change in the last slice, or one entry fewer, is seen too
    changed = [dict(m) for m in models]
    changed[-1] = {"name": "m2999:latest", "size": -1}
    assert refreeze(changed, old)[-1]["size"] == -1
    assert len(refreeze([dict(m) for m in models[:-1]], old)) == 2999


def test_an_entry_holding_garbage_nested_deep_is_cut_not_a_crash():
    """A broken server's entry with a value nested thousands deep: freezing it recursed into
    RecursionError, and so would comparing it or sending it to the editor as JSON."""
    from namel3ss_lsp.ollama.cache import FREEZE_DEPTH

    deep: list = []
    inner = deep
    for _ in range(5_000):
        inner.append([])
        inner = inner[0]
    models = [{"name": "llama3:8b", "size": 1, "details": {"family": "llama", "x": deep}}]
    frozen = freeze(models)
    assert frozen[0]["name"] == "llama3:8b" and frozen[0]["details"]["family"] == "llama"
    depth, value = 0, frozen[0]["details"]["x"]
    while isinstance(value, list) and value:
        depth, value = depth + 1, value[0]
    assert value is None and depth <= FREEZE_DEPTH
    json.dumps(frozen)
    assert refreeze([dict(m) for m in models], frozen)[0]["name"] == "llama3:8b"
