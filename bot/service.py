"""Carry out one parsed ``/sessions`` command for one caller: decide, call Mattermost, format.

The bot acts with its own privileged token, so everything here happens in one order:
who is the target → may this caller act on them (Mattermost's own rule, ``bot.permissions``) →
only then read or change anything. Session ids typed by the caller are never sent to Mattermost:
they are matched against the target's own session list, and only that list's ids are revoked
(Mattermost's revoke endpoint also accepts a session *token* and would otherwise act on it).
"""
from __future__ import annotations

import time
from contextlib import contextmanager
from typing import Callable, Iterator

from bot import render
from bot.commands import Command, Help, ListSessions, RevokeAll, RevokeSession, UserRef
from bot.errors import (
    AmbiguousSession,
    BotError,
    BotLacksPermission,
    Refused,
    SessionAlreadyGone,
    SessionNotFound,
    TargetDeactivated,
    UpstreamRejected,
    UserNotFound,
)
from bot.mattermost import MattermostAPI
from bot.model import Session, User, matching
from bot.permissions import Action, Caller, Refusal, permissions_of, refusal_for


@contextmanager
def _meaning(by_status: dict[int, BotError]) -> Iterator[None]:
    """Give Mattermost's error statuses their meaning in this context (e.g. 404 → no such user)."""
    try:
        yield
    except UpstreamRejected as exc:
        if exc.status in by_status:
            raise by_status[exc.status] from None
        raise


class SessionsService:
    """The bot's behaviour, independent of HTTP: ``reply(caller_id, command)`` → Markdown text."""

    def __init__(self, api: MattermostAPI, clock: Callable[[], float] = time.time) -> None:
        self._api = api
        self._clock = clock

    def reply(self, caller_id: str, command: Command) -> str:
        """The ephemeral reply for ``command`` typed by ``caller_id``; every BotError becomes its message."""
        try:
            return self._run(caller_id, command)
        except BotError as error:
            return render.error_message(error)

    def _now_ms(self) -> int:
        return int(self._clock() * 1000)

    def _run(self, caller_id: str, command: Command) -> str:
        match command:
            case Help(problem=problem):
                return render.usage(problem)
            case ListSessions(target=ref):
                subject = self._subject(caller_id, ref, Action.LIST)
                return render.session_list(subject, self._sessions(caller_id, subject), self._now_ms())
            case RevokeSession(session=prefix, target=ref):
                subject = self._subject(caller_id, ref, Action.REVOKE)
                session = self._pick(self._sessions(caller_id, subject), prefix, subject)
                with _meaning({400: SessionAlreadyGone(session), 403: BotLacksPermission(subject)}):
                    self._api.revoke_session(_target_id(caller_id, subject), session.id)
                return render.revoked_one(subject, session, self._now_ms())
            case RevokeAll(target=ref, confirmed=confirmed):
                subject = self._subject(caller_id, ref, Action.REVOKE)
                sessions = self._sessions(caller_id, subject)
                if not confirmed or not sessions:
                    return render.revoke_all_preview(subject, sessions, self._now_ms())
                with _meaning({403: BotLacksPermission(subject)}):
                    self._api.revoke_all_sessions(_target_id(caller_id, subject))
                return render.revoked_all(subject, sessions, self._now_ms())
        raise AssertionError(f"unhandled command {command!r}")

    # --- who is the target, and may the caller act on them ------------------------------------

    def _subject(self, caller_id: str, ref: UserRef | None, action: Action) -> User | None:
        """The target user, or None for the caller themselves; raises when the caller may not act."""
        if ref is None or (ref.kind == "id" and ref.value == caller_id):
            return self._self(caller_id, action)
        caller = self._caller(caller_id)
        if _names(ref, caller):
            return self._self(caller_id, action)
        if not caller.may_act_on_others:
            raise Refused(Refusal.NEEDS_EDIT_OTHER_USERS, target=None, ref=ref)
        target = self._resolve(ref)
        if target.id == caller_id:
            return self._self(caller_id, action)
        bot_user_id = self._api.bot_user_id if action is Action.REVOKE else None
        refusal = refusal_for(caller, target, action, bot_user_id)
        if refusal is not None:
            raise Refused(refusal, target=target)
        if target.deactivated:
            raise TargetDeactivated(target)
        return target

    def _self(self, caller_id: str, action: Action) -> None:
        """Acting on yourself is always allowed, except that the bot never signs itself out."""
        if action is Action.REVOKE and caller_id == self._api.bot_user_id:
            raise Refused(Refusal.TARGET_IS_THIS_BOT, target=None)
        return None

    def _caller(self, caller_id: str) -> Caller:
        user = self._api.user(caller_id)
        granted = frozenset() if user.deactivated else permissions_of(self._api.permissions_of_roles(user.roles), user.roles)
        return Caller(id=user.id, username=user.username, email=user.email, permissions=granted)

    def _resolve(self, ref: UserRef) -> User:
        not_found = {404: UserNotFound(ref)}
        with _meaning(not_found):
            if ref.kind == "email":
                return self._api.user_by_email(ref.value)
            if ref.kind == "username":
                return self._api.user_by_username(ref.value)
            try:
                return self._api.user(ref.value)
            except UpstreamRejected as exc:
                if exc.status != 404:
                    raise
        with _meaning(not_found):  # a 26-character word may also be a username
            return self._api.user_by_username(ref.value)

    # --- reading sessions --------------------------------------------------------------------

    def _sessions(self, caller_id: str, subject: User | None) -> list[Session]:
        with _meaning({403: BotLacksPermission(subject)}):
            return self._api.sessions(_target_id(caller_id, subject))

    @staticmethod
    def _pick(sessions: list[Session], prefix: str, subject: User | None) -> Session:
        found = matching(sessions, prefix)
        if not found:
            raise SessionNotFound(prefix, subject)
        if len(found) > 1:
            raise AmbiguousSession(prefix, found)
        return found[0]


def _target_id(caller_id: str, subject: User | None) -> str:
    return caller_id if subject is None else subject.id


def _names(ref: UserRef, caller: Caller) -> bool:
    """True when ``ref`` names the caller (by username, email or id)."""
    if ref.kind == "email":
        return bool(caller.email) and ref.value == caller.email.lower()
    return ref.value in (caller.username.lower(), caller.id)
