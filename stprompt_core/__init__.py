"""STPrompt: weakly supervised video anomaly detection and localization with
spatio-temporal prompts (Wu et al., ACM MM 2024, arXiv 2408.05905).

The package holds the whole method; notebooks and the ``stprompt`` CLI are thin
drivers over the same functions.
"""

__version__ = "0.1.0"
