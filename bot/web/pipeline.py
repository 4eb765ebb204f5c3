"""One request pipeline for both edges (the slash command and button clicks), in the spirit of slack-bolt's
ordered middleware chain: each step is a small function, the order is :data:`STEPS`, and a step may answer
early (a 4xx, a refusal, "still working").

1. **authenticate** (the edge's): only Mattermost's requests, from a configured command or a button the bot
   signed, go further; anything else is a 4xx with no detail and costs no call to Mattermost.
2. **read** (the edge's): who asks, from where, and the command (typed text parsed, or a signed button
   verified for the clicker).
3. **rate limit**: a command that signs something out counts against the caller's revoking limit, one that
   looks beyond the caller's own account or previews a sign-out against the (more generous) lookup limit
   (``bot.ops.ratelimit``); over it, the caller is told to slow down and nothing runs: no call to Mattermost, no
   audit-channel line, only the audit log's line.
4. **run**: the command runs (``bot.features``) within the reply budget when the edge has somewhere to send a
   late reply (``bot.web.deferral``); its audit and notices are carried out (``bot.web.effects``); its outcome is
   rendered (``bot.replies``), with buttons when the bot has a public URL.
5. **reply** (the edge's): the reply in the shape that edge answers with.
"""
from __future__ import annotations

from dataclasses import replace
from typing import Callable

from flask import Response

from bot.core.audit import AuditEvent
from bot.core.commands import (
    DisableTokens,
    ListSessions,
    ListStale,
    ListTokens,
    RevokeAll,
    RevokeEveryone,
    RevokeMany,
    RevokeSession,
    UserRef,
    is_lookup,
    is_revoking,
)
from bot.core.invocation import Invocation
from bot.ops import metrics
from bot.replies.errors import slow_down
from bot.replies.values import Reply
from bot.web.deferral import within_budget
from bot.web.edge import Edge, Pending
from bot.web.parts import parts
from bot.web.running import answered

Step = Callable[[Edge, Pending | None], Pending | Response | None]


def authenticate(edge: Edge, _pending: Pending | None) -> Response | None:
    return edge.authenticate()


def read(edge: Edge, _pending: Pending | None) -> Pending | Response:
    return edge.read()


#: The audit action of each kind of command a limit applies to, as the features name it.
_ACTIONS: dict[type, str] = {ListSessions: "list", ListTokens: "tokens", ListStale: "list-stale",
                             RevokeSession: "revoke", RevokeAll: "revoke-all", RevokeMany: "revoke-many",
                             DisableTokens: "disable-tokens", RevokeEveryone: "revoke-everyone"}


def rate_limit(edge: Edge, pending: Pending | None) -> Pending | Response:
    """Over the revoking limit, or the lookup limit: told to slow down, counted, written to the audit log; nothing
    runs and Mattermost is not called (not even for the audit channel: a burst must cost Mattermost nothing)."""
    assert pending is not None
    bot = parts()
    lookups = is_lookup(pending.command)
    if not (lookups or is_revoking(pending.command)):
        return pending
    limited = (bot.limits.lookups if lookups else bot.limits.revoking).check(pending.invocation.caller_id)
    if limited is None:
        return pending
    action = _ACTIONS[type(pending.command)]
    event = refused_event(pending.invocation, action, "rate_limited", getattr(pending.command, "target", None))
    bot.effects.record(None, details=(event,))
    metrics.record_command(action, "rate_limited")
    metrics.record_refusal("rate_limited")
    return edge.answer(pending, Reply(slow_down(limited.retry_after_s, limited.limit, lookups=lookups)))


def run(edge: Edge, pending: Pending | None) -> Pending | Response:
    """The command's reply: within the reply budget when there is somewhere to send it late, else waited for."""
    assert pending is not None
    if pending.hook is None:
        return replace(pending, reply=answered(pending.invocation, pending.command))
    return within_budget(edge, pending)


def reply(edge: Edge, pending: Pending | None) -> Response:
    assert pending is not None and pending.reply is not None
    return edge.answer(pending, pending.reply)


#: The order every request goes through.
STEPS: tuple[Step, ...] = (authenticate, read, rate_limit, run, reply)


def handle(edge: Edge) -> Response:
    """Take the request through :data:`STEPS`, until one answers (each user fetched by id at most once)."""
    pending: Pending | None = None
    with parts().api.remembering_users():
        for step in STEPS:
            result = step(edge, pending)
            if isinstance(result, Response):
                return result
            if result is not None:
                pending = result
    raise AssertionError("the last step always answers")  # pragma: no cover


def refused_event(invocation: Invocation, action: str, reason: str, ref: UserRef | None = None) -> AuditEvent:
    """An audit event for a request refused before the command ran (rate limit, rejected button)."""
    return AuditEvent.of(
        invocation,
        action=action,
        result="refused",
        reason=reason,
        target_id="" if ref else invocation.caller_id,
        target_username=ref.text if ref else invocation.caller_username,
        session_ids=(),
    )
