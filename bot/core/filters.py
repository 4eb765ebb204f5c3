"""Which of a user's sessions a command is about: filters on device and age (pure, no I/O).

``list`` and ``revoke-all`` take the same filters (``--platform``, ``--older-than``, ``--inactive``).
A session matches a filter when it passes every criterion given (AND); several platforms are
alternatives (OR). An empty filter matches every session.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Iterable, Literal

from bot.core.model import DeviceKind, Session

MINUTE_MS = 60_000
#: Milliseconds in each duration unit the filters accept.
UNITS = {"m": MINUTE_MS, "h": 60 * MINUTE_MS, "d": 24 * 60 * MINUTE_MS, "w": 7 * 24 * 60 * MINUTE_MS}
#: The longest duration accepted: anything longer is a typo, not an incident.
MAX_DURATION_MS = 3650 * UNITS["d"]


class Platform(enum.Enum):
    """The names ``--platform`` accepts, each standing for one or more device kinds."""

    WEB = "web"
    DESKTOP = "desktop"
    MOBILE = "mobile"
    API = "api"

    @property
    def kinds(self) -> frozenset[DeviceKind]:
        """The device kinds this name selects (``api``: personal access token and bot token sessions)."""
        return _KINDS[self]


_KINDS = {
    Platform.WEB: frozenset({DeviceKind.WEB}),
    Platform.DESKTOP: frozenset({DeviceKind.DESKTOP}),
    Platform.MOBILE: frozenset({DeviceKind.MOBILE}),
    Platform.API: frozenset({DeviceKind.ACCESS_TOKEN, DeviceKind.BOT_TOKEN}),
}


class DurationError(ValueError):
    """A duration the filters do not accept: an unknown ``unit``, ``not_positive``, or ``too_long``."""

    def __init__(self, reason: Literal["unit", "not_positive", "too_long"]) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Duration:
    """A whole number of minutes, hours, days or weeks, above zero and at most 10 years, e.g. ``30d``."""

    amount: int
    unit: str

    def __post_init__(self) -> None:
        if self.unit not in UNITS:
            raise DurationError("unit")
        if self.amount <= 0:
            raise DurationError("not_positive")
        if self.ms > MAX_DURATION_MS:
            raise DurationError("too_long")

    @property
    def ms(self) -> int:
        """The duration in milliseconds."""
        return self.amount * UNITS[self.unit]

    def __str__(self) -> str:
        return f"{self.amount}{self.unit}"


@dataclass(frozen=True)
class SessionFilter:
    """Which sessions a command is about; the empty filter (the default) is every session.

    ``older_than``: signed in more than this long ago. ``inactive``: no activity for more than this long.
    A session whose time is not set (0) or unknown (None: one Mattermost could never send) counts as infinitely
    old.
    """

    platforms: frozenset[Platform] = frozenset()
    older_than: Duration | None = None
    inactive: Duration | None = None

    @property
    def is_empty(self) -> bool:
        """True when the filter selects every session."""
        return not self.platforms and self.older_than is None and self.inactive is None

    def matches(self, session: Session, now_ms: int) -> bool:
        """True when ``session`` passes every criterion of the filter at ``now_ms``."""
        if self.platforms and not any(session.kind in p.kinds for p in self.platforms):
            return False
        if self.older_than is not None and now_ms - (session.created_ms or 0) <= self.older_than.ms:
            return False
        return self.inactive is None or now_ms - (session.last_activity_ms or 0) > self.inactive.ms

    def select(self, sessions: Iterable[Session], now_ms: int) -> Selection:
        """The sessions the filter picks at ``now_ms`` (in the given order), and how many it leaves out."""
        every = list(sessions)
        chosen = tuple(s for s in every if self.matches(s, now_ms))
        return Selection(self, chosen, len(every) - len(chosen))

    def ordered_platforms(self) -> list[Platform]:
        """The filter's platforms, in the order :class:`Platform` lists them."""
        return [p for p in Platform if p in self.platforms]

    def options(self) -> str:
        """The filter as the command options that give it, e.g. ``--platform mobile,web --inactive 7d``."""
        words = []
        if self.platforms:
            words += ["--platform", ",".join(p.value for p in self.ordered_platforms())]
        if self.older_than is not None:
            words += ["--older-than", str(self.older_than)]
        if self.inactive is not None:
            words += ["--inactive", str(self.inactive)]
        return " ".join(words)


@dataclass(frozen=True)
class Selection:
    """The sessions a filter picked out of a user's list at one moment (``chosen``), and how many it left out."""

    filter: SessionFilter
    chosen: tuple[Session, ...]
    left_out: int

    @property
    def total(self) -> int:
        """How many sessions the user had in all."""
        return len(self.chosen) + self.left_out
