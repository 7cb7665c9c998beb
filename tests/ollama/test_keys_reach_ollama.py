"""Every key the schema knows reaches Ollama or says (in the text hover shows) that it does not.

The test walks language/schema.py: for each key of a model declaration, either the provider puts
it into the /api/chat request (in `options`, as a top-level field, or as a message) and the
stand-in records it there, or its documentation says "not sent to Ollama" / "not sent to the model
server". A key added to the schema without either fails here.
"""

from __future__ import annotations

import re

import pytest

from namel3ss_lsp.language import schema
from namel3ss_lsp.ollama import OllamaProvider
from namel3ss_lsp.ollama.provider import wire_location

NOT_SENT = re.compile(r"not sent to (ollama|the model server)", re.I)
SECTIONS = {
    "top": schema.TOP_KEYS,
    "config": schema.CONFIG_KEYS,
    "deployment_config": schema.DEPLOYMENT_KEYS,
    "llm": schema.LLM_EXTRA_KEYS,  # flat keys of an `llm`: the provider gets them with the config
}
STRUCTURE = {("top", "config"), ("top", "deployment_config")}  # sections: their keys are walked


def all_keys() -> list[tuple[str, str]]:
    return [(section, key) for section, table in SECTIONS.items() for key in table
            if (section, key) not in STRUCTURE]


def sample(section: str, spec: schema.KeySpec):
    """A value of the key's type, in its range, that differs from Ollama's usual default."""
    if (section, spec.name) == ("deployment_config", "num_gpu"):
        return 0  # the one value sent (see test_deployment_num_gpu_other_values_are_not_sent)
    special = {"format": "json", "think": True, "keep_alive": "10m", "system_prompt": "Be brief.",
               "system": "Be brief.", "model": "llama3:8b"}
    if spec.name in special:
        return special[spec.name]
    if spec.type == "float":
        low = spec.minimum if spec.minimum is not None else 0.0
        high = spec.maximum if spec.maximum is not None else low + 1.0
        return (low + high) / 2  # strictly inside the range
    if spec.type == "int":
        value = 3
        if spec.minimum is not None and value < spec.minimum:
            value = int(spec.minimum)
        if spec.maximum is not None and value > spec.maximum:
            value = int(spec.maximum)
        return value
    if spec.type == "bool":
        return True
    if spec.type == "list[string]":
        return ["END"]
    if spec.type == "duration":
        return "10m"
    return "x"


@pytest.mark.parametrize("section, key", all_keys())
def test_every_key_is_sent_or_documented_as_not_sent(section, key):
    spec = SECTIONS[section][key]
    where = wire_location("config" if section == "llm" else section, key)
    if where is None:
        assert NOT_SENT.search(spec.doc), (
            f"{section}.{key} is not sent to Ollama, and its documentation does not say so: {spec.doc!r}")
        assert NOT_SENT.search(spec.describe())  # what hover shows
    elif (section, key) != ("deployment_config", "num_gpu"):  # sent only as 0: documented both ways
        assert not NOT_SENT.search(spec.doc), f"{section}.{key} is sent, yet documented as not sent"


async def test_every_sent_key_arrives_where_it_belongs(standin, tools):
    standin.configure(model_details={"llama3:8b": {"capabilities": ["completion", "thinking"]}})
    checked = []
    for section, key in all_keys():
        where = wire_location("config" if section == "llm" else section, key)
        if where is None:
            continue
        spec = SECTIONS[section][key]
        value = sample(section, spec)
        config: dict = {"base_url": standin.url}
        model = "llama3:8b"
        if section == "deployment_config":
            config["deployment_config"] = {key: value}
        elif section == "top":
            model = value
        else:
            config[key] = value
        provider = OllamaProvider("keys", model, config, tools=tools)
        await provider.generate([{"role": "user", "content": "hi"}])
        body = standin.last_body("/api/chat")
        place, name = where
        expected = [value] if name == "stop" and isinstance(value, str) else value
        if place == "options":
            assert body.get("options", {}).get(name) == expected, (section, key, body)
        elif place == "body":
            assert body.get(name) == expected, (section, key, body)
        else:
            assert body["messages"][0] == {"role": "system", "content": value}, (section, key, body)
        checked.append(f"{section}.{key}")
    # the keys of the issue are among them
    assert {"config.format", "config.think", "config.num_gpu", "config.num_thread", "config.main_gpu",
            "config.use_mmap", "config.stop_sequences", "deployment_config.num_gpu",
            "deployment_config.gpu_layers", "llm.system_prompt"} <= set(checked)


@pytest.mark.parametrize("num_gpu", [1, 2, -1])
async def test_deployment_num_gpu_other_values_are_not_sent(standin, tools, num_gpu):
    provider = OllamaProvider("gpu", "llama3:8b", {"base_url": standin.url, "deployment_config": {"num_gpu": num_gpu}},
                              tools=tools)
    await provider.generate("hi")
    assert "num_gpu" not in (standin.last_body("/api/chat").get("options") or {})
    assert NOT_SENT.search(schema.DEPLOYMENT_KEYS["num_gpu"].doc)


async def test_layers_win_over_the_gpu_count(standin, tools):
    config = {"base_url": standin.url, "deployment_config": {"num_gpu": 0, "gpu_layers": 12}}
    await OllamaProvider("gpu", "llama3:8b", config, tools=tools).generate("hi")
    assert standin.last_body("/api/chat")["options"]["num_gpu"] == 12
    config = {"base_url": standin.url, "num_gpu": 7, "deployment_config": {"num_gpu": 0, "gpu_layers": 12}}
    await OllamaProvider("gpu", "llama3:8b", config, tools=tools).generate("hi")
    assert standin.last_body("/api/chat")["options"]["num_gpu"] == 7  # config num_gpu: Ollama's meaning


async def test_format_as_a_json_schema_and_think_levels(standin, tools):
    standin.configure(model_details={"llama3:8b": {"capabilities": ["completion", "thinking"]}})
    shape = {"type": "object", "properties": {"answer": {"type": "string"}}}
    await OllamaProvider("f", "llama3:8b", {"base_url": standin.url, "format": shape, "think": "low"},
                         tools=tools).generate("hi")
    body = standin.last_body("/api/chat")
    assert body["format"] == shape and body["think"] == "low"


async def test_think_on_a_model_that_cannot_think_is_ollamas_error(standin, tools):
    from namel3ss_lsp.ollama import OllamaError

    with pytest.raises(OllamaError) as info:
        await OllamaProvider("t", "mistral", {"base_url": standin.url, "think": True}, tools=tools).generate("hi")
    assert "does not support thinking" in info.value.description


async def test_system_prompt_does_not_replace_a_given_system_message(standin, tools):
    p = OllamaProvider("s", "llama3:8b", {"base_url": standin.url, "system_prompt": "From config."}, tools=tools)
    await p.generate([{"role": "system", "content": "Given."}, {"role": "user", "content": "hi"}])
    assert [m["content"] for m in standin.last_body("/api/chat")["messages"]] == ["Given.", "hi"]


async def test_client_keys_from_deployment_config(standin, tools):
    """The guide's local-model-chat example sets auto_pull_model in deployment_config."""
    p = OllamaProvider("d", "phi3:mini", {"base_url": standin.url, "deployment_config": {"auto_pull_model": False}},
                       tools=tools)
    assert p.auto_pull_model is False
