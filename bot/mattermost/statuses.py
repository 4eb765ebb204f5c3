"""What Mattermost's error statuses mean, call by call: the one table that turns an HTTP status into the bot's
errors (``bot.core.errors``).

Every failed call leaves the client as ``UpstreamRejected(status, error id)`` (``bot.mattermost.client``). Where
a status means something more precise for a kind of call, :func:`meaning` raises that instead; any other status
stays ``UpstreamRejected``, which the user is told about as "Mattermost answered with an unexpected error".
Sources: MM ``server/channels/api4/user.go`` (``getUser``, ``getUserByUsername``, ``getUserByEmail``: 404 for an
unknown user; ``getSessions``, ``revokeSession``, ``revokeAllSessionsForUser``: 403 when the bot itself may not;
``revokeSession``: 400 for an unknown session; ``getUserAccessTokensForUser``, ``disableUserAccessToken``: 403,
and 404 for an unknown token; ``revokeAllSessionsAllUsers``: 403 without manage_system),
``api4/channel.go`` (``getChannelByName``, ``getChannel``: 400 for a malformed id, 403, 404).
"""
from __future__ import annotations

import enum
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Callable, Iterator

from bot.core.commands import ChannelRef, UserRef
from bot.core.errors import (
    BotError,
    BotLacksPermission,
    ChannelNotFound,
    SessionAlreadyGone,
    TokenAlreadyGone,
    UpstreamRejected,
    UserNotFound,
)
from bot.core.model import AccessToken, Session, User


class Call(enum.Enum):
    """The kinds of call whose error statuses mean more than "Mattermost refused"."""

    FIND_USER = "find a user"
    FIND_CHANNEL = "find a channel"
    READ_SESSIONS = "read a user's sessions"
    REVOKE_SESSION = "revoke one session"
    REVOKE_ALL = "revoke every session of a user"
    READ_TOKENS = "read a user's personal access tokens"
    DISABLE_TOKEN = "disable a personal access token"
    REVOKE_EVERYONE = "revoke every session of every user"


@dataclass(frozen=True)
class About:
    """What a call was about, for the error that explains its failure: whose sessions or tokens (``subject``,
    None for the caller's own), which session or token, and the name as the caller typed it (``ref``)."""

    subject: User | None = None
    session: Session | None = None
    token: AccessToken | None = None
    ref: UserRef | ChannelRef | None = None


def _lacks(doing: str = "") -> Callable[[About], BotError]:
    return lambda about: BotLacksPermission(about.subject, doing=doing)  # type: ignore[arg-type]


#: Call → status → the error it means.
MEANINGS: dict[Call, dict[int, Callable[[About], BotError]]] = {
    Call.FIND_USER: {404: lambda about: UserNotFound(about.ref)},  # type: ignore[arg-type]
    Call.FIND_CHANNEL: dict.fromkeys((400, 403, 404), lambda about: ChannelNotFound(about.ref)),  # type: ignore[arg-type]
    Call.READ_SESSIONS: {403: _lacks()},
    Call.REVOKE_SESSION: {400: lambda about: SessionAlreadyGone(about.session), 403: _lacks()},  # type: ignore[arg-type]
    Call.REVOKE_ALL: {403: _lacks()},
    Call.READ_TOKENS: {403: _lacks("read_tokens")},
    Call.DISABLE_TOKEN: {404: lambda about: TokenAlreadyGone(about.token), 403: _lacks("disable_tokens")},  # type: ignore[arg-type]
    Call.REVOKE_EVERYONE: {403: _lacks("revoke_everyone")},
}


@contextmanager
def meaning(call: Call, **about: object) -> Iterator[None]:
    """Inside, an ``UpstreamRejected`` whose status means more for ``call`` is raised as that error instead."""
    try:
        yield
    except UpstreamRejected as rejected:
        make = MEANINGS[call].get(rejected.status)
        if make is None:
            raise
        raise make(About(**about)) from None  # type: ignore[arg-type]
