"""Parse the text of a ``/sessions`` slash command into a command value (pure, no I/O)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class UserRef:
    """A user named by the caller.

    ``kind`` is how they were named: ``username`` (``@alice`` or ``alice``), ``email``
    (``alice@example.com``) or ``id`` (a bare 26-character id-shaped word, which may
    also be a username: the service falls back to a username lookup).
    ``value`` is normalised (lowercase, no leading ``@``); ``text`` is as typed.
    """

    kind: Literal["username", "email", "id"]
    value: str
    text: str


@dataclass(frozen=True)
class ListSessions:
    """List a user's sessions (``target`` None means the caller)."""

    target: UserRef | None


@dataclass(frozen=True)
class RevokeSession:
    """Revoke one session, named by a full id or a prefix of at least 6 characters."""

    session: str
    target: UserRef | None


@dataclass(frozen=True)
class RevokeAll:
    """Revoke every session of a user; only acts when ``confirmed`` (``--yes``)."""

    target: UserRef | None
    confirmed: bool


@dataclass(frozen=True)
class Help:
    """Show usage; ``problem`` says what was not understood (None for plain ``help``)."""

    problem: str | None = None


Command = ListSessions | RevokeSession | RevokeAll | Help
