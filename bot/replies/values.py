"""What a reply is made of, before it becomes Mattermost JSON: text, attachments and buttons (pure values).

A button carries the *command* a click would run, not a signed context: the HTTP edge
(``bot.web.buttons``) signs it for the user the reply is shown to, so rendering needs no secret.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from bot.core.commands import Command


@dataclass(frozen=True)
class Button:
    """A button; clicking it runs ``command`` again from scratch, for whoever clicks (if allowed)."""

    label: str
    command: Command
    style: Literal["default", "primary", "danger"] = "default"


@dataclass(frozen=True)
class Attachment:
    """A message attachment: a title, some Markdown, short fields and buttons."""

    title: str = ""
    text: str = ""
    fields: tuple[tuple[str, str], ...] = ()
    buttons: tuple[Button, ...] = ()


@dataclass(frozen=True)
class Reply:
    """An ephemeral message: Markdown text and optional attachments."""

    text: str
    attachments: tuple[Attachment, ...] = ()
