import socket

import pytest

from stprompt_core.classes import class_labels
from stprompt_core.prompts.backends import BackendError, BackendUnreachable, OpenAIBackend, StaticBackend, make_backend
from stprompt_core.prompts.bank import load_bank, load_curated_bank
from stprompt_core.prompts.generate import GenerationError, derive_seed, generate_bank
from stprompt_core.prompts.templates import GenerationTarget, completion_prompt


class ScriptedLLM:
    """An LLM backend whose output is a pure function of (target, seed)."""

    name = "scripted"
    template_id = "scripted-v1"

    def __init__(self, junk_for=()):
        self.junk_for, self.calls = set(junk_for), []

    def describe(self):
        return {"model": "scripted"}

    def complete(self, target, seed):
        self.calls.append((target.label, seed))
        if target.label in self.junk_for:
            return ["- Event: x\n- ???\n- " + "long " * 30]
        words = ["red", "blue", "green", "grey", "white", "black", "brown", "pink"]
        pick = [words[(seed + i) % len(words)] for i in range(4)]
        return [f"- a {w} thing about {target.name}" for w in pick] + ["- a red thing about " + target.name]


def test_static_backend_returns_the_curated_bank():
    bank, report = generate_bank("ucf_crime", make_backend("static"), progress=False)
    assert bank.to_dict() == load_curated_bank("ucf_crime").to_dict()
    assert report.kept["Abuse"] == 5


def test_generated_bank_is_valid_deterministic_and_has_provenance():
    a, report = generate_bank("synthvad", ScriptedLLM(), seed=3, n_normal=3, n_per_class=3, progress=False,
                              date="2026-11-26")
    b, _ = generate_bank("synthvad", ScriptedLLM(), seed=3, n_normal=3, n_per_class=3, progress=False,
                         date="2026-11-26")
    c, _ = generate_bank("synthvad", ScriptedLLM(), seed=4, n_normal=3, n_per_class=3, progress=False,
                         date="2026-11-26")
    assert a.to_dict() == b.to_dict()
    assert a.content() != c.content()
    assert list(a.abnormal) == class_labels("synthvad")[1:]
    assert all(len(v) == 3 for v in a.abnormal.values()) and len(a.normal) == 3
    prov = a.provenance
    assert (prov["kind"], prov["backend"], prov["model"], prov["template"], prov["seed"]) == \
        ("generated", "scripted", "scripted", "scripted-v1", 3)
    assert report.kept["fire"] == 3


def test_unusable_output_is_an_error_naming_the_target(caplog):
    llm = ScriptedLLM(junk_for={"crash"})
    with caplog.at_level("INFO", logger="stprompt_core.prompts.generate"):
        with pytest.raises(GenerationError, match=r"no usable prompt for abnormal target 'crash'.*echo"):
            generate_bank("synthvad", llm, n_normal=2, n_per_class=2, max_attempts=2, progress=False)
    assert sum(label == "crash" for label, _ in llm.calls) == 2  # retried with fresh seeds
    assert "rejected for crash" in caplog.text


def test_derived_seeds_are_stable_and_distinct():
    assert derive_seed(0, "fire", 0) == derive_seed(0, "fire", 0)
    assert len({derive_seed(0, "fire", 0), derive_seed(0, "fire", 1), derive_seed(0, "crash", 0),
                derive_seed(1, "fire", 0)}) == 4


def test_few_shot_examples_never_include_the_target_class():
    prompt = completion_prompt(GenerationTarget("abnormal", "Fighting", "fighting", "", 5))
    assert "Event: fighting\n-" in prompt and prompt.count("fighting") == 1
    assert prompt.endswith("\n-")


def test_openai_backend_against_loopback_stub(chat_stub, monkeypatch):
    monkeypatch.setenv("STUB_KEY", "sk-test")
    url = f"http://127.0.0.1:{chat_stub.server_port}/v1"
    backend = make_backend("openai", base_url=url, model="stub-model", api_key_env="STUB_KEY")
    bank, report = generate_bank("xd_violence", backend, seed=7, n_normal=4, n_per_class=4, progress=False,
                                 date="2026-11-26")
    assert len(bank.abnormal) == 6 and all(len(v) == 4 for v in bank.abnormal.values())
    assert "a person near fighting number two" in bank.abnormal["B1"]
    req = chat_stub.requests[1]
    assert req["path"] == "/v1/chat/completions" and req["auth"] == "Bearer sk-test"
    assert req["body"]["model"] == "stub-model" and isinstance(req["body"]["seed"], int)
    assert bank.provenance["endpoint"] == url + "/chat/completions"
    assert report.rejected_by_reason() == {"duplicate": 7, "echo": 7}


def test_openai_http_error_and_bad_payload(chat_stub):
    url = f"http://127.0.0.1:{chat_stub.server_port}/v1"
    backend = OpenAIBackend(url, "m", api_key_env="UNSET_KEY_FOR_TEST")
    target = GenerationTarget("abnormal", "B1", "fighting", "", 3)
    chat_stub.reply = lambda body: (401, {"error": "no key"})
    with pytest.raises(BackendError, match=r"HTTP 401 \(is \$UNSET_KEY_FOR_TEST set\?\)"):
        backend.complete(target, 0)
    chat_stub.reply = lambda body: (200, {"unexpected": True})
    with pytest.raises(BackendError, match="without choices"):
        backend.complete(target, 0)
    chat_stub.reply = lambda body: (200, {"choices": [{"message": {"content": ""}}]})
    with pytest.raises(GenerationError, match="empty output"):
        generate_bank("xd_violence", backend, n_normal=2, n_per_class=2, max_attempts=1, progress=False)


def test_unreachable_endpoint_is_a_clear_error():
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    backend = OpenAIBackend(f"http://127.0.0.1:{port}/v1", "m", timeout_s=2)
    with pytest.raises(BackendUnreachable, match=rf"cannot reach the OpenAI-compatible endpoint http://127.0.0.1:{port}"):
        generate_bank("synthvad", backend, progress=False)


def test_backend_factory_errors(tmp_path):
    with pytest.raises(BackendError, match="unknown prompt backend 'gpt'"):
        make_backend("gpt")
    with pytest.raises(BackendError, match="needs a base URL"):
        make_backend("openai", model="m")
    with pytest.raises(FileNotFoundError, match="prompt bank not found"):
        StaticBackend(tmp_path / "none.json").bank("synthvad")


def test_static_backend_with_a_given_file(tmp_path):
    load_curated_bank("shanghaitech").save(tmp_path / "s.json")
    bank, _ = generate_bank("shanghaitech", make_backend("static", bank=tmp_path / "s.json"), progress=False)
    assert bank.to_dict() == load_bank(tmp_path / "s.json").to_dict()


@pytest.mark.parametrize("model,message", [
    ("/nonexistent/model.gguf", "GGUF file not found"),
    ("no-such-org/no-such-model-xyz", "cannot load local model 'no-such-org/no-such-model-xyz'"),
])
def test_hf_local_missing_models_are_clear_errors(model, message, monkeypatch):
    pytest.importorskip("transformers")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(BackendError, match=message):
        make_backend("hf_local", model=model).describe()
