"""What a prompt backend is: the :class:`LLMBackend` protocol and the errors every backend raises.

The backends themselves live in :mod:`~stprompt_core.prompts.backends` (``static``,
``openai`` and the ``make_backend`` factory) and :mod:`~stprompt_core.prompts.hf_local`;
both import this module, so neither imports the other at load time.
"""

from __future__ import annotations

from typing import Any, Protocol

from stprompt_core.prompts.templates import GenerationTarget


class BackendError(RuntimeError):
    """A backend cannot be built or reached, or returned nothing usable; the message says which."""


class BackendUnreachable(BackendError):
    """The endpoint did not answer (refused, DNS failure, timeout)."""


class LLMBackend(Protocol):
    """What :func:`~stprompt_core.prompts.generate.generate_bank` needs from an LLM."""

    name: str
    template_id: str

    def describe(self) -> dict[str, Any]:
        """Provenance facts: ``model`` and whatever pins it (hash, URL)."""
        ...

    def complete(self, target: GenerationTarget, seed: int) -> list[str]:
        """Raw candidate texts for one target, one item per line."""
        ...
