"""Bulk sign-outs during an incident: ``revoke-all @alice @bob ~incident-channel [filters] [--yes]``.

The order is the single-target one, per target: who is named → may the caller act on them
(Mattermost's own rule, :func:`bot.core.permissions.refusal_for`) → only then read their sessions. A caller
who may not act on others at all is refused before anything is looked up, and a private channel reads
as "no such channel" unless the caller is in it (or holds ``manage_system``), so the bot reveals no
more than Mattermost would. Targets the caller may not touch are skipped with the reason; the rest
proceed. Nothing changes before a confirmation, and the confirmation plans again from scratch.

With ``--tokens`` each target's active personal access tokens are disabled too, once their sessions are
signed out: the caller needs ``revoke_user_access_token`` (refused up front otherwise, rather than doing
half), and a target whose tokens they may not touch (a bot account, without ``manage_others_bots``) is
skipped with the reason.

Reading a target's sessions or tokens waits out Mattermost's rate limit (429), as signing out does; any other
failure to read them is that target's alone: a preview lists them as left out with the reason, and carried out
they count as failed, with nothing of theirs touched, while everyone else proceeds.
"""
from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Callable, Protocol

from bot.replies import render
from bot.core.audit import AuditEvent, Disabling, Notice, Result, ended_by
from bot.features.bulk import (CONCURRENCY, BulkPlan, Progress, Skip, Target, TargetResult, count_revoked, milestones,
                      patiently, sign_out_all)
from bot.core.commands import ChannelRef, RevokeMany, UserRef
from bot.core.errors import BotError, ChannelNotFound, Refused, TargetDeactivated, TooManyMembers, UpstreamRejected
from bot.core.filters import SessionFilter
from bot.core.invocation import Invocation
from bot.mattermost.client import MattermostAPI
from bot.core.model import AccessToken, Channel, User, is_id
from bot.core.permissions import MANAGE_SYSTEM, Action, Caller, Refusal, TokenAction, refusal_for, token_gate, token_refusal
from bot.replies.values import Reply
from bot.features.tokens import active, disable_all, read_tokens

#: The most members read from the channels of one command (a bigger crowd is refused, not truncated).
MAX_CHANNEL_MEMBERS = 2000
#: Progress messages while a long sign-out runs (response_url allows 5 uses; the result takes one).
PROGRESS_UPDATES = 2

#: Tells the person waiting how far it has come (through response_url, or an ephemeral post after a click).
ProgressReport = Callable[[str], None]
#: Each target's active personal access tokens, by user id (``--tokens`` only).
TokensByUser = dict[str, tuple[AccessToken, ...]]


class People(Protocol):
    """Who the caller is and who a name means (the single-target service's own lookups)."""

    def caller_of(self, caller_id: str) -> Caller: ...

    def resolve(self, ref: UserRef) -> User: ...


@dataclass(frozen=True)
class BulkOutcome:
    """The reply, and one audit event per target touched plus a summary, and the targets' notices."""

    reply: Reply
    ok: bool
    audits: tuple[AuditEvent, ...]
    notices: tuple[Notice, ...]
    result: Result
    reason: str = ""


class IncidentService:
    """Plans, previews and carries out ``RevokeMany`` for one caller."""

    def __init__(self, api: MattermostAPI, people: People, *, buttons: bool = False,
                 clock: Callable[[], float] = time.time, sleep: Callable[[float], None] = time.sleep) -> None:
        self._api = api
        self._people = people
        self._buttons = buttons
        self._clock = clock
        self._sleep = sleep

    def _now_ms(self) -> int:
        return int(self._clock() * 1000)

    # --- planning ------------------------------------------------------------------------------

    def plan(self, caller: Caller, command: RevokeMany, team_id: str) -> tuple[BulkPlan, TokensByUser]:
        """Everyone named, each checked against the caller's rights, with the sessions to end (and, with
        ``--tokens``, the tokens to disable)."""
        skipped: list[Skip] = []
        named: dict[str, User] = {}
        for ref in command.users:
            try:
                user = self._people.resolve(ref)
            except BotError as error:
                skipped.append(Skip(ref.text, error))
                continue
            named.setdefault(user.id, user)
        for channel_ref in command.channels:
            try:
                members = self._members(caller, channel_ref, team_id)
            except (ChannelNotFound, TooManyMembers) as error:
                skipped.append(Skip(channel_ref.text, error))
                continue
            for user in members:
                named.setdefault(user.id, user)
        allowed = []
        bot_user_id = self._api.bot_user_id
        for user in named.values():
            reason = self._left_out(caller, user, bot_user_id, command.tokens)
            if reason is None:
                allowed.append(user)
            else:
                skipped.append(Skip("@" + user.username, reason))
        targets, unread = self._selections(allowed, command.filter)
        tokens: TokensByUser = {}
        if command.tokens:  # a user whose tokens cannot be read is not signed out either: never half done
            tokens, unreadable_tokens = self._tokens([target.user for target in targets])
            unread.update(unreadable_tokens)
            targets = [target for target in targets if target.user.id not in unreadable_tokens]
        chosen = tuple(target for target in targets if target.sessions or tokens.get(target.user.id))
        unreadable = [user for user in allowed if user.id in unread]
        if not command.confirmed:  # a preview lists them with the others left out; carried out, they failed
            skipped += [Skip("@" + user.username, unread[user.id]) for user in unreadable]
        failed = () if not command.confirmed else tuple(TargetResult(user, (), unread[user.id]) for user in unreadable)
        return (BulkPlan(chosen, tuple(skipped), command.filter, len(targets) - len(chosen), failed),
                {target.user.id: tokens[target.user.id] for target in chosen if tokens.get(target.user.id)})

    def _members(self, caller: Caller, ref: ChannelRef, team_id: str) -> list[User]:
        """The users in the channel ``ref`` names; ``ChannelNotFound`` when the caller may not see it."""
        channel = self._channel(ref, team_id)
        member_ids = patiently(lambda: self._api.channel_member_ids(channel.id, MAX_CHANNEL_MEMBERS + 1),
                               sleep=self._sleep)
        if channel.private and caller.id not in member_ids and MANAGE_SYSTEM not in caller.permissions:
            raise ChannelNotFound(ref)
        if len(member_ids) > MAX_CHANNEL_MEMBERS:
            raise TooManyMembers(ref, MAX_CHANNEL_MEMBERS)
        return patiently(lambda: self._api.users_by_ids(member_ids), sleep=self._sleep)

    def _channel(self, ref: ChannelRef, team_id: str) -> Channel:
        lookups: list[Callable[[], Channel]] = []
        if team_id:
            lookups.append(lambda: self._api.channel_by_name(team_id, ref.value))
        if is_id(ref.value):
            lookups.append(lambda: self._api.channel(ref.value))
        for lookup in lookups:
            try:
                channel = lookup()
            except UpstreamRejected as exc:
                if exc.status in (400, 403, 404):
                    continue
                raise
            if channel.team_id in (team_id, ""):
                return channel
        raise ChannelNotFound(ref)

    @staticmethod
    def _left_out(caller: Caller, user: User, bot_user_id: str, tokens: bool) -> BotError | None:
        """Why ``user`` is not signed out by this caller (nor their tokens disabled, with ``tokens``), or None
        when they will be."""
        if user.id == caller.id:
            return Refused(Refusal.TARGET_IS_CALLER, target=user)
        refusal = refusal_for(caller, user, Action.REVOKE, bot_user_id)
        if refusal is None and tokens:
            refusal = token_refusal(caller, user, TokenAction.DISABLE, bot_user_id)
        if refusal is not None:
            return Refused(refusal, target=user)
        if user.deactivated:
            return TargetDeactivated(user)
        return None

    def _selections(self, users: list[User], wanted: SessionFilter) -> tuple[list[Target], dict[str, BotError]]:
        """Each user's sessions (read ``CONCURRENCY`` at a time, a 429 waited out), narrowed by the filter; and
        why Mattermost would not give them, by user id, for the users it would not."""
        now_ms = self._now_ms()

        def select(user: User) -> Target | BotError:
            try:
                sessions = patiently(lambda: self._api.sessions(user.id), sleep=self._sleep)
            except BotError as error:  # that user's trouble, not the others'
                return error
            chosen = sessions if wanted.is_empty else list(wanted.select(sessions, now_ms).chosen)
            return Target(user, tuple(chosen), everything=wanted.is_empty)

        with ThreadPoolExecutor(max_workers=CONCURRENCY, thread_name_prefix="plan") as pool:
            selected = list(pool.map(select, users))
        return ([target for target in selected if isinstance(target, Target)],
                {user.id: error for user, error in zip(users, selected) if isinstance(error, BotError)})

    def _tokens(self, users: list[User]) -> tuple[TokensByUser, dict[str, BotError]]:
        """Each user's active personal access tokens (read ``CONCURRENCY`` at a time, a 429 waited out); and why
        Mattermost would not give them, by user id, for the users it would not."""
        def read(user: User) -> tuple[AccessToken, ...] | BotError:
            try:
                return active(patiently(lambda: read_tokens(self._api, user.id, user), sleep=self._sleep))
            except BotError as error:
                return error

        with ThreadPoolExecutor(max_workers=CONCURRENCY, thread_name_prefix="plan") as pool:
            found = list(pool.map(read, users))
        return ({user.id: tokens for user, tokens in zip(users, found) if not isinstance(tokens, BotError)},
                {user.id: error for user, error in zip(users, found) if isinstance(error, BotError)})

    # --- the command ----------------------------------------------------------------------------

    def handle(self, invocation: Invocation, command: RevokeMany, report: ProgressReport | None = None) -> BulkOutcome:
        """Preview or carry out ``command`` for the caller; every BotError becomes its message."""
        try:
            caller = self._people.caller_of(invocation.caller_id)
            if not caller.may_act_on_others:
                raise Refused(Refusal.NEEDS_EDIT_OTHER_USERS, target=None)
            gate = token_gate(caller, TokenAction.DISABLE) if command.tokens else None
            if gate is not None:  # rather than sign everyone out and leave their tokens working
                raise Refused(gate, target=None)
            plan, tokens = self.plan(caller, command, invocation.team_id)
            if not command.confirmed or not (plan.targets or plan.unread):
                reply = render.bulk_preview(command, plan, tokens if command.tokens else None, buttons=self._buttons)
                result = "preview" if not command.confirmed else "ok"
                return self._outcome(invocation, command, reply, plan, [], {}, result)
            results = self._sign_out(plan, report) + list(plan.unread)
            disabled = self._disable(results, tokens)
        except BotError as error:
            summary_event = self._event(invocation, "revoke-many", *ended_by(error), "", _named(command), (),
                                        command.filter)
            return BulkOutcome(Reply(render.error_message(error)), False, (summary_event,), (), summary_event.result,
                               summary_event.reason)
        failed = any(failure(result, disabled) is not None for result in results)
        reply = render.bulk_done(plan, results, disabled if command.tokens else None)
        return self._outcome(invocation, command, reply, plan, results, disabled, "failed" if failed else "ok")

    def _sign_out(self, plan: BulkPlan, report: ProgressReport | None) -> list[TargetResult]:
        marks = milestones(len(plan.targets), PROGRESS_UPDATES)

        def heard(progress: Progress) -> None:
            if report is not None and progress.done in marks:
                report(render.bulk_progress(progress))

        return sign_out_all(self._api, plan.targets, on_progress=heard, sleep=self._sleep)

    def _disable(self, results: list[TargetResult], tokens: TokensByUser) -> dict[str, Disabling]:
        """``--tokens``: disable the tokens of every target whose sessions were signed out (a target whose
        sign-out failed keeps them, and is reported failed: running the command again picks them up)."""
        owners = {r.user.id: (r.user, tokens[r.user.id]) for r in results if r.error is None and r.user.id in tokens}
        return disable_all(self._api, owners, sleep=self._sleep) if owners else {}

    def _outcome(self, invocation: Invocation, command: RevokeMany, reply: Reply, plan: BulkPlan,
                 results: list[TargetResult], disabled: dict[str, Disabling], result: Result) -> BulkOutcome:
        """One audit line per target touched, then the summary; a notice for each user signed out of something."""
        none = Disabling()
        errors = {r.user.id: failure(r, disabled) for r in results}
        per_target = tuple(
            self._event(invocation, "revoke-all", "failed" if errors[r.user.id] else "ok",
                        type(errors[r.user.id]).__name__ if errors[r.user.id] else "", r.user.id, r.user.username,
                        tuple(s.id for s in r.revoked), command.filter,
                        tuple(t.id for t in disabled.get(r.user.id, none).disabled))
            for r in results)
        summary_event = self._event(invocation, "revoke-many", result, summary(plan, results, disabled) if results else
                                    f"{len(plan.targets)} users, {plan.sessions} sessions, {len(plan.skipped)} skipped",
                                    "", _named(command), (), command.filter)
        now_ms = self._now_ms()
        notices = tuple(Notice(r.user.id, invocation.caller_username, r.revoked, plan.filter.is_empty, now_ms,
                               disabled.get(r.user.id, none).disabled)
                        for r in results if r.revoked or disabled.get(r.user.id, none).disabled)
        return BulkOutcome(reply, result != "failed", (*per_target, summary_event), notices, result,
                           summary_event.reason)

    @staticmethod
    def _event(invocation: Invocation, action: str, result: Result, reason: str, target_id: str, target_name: str,
               session_ids: tuple[str, ...], wanted: SessionFilter, token_ids: tuple[str, ...] = ()) -> AuditEvent:
        return AuditEvent.of(invocation, action=action, result=result, reason=reason, target_id=target_id,
                             target_username=target_name, session_ids=session_ids,
                             filter=wanted, token_ids=token_ids)


def _named(command: RevokeMany) -> str:
    """Whom the command named, as typed: the summary audit line's target."""
    return " ".join(["@" + ref.value for ref in command.users] + ["~" + ref.value for ref in command.channels])


def failure(result: TargetResult, disabled: dict[str, Disabling]) -> BotError | None:
    """What went wrong for one target: signing their sessions out, or else disabling their tokens."""
    stopped = disabled[result.user.id].stopped_at if result.user.id in disabled else None
    return result.error or (stopped[1] if stopped else None)


def summary(plan: BulkPlan, results: list[TargetResult], disabled: dict[str, Disabling] | None = None) -> str:
    """The audit summary's reason: how many were signed out, skipped and failed (and tokens disabled)."""
    disabled = disabled or {}
    failed = sum(failure(result, disabled) is not None for result in results)
    tokens = f", {sum(len(d.disabled) for d in disabled.values())} tokens disabled" if disabled else ""
    return (f"{len(results) - failed} signed out ({count_revoked(results)} sessions{tokens}), "
            f"{len(plan.skipped)} skipped, {failed} failed")
