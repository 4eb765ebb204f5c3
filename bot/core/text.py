"""Facts about text that came from outside the bot (pure)."""
from __future__ import annotations

import unicodedata

#: Control, format (zero-width, direction overrides) and broken surrogate characters: they hide text or
#: reorder it on screen.
HIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Cs"})


def is_hidden(char: str) -> bool:
    """True for a character that shows nothing, or changes how the text around it shows."""
    return unicodedata.category(char) in HIDDEN_CATEGORIES


def has_hidden(text: str) -> bool:
    """True when ``text`` holds control, format (e.g. direction overrides) or broken surrogate characters."""
    return any(is_hidden(char) for char in text)
