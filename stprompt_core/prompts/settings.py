"""PromptSettings: the ``prompts`` section of the project config (``stprompt_core.config.PromptsConfig``).

Defined once in ``stprompt_core.config``; this alias keeps the name the
prompt-generation code uses.
"""

from stprompt_core.config import PromptsConfig as PromptSettings

__all__ = ["PromptSettings"]
