"""The commands of ``/sessions`` as values, what the parser can find wrong with a text (as facts, not words),
and the limits of one command (pure, no I/O). ``bot.core.parse`` makes these values from the typed text.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Literal

from bot.core.filters import Duration, SessionFilter

#: The most users and channels one bulk command may name (channels are expanded to their members).
MAX_NAMED_USERS = 50
MAX_NAMED_CHANNELS = 5
#: Shortest session id prefix ``revoke`` accepts.
MIN_SESSION_PREFIX = 6


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
class ChannelRef:
    """A channel named by the caller as ``~name`` (in the team the command was typed in); a name that is
    also 26 letters or digits may be a channel id, which the service tries next. ``value`` is lowercase,
    ``text`` as typed."""

    value: str
    text: str


@dataclass(frozen=True)
class ListSessions:
    """List a user's sessions (``target`` None means the caller), only those ``filter`` selects."""

    target: UserRef | None
    filter: SessionFilter = field(default_factory=SessionFilter)


@dataclass(frozen=True)
class RevokeSession:
    """Revoke one session, named by a full id or a prefix of at least 6 characters."""

    session: str
    target: UserRef | None


@dataclass(frozen=True)
class RevokeAll:
    """Revoke every session of a user that ``filter`` selects; only acts when ``confirmed`` (``--yes``).
    ``tokens`` (``--tokens``, never with a filter) also disables the user's personal access tokens."""

    target: UserRef | None
    confirmed: bool
    filter: SessionFilter = field(default_factory=SessionFilter)
    tokens: bool = False


@dataclass(frozen=True)
class RevokeMany:
    """Sign several users out at once: ``users`` and every member of ``channels``, each only as far as the
    caller may act on them, only the sessions ``filter`` selects; only acts when ``confirmed``."""

    users: tuple[UserRef, ...]
    channels: tuple[ChannelRef, ...]
    confirmed: bool
    filter: SessionFilter = field(default_factory=SessionFilter)
    tokens: bool = False


@dataclass(frozen=True)
class ListTokens:
    """List a user's personal access tokens (``target`` None means the caller), never their values."""

    target: UserRef | None


@dataclass(frozen=True)
class DisableTokens:
    """Disable every active personal access token of a user; only acts when ``confirmed`` (``--yes``)."""

    target: UserRef | None
    confirmed: bool


@dataclass(frozen=True)
class RevokeEveryone:
    """Sign every user out of every session (``revoke-all --everyone``); only acts with the typed ``code``
    the preview showed (``--confirm <code>``), never with ``--yes`` or a button."""

    code: str | None = None


@dataclass(frozen=True)
class ListStale:
    """List the members of the caller's team whose sessions include some inactive for longer than ``inactive``."""

    inactive: Duration = field(default_factory=lambda: Duration(30, "d"))


class ProblemKind(enum.Enum):
    """Each rule of the grammar a text can break (``bot.replies.usage`` says each in words)."""

    UNKNOWN_COMMAND = "unknown command"
    UNKNOWN_OPTION = "unknown option"
    NOT_A_USER = "not a user"
    ONE_USER_AT_MOST = "one user at most"
    TOO_MANY_USERS = "too many users"
    ME_IN_BULK = "me in a bulk sign-out"
    NOT_A_CHANNEL = "not a channel"
    TOO_MANY_CHANNELS = "too many channels"
    REVOKE_NEEDS_ID = "revoke needs a session id"
    NOT_A_SESSION_ID = "not a session id"
    SESSION_ID_TOO_SHORT = "session id too short"
    PLATFORM_NEEDS_VALUE = "--platform needs a platform"
    NOT_A_PLATFORM = "not a platform"
    NEEDS_DURATION = "option needs a duration"
    NOT_A_DURATION = "not a duration"
    DURATION_NOT_POSITIVE = "duration not above zero"
    DURATION_TOO_LONG = "duration too long"
    GIVEN_TWICE = "option given twice"
    YES_ONLY_FOR_REVOKING = "--yes only for revoke-all and disable-tokens"
    FILTER_ONLY_FOR_LISTS = "filters only for list and revoke-all"
    ONLY_FOR_REVOKE_ALL = "only for revoke-all"
    CONFIRM_ONLY_FOR_EVERYONE = "--confirm only for --everyone"
    STALE_ONLY_FOR_LIST = "--stale only for list"
    STALE_TAKES_A_DURATION = "--stale takes a duration only"
    TOKENS_WITH_A_FILTER = "--tokens with a filter"
    CONFIRM_NEEDS_CODE = "--confirm needs the code"
    NOT_A_CODE = "not a confirmation code"
    EVERYONE_NOT_WITH_YES = "--everyone never with --yes"
    NOT_WITH_EVERYONE = "something else with --everyone"


@dataclass(frozen=True)
class Problem:
    """The first thing the parser did not understand: which rule, and the facts to explain it: the word as
    typed (``token``) and the option it concerns (``option``)."""

    kind: ProblemKind
    token: str = ""
    option: str = ""


@dataclass(frozen=True)
class Help:
    """Show usage; ``problem`` says what was not understood (None for plain ``help``)."""

    problem: Problem | None = None


@dataclass(frozen=True)
class Cancel:
    """Dismiss a confirmation; only ever comes from a button, never from typed text."""


Command = (ListSessions | ListStale | RevokeSession | RevokeAll | RevokeMany | ListTokens | DisableTokens | RevokeEveryone | Help
           | Cancel)


def is_revoking(command: Command) -> bool:
    """True for the commands that sign something out (the rate limit applies to them): ``revoke``, a confirmed
    ``revoke-all`` (one user or many) or ``disable-tokens``, and ``revoke-all --everyone`` with its code."""
    if isinstance(command, RevokeEveryone):
        return command.code is not None
    return isinstance(command, RevokeSession) or (
        isinstance(command, (RevokeAll, RevokeMany, DisableTokens)) and command.confirmed)


def is_lookup(command: Command) -> bool:
    """True for the commands that look beyond the caller's own account, or preview signing someone else out, without
    signing anything out (the second, more generous rate limit applies to them): ``list`` or ``tokens`` naming a
    user, ``list --stale``, ``revoke-all`` or ``disable-tokens`` naming a user without ``--yes``, a bulk
    ``revoke-all`` without ``--yes``, and ``revoke-all --everyone`` without its code. These are the commands a caller
    can be refused for lacking a permission (revoking ones count against their own limit); the caller's own
    ``list``, ``tokens`` and previews never count."""
    if isinstance(command, ListStale):
        return True
    if isinstance(command, RevokeEveryone):
        return command.code is None
    if isinstance(command, RevokeMany):
        return not command.confirmed
    if isinstance(command, (ListSessions, ListTokens, RevokeAll, DisableTokens)):
        return command.target is not None and not is_revoking(command)
    return False
