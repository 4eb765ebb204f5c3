"""Bulk sign-outs during an incident: ``revoke-all @alice @bob ~incident-channel [filters] [--tokens] [--yes]``.

The order is the single-target one, per target: who is named → may the caller act on them (Mattermost's own
rule, ``bot.features.access``) → only then read their sessions. A caller who may not act on others at all is
refused before anything is looked up; a named user the caller may not see, and a channel whose members Mattermost
would not show them (a private channel, a direct or group message they are not in, unless ``read_channel`` is
theirs), read as "no such user" and "no such channel" (``bot.features.visibility``), so the bot reveals no more
than Mattermost would. The channels' members are counted before any is read: at most
:data:`~bot.features.planning.MAX_CHANNEL_MEMBERS` for all channels together. Targets the caller may
not touch are skipped with the reason; the rest proceed. Nothing changes before a confirmation, and the
confirmation plans again from scratch (``bot.features.planning``).

Carried out, users are signed out :data:`~bot.features.stepwise.CONCURRENCY` at a time; one user's failure
never stops the others. With ``--tokens`` each target's active personal access tokens are disabled too, once
their sessions are signed out. A session or token counts only when Mattermost confirmed it ended: one already
gone meanwhile is reported as such, never as signed out.
"""
from __future__ import annotations

from typing import Callable, Mapping, Sequence

from bot.core.audit import AuditEvent, Notice, Result, ended_by
from bot.core.commands import RevokeMany
from bot.core.errors import BotError, Refused
from bot.core.invocation import Invocation
from bot.core.outcomes import BulkDone, BulkPreview, Failed, Outcome, View
from bot.core.permissions import Refusal, TokenAction, token_gate
from bot.core.results import (
    BulkPlan,
    Disabling,
    Progress,
    Target,
    TargetResult,
    count_revoked,
)
from bot.features.context import Context, Who, revoke_session, sign_out_everywhere
from bot.features.planning import TokensByUser, plan
from bot.features.stepwise import fan_out, one_by_one, patiently
from bot.features.tokens import disable_tokens

#: Progress messages while a long sign-out runs (response_url allows 5 uses; the result takes one).
PROGRESS_UPDATES = 2

#: Hears how far a long bulk sign-out has come (through response_url, or an ephemeral post after a click).
ProgressReport = Callable[[Progress], None]


def sign_out(ctx: Context, target: Target) -> TargetResult:
    """Revoke the target's selection: everything with one ``revoke/all``, or the chosen sessions one by one."""
    who = Who("", None, target.user)
    if target.everything:
        try:
            patiently(lambda: sign_out_everywhere(ctx, who), sleep=ctx.sleep)
        except BotError as error:
            return TargetResult(target.user, (), error)
        return TargetResult(target.user, target.sessions)
    steps = one_by_one(target.sessions, lambda session: revoke_session(ctx, who, session), sleep=ctx.sleep)
    return TargetResult(target.user, steps.done, steps.stopped_at[1] if steps.stopped_at else None, steps.gone)


def sign_out_all(ctx: Context, targets: Sequence[Target], *,
                 on_progress: ProgressReport | None = None) -> list[TargetResult]:
    """Sign every target out, :data:`~bot.features.stepwise.CONCURRENCY` at a time, in the order given;
    ``on_progress`` hears after each target (one at a time)."""
    counts = {"done": 0, "failed": 0}

    def heard(result: TargetResult) -> None:
        counts["done"] += 1
        counts["failed"] += result.error is not None
        if on_progress is not None:
            on_progress(Progress(counts["done"], len(targets), counts["failed"]))

    return fan_out(targets, lambda target: sign_out(ctx, target), heard=heard, name="bulk")


def milestones(total: int, updates: int) -> frozenset[int]:
    """The ``done`` counts at which to report progress: ``updates`` evenly spaced points before the end."""
    return frozenset(total * step // (updates + 1) for step in range(1, updates + 1)) - {0, total}


def revoke_many(ctx: Context, invocation: Invocation, command: RevokeMany,
                report: ProgressReport | None = None) -> Outcome:
    """Preview or carry out ``command`` for the caller; every BotError ends it as that error."""
    now_ms = ctx.now_ms()
    try:
        caller = ctx.access.caller_of(invocation.caller_id)
        if not caller.may_act_on_others:
            raise Refused(Refusal.NEEDS_EDIT_OTHER_USERS, target=None)
        gate = token_gate(caller, TokenAction.DISABLE) if command.tokens else None
        if gate is not None:  # rather than sign everyone out and leave their tokens working
            raise Refused(gate, target=None)
        planned, tokens = plan(ctx, caller, command, invocation.team_id, now_ms)
        if not command.confirmed or not (planned.targets or planned.unread):
            shown = BulkPreview(command, planned, tokens if command.tokens else None)
            return _outcome(invocation, command, shown, planned, [], {}, "preview" if not command.confirmed else "ok",
                            now_ms)
        marks = milestones(len(planned.targets), PROGRESS_UPDATES)

        def heard(progress: Progress) -> None:
            if report is not None and progress.done in marks:
                report(progress)

        results = sign_out_all(ctx, planned.targets, on_progress=heard) + list(planned.unread)
        disabled = _disable(ctx, results, tokens)
    except BotError as error:
        result, reason = ended_by(error)
        summary_event = _event(invocation, "revoke-many", result, reason, "", _named(command), (), command)
        return Outcome(Failed(error), now_ms, "revoke-many", result, reason, summary_event)
    failed = any(failure(result, disabled) is not None for result in results)
    shown = BulkDone(planned, tuple(results), disabled if command.tokens else None)
    return _outcome(invocation, command, shown, planned, results, disabled, "failed" if failed else "ok", now_ms)


def _disable(ctx: Context, results: list[TargetResult], tokens: TokensByUser) -> dict[str, Disabling]:
    """``--tokens``: disable the tokens of every target whose sessions were signed out (a target whose sign-out
    failed keeps them, and is reported failed: running the command again picks them up)."""
    owners = [(r.user, tokens[r.user.id]) for r in results if r.error is None and r.user.id in tokens]
    done = fan_out(owners, lambda owner: disable_tokens(ctx, Who("", None, owner[0]), owner[1]), name="tokens")
    return {user.id: disabling for (user, _), disabling in zip(owners, done)}


def _outcome(invocation: Invocation, command: RevokeMany, shown: View, planned: BulkPlan,
             results: list[TargetResult], disabled: Mapping[str, Disabling], result: Result, now_ms: int) -> Outcome:
    """One audit line per target touched, then the summary; a notice for each user signed out of something."""
    none = Disabling()
    errors = {r.user.id: failure(r, disabled) for r in results}
    per_target = tuple(
        _event(invocation, "revoke-all", "failed" if errors[r.user.id] else "ok",
               type(errors[r.user.id]).__name__ if errors[r.user.id] else "", r.user.id, r.user.username,
               tuple(s.id for s in r.revoked), command, tuple(t.id for t in disabled.get(r.user.id, none).done))
        for r in results)
    reason = (summary(planned, results, disabled) if results else
              f"{len(planned.targets)} users, {planned.sessions} sessions, {len(planned.skipped)} skipped")
    summary_event = _event(invocation, "revoke-many", result, reason, "", _named(command), (), command)
    notices = tuple(Notice(r.user.id, invocation.caller_username, r.revoked, planned.filter.is_empty, now_ms,
                           disabled.get(r.user.id, none).done)
                    for r in results if r.revoked or disabled.get(r.user.id, none).done)
    return Outcome(shown, now_ms, "revoke-many", result, reason, summary_event, per_target, notices)


def _event(invocation: Invocation, action: str, result: Result, reason: str, target_id: str, target_name: str,
           session_ids: tuple[str, ...], command: RevokeMany, token_ids: tuple[str, ...] = ()) -> AuditEvent:
    return AuditEvent.of(invocation, action=action, result=result, reason=reason, target_id=target_id,
                         target_username=target_name, session_ids=session_ids, filter=command.filter,
                         token_ids=token_ids)


def _named(command: RevokeMany) -> str:
    """Whom the command named, as typed: the summary audit line's target."""
    return " ".join(["@" + ref.value for ref in command.users] + ["~" + ref.value for ref in command.channels])


def failure(result: TargetResult, disabled: Mapping[str, Disabling]) -> BotError | None:
    """What went wrong for one target: signing their sessions out, or else disabling their tokens."""
    stopped = disabled[result.user.id].stopped_at if result.user.id in disabled else None
    return result.error or (stopped[1] if stopped else None)


def summary(planned: BulkPlan, results: Sequence[TargetResult], disabled: Mapping[str, Disabling] | None = None) -> str:
    """The audit summary's reason: how many were signed out, skipped and failed (and tokens disabled)."""
    disabled = disabled or {}
    failed = sum(failure(result, disabled) is not None for result in results)
    tokens = f", {sum(len(d.done) for d in disabled.values())} tokens disabled" if disabled else ""
    return (f"{len(results) - failed} signed out ({count_revoked(list(results))} sessions{tokens}), "
            f"{len(planned.skipped)} skipped, {failed} failed")

