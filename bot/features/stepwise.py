"""The one way the bot acts on many things: one at a time, or several users at a time with a bound, always
waiting out Mattermost's rate limit.

- :func:`patiently`: one call, sent again while Mattermost answers 429, after the wait it asks for. A call
  Mattermost answered with 429 was refused by its rate limiter before the handler ran (``api4`` rate limiting
  wraps every route), so sending it again cannot act twice; every other failure is raised at once, never retried.
- :func:`one_by_one`: act on each item in order, patiently; one already gone is set aside (``AlreadyGone``:
  nothing done, nothing counted), any other failure stops the run. The result says exactly what was done,
  where it stopped and what was not tried. Signing sessions out and disabling tokens both go through it.
- :func:`fan_out`: run one piece of work per item, at most ``concurrency`` at a time, results in the items'
  order; each result is heard as it comes (for progress), one at a time.
"""
from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Callable, Iterable, Sequence, TypeVar

from bot.core.errors import AlreadyGone, BotError, UpstreamRejected
from bot.core.results import Steps

T = TypeVar("T")
R = TypeVar("R")
log = logging.getLogger(__name__)

Sleep = Callable[[float], None]

#: Users worked on at the same time: enough to finish 500 users in seconds, few enough not to crowd out
#: Mattermost's other clients (its default rate limit is 10 requests per second per token, burst 100).
CONCURRENCY = 4
#: Tries of one call while Mattermost keeps answering 429, and the first wait when it names none.
RATE_LIMIT_ATTEMPTS = 6
FIRST_WAIT_S = 0.5
MAX_WAIT_S = 10.0


def patiently(call: Callable[[], T], *, sleep: Sleep = time.sleep) -> T:
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


def one_by_one(items: Iterable[T], act: Callable[[T], None], *, sleep: Sleep = time.sleep) -> Steps[T]:
    """Act on each item in order (waiting out 429s): what was done, what was already gone, and, at the first
    other failure, where it stopped and what it did not try."""
    todo = tuple(items)
    done: list[T] = []
    gone: list[T] = []
    for index, item in enumerate(todo):
        try:
            patiently(lambda: act(item), sleep=sleep)
        except AlreadyGone:
            gone.append(item)
        except BotError as error:
            return Steps(tuple(done), tuple(gone), (item, error), todo[index + 1:])
        else:
            done.append(item)
    return Steps(tuple(done), tuple(gone))


def fan_out(items: Sequence[T], work: Callable[[T], R], *, concurrency: int = CONCURRENCY,
            heard: Callable[[R], None] | None = None, name: str = "fan-out") -> list[R]:
    """``work(item)`` for every item, at most ``concurrency`` at a time, in the items' order; ``heard`` gets each
    result as it comes, one at a time (a failure there is logged and never stops the work)."""
    lock = threading.Lock()

    def one(item: T) -> R:
        result = work(item)
        if heard is not None:
            with lock:
                try:
                    heard(result)
                except Exception:  # noqa: BLE001 - hearing is a courtesy (progress): it never stops the work
                    log.exception("could not report progress")
        return result

    if len(items) <= 1:
        return [one(item) for item in items]
    with ThreadPoolExecutor(max_workers=max(1, concurrency), thread_name_prefix=name) as pool:
        return list(pool.map(one, items))
