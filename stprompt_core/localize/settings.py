"""LocalizeSettings: the ``localize`` section of the project config (``stprompt_core.config.LocalizeConfig``).

Defined once in ``stprompt_core.config``; this alias keeps the name the
localization code uses.
"""

from stprompt_core.config import LocalizeConfig as LocalizeSettings

__all__ = ["LocalizeSettings"]
