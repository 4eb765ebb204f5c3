"""Make text that came from outside the bot safe to put in a Mattermost Markdown message (pure)."""
from __future__ import annotations

import re
import unicodedata
from itertools import islice

from bot.core.text import is_hidden

_UNSAFE = re.compile(r"[^\w .,/()+-]")
#: ``www.`` starts a link in Mattermost's Markdown even without a scheme.
_WWW = re.compile(r"(www)\.", re.IGNORECASE)
_UNPRINTABLE = "\N{REPLACEMENT CHARACTER}"


def code(text: str, limit: int = 40) -> str:
    """``text`` as inline code that cannot break out, hide text or span lines, cut to ``limit`` characters."""
    visible = (" " if char.isspace() else char for char in text if char != "`" and not is_hidden(char))
    shown = " ".join("".join(islice(visible, 4 * limit + 1)).split())
    if len(shown) > limit:
        shown = shown[: limit - 1] + "\N{HORIZONTAL ELLIPSIS}"
    return f"`{shown or _UNPRINTABLE}`"


def inert(text: str, limit: int = 40) -> str:
    """``text`` reduced to letters, digits, spaces and ``.,/()+-``, with no ``www.``: it can neither format, link nor
    split a table."""
    flat = " ".join(unicodedata.normalize("NFKC", text[: 4 * limit]).split())
    safe = " ".join(_WWW.sub(r"\1 ", _UNSAFE.sub("", flat.replace("_", " "))).split())
    return safe if len(safe) <= limit else safe[: limit - 1].rstrip() + "\N{HORIZONTAL ELLIPSIS}"
