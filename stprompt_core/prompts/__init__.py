"""Prompt banks for training-free localization: schema, curated banks, LLM generation.

- :mod:`~stprompt_core.prompts.bank`: the bank format, load / validate / save.
- :mod:`~stprompt_core.prompts.generate`: build a bank with a backend.
- :mod:`~stprompt_core.prompts.backends`: ``static``, ``openai`` (and ``hf_local`` in
  :mod:`~stprompt_core.prompts.hf_local`), all keeping :mod:`~stprompt_core.prompts.protocol`.
- :mod:`~stprompt_core.prompts.parse`: cleaning and rejecting generated lines.
"""

from stprompt_core.prompts.backends import BackendError, BackendUnreachable, make_backend
from stprompt_core.prompts.bank import (BankError, PromptBank, curated_bank_path, load_bank, load_curated_bank,
                                        validate_bank)
from stprompt_core.prompts.generate import GenerationError, GenerationReport, generate_bank

__all__ = ["BackendError", "BackendUnreachable", "BankError", "GenerationError", "GenerationReport", "PromptBank",
           "curated_bank_path", "generate_bank", "load_bank", "load_curated_bank", "make_backend",
           "validate_bank"]
