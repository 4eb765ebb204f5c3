"""What every feature works with, built once per app: the Mattermost API, the permission flow, the clock,
how to wait (out a 429), and the key of the typed confirmation codes."""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable

from bot.core.errors import SessionAlreadyGone, StillSignedIn
from bot.core.model import Session, User
from bot.core.permissions import Caller
from bot.features.access import Access
from bot.mattermost.client import MattermostAPI
from bot.mattermost.statuses import Call, meaning


@dataclass(frozen=True)
class Context:
    """The long-lived pieces a command runs with (``clock`` in seconds, ``sleep`` waits out Mattermost's limit)."""

    api: MattermostAPI
    secret: str
    clock: Callable[[], float] = time.time
    sleep: Callable[[float], None] = time.sleep
    access: Access = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "access", Access(self.api, self.sleep))

    def now_ms(self) -> int:
        """The time now, in epoch milliseconds."""
        return int(self.clock() * 1000)


@dataclass(frozen=True)
class Who:
    """Who asked (``caller_id``, and their permissions when they were needed) and whose sessions or tokens the
    command is about (``subject``; None: the caller's own)."""

    caller_id: str
    caller: Caller | None
    subject: User | None

    @property
    def user_id(self) -> str:
        """The id of the user whose sessions or tokens these are."""
        return self.caller_id if self.subject is None else self.subject.id


def read_sessions(ctx: Context, who: Who) -> list[Session]:
    """The subject's sessions, read with the bot's token once permission is settled."""
    with meaning(Call.READ_SESSIONS, subject=who.subject):
        return ctx.api.sessions(who.user_id)


def sign_out_everywhere(ctx: Context, who: Who) -> None:
    """Sign every session of the subject out with one ``revoke/all`` (sessions that appeared since included)."""
    with meaning(Call.REVOKE_ALL, subject=who.subject):
        ctx.api.revoke_all_sessions(who.user_id)


def revoke_session(ctx: Context, who: Who, session: Session) -> None:
    """Sign one session of the subject out, by the id from their own list (never one typed by the caller).

    Mattermost answers 400 both for a session already gone and for one it would not end (``app/session.go``
    ``GetSessionById`` answers 400 for any store error; ``api4/user.go`` ``revokeSession`` 400 for a session of
    another user), so a 400 is checked by reading the subject's sessions again: gone, it is ``SessionAlreadyGone``
    (nothing done, nothing claimed); still there, ``StillSignedIn``. A failed re-read is raised as it is: unknown
    is never taken for gone."""
    try:
        with meaning(Call.REVOKE_SESSION, subject=who.subject, session=session):
            ctx.api.revoke_session(who.user_id, session.id)
    except SessionAlreadyGone:
        if any(current.id == session.id for current in read_sessions(ctx, who)):
            raise StillSignedIn(session) from None
        raise
