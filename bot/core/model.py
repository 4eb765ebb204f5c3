"""Users and sessions as the bot sees them, built from Mattermost's JSON (pure, no I/O).

Only the fields the bot means to use are kept: a session's ``token`` and its ``csrf`` prop
(which Mattermost's ``Sanitize()`` leaves in place) never enter these values, so they cannot
leak into a reply by accident.
"""
from __future__ import annotations

import enum
import math
import re
from dataclasses import dataclass
from typing import Any, Iterable, Mapping

_ID = re.compile(r"[A-Za-z0-9]{26}")

#: Shortest prefix ``revoke`` accepts, and the shortest id the bot ever shows.
MIN_PREFIX = 6
SHOWN_ID_LENGTH = 8


#: The last instant a timestamp may name: the end of the year 9999, the last that can be written as a date.
LATEST_MS = 253_402_300_799_999


def _instant(value: object) -> int | None:
    """A time in milliseconds as Mattermost sends it: absent, null or 0 is 0 (not set); a time Mattermost could
    never send (negative, past :data:`LATEST_MS`, not finite) is None, *unknown*. A value that is no number at
    all raises (``ValueError``/``TypeError``: the answer was not shaped as documented)."""
    if not value:
        return 0
    if isinstance(value, float) and not math.isfinite(value):
        return None
    ms = int(value)  # type: ignore[call-overload]
    return ms if 0 < ms <= LATEST_MS else None


def is_id(value: object) -> bool:
    """True for a Mattermost id: exactly 26 ASCII letters or digits (../shared/MATTERMOST.md §5)."""
    return isinstance(value, str) and _ID.fullmatch(value) is not None


class DeviceKind(enum.Enum):
    """What kind of client a session belongs to."""

    WEB = "web"
    DESKTOP = "desktop"
    MOBILE = "mobile"
    ACCESS_TOKEN = "access token"
    BOT_TOKEN = "bot token"
    OAUTH = "OAuth app"


@dataclass(frozen=True)
class User:
    """A Mattermost user account (only the fields the bot needs)."""

    id: str
    username: str
    email: str
    roles: frozenset[str]
    is_bot: bool
    deactivated: bool

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> "User":
        """Build a User from Mattermost's user JSON."""
        return cls(
            id=str(data["id"]),
            username=str(data.get("username", "")),
            email=str(data.get("email", "") or ""),
            roles=frozenset(str(data.get("roles", "")).split()),
            is_bot=bool(data.get("is_bot", False)),
            deactivated=bool(data.get("delete_at", 0)),
        )

    @property
    def is_system_admin(self) -> bool:
        """True when the account holds the ``system_admin`` role (Mattermost's rule 7, §4.1)."""
        return "system_admin" in self.roles


@dataclass(frozen=True)
class Session:
    """One login session of a user, without its token or any secret prop.

    Its times are milliseconds since the epoch; 0 when Mattermost sent none, None when it sent one it could
    never send (negative, or past the year 9999): shown as "unknown", never a crash.
    """

    id: str
    user_id: str
    created_ms: int | None
    last_activity_ms: int | None
    expires_ms: int | None
    kind: DeviceKind
    platform: str
    os: str
    browser: str
    mobile_system: str
    access_token_id: str = ""

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> "Session":
        """Build a Session from Mattermost's session JSON, keeping only the props shown to people."""
        props = data.get("props") or {}
        device_id = str(data.get("device_id") or "")
        return cls(
            id=str(data["id"]),
            user_id=str(data.get("user_id", "")),
            created_ms=_instant(data.get("create_at")),
            last_activity_ms=_instant(data.get("last_activity_at")),
            expires_ms=_instant(data.get("expires_at")),
            kind=_kind(props, device_id, bool(data.get("is_oauth"))),
            platform=str(props.get("platform", "")),
            os=str(props.get("os", "")),
            browser=str(props.get("browser", "")),
            mobile_system=_mobile_system(device_id, str(props.get("os", ""))),
            access_token_id=str(props.get("user_access_token_id", "") or ""),
        )

    @property
    def is_token(self) -> bool:
        """True for personal access token and bot token sessions, which come back on the token's next use."""
        return self.kind in (DeviceKind.ACCESS_TOKEN, DeviceKind.BOT_TOKEN)

    def is_expired(self, now_ms: int) -> bool:
        """True when the session's expiry has passed (Mattermost may still list it until cleanup); an unknown
        expiry has not."""
        return self.expires_ms is not None and 0 < self.expires_ms <= now_ms


@dataclass(frozen=True)
class AccessToken:
    """A personal access token (or bot token) as Mattermost lists it: never its value (§3.3)."""

    id: str
    user_id: str
    description: str
    is_active: bool

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> "AccessToken":
        """Build an AccessToken from Mattermost's sanitized token JSON (a ``token`` field is ignored)."""
        return cls(id=str(data["id"]), user_id=str(data.get("user_id", "")),
                   description=str(data.get("description", "") or ""), is_active=bool(data.get("is_active", False)))


@dataclass(frozen=True)
class Channel:
    """A channel, by id, name, type (``O`` open, ``P`` private, ``D`` direct message, ``G`` group message) and team
    (``""`` for direct and group messages)."""

    id: str
    name: str
    team_id: str
    type: str = "O"

    @property
    def private(self) -> bool:
        """Only those who may read it may learn its members: private channels, direct and group messages."""
        return self.type in ("P", "D", "G")

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> "Channel":
        """Build a Channel from Mattermost's channel JSON."""
        return cls(id=str(data["id"]), name=str(data.get("name", "")), team_id=str(data.get("team_id", "")),
                   type=str(data.get("type", "")))


@dataclass(frozen=True)
class TeamMembership:
    """A user's membership of a team, with every role it holds there (scheme roles included)."""

    team_id: str
    roles: frozenset[str]

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> "TeamMembership":
        """Build a TeamMembership from Mattermost's ``TeamMember`` JSON."""
        return cls(team_id=str(data["team_id"]), roles=frozenset(str(data.get("roles", "")).split()))


def _kind(props: Mapping[str, Any], device_id: str, is_oauth: bool) -> DeviceKind:
    """Classify a session the way Mattermost's own "Active Sessions" list does (§3.2, §3.3)."""
    if props.get("type") == "UserAccessToken":
        return DeviceKind.BOT_TOKEN if props.get("is_bot") == "true" else DeviceKind.ACCESS_TOKEN
    if is_oauth:
        return DeviceKind.OAUTH
    if "apple" in device_id or "android" in device_id or props.get("isMobile") == "true":
        return DeviceKind.MOBILE
    if "Desktop App" in str(props.get("browser", "")):
        return DeviceKind.DESKTOP
    return DeviceKind.WEB


def _mobile_system(device_id: str, os_name: str) -> str:
    if "apple" in device_id:
        return "iOS"
    if "android" in device_id:
        return "Android"
    return os_name


def by_recent_activity(sessions: Iterable[Session]) -> list[Session]:
    """Sessions sorted most recently active first, those never or at an unknown time last (ties broken by id, so
    output is stable)."""
    return sorted(sessions, key=lambda s: (-(s.last_activity_ms or 0), s.id))


def matching(sessions: Iterable[Session], prefix: str) -> list[Session]:
    """The sessions whose id starts with ``prefix`` (already lowercased by the parser)."""
    return [s for s in sessions if s.id.startswith(prefix)]


def shown_ids(sessions: Iterable[Session]) -> dict[str, str]:
    """For each session id, the shortest prefix (at least 8 characters) that no other id shares."""
    ids = sorted({s.id for s in sessions})
    shown: dict[str, str] = {}
    for i, session_id in enumerate(ids):
        neighbours = ids[max(i - 1, 0) : i] + ids[i + 1 : i + 2]
        shared = max((_common_prefix(session_id, other) for other in neighbours), default=0)
        shown[session_id] = session_id[: max(SHOWN_ID_LENGTH, shared + 1)]
    return shown


def _common_prefix(a: str, b: str) -> int:
    n = 0
    for x, y in zip(a, b):
        if x != y:
            break
        n += 1
    return n
