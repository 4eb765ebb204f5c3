"""Per-user limits, answered the way Mattermost can show it (200, ephemeral).

Two limits, each counted per caller in its own namespace of the same storage (:class:`Limits`):

- **revoking** (``REVOKE_RATE_LIMIT``): the commands ``bot.core.commands.is_revoking`` accepts, those that sign
  something out;
- **lookups** (``LOOKUP_RATE_LIMIT``, more generous): the commands ``bot.core.commands.is_lookup`` accepts, those
  that look beyond the caller's own account or preview a sign-out (another user's sessions or tokens,
  ``list --stale``, every preview of someone else's sign-out and of ``--everyone``). They are where refusals come
  from: a caller without the permission is refused, and each refusal is an audit-channel line and a few calls to
  Mattermost, so counting them *before* they run is what stops a burst of refusals.

The caller's own ``list``, ``tokens`` and previews, help and cancels are never counted. The pipeline
(``bot.web.pipeline``) calls :meth:`RateLimiter.check` after authenticating the request and parsing (or
verifying) the command, before anything runs. Over a limit, the reply is a normal ephemeral message
(``bot.replies`` words it), never a 429: Mattermost shows any non-200 as an error.

Built on ``limits``, the engine of Flask-Limiter, rather than on Flask-Limiter's decorators: those
evaluate a limit in ``before_request``, keyed by a function of the raw request, and answer 429. Here
the key and the decision need the *authenticated, parsed* request (the command text, or a button's
signed context), so a decorator would parse and verify everything a second time before the token
check, and unauthenticated requests naming a victim's ``user_id`` could spend that victim's budget.
The storage URIs are Flask-Limiter's: ``memory://`` (per process: each gunicorn worker and replica
counts on its own) or ``redis://host:6379/0`` and friends (one count shared by every process).

Moving window: "10 per minute" means at most 10 counted requests in any 60 seconds; refused
requests are not counted. If the storage fails (Redis down), the request is let through and a
warning logged: the limit damps abuse, permissions are what protect users, and a user must still
be able to sign out a lost phone.
"""
from __future__ import annotations

import importlib.util
import logging
import math
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from limits import RateLimitItem, parse_many
from limits.errors import StorageError
from limits.storage import Storage, storage_from_string
from limits.strategies import MovingWindowRateLimiter

log = logging.getLogger(__name__)

DEFAULT_LIMIT = "10 per minute"
#: Twice the revoking limit: a lookup every 3 seconds for a whole minute is more than anyone types.
DEFAULT_LOOKUP_LIMIT = "20 per minute"
DEFAULT_STORAGE_URI = "memory://"
#: Redis schemes accepted for the storage URI (served by ``limits`` with the ``redis`` package).
REDIS_SCHEMES = frozenset({"redis", "rediss", "redis+unix"})
#: A Redis that does not answer fast must not hold a command up (Mattermost gives it 30 s in all).
REDIS_TIMEOUT_S = 0.5


def validate_limit(text: str) -> str:
    """``text`` if it is exactly one limit such as ``10 per minute`` or ``5/30 seconds``; else ValueError."""
    try:
        items = parse_many(text)
    except ValueError:
        items = []
    if len(items) != 1 or items[0].amount < 1:
        raise ValueError("must be one rate limit such as '10 per minute' or '20/hour'")
    return text.strip()


def validate_storage_uri(uri: str) -> str:
    """``uri`` if it is ``memory://`` or a Redis URI that can be used here; else ValueError (never connects)."""
    uri = uri.strip()
    try:
        parts = urlsplit(uri)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number in range
    except ValueError as exc:
        raise ValueError("is not a valid URI") from exc
    if parts.scheme == "memory" and uri.startswith("memory://"):
        return uri
    if parts.scheme not in REDIS_SCHEMES or "://" not in uri:
        raise ValueError("must be memory:// or a Redis URI: redis://host:6379/0, rediss://… or redis+unix:///path.sock")
    if parts.scheme == "redis+unix" and not parts.path:
        raise ValueError("must name the socket, e.g. redis+unix:///run/redis.sock")
    if parts.scheme != "redis+unix" and not parts.hostname:
        raise ValueError("must name the Redis host, e.g. redis://redis.internal:6379/0")
    if importlib.util.find_spec("redis") is None:
        raise ValueError("needs the redis package (pip install 'limits[redis]')")
    return uri


@dataclass(frozen=True)
class RateLimitResult:
    """A refused request: how long until the caller may try again, and the limit they hit."""

    retry_after_s: int
    limit: str


def _describe(item: RateLimitItem) -> str:
    """``10 per minute``, ``5 per 30 seconds``."""
    unit = item.GRANULARITY.name
    return f"{item.amount} per {unit}" if item.multiples == 1 else f"{item.amount} per {item.multiples} {unit}s"


def _storage(storage_uri: str) -> Storage:
    uri = validate_storage_uri(storage_uri)
    options: dict[str, Any] = {}
    if urlsplit(uri).scheme in REDIS_SCHEMES:
        from redis.backoff import NoBackoff
        from redis.retry import Retry

        options = {"socket_timeout": REDIS_TIMEOUT_S, "socket_connect_timeout": REDIS_TIMEOUT_S,
                   "retry": Retry(NoBackoff(), 1), "key_prefix": "sessions_bot"}
    return storage_from_string(uri, wrap_exceptions=True, **options)  # type: ignore[return-value]


class RateLimiter:
    """Counts one kind of request per caller in a moving window, in its own ``namespace`` of the storage; one
    instance per app and kind (thread-safe)."""

    def __init__(self, limit: str = DEFAULT_LIMIT, storage_uri: str = DEFAULT_STORAGE_URI, *,
                 namespace: str = "revoke", storage: Storage | None = None) -> None:
        self._item = parse_many(validate_limit(limit))[0]
        self._storage: Storage = storage if storage is not None else _storage(storage_uri)
        self._limiter = MovingWindowRateLimiter(self._storage)
        self._namespace = namespace
        self.limit = _describe(self._item)

    def check(self, key: str) -> RateLimitResult | None:
        """Count one request by ``key`` (the caller's user id): None if allowed, else why not.

        Call it after authentication, before acting, for the requests of this limiter's kind only.
        """
        if not key:
            raise ValueError("a rate limit needs the caller's user id")
        failures = (StorageError, self._storage.base_exceptions)
        try:
            if self._limiter.hit(self._item, self._namespace, key):
                return None
        except failures as exc:
            log.warning("rate limit storage failed (%s); request allowed", type(exc).__name__)
            return None
        try:
            reset_at = self._limiter.get_window_stats(self._item, self._namespace, key).reset_time
            retry_after = math.ceil(reset_at - time.time())
        except failures:
            retry_after = self._item.get_expiry()
        return RateLimitResult(retry_after_s=max(1, min(retry_after, self._item.get_expiry())), limit=self.limit)

    def reset(self, key: str) -> None:
        """Forget ``key``'s count (e.g. an operator unblocking a user)."""
        self._limiter.clear(self._item, self._namespace, key)


@dataclass(frozen=True)
class Limits:
    """The app's two per-user limits, counted in one storage: revoking requests, and lookups."""

    revoking: RateLimiter
    lookups: RateLimiter

    @classmethod
    def of(cls, revoke_limit: str = DEFAULT_LIMIT, lookup_limit: str = DEFAULT_LOOKUP_LIMIT,
           storage_uri: str = DEFAULT_STORAGE_URI) -> Limits:
        storage = _storage(storage_uri)
        return cls(RateLimiter(revoke_limit, namespace="revoke", storage=storage),
                   RateLimiter(lookup_limit, namespace="lookup", storage=storage))
