"""Sign many users out at once: bounded concurrency, patience with Mattermost's rate limit, and one
user's failure never stopping the others.

Nothing here decides who may be signed out (that is :mod:`bot.core.permissions`, per target, before a
target reaches this module) or words anything (that is :mod:`bot.replies.render`). A call Mattermost
answered with 429 was refused by its rate limiter before the handler ran (``api4`` rate limiting
wraps every route), so sending it again cannot act twice; every other failure is reported, never
retried.
"""
from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Callable, Iterable, Protocol, Sequence, TypeVar

from bot.core.errors import BotError, UpstreamRejected
from bot.core.filters import SessionFilter
from bot.core.model import Session, User

T = TypeVar("T")
log = logging.getLogger(__name__)

#: Users signed out at the same time: enough to finish 500 users in seconds, few enough not to crowd
#: out Mattermost's other clients (its default rate limit is 10 requests per second per token, burst 100).
CONCURRENCY = 4
#: Tries of one call while Mattermost keeps answering 429, and the first wait when it names none.
RATE_LIMIT_ATTEMPTS = 6
FIRST_WAIT_S = 0.5
MAX_WAIT_S = 10.0


class RevokingAPI(Protocol):
    """The calls a bulk sign-out makes (:class:`bot.mattermost.client.MattermostAPI` over HTTP)."""

    def revoke_session(self, user_id: str, session_id: str) -> None: ...

    def revoke_all_sessions(self, user_id: str) -> None: ...


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
    """What happened to one target: the sessions ended, and the error that stopped the rest, if any."""

    user: User
    revoked: tuple[Session, ...]
    error: BotError | None = None


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


def patiently(call: Callable[[], T], *, sleep: Callable[[float], None] = time.sleep) -> T:
    """``call()``, sent again while Mattermost answers 429, after the wait it asks for (or a doubling
    one), at most :data:`RATE_LIMIT_ATTEMPTS` times; any other error is raised at once."""
    wait = FIRST_WAIT_S
    for attempt in range(1, RATE_LIMIT_ATTEMPTS + 1):
        try:
            return call()
        except UpstreamRejected as exc:
            if exc.status != 429 or attempt == RATE_LIMIT_ATTEMPTS:
                raise
            sleep(min(MAX_WAIT_S, exc.retry_after_s if exc.retry_after_s else wait))
            wait *= 2
    raise AssertionError("unreachable")  # pragma: no cover - the loop returns or raises


def sign_out(api: RevokingAPI, target: Target, *, sleep: Callable[[float], None] = time.sleep) -> TargetResult:
    """Revoke the target's selection; a session already gone (400) counts as ended, not as a failure."""
    if target.everything:
        try:
            patiently(lambda: api.revoke_all_sessions(target.user.id), sleep=sleep)
        except BotError as error:
            return TargetResult(target.user, (), error)
        return TargetResult(target.user, target.sessions)
    revoked: list[Session] = []
    for session in target.sessions:
        try:
            patiently(lambda: api.revoke_session(target.user.id, session.id), sleep=sleep)
        except UpstreamRejected as exc:
            if exc.status != 400:  # 400: it ended meanwhile (expired, signed out): nothing left to do
                return TargetResult(target.user, tuple(revoked), exc)
        except BotError as error:
            return TargetResult(target.user, tuple(revoked), error)
        revoked.append(session)
    return TargetResult(target.user, tuple(revoked))


def sign_out_all(api: RevokingAPI, targets: Sequence[Target], *, concurrency: int = CONCURRENCY,
                 on_progress: Callable[[Progress], None] | None = None,
                 sleep: Callable[[float], None] = time.sleep) -> list[TargetResult]:
    """Sign every target out, ``concurrency`` at a time, in the order given; ``on_progress`` hears after
    each target (from the worker threads, one at a time)."""
    lock = threading.Lock()
    counts = {"done": 0, "failed": 0}

    def one(target: Target) -> TargetResult:
        result = sign_out(api, target, sleep=sleep)
        with lock:
            counts["done"] += 1
            counts["failed"] += result.error is not None
            if on_progress is not None:
                try:
                    on_progress(Progress(counts["done"], len(targets), counts["failed"]))
                except Exception:  # noqa: BLE001 - progress is a courtesy: it never stops the sign-out
                    log.exception("could not report progress")
        return result

    with ThreadPoolExecutor(max_workers=max(1, concurrency), thread_name_prefix="bulk") as pool:
        return list(pool.map(one, targets))


def milestones(total: int, updates: int) -> frozenset[int]:
    """The ``done`` counts at which to report progress: ``updates`` evenly spaced points before the end."""
    return frozenset(total * step // (updates + 1) for step in range(1, updates + 1)) - {0, total}


def count_revoked(results: Iterable[TargetResult]) -> int:
    """How many sessions the results ended in all."""
    return sum(len(result.revoked) for result in results)
