"""Prompt-generation settings with their defaults (the ``prompts`` section of the config to come).

Until ``stprompt_core.config`` has a ``prompts`` section these are passed explicitly
(``stprompt prompts`` fills them from its flags). Each default says where it comes from.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class PromptSettings:
    backend: str = "static"  # "static" (curated bank), "hf_local", "openai"
    model: str = ""  # hf_local: name/path ("" -> gemma3-270m); openai: served model name
    base_url: str = ""  # openai: endpoint base, e.g. http://127.0.0.1:8000/v1
    api_key_env: str = "OPENAI_API_KEY"  # openai: environment variable holding the key
    seed: int = 0  # bank seed; per-target seeds derive from it
    n_normal: int = 12  # background descriptions wanted (project default, ~ curated banks)
    n_per_class: int = 6  # event descriptions wanted per anomaly class (project default)
    max_words: int = 16  # longer items are rejected (CLIP's 77-token context; project default)
    max_attempts: int = 3  # calls per target before an empty target is an error
    temperature: float = 0.8  # sampling temperature of LLM backends (project default)
    max_new_tokens: int = 64  # hf_local: tokens per sample (~6-8 short bullets)
    samples: int = 4  # hf_local: sequences sampled per call (4 needs fewer calls than 2: measured)
    threads: int = 0  # hf_local: torch CPU threads while generating; 0 = torch default (1 on a busy CPU)
    timeout_s: float = 60.0  # openai: per request
    cache_dir: str = "cache/models"  # hf_local: assembled + converted offline model
