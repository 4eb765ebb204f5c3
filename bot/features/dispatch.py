"""One table from each kind of command to what runs it, and the one entry point the edges call.

Commands about one user's sessions or tokens (or none) go through ``bot.features.single`` (target,
permission, act, audit); a bulk sign-out and ``list --stale`` reach many users and build their own audit.
"""
from __future__ import annotations

from typing import Any, Callable

from bot.core.commands import (
    Cancel,
    Command,
    DisableTokens,
    Help,
    ListSessions,
    ListStale,
    ListTokens,
    RevokeAll,
    RevokeEveryone,
    RevokeMany,
    RevokeSession,
)
from bot.core.invocation import Invocation
from bot.core.outcomes import Cancelled, Outcome, Usage
from bot.features import bulk, everyone, sessions, single, stale, tokens
from bot.features.bulk import ProgressReport
from bot.features.context import Context
from bot.features.single import Act, Done, Spec

Handler = Callable[[Context, Invocation, Any, "ProgressReport | None"], Outcome]


def _single(specify: Callable[[Any], tuple[Spec, Act]]) -> Handler:
    """The handler of a command about one user: its spec and act, run the single-target way."""
    return lambda ctx, invocation, command, report: single.run(ctx, invocation, *specify(command))


def _help(command: Help) -> tuple[Spec, Act]:
    return Spec("help", changes=False), lambda ctx, who, now_ms: Done(Usage(command.problem))


def _cancel(command: Cancel) -> tuple[Spec, Act]:
    return Spec("cancel", changes=False), lambda ctx, who, now_ms: Done(Cancelled())


def _revoke_all(command: RevokeAll) -> tuple[Spec, Act]:
    return tokens.sign_out_everything(command) if command.tokens else sessions.revoke_all(command)


#: What runs each kind of command.
HANDLERS: dict[type, Handler] = {
    ListSessions: _single(sessions.list_sessions),
    RevokeSession: _single(sessions.revoke_one),
    RevokeAll: _single(_revoke_all),
    ListTokens: _single(tokens.list_tokens),
    DisableTokens: _single(tokens.disable_all_tokens),
    RevokeEveryone: _single(everyone.revoke_everyone),
    Help: _single(_help),
    Cancel: _single(_cancel),
    RevokeMany: bulk.revoke_many,
    ListStale: lambda ctx, invocation, command, report: stale.list_stale(ctx, invocation, command),
}


def run(ctx: Context, invocation: Invocation, command: Command, report: ProgressReport | None = None) -> Outcome:
    """Carry out ``command`` for the caller ``invocation`` names; ``report`` hears how a long bulk sign-out is going."""
    return HANDLERS[type(command)](ctx, invocation, command, report)
