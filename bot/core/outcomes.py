"""What a command did, as data: what to show the caller (a view), what to audit, whom to notify (pure).

Features return an :class:`Outcome`; ``bot.replies`` renders its view into text, and the edge (``bot.web``)
decides whether the reply has buttons, posts it, and carries out the audit and the notices. Each view holds
the facts its reply needs, nothing worded.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping

from bot.core.audit import AuditEvent, Notice, Result
from bot.core.commands import Problem, RevokeMany
from bot.core.errors import BotError
from bot.core.filters import Selection
from bot.core.model import AccessToken, Session, User
from bot.core.results import BulkPlan, Disabling, Revocation, StaleReport, TargetResult

# In every view, ``subject`` is whose sessions or tokens they are: None means the caller's own.


@dataclass(frozen=True)
class SessionList:
    """``list``: every session of the subject."""

    subject: User | None
    sessions: tuple[Session, ...]


@dataclass(frozen=True)
class FilteredList:
    """``list`` with a filter: the sessions it selected."""

    subject: User | None
    selection: Selection


@dataclass(frozen=True)
class SignedOutOne:
    """``revoke <ID>``: the session signed out, and those that remain."""

    subject: User | None
    session: Session
    remaining: tuple[Session, ...]


@dataclass(frozen=True)
class RevokeAllPreview:
    """``revoke-all`` unconfirmed: every session that would be signed out."""

    subject: User | None
    sessions: tuple[Session, ...]


@dataclass(frozen=True)
class SignedOutAll:
    """``revoke-all --yes``: every session signed out (one ``revoke/all``)."""

    subject: User | None
    sessions: tuple[Session, ...]


@dataclass(frozen=True)
class FilteredPreview:
    """A filtered ``revoke-all`` unconfirmed: exactly the sessions the filter selects now."""

    subject: User | None
    selection: Selection


@dataclass(frozen=True)
class SignedOutSelection:
    """A filtered ``revoke-all --yes``: what signing the selection out one at a time did."""

    subject: User | None
    selection: Selection
    revocation: Revocation


@dataclass(frozen=True)
class TokenList:
    """``tokens``: the subject's personal access tokens, and when each was last used (None: not shown)."""

    subject: User | None
    tokens: tuple[AccessToken, ...]
    last_used: Mapping[str, int] | None


@dataclass(frozen=True)
class DisableTokensPreview:
    """``disable-tokens`` unconfirmed: the active tokens that would be disabled."""

    subject: User | None
    tokens: tuple[AccessToken, ...]


@dataclass(frozen=True)
class TokensDisabled:
    """``disable-tokens --yes``: what disabling them one at a time did."""

    subject: User | None
    disabling: Disabling


@dataclass(frozen=True)
class EverythingPreview:
    """``revoke-all --tokens`` unconfirmed: every session and every active token."""

    subject: User | None
    sessions: tuple[Session, ...]
    tokens: tuple[AccessToken, ...]


@dataclass(frozen=True)
class EverythingSignedOut:
    """``revoke-all --tokens --yes``: the sessions signed out, then what disabling the tokens did."""

    subject: User | None
    sessions: tuple[Session, ...]
    disabling: Disabling


@dataclass(frozen=True)
class EveryonePreview:
    """``revoke-all --everyone``: what it does, and the code to type back (valid for about ``window_s``)."""

    code: str
    window_s: int


@dataclass(frozen=True)
class EveryoneSignedOut:
    """``revoke-all --everyone --confirm <code>``: Mattermost signed every user out."""


@dataclass(frozen=True)
class StaleList:
    """``list --stale``: the team members with sessions unused for longer than asked."""

    report: StaleReport


@dataclass(frozen=True)
class BulkPreview:
    """A bulk ``revoke-all`` unconfirmed (or confirmed with nothing to do): who, what, who is skipped and why;
    ``tokens`` are the active tokens by user id with ``--tokens``, else None."""

    command: RevokeMany
    plan: BulkPlan
    tokens: Mapping[str, tuple[AccessToken, ...]] | None


@dataclass(frozen=True)
class BulkDone:
    """A bulk ``revoke-all`` carried out: each target's result, and (with ``--tokens``) what disabling did."""

    plan: BulkPlan
    results: tuple[TargetResult, ...]
    disabled: Mapping[str, Disabling] | None


@dataclass(frozen=True)
class Usage:
    """``help``, or a text that was not understood (``problem``)."""

    problem: Problem | None = None


@dataclass(frozen=True)
class Cancelled:
    """A confirmation dismissed with its Cancel button."""


@dataclass(frozen=True)
class Failed:
    """The command ended early: refused, or Mattermost (or the bot) could not do it."""

    error: BotError


View = (SessionList | FilteredList | SignedOutOne | RevokeAllPreview | SignedOutAll | FilteredPreview
        | SignedOutSelection | TokenList | DisableTokensPreview | TokensDisabled | EverythingPreview
        | EverythingSignedOut | EveryonePreview | EveryoneSignedOut | StaleList | BulkPreview | BulkDone | Usage
        | Cancelled | Failed)


@dataclass(frozen=True)
class Outcome:
    """What a command did: the view to show (as it stood at ``now_ms``), the action and how it ended (for
    metrics and logs), the audit event with a bulk command's line per target (``details``), and the notices."""

    shown: View
    now_ms: int
    action: str
    result: Result = "ok"
    reason: str = ""
    audit: AuditEvent | None = None
    details: tuple[AuditEvent, ...] = ()
    notices: tuple[Notice, ...] = field(default_factory=tuple)

    @property
    def ok(self) -> bool:
        """False when the command ended early, or did only part of what it set out to do."""
        return self.result not in ("failed", "refused")
