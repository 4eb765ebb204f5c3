"""Small exception types for everything that ends a command early.

Each carries the facts needed to explain it; ``bot.replies`` turns every one of them into the text the user
sees, in one place.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from bot.core.commands import ChannelRef, UserRef
from bot.core.model import AccessToken, Session, User
from bot.core.permissions import Refusal


class BotError(Exception):
    """A command ended early for a reason the user should be told about."""


# --- Mattermost itself ------------------------------------------------------------------------

@dataclass
class MattermostUnreachable(BotError):
    """Mattermost did not answer (connection refused, reset, DNS, or the timeout passed). ``detail`` is shown to
    the user, so it is a plain phrase ("the connection failed"), never an endpoint or an id; ``cause`` is the
    technical name of what happened, for the log only."""

    detail: str
    cause: str = ""


@dataclass
class BotTokenRejected(BotError):
    """Mattermost answered 401: the bot's token is invalid, expired or revoked."""


@dataclass
class BotLacksPermission(BotError):
    """Mattermost refused the bot itself (403): its account lacks a permission for this target. ``doing``
    says what it was refused: managing the target's sessions (""), reading or disabling their tokens,
    or signing everyone out."""

    target: User | None
    doing: Literal["", "read_tokens", "disable_tokens", "revoke_everyone"] = ""


@dataclass
class UpstreamRejected(BotError):
    """Mattermost answered an error status that the bot had no specific explanation for (a 429: its rate
    limiter). ``error_id`` is the error's ``id`` as Mattermost sent it, shown only when it looks like one of
    Mattermost's error ids."""

    status: int
    error_id: str
    retry_after_s: float | None = None  # from a 429's ``Retry-After`` / ``X-Ratelimit-Reset``


@dataclass
class UpstreamMalformed(BotError):
    """Mattermost answered 2xx with a body that is not what its API describes. ``detail`` says which call and
    how, for the log only: it may name an endpoint and the ids in it, so it is never shown to the user."""

    detail: str


# --- The caller's request ---------------------------------------------------------------------

@dataclass
class UserNotFound(BotError):
    """No Mattermost account matches what the caller typed."""

    ref: UserRef


@dataclass
class ChannelNotFound(BotError):
    """No channel of the team matches a ``~name`` the caller may see (a private channel they are not in
    reads the same, so its existence is not revealed)."""

    ref: ChannelRef


@dataclass
class TooManyMembers(BotError):
    """A named channel has ``members`` members, which with the ``before`` members of the channels named before it
    is more than one command signs out (``limit``, for all channels together); none of them was read."""

    ref: ChannelRef
    limit: int
    members: int = 0
    before: int = 0


@dataclass
class TargetDeactivated(BotError):
    """The target account is deactivated, so it has no sessions (deactivation revoked them)."""

    target: User


@dataclass
class Refused(BotError):
    """The caller may not do this; nothing was touched."""

    reason: Refusal
    target: User | None
    ref: UserRef | None = None


@dataclass
class SessionNotFound(BotError):
    """No session of the target starts with the given id or prefix."""

    prefix: str
    target: User | None


@dataclass
class AmbiguousSession(BotError):
    """Several sessions start with the given prefix; nothing was revoked."""

    prefix: str
    matches: list[Session]


class AlreadyGone(BotError):
    """What was to be ended had already ended by the time the bot asked: nothing left to do, nothing done."""


@dataclass
class SessionAlreadyGone(AlreadyGone):
    """The session disappeared between listing and revoking (Mattermost answered 400)."""

    session: Session


@dataclass
class TokenAlreadyGone(AlreadyGone):
    """The personal access token was deleted between listing and disabling (Mattermost answered 404)."""

    token: AccessToken


@dataclass
class StillSignedIn(BotError):
    """Mattermost refused to end the session (a 400, which it also answers for a session already gone), and
    reading the list again showed it still there: not signed out."""

    session: Session


@dataclass
class TokenStillActive(BotError):
    """Mattermost answered that the token is gone (404), yet reading the tokens again showed it still active."""

    token: AccessToken


# --- Buttons ----------------------------------------------------------------------------------

@dataclass
class ForgedButton(BotError):
    """A click whose context the bot did not sign, or that was altered."""


@dataclass
class ExpiredButton(BotError):
    """A click on a button older than its lifetime."""

    max_age_s: int


@dataclass
class ForeignButton(BotError):
    """A click by someone other than the user the button was made for."""


@dataclass
class RetiredButton(BotError):
    """A click on a button the bot made under an earlier action address (before the address had a secret, or
    under an earlier ``BOT_SECRET``): it cannot be checked any more, so it does nothing."""


@dataclass
class UnknownClicker(BotError):
    """A click whose user Mattermost does not know (``GET /users/{id}`` answered 404)."""
