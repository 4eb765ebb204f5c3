"""``list --stale [30d]``: which members of the caller's team have sessions nobody has used for a while.

The cost is bounded: at most :data:`MAX_MEMBERS` members are read (pages of 200, by username) and
their session lists fetched :data:`bot.features.bulk.CONCURRENCY` at a time. Members whose sessions the caller
may not list (Mattermost's own rule, :func:`bot.core.permissions.refusal_for`) are counted, never read.
"""
from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Callable

from bot.features.bulk import CONCURRENCY, patiently
from bot.core.filters import Duration, SessionFilter
from bot.mattermost.client import MattermostAPI
from bot.core.model import Session, User, by_recent_activity
from bot.core.permissions import Action, Caller, refusal_for

#: The most team members one ``list --stale`` reads.
MAX_MEMBERS = 1000


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


def find_stale(api: MattermostAPI, caller: Caller, team_id: str, inactive: Duration, now_ms: int,
               *, sleep: Callable[[float], None] = time.sleep) -> StaleReport:
    """The caller's team members whose sessions include some inactive for longer than ``inactive``,
    most stale sessions first (``sleep`` waits out Mattermost's rate limit)."""
    members = patiently(lambda: api.team_users(team_id, MAX_MEMBERS + 1), sleep=sleep)
    more = len(members) > MAX_MEMBERS
    members = [m for m in members[:MAX_MEMBERS] if not m.deactivated]
    allowed = [m for m in members if refusal_for(caller, m, Action.LIST, None) is None]
    wanted = SessionFilter(inactive=inactive)

    def check(user: User) -> StaleUser:
        sessions = patiently(lambda: api.sessions(user.id), sleep=sleep)
        stale = tuple(by_recent_activity(wanted.select(sessions, now_ms).chosen))
        return StaleUser(user, stale, len(sessions))

    with ThreadPoolExecutor(max_workers=CONCURRENCY, thread_name_prefix="stale") as pool:
        found = [entry for entry in pool.map(check, allowed) if entry.stale]
    found.sort(key=lambda entry: (-len(entry.stale), entry.user.username))
    return StaleReport(inactive, tuple(found), len(allowed), len(members) - len(allowed), more)
