"""What acting on sessions and tokens did, and what a bulk sign-out plans to do (pure values).

``Steps`` is what any run of "these, one at a time" did, whatever the items: sessions signed out
(:data:`Revocation`) or tokens disabled (:data:`Disabling`). ``bot.features.stepwise`` makes them.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

from bot.core.errors import BotError
from bot.core.filters import Duration, SessionFilter
from bot.core.model import AccessToken, Session, User

T = TypeVar("T")


@dataclass(frozen=True)
class Steps(Generic[T]):
    """What acting on chosen items one at a time did, in order: the items ``done`` (Mattermost confirmed
    each), those ``gone`` (already ended by then: not done by this run), and, when it stopped at a failure,
    the item and error it stopped at and the items it did not try."""

    done: tuple[T, ...] = ()
    gone: tuple[T, ...] = ()
    stopped_at: tuple[T, BotError] | None = None
    untried: tuple[T, ...] = ()


#: Sessions signed out one at a time.
Revocation = Steps[Session]
#: Personal access tokens disabled one at a time.
Disabling = Steps[AccessToken]


@dataclass(frozen=True)
class Target:
    """A user to sign out, and the sessions selected for them. ``everything`` means no filter: one
    ``revoke/all`` call also ends sessions that appeared after the preview; otherwise exactly
    ``sessions`` are revoked, one by one."""

    user: User
    sessions: tuple[Session, ...]
    everything: bool


@dataclass(frozen=True)
class TargetResult:
    """What happened to one target: the sessions ended, those already gone, and the error that stopped the rest."""

    user: User
    revoked: tuple[Session, ...]
    error: BotError | None = None
    gone: tuple[Session, ...] = ()


@dataclass(frozen=True)
class Skip:
    """A name, or a member of a named channel, left out, and why."""

    name: str
    error: BotError


@dataclass(frozen=True)
class BulkPlan:
    """Who will be signed out of what (``targets``), who is left out (``skipped``), and how many of the
    users in reach have nothing the filter selects (``untouched``). ``unread`` are users in reach whose
    sessions (or tokens) Mattermost would not give: when the command is carried out they count as failed,
    and nothing of theirs is touched."""

    targets: tuple[Target, ...]
    skipped: tuple[Skip, ...]
    filter: SessionFilter
    untouched: int
    unread: tuple[TargetResult, ...] = ()

    @property
    def sessions(self) -> int:
        """Sessions selected across all targets."""
        return sum(len(target.sessions) for target in self.targets)


@dataclass(frozen=True)
class Progress:
    """How far a bulk sign-out has come."""

    done: int
    total: int
    failed: int


@dataclass(frozen=True)
class StaleUser:
    """A member with sessions inactive for longer than asked, and how many sessions they have in all."""

    user: User
    stale: tuple[Session, ...]
    total: int


@dataclass(frozen=True)
class StaleReport:
    """Who has stale sessions, how many members were checked, how many the caller may not look at, and
    whether the team has more members than were read."""

    inactive: Duration
    users: tuple[StaleUser, ...]
    checked: int
    not_allowed: int
    more_members: bool


def count_revoked(results: tuple[TargetResult, ...] | list[TargetResult]) -> int:
    """How many sessions the results ended in all."""
    return sum(len(result.revoked) for result in results)
