"""Turn raw LLM output into clean, short, distinct prompt texts, and say what was dropped.

An LLM (a small base model above all) returns bullets, numbering, echoes of the template
("Event: arson"), run-on repetition, markup and duplicates. :func:`parse_items` keeps one
prompt per line after cleaning and rejects, with a reason each:

============  ===============================================================
``empty``     nothing left after stripping bullets, quotes and punctuation
``too long``  more than ``max_words`` words or ``max_chars`` characters
``too short`` fewer than ``min_words`` words
``markup``    code or markup characters, URLs
``echo``      a ``:`` (template echo such as ``Event: arson``) or a question
``not text``  under 80 % letters among its non-space characters
``repeats``   a word repeated three times running, or one word over half the words
``duplicate`` the same text (case, punctuation and leading article ignored) as one
              kept before, in this output or in ``seen``
============  ===============================================================

Parenthetical remarks ("a bench (town)") are cut before the checks. Parsing is a pure
function of its input, so the same raw text always gives the same items.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from stprompt_core.prompts.bank import MAX_PROMPT_CHARS

_BULLET = re.compile(r"^\s*(?:[-*\u2022\u2013]+|\(?\d{1,2}[.):]|[a-z][.)])\s*")
_MARKUP = re.compile(r"[{}<>\[\]|=_#@*/\\^~`$]|https?\b|www\.")
_ARTICLE = re.compile(r"^(?:a|an|the)\s+")
_PAREN = re.compile(r"\s*\([^()]*\)")


@dataclass
class ParseResult:
    """Kept items in output order, and ``(text, reason)`` for every rejected line."""

    items: list[str] = field(default_factory=list)
    rejected: list[tuple[str, str]] = field(default_factory=list)


def dedupe_key(text: str) -> str:
    """Comparison key: lower case, letters and digits only, no leading article."""
    key = " ".join(re.sub(r"[^0-9a-z]+", " ", text.lower()).split())
    return _ARTICLE.sub("", key)


def clean_item(line: str) -> str:
    """Strip a bullet or number, parenthetical remarks, quotes, trailing punctuation and extra
    spaces; lower-case the first letter unless the first word is an acronym."""
    text = _PAREN.sub("", _BULLET.sub("", line.strip()))
    text = text.strip(" \t\"'\u201c\u201d\u2018\u2019")
    text = " ".join(text.split()).rstrip(" .,;!")
    first = text.split()[0] if text else ""
    if len(text) > 1 and text[0].isupper() and not (len(first) > 1 and first.isupper()):
        text = text[0].lower() + text[1:]
    return text


def truncate_at(raw: str, stops: tuple[str, ...]) -> str:
    """Cut ``raw`` at the first occurrence of any stop string."""
    cut = len(raw)
    for stop in stops:
        i = raw.find(stop)
        if i >= 0:
            cut = min(cut, i)
    return raw[:cut]


def parse_items(raw: str, *, max_words: int = 16, min_words: int = 2, max_chars: int = MAX_PROMPT_CHARS,
                seen: set[str] | None = None, limit: int | None = None) -> ParseResult:
    """Parse one LLM output into prompt texts.

    Args:
        raw: the generated text, one candidate per line.
        max_words, min_words, max_chars: length limits (a longer item is rejected, not cut:
            a description cut mid-phrase is junk).
        seen: dedupe keys already taken (e.g. items of earlier samples); updated in place.
        limit: stop after this many kept items (later lines are neither kept nor rejected).

    Returns:
        The kept items and the rejected lines with their reasons.
    """
    seen = seen if seen is not None else set()
    out = ParseResult()
    for line in raw.splitlines():
        if limit is not None and len(out.items) >= limit:
            break
        if not line.strip():
            continue
        text = clean_item(line)
        reason = _reject_reason(text, max_words, min_words, max_chars)
        if reason is None:
            key = dedupe_key(text)
            if key in seen:
                reason = "duplicate"
            else:
                seen.add(key)
                out.items.append(text)
                continue
        out.rejected.append((line.strip(), reason))
    return out


def _reject_reason(text: str, max_words: int, min_words: int, max_chars: int) -> str | None:
    if not text:
        return "empty"
    words = text.split()
    if len(words) > max_words or len(text) > max_chars:
        return "too long"
    if len(words) < min_words:
        return "too short"
    if _MARKUP.search(text.lower()):
        return "markup"
    if ":" in text or "?" in text:
        return "echo"
    chars = [c for c in text if not c.isspace()]
    if sum(c.isalpha() for c in chars) < 0.8 * len(chars):
        return "not text"
    lowered = [w.lower() for w in words]
    if any(lowered[i] == lowered[i + 1] == lowered[i + 2] for i in range(len(lowered) - 2)):
        return "repeats"
    if len(lowered) >= 4 and max(lowered.count(w) for w in set(lowered)) > len(lowered) / 2:
        return "repeats"
    return None
