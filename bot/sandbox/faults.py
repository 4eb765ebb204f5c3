"""Injected failures: slow answers, error statuses, malformed bodies, dropped connections, and Mattermost's
rate limiter answering 429 (:meth:`Faults.rate_limit`)."""
from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field
from typing import Callable


@dataclass(eq=False)
class FaultRule:
    """One fault: which requests it hits and what happens to them.

    ``path_regex`` is searched (``re.search``) in the request path; ``method`` (any case)
    narrows it. A hit sleeps ``delay_s``, then either drops the connection, or answers
    ``status`` with ``body`` (raw bytes sent as ``content_type``) or, without a body, the
    AppError Mattermost would send for that status (for 429: the rate limiter's plain-text
    refusal and ``X-Ratelimit-*``/``Retry-After`` headers). ``headers`` are added to the answer,
    replacing any of the same name. With neither ``status`` nor ``body`` nor ``drop_connection``
    the rule only delays. ``before`` runs as the request arrives, before anything else: something
    another client did meanwhile (e.g. signing the session out on the device). ``times`` limits how
    many requests it hits (``None``: all); ``hits`` counts them.
    """

    path_regex: str
    method: str | None = None
    status: int | None = None
    delay_s: float = 0.0
    times: int | None = None
    body: bytes | None = None
    content_type: str = "application/json"
    drop_connection: bool = False
    headers: dict[str, str] = field(default_factory=dict)
    before: Callable[[], object] | None = None
    hits: int = field(default=0, init=False)

    @property
    def answers(self) -> bool:
        """True when the rule replaces the real answer (rather than only delaying it)."""
        return self.drop_connection or self.status is not None or self.body is not None

    def matches(self, method: str, path: str) -> bool:
        """Whether a request is covered (ignoring ``times``)."""
        if self.method is not None and self.method.upper() != method.upper():
            return False
        return re.search(self.path_regex, path) is not None


class Faults:
    """The thread-safe list of fault rules of a world (first matching rule wins)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rules: list[FaultRule] = []

    def add(
        self,
        path_regex: str,
        *,
        method: str | None = None,
        status: int | None = None,
        delay_s: float = 0.0,
        times: int | None = None,
        body: bytes | None = None,
        content_type: str = "application/json",
        drop_connection: bool = False,
        headers: dict[str, str] | None = None,
        before: Callable[[], object] | None = None,
    ) -> FaultRule:
        """Add a rule (see :class:`FaultRule`) and return it as a handle (``remove`` takes it)."""
        re.compile(path_regex)
        rule = FaultRule(path_regex, method, status, delay_s, times, body, content_type, drop_connection,
                         dict(headers or {}), before)
        with self._lock:
            self._rules.append(rule)
        return rule

    def rate_limit(self, path_regex: str, times: int | None = 1, *, method: str | None = None,
                   retry_after_s: int = 1) -> FaultRule:
        """Answer the next ``times`` matching requests (``None``: all) as Mattermost's rate limiter does
        (``server/channels/app/ratelimit.go`` ``RateLimitWriter``: ``http.Error(w, "limit exceeded", 429)``
        after throttled's ``X-Ratelimit-Limit``/``-Remaining``/``-Reset`` and ``Retry-After`` headers),
        before any handler runs. ``retry_after_s`` is the whole seconds ``Retry-After`` asks for."""
        return self.add(path_regex, method=method, status=429, times=times,
                        headers={"Retry-After": str(retry_after_s)})

    def remove(self, rule: FaultRule) -> None:
        """Remove one rule (no error if it is already gone)."""
        with self._lock:
            if rule in self._rules:
                self._rules.remove(rule)

    def clear(self) -> None:
        """Remove every rule."""
        with self._lock:
            self._rules.clear()

    def take(self, method: str, path: str) -> FaultRule | None:
        """Return the first rule that covers this request and still has uses, counting the use."""
        with self._lock:
            for rule in self._rules:
                if rule.matches(method, path) and (rule.times is None or rule.hits < rule.times):
                    rule.hits += 1
                    return rule
        return None
