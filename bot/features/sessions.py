"""One user's sessions: ``list``, ``revoke <ID>`` and ``revoke-all``, filtered or not.

Session ids typed by the caller are never sent to Mattermost: they are matched against the target's own
session list, and only that list's ids are revoked (Mattermost's revoke endpoint also accepts a session
*token* and would otherwise act on it). A filtered ``revoke-all`` never calls ``revoke/all``, which would
also end sessions outside the filter: it selects afresh from the target's current list and signs the chosen
sessions out one at a time (``bot.features.stepwise``).
"""
from __future__ import annotations

from bot.core.commands import ListSessions, RevokeAll, RevokeSession
from bot.core.errors import AmbiguousSession, SessionNotFound
from bot.core.model import Session, User, by_recent_activity, matching
from bot.core.outcomes import (
    FilteredList,
    FilteredPreview,
    RevokeAllPreview,
    SessionList,
    SignedOutAll,
    SignedOutOne,
    SignedOutSelection,
)
from bot.core.permissions import Action
from bot.features.context import (
    Context,
    Who,
    read_sessions,
    revoke_session,
    sign_out_everywhere,
)
from bot.features.single import Act, Done, Spec
from bot.features.stepwise import one_by_one


def list_sessions(command: ListSessions) -> tuple[Spec, Act]:
    """``list [@user] [filters]``."""
    def act(ctx: Context, who: Who, now_ms: int) -> Done:
        sessions = read_sessions(ctx, who)
        if command.filter.is_empty:
            return Done(SessionList(who.subject, tuple(sessions)))
        return Done(FilteredList(who.subject, command.filter.select(sessions, now_ms)))

    return Spec("list", changes=False, ref=command.target, filter=command.filter, sessions=Action.LIST), act


def revoke_one(command: RevokeSession) -> tuple[Spec, Act]:
    """``revoke <ID> [@user]``: the one session of the target whose id starts with what was typed."""
    def act(ctx: Context, who: Who, now_ms: int) -> Done:
        sessions = read_sessions(ctx, who)
        session = _pick(sessions, command.session, who.subject)
        revoke_session(ctx, who, session)
        remaining = tuple(s for s in sessions if s.id != session.id)
        return Done(SignedOutOne(who.subject, session, remaining), revoked=(session,))

    return Spec("revoke", changes=True, ref=command.target, sessions=Action.REVOKE), act


def revoke_all(command: RevokeAll) -> tuple[Spec, Act]:
    """``revoke-all [@user] [filters] [--yes]``: a preview, or every session (one ``revoke/all``), or exactly
    what the filter selects now (one at a time)."""
    def act(ctx: Context, who: Who, now_ms: int) -> Done:
        sessions = read_sessions(ctx, who)
        confirmed, subject = command.confirmed, who.subject
        if not command.filter.is_empty:  # never revoke/all: it would also end sessions outside the filter
            selection = command.filter.select(sessions, now_ms)
            if not confirmed or not selection.chosen:
                return Done(FilteredPreview(subject, selection), "ok" if confirmed else "preview")
            revocation = one_by_one(by_recent_activity(selection.chosen), lambda s: revoke_session(ctx, who, s),
                                    sleep=ctx.sleep)
            stopped = revocation.stopped_at
            return Done(SignedOutSelection(subject, selection, revocation), "failed" if stopped else "ok",
                        type(stopped[1]).__name__ if stopped else "", revoked=revocation.done)
        if not confirmed or not sessions:
            return Done(RevokeAllPreview(subject, tuple(sessions)), "ok" if confirmed else "preview")
        sign_out_everywhere(ctx, who)
        return Done(SignedOutAll(subject, tuple(sessions)), revoked=tuple(sessions))

    return Spec("revoke-all", changes=command.confirmed, ref=command.target, filter=command.filter,
                sessions=Action.REVOKE), act


def _pick(sessions: list[Session], prefix: str, subject: User | None) -> Session:
    found = matching(sessions, prefix)
    if not found:
        raise SessionNotFound(prefix, subject)
    if len(found) > 1:
        raise AmbiguousSession(prefix, found)
    return found[0]
