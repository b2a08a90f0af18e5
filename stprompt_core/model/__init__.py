"""The STPrompt temporal detector, one file per concept; composed in ``stprompt.py``."""
