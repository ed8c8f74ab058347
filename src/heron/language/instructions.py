"""Natural-language command handling that needs no model: splitting compound commands.

"pick up the red block, then put it in the bowl" -> ["pick up the red block", "put the red block in the bowl"]
"""

from __future__ import annotations

import re

# Separators between sub-commands, most specific first.
_SPLIT = re.compile(r"\s*(?:,\s*and\s+then|,\s*then|\band\s+then\b|\bthen\b|;|\.(?=\s+\w)|,\s*after\s+that|\bafter\s+that\b|,\s*and\s+(?=[a-z]+\s+the\b))\s*", re.I)
_OBJECT = re.compile(r"\b(the\s+)?(red|green|blue|yellow)(\s+(block|cube|one|box))?\b", re.I)
_PRONOUN = re.compile(r"\b(it|that one|that block|that cube)\b", re.I)


def split_compound(text: str) -> list[str]:
    """Split a compound command into sub-instructions, resolving "it" to the last named block."""
    parts = [p.strip(" ,.;") for p in _SPLIT.split(text.strip())]
    parts = [p for p in parts if p]
    out, last_object = [], None
    for part in parts:
        if last_object and _PRONOUN.search(part):
            part = _PRONOUN.sub(f"the {last_object} block", part, count=1)
        named = _OBJECT.findall(part)
        if named:
            last_object = named[0][1].lower()
        out.append(part)
    return out
