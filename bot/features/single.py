"""The commands about one user's sessions or tokens (``list``, ``revoke``, ``revoke-all``, ``tokens``,
``disable-tokens``, ``revoke-all --everyone``), run the same way: settle who the target is and whether the
caller may act on them (``bot.features.access``), then act, then say what to audit and whom to notify.

What is audited: every change and every refusal, and any read of someone else's sessions or tokens;
listing your own sessions is not. A target signed out of something (or whose tokens were disabled) by someone
else is notified.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from bot.core.audit import EVERYONE, AuditEvent, Notice, Result, ended_by
from bot.core.commands import UserRef
from bot.core.errors import BotError
from bot.core.filters import SessionFilter
from bot.core.invocation import Invocation
from bot.core.model import AccessToken, Session, User
from bot.core.outcomes import Failed, Outcome, View
from bot.core.permissions import Action, TokenAction
from bot.features.context import Context, Who


@dataclass(frozen=True)
class Spec:
    """How one command is run and audited: its ``action`` name, whether it ``changes`` anything (audited
    always), the user named (``ref``, None: the caller), its filter, and what the caller must be allowed to
    do to the target's sessions (``sessions``) and tokens (``tokens``). With neither, it has no target but
    the caller (``everyone``: it is about every user)."""

    action: str
    changes: bool
    ref: UserRef | None = None
    filter: SessionFilter = SessionFilter()
    sessions: Action | None = None
    tokens: TokenAction | None = None
    everyone: bool = False


@dataclass(frozen=True)
class Done:
    """What acting did: the view to show, how it ended (``preview`` when nothing was asked to change yet), and
    what it ended: sessions signed out and tokens disabled, each confirmed by Mattermost."""

    shown: View
    result: Result = "ok"
    reason: str = ""
    revoked: tuple[Session, ...] = ()
    disabled: tuple[AccessToken, ...] = ()


Act = Callable[[Context, Who, int], Done]


def run(ctx: Context, invocation: Invocation, spec: Spec, act: Act) -> Outcome:
    """Settle the target, act, and turn what happened (or the error that ended it) into an outcome."""
    now_ms = ctx.now_ms()
    target: User | None = None
    resolved = False
    try:
        if spec.sessions is not None or spec.tokens is not None:
            caller, target = ctx.access.target_of(invocation.caller_id, spec.ref, spec.sessions, spec.tokens)
        else:
            caller = None
        resolved = True
        done = act(ctx, Who(invocation.caller_id, caller, target), now_ms)
    except BotError as error:
        result, reason = ended_by(error)
        done = Done(Failed(error), result, reason)
        target = target or getattr(error, "target", None)
    audit = _audit(invocation, spec, done, target, resolved)
    notice = _notice(invocation, spec, done, target, now_ms)
    return Outcome(done.shown, now_ms, spec.action, done.result, done.reason, audit, (), (notice,) if notice else ())


def _audit(invocation: Invocation, spec: Spec, done: Done, target: User | None, resolved: bool) -> AuditEvent | None:
    """Changes and refusals are always audited; reads only when they concern someone else."""
    if not (spec.changes or target is not None or done.result == "refused"
            or (spec.ref is not None and done.result != "ok")):
        return None
    if spec.everyone:
        target_id, target_username = "", EVERYONE
    elif target is not None:
        target_id, target_username = target.id, target.username
    elif resolved or spec.ref is None:
        target_id, target_username = invocation.caller_id, invocation.caller_username
    else:
        target_id, target_username = "", spec.ref.text
    return AuditEvent.of(invocation, action=spec.action, result=done.result, reason=done.reason,
                         target_id=target_id, target_username=target_username,
                         session_ids=tuple(s.id for s in done.revoked), filter=spec.filter,
                         token_ids=tuple(t.id for t in done.disabled))


def _notice(invocation: Invocation, spec: Spec, done: Done, target: User | None, now_ms: int) -> Notice | None:
    """A notice for the target when someone else signed them out of something or disabled their tokens."""
    if not (done.revoked or done.disabled) or target is None:
        return None
    everywhere = spec.action == "revoke-all" and spec.filter.is_empty
    return Notice(target.id, invocation.caller_username, done.revoked, everywhere, now_ms, done.disabled)
