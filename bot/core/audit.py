"""Accountability records: one audit event per action, and the notice a user receives when someone else signs
them out (pure values)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from bot.core.errors import BotError, Refused
from bot.core.filters import SessionFilter
from bot.core.invocation import Invocation
from bot.core.model import AccessToken, Session

Result = Literal["ok", "preview", "refused", "failed"]
#: How an audit event names the target of ``revoke-all --everyone``.
EVERYONE = "(everyone)"
#: How an audit event names the target of ``list --stale``.
TEAM = "(team)"


@dataclass(frozen=True)
class AuditEvent:
    """Who did (or tried) what to whose sessions, from where, and how it ended.

    ``filter`` is the filter the command selected sessions with (empty when it had none);
    ``token_ids`` are the personal access tokens the command disabled (ids only: a token's value never
    reaches the bot).
    """

    action: str
    result: Result
    reason: str
    actor_id: str
    actor_username: str
    target_id: str
    target_username: str
    session_ids: tuple[str, ...]
    channel_id: str
    team_id: str
    via: Literal["slash", "button"]
    filter: SessionFilter = field(default_factory=SessionFilter)
    token_ids: tuple[str, ...] = ()

    @classmethod
    def of(cls, invocation: Invocation, **fields: Any) -> AuditEvent:
        """An event for what ``invocation``'s caller did, from where and how; ``fields`` give the rest."""
        return cls(actor_id=invocation.caller_id, actor_username=invocation.caller_username,
                   channel_id=invocation.channel_id, team_id=invocation.team_id, via=invocation.via, **fields)


def ended_by(error: BotError) -> tuple[Result, str]:
    """How an error ends an audited action: ``refused`` with the refusal's name, else ``failed`` with the error's."""
    if isinstance(error, Refused):
        return "refused", error.reason.name.lower()
    return "failed", type(error).__name__


@dataclass(frozen=True)
class Notice:
    """Tell ``target_id`` that ``actor_username`` signed them out of ``sessions`` and disabled ``tokens``."""

    target_id: str
    actor_username: str
    sessions: tuple[Session, ...]
    everywhere: bool
    at_ms: int
    tokens: tuple[AccessToken, ...] = ()
