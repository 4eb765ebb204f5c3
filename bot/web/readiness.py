"""Whether the bot can work: Mattermost answers and the bot's token is valid (``GET /users/me``), asked at most
once per few seconds so frequent probes don't hammer Mattermost."""
from __future__ import annotations

import threading
import time
from typing import Callable

from bot.core.errors import BotError, BotTokenRejected, MattermostUnreachable
from bot.mattermost.client import MattermostAPI

#: How long a readiness verdict is reused, so frequent probes don't hammer Mattermost.
READY_CACHE_SECONDS = 5.0

def _reason(error: BotError) -> str:
    match error:
        case MattermostUnreachable(detail=detail):
            return f"Mattermost unreachable: {detail}"
        case BotTokenRejected():
            return "Mattermost rejected the bot's token (MATTERMOST_TOKEN)"
    return f"Mattermost answered unexpectedly ({type(error).__name__})"


class Readiness:
    """Whether the bot can work: ``GET /users/me`` with its token succeeds. Cached for a few seconds."""

    def __init__(self, api: MattermostAPI, *, ttl_s: float = READY_CACHE_SECONDS, clock: Callable[[], float] = time.monotonic) -> None:
        self._api = api
        self._ttl_s = ttl_s
        self._clock = clock
        self._lock = threading.Lock()
        self._verdict: tuple[float, str | None] | None = None

    def problem(self) -> str | None:
        """None when ready, otherwise why not (a short sentence for operators)."""
        with self._lock:
            if self._verdict is not None and self._clock() - self._verdict[0] < self._ttl_s:
                return self._verdict[1]
            try:
                self._api.whoami()
                problem = None
            except BotError as error:
                problem = _reason(error)
            self._verdict = (self._clock(), problem)
            return problem
