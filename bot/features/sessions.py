"""Carry out one parsed ``/sessions`` command for one caller: decide, call Mattermost, format.

The bot acts with its own privileged token, so everything here happens in one order:
who is the target → may this caller act on them (Mattermost's own rule, ``bot.core.permissions``) →
only then read or change anything. Session ids typed by the caller are never sent to Mattermost:
they are matched against the target's own session list, and only that list's ids are revoked
(Mattermost's revoke endpoint also accepts a session *token* and would otherwise act on it).

A filtered ``revoke-all`` never calls ``revoke/all``, which would also end sessions outside the filter:
it selects afresh from the target's current list and signs the chosen sessions out one at a time.

Personal access tokens (``bot.features.tokens``) and signing everyone out (``bot.features.everyone``) go through the same
order: their permission is checked on the caller before the bot uses its token.
"""
from __future__ import annotations

import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Callable, Iterator

from bot.replies import render
from bot.core.audit import AuditEvent, Notice, Result, Revocation, ended_by
from bot.features.bulk import patiently
from bot.core.commands import (Cancel, Command, DisableTokens, Help, ListSessions, ListStale, ListTokens, RevokeAll, RevokeEveryone,
                          RevokeMany, RevokeSession, UserRef)
from bot.core.errors import (
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
from bot.core.filters import Selection, SessionFilter
from bot.features.everyone import ConfirmationCodes, EveryoneService
from bot.features.incident import IncidentService, ProgressReport
from bot.features.stale import find_stale
from bot.core.invocation import Invocation
from bot.mattermost.client import MattermostAPI
from bot.core.model import AccessToken, Session, User, by_recent_activity, matching
from bot.core.permissions import Action, Caller, Refusal, TokenAction, permissions_of, refusal_for, token_gate, token_refusal
from bot.replies.usage import usage
from bot.replies.values import Reply
from bot.features.tokens import TokensService, active, disable_each, read_tokens


@contextmanager
def _meaning(by_status: dict[int, BotError]) -> Iterator[None]:
    """Give Mattermost's error statuses their meaning in this context (e.g. 404 → no such user)."""
    try:
        yield
    except UpstreamRejected as exc:
        if exc.status in by_status:
            raise by_status[exc.status] from None
        raise


@dataclass(frozen=True)
class Outcome:
    """What to show the caller, whether it succeeded, and what to record and tell."""

    reply: Reply
    ok: bool
    audit: AuditEvent | None = None
    notices: tuple[Notice, ...] = ()
    action: str = ""
    result: Result = "ok"
    reason: str = ""
    details: tuple[AuditEvent, ...] = ()  # a bulk command's audit line per target (``audit`` is its summary)


@dataclass
class _Trace:
    """What one command touched, filled in as it runs, for the audit record."""

    action: str
    changes: bool
    ref: UserRef | None = None
    target: User | None = None
    resolved: bool = False  # True once the target is known (``target`` None then means the caller)
    session_ids: tuple[str, ...] = ()
    result: Result = "ok"
    reason: str = ""
    revoked: tuple[Session, ...] = field(default=())
    filter: SessionFilter = field(default_factory=SessionFilter)  # the command's filter (empty: none)
    disabled: tuple[AccessToken, ...] = ()  # personal access tokens disabled
    everyone: bool = False  # the command concerns every user (``revoke-all --everyone``)


def _trace_for(command: Command) -> _Trace:
    match command:
        case ListSessions(target=ref, filter=wanted):
            return _Trace("list", changes=False, ref=ref, filter=_described(wanted))
        case RevokeSession(target=ref):
            return _Trace("revoke", changes=True, ref=ref)
        case RevokeAll(target=ref, confirmed=confirmed, filter=wanted):
            return _Trace("revoke-all", changes=confirmed, ref=ref, filter=_described(wanted))
        case ListTokens(target=ref):
            return _Trace("tokens", changes=False, ref=ref)
        case DisableTokens(target=ref, confirmed=confirmed):
            return _Trace("disable-tokens", changes=confirmed, ref=ref)
        case RevokeEveryone():
            return _Trace("revoke-everyone", changes=True, everyone=True)  # previews and refusals too
    return _Trace(type(command).__name__.lower(), changes=False)


def _described(wanted: SessionFilter) -> SessionFilter:
    return wanted


class SessionsService:
    """The bot's behaviour, independent of HTTP: ``handle(invocation, command)`` → an Outcome."""

    def __init__(self, api: MattermostAPI, *, secret: str, buttons: bool = False,
                 clock: Callable[[], float] = time.time, sleep: Callable[[float], None] = time.sleep) -> None:
        """``secret`` (``BOT_SECRET``) keys the typed confirmation of ``revoke-all --everyone``; ``sleep`` is how
        the bot waits out Mattermost's rate limit."""
        self._api = api
        self._buttons = buttons
        self._clock = clock
        self._sleep = sleep
        self._incident = IncidentService(api, self, buttons=buttons, clock=clock, sleep=sleep)
        self._tokens = TokensService(api, self, buttons=buttons, clock=clock, sleep=sleep)
        self._everyone = EveryoneService(api, ConfirmationCodes(secret, clock=clock))

    def handle(self, invocation: Invocation, command: Command, report: ProgressReport | None = None) -> Outcome:
        """Run ``command`` for the caller; every BotError becomes its message, and the outcome is audited.
        ``report`` hears how a long bulk sign-out is going."""
        if isinstance(command, RevokeMany):
            bulk = self._incident.handle(invocation, command, report)
            *details, summary = bulk.audits
            return Outcome(bulk.reply, bulk.ok, summary, bulk.notices, "revoke-many", bulk.result, bulk.reason,
                           tuple(details))
        if isinstance(command, ListStale):
            return self._stale(invocation, command)
        trace = _trace_for(command)
        try:
            reply = self._run(invocation.caller_id, command, trace)
            ok = trace.result != "failed"  # a selective revocation that stopped part-way
        except BotError as error:
            reply, ok = Reply(render.error_message(error)), False
            trace.result, trace.reason = ended_by(error)
            trace.target = trace.target or getattr(error, "target", None)
        audit, notice = self._audit_event(invocation, trace), self._notice(invocation, trace)
        return Outcome(reply, ok, audit, (notice,) if notice else (), trace.action, trace.result, trace.reason)

    def _now_ms(self) -> int:
        return int(self._clock() * 1000)

    def _stale(self, invocation: Invocation, command: ListStale) -> Outcome:
        """``list --stale``: for callers who may act on others, the team members with long-unused sessions;
        audited, as every read of other users' sessions is."""
        try:
            caller = self.caller_of(invocation.caller_id)
            if not caller.may_act_on_others:
                raise Refused(Refusal.NEEDS_EDIT_OTHER_USERS, target=None)
            report = find_stale(self._api, caller, invocation.team_id, command.inactive, self._now_ms(),
                                sleep=self._sleep)
            reply, ok, result, reason = render.stale_list(report, self._now_ms()), True, "ok", ""
        except BotError as error:
            reply, ok = Reply(render.error_message(error)), False
            result, reason = ended_by(error)
        audit = AuditEvent.of(invocation, action="list-stale", result=result, reason=reason, target_id="",
                              target_username="(team)", session_ids=(),
                              filter=SessionFilter(inactive=command.inactive))
        return Outcome(reply, ok, audit, (), "list-stale", result, reason)

    def _run(self, caller_id: str, command: Command, trace: _Trace) -> Reply:
        match command:
            case Help(problem=problem):
                return Reply(usage(problem))
            case Cancel():
                return render.CANCELLED
            case ListSessions(target=ref, filter=wanted):
                subject = self._target(caller_id, ref, Action.LIST, trace)
                sessions, now_ms = self._sessions(caller_id, subject), self._now_ms()
                if wanted.is_empty:
                    return render.session_list(subject, sessions, now_ms, buttons=self._buttons)
                return render.filtered_list(subject, wanted.select(sessions, now_ms), now_ms, buttons=self._buttons)
            case RevokeSession(session=prefix, target=ref):
                subject = self._target(caller_id, ref, Action.REVOKE, trace)
                sessions = self._sessions(caller_id, subject)
                session = self._pick(sessions, prefix, subject)
                self._revoke(_target_id(caller_id, subject), session, subject)
                trace.revoked, trace.session_ids = (session,), (session.id,)  # only once it is done
                remaining = [s for s in sessions if s.id != session.id]
                return render.revoked_one(subject, session, remaining, self._now_ms(), buttons=self._buttons)
            case ListTokens() | DisableTokens():
                return self._tokens.run(caller_id, command, trace)
            case RevokeEveryone(code=typed):
                reply, done = self._everyone.run(self.caller_of(caller_id), typed)
                trace.result = "ok" if done else "preview"
                return reply
            case RevokeAll(target=ref, confirmed=confirmed, tokens=True):
                subject = self._target(caller_id, ref, Action.REVOKE, trace, TokenAction.DISABLE)
                return self._sign_out_everything(caller_id, subject, confirmed, trace)
            case RevokeAll(target=ref, confirmed=confirmed, filter=wanted):
                subject = self._target(caller_id, ref, Action.REVOKE, trace)
                sessions = self._sessions(caller_id, subject)
                if not wanted.is_empty:  # never revoke/all: it would also end sessions outside the filter
                    now_ms = self._now_ms()
                    selection = wanted.select(sessions, now_ms)
                    return self._revoke_selected(caller_id, subject, selection, confirmed, now_ms, trace)
                if not confirmed or not sessions:
                    trace.result = "ok" if confirmed else "preview"
                    return render.revoke_all_preview(subject, sessions, self._now_ms(), buttons=self._buttons)
                with _meaning({403: BotLacksPermission(subject)}):
                    self._api.revoke_all_sessions(_target_id(caller_id, subject))
                trace.revoked, trace.session_ids = tuple(sessions), tuple(s.id for s in sessions)
                return render.revoked_all(subject, sessions, self._now_ms())
        raise AssertionError(f"unhandled command {command!r}")

    def _sign_out_everything(self, caller_id: str, subject: User | None, confirmed: bool, trace: _Trace) -> Reply:
        """``revoke-all --tokens``: preview every session and active token, or sign every session out and then
        disable every token (its next use would otherwise open a new session)."""
        user_id = _target_id(caller_id, subject)
        sessions = self._sessions(caller_id, subject)
        tokens = active(read_tokens(self._api, user_id, subject))
        now_ms = self._now_ms()
        if not confirmed or not (sessions or tokens):
            trace.result = "ok" if confirmed else "preview"
            return render.everything_preview(subject, sessions, tokens, now_ms, buttons=self._buttons)
        with _meaning({403: BotLacksPermission(subject)}):
            self._api.revoke_all_sessions(user_id)
        trace.revoked, trace.session_ids = tuple(sessions), tuple(s.id for s in sessions)
        disabling = disable_each(self._api, tokens, subject, sleep=self._sleep)
        trace.disabled = disabling.disabled
        if disabling.stopped_at is not None:
            trace.result, trace.reason = "failed", type(disabling.stopped_at[1]).__name__
        return render.everything_signed_out(subject, sessions, disabling, now_ms)

    def _revoke_selected(self, caller_id: str, subject: User | None, selection: Selection, confirmed: bool,
                         now_ms: int, trace: _Trace) -> Reply:
        """A filtered ``revoke-all``: preview ``selection``, or sign its sessions out one at a time."""
        if not confirmed or not selection.chosen:
            trace.result = "ok" if confirmed else "preview"
            return render.filtered_preview(subject, selection, now_ms, buttons=self._buttons)
        in_shown_order = tuple(by_recent_activity(selection.chosen))
        revocation = self._revoke_each(_target_id(caller_id, subject), in_shown_order, subject)
        trace.revoked = revocation.revoked
        trace.session_ids = tuple(s.id for s in revocation.revoked)
        if revocation.stopped_at is not None:
            trace.result, trace.reason = "failed", type(revocation.stopped_at[1]).__name__
        return render.revoked_selection(subject, selection, revocation, now_ms)

    def _revoke_each(self, user_id: str, sessions: tuple[Session, ...], subject: User | None) -> Revocation:
        """Sign ``sessions`` out one by one (waiting out Mattermost's rate limit, as ``bot.features.bulk`` does); one
        already gone is skipped, any other failure stops the run."""
        revoked: list[Session] = []
        gone: list[Session] = []
        for i, session in enumerate(sessions):
            try:
                patiently(lambda: self._revoke(user_id, session, subject), sleep=self._sleep)
            except SessionAlreadyGone:
                gone.append(session)
            except BotError as error:
                return Revocation(tuple(revoked), tuple(gone), (session, error), sessions[i + 1 :])
            else:
                revoked.append(session)
        return Revocation(tuple(revoked), tuple(gone))

    def _revoke(self, user_id: str, session: Session, subject: User | None) -> None:
        """Sign one session out, by the id from the target's own list (400: already gone; 403: the bot may not)."""
        with _meaning({400: SessionAlreadyGone(session), 403: BotLacksPermission(subject)}):
            self._api.revoke_session(user_id, session.id)

    def _target(self, caller_id: str, ref: UserRef | None, action: Action, trace: _Trace,
                tokens: TokenAction | None = None) -> User | None:
        """``checked``'s target, remembered in the trace."""
        trace.target = self.checked(caller_id, ref, action, tokens)[1]
        trace.resolved = True
        return trace.target

    def sessions_of(self, caller_id: str, subject: User | None) -> list[Session]:
        """The target's sessions (the caller's for None), read with the bot's token once permission is settled."""
        return self._sessions(caller_id, subject)

    def _audit_event(self, invocation: Invocation, trace: _Trace) -> AuditEvent | None:
        """Changes and refusals are always audited; reads only when they concern someone else."""
        if not (trace.changes or trace.target is not None or trace.result == "refused"
                or (trace.ref is not None and trace.result != "ok")):
            return None
        target = trace.target
        if trace.everyone:
            target_id, target_username = "", render.EVERYONE_TARGET
        elif target is not None:
            target_id, target_username = target.id, target.username
        elif trace.resolved or trace.ref is None:
            target_id, target_username = invocation.caller_id, invocation.caller_username
        else:
            target_id, target_username = "", trace.ref.text
        return AuditEvent.of(
            invocation,
            action=trace.action,
            result=trace.result,
            reason=trace.reason,
            target_id=target_id,
            target_username=target_username,
            session_ids=trace.session_ids,
            filter=trace.filter,
            token_ids=tuple(t.id for t in trace.disabled),
        )

    def _notice(self, invocation: Invocation, trace: _Trace) -> Notice | None:
        """A notice for the target when someone else signed them out of something or disabled their tokens."""
        if not (trace.revoked or trace.disabled) or trace.target is None:
            return None
        everywhere = trace.action == "revoke-all" and trace.filter.is_empty
        return Notice(trace.target.id, invocation.caller_username, trace.revoked, everywhere, self._now_ms(),
                      trace.disabled)

    # --- who is the target, and may the caller act on them ------------------------------------

    def checked(self, caller_id: str, ref: UserRef | None, action: Action | None,
                tokens: TokenAction | None) -> tuple[Caller | None, User | None]:
        """The caller (None when not needed: acting on their own sessions) and the target (None: the caller);
        raises when the caller may not do ``action`` to the target's sessions, or ``tokens`` to their tokens.

        Mattermost checks a token permission before it even loads the target, and so does this, for the
        caller's own tokens too. A deactivated target is refused for sessions (they have none), not for tokens.
        """
        caller = None
        if tokens is not None:
            caller = self.caller_of(caller_id)
            gate = token_gate(caller, tokens)
            if gate is not None:
                raise Refused(gate, target=None, ref=ref)
        if ref is None or (ref.kind == "id" and ref.value == caller_id):
            return caller, self._self(caller_id, action, tokens)
        caller = caller or self.caller_of(caller_id)
        if _names(ref, caller):
            return caller, self._self(caller_id, action, tokens)
        if not caller.may_act_on_others:
            raise Refused(Refusal.NEEDS_EDIT_OTHER_USERS, target=None, ref=ref)
        target = self.resolve(ref)
        if target.id == caller_id:
            return caller, self._self(caller_id, action, tokens)
        changes = action is Action.REVOKE or tokens is TokenAction.DISABLE
        bot_user_id = self._api.bot_user_id if changes else None
        refusal = ((refusal_for(caller, target, action, bot_user_id) if action is not None else None)
                   or (token_refusal(caller, target, tokens, bot_user_id) if tokens is not None else None))
        if refusal is not None:
            raise Refused(refusal, target=target)
        if target.deactivated and action is not None:
            raise TargetDeactivated(target)
        return caller, target

    def _self(self, caller_id: str, action: Action | None, tokens: TokenAction | None = None) -> None:
        """Acting on yourself is always allowed, except that the bot never signs itself out."""
        if (action is Action.REVOKE or tokens is TokenAction.DISABLE) and caller_id == self._api.bot_user_id:
            raise Refused(Refusal.TARGET_IS_THIS_BOT, target=None)
        return None

    def caller_of(self, caller_id: str) -> Caller:
        """The caller, with the permissions their system roles grant (none when deactivated)."""
        user = self._api.user(caller_id)
        granted = frozenset() if user.deactivated else permissions_of(self._api.permissions_of_roles(user.roles), user.roles)
        return Caller(id=user.id, username=user.username, email=user.email, permissions=granted)

    def resolve(self, ref: UserRef) -> User:
        """The user ``ref`` names (``UserNotFound`` when none); a 26-character word may also be a username."""
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
