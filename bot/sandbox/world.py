"""The in-memory state of the Mattermost stand-in: users, roles, sessions, tokens, faults, traffic.

Every public method takes the world's single lock, and everything handed out is a copy, so
the HTTP threads and the test thread never see half-made changes. Behaviour follows the
Mattermost server (MM ``server/channels/app/session.go``, ``user_access_token.go``,
``user.go``, ``server/public/model/session.go``); see ``/work/shared/MATTERMOST.md`` §3–§4. Channels
and posts live in :mod:`~bot.sandbox.messaging`, personal access tokens in
:mod:`~bot.sandbox.access_tokens`, slash commands and their webhooks in :mod:`~bot.sandbox.command_store`
and :mod:`~bot.sandbox.command_webhooks` (mixins sharing the world's lock and id sequence).
"""
from __future__ import annotations

import random
import re
import threading
import time
from typing import Any

from . import seed
from .access_tokens import AccessTokens
from .command_store import Commands
from .command_webhooks import CommandWebhooks
from .exchanges import Exchange
from .faults import Faults
from .ids import new_id
from .inprocess import Network
from .mentions import Mentions
from .messaging import Messaging
from .post_store import PostStore
from .records import copied
from .roles import default_roles
from .sessions import HOUR_MS, SESSION_LENGTH_MS, SessionStore, is_guest
from .teams import TeamsAndRoles

Record = dict[str, Any]

MINUTE_MS = 60_000

_CROWD_DEVICES = (  # (platform, os, browser, mobile device id prefix) of add_users' sessions
    (*seed.CHROME_WINDOWS, None), (*seed.DESKTOP_MAC, None), (*seed.MOBILE_IPHONE, "apple_rn"),
    (*seed.FIREFOX_LINUX, None), (*seed.MOBILE_ANDROID, "android_rn"),
)

_DEFAULT_NOTIFY_PROPS = {
    "email": "true", "push": "mention", "desktop": "mention", "desktop_sound": "true",
    "mention_keys": "", "channel": "true", "push_status": "away", "comments": "never",
    "first_name": "false", "desktop_threads": "all", "email_threads": "all", "push_threads": "all",
}


def _real_ms() -> int:
    return time.time_ns() // 1_000_000




class World(TeamsAndRoles, SessionStore, Messaging, Mentions, PostStore, Commands, CommandWebhooks, AccessTokens):
    """A small Mattermost installation: teams with their channels, plus users, roles, sessions, personal
    access tokens, posts, custom slash commands and their webhooks. :attr:`team` is the first team;
    :meth:`add_team` makes more.

    The clock starts at ``now_ms`` (default: the real time; kept as :attr:`started_ms`) and
    runs in real time; :meth:`advance` moves it forward. Ids come from
    ``random.Random(seed_value)``, so two worlds built the same way get the same ids.
    Config defaults are Mattermost's, except where :meth:`seeded` says otherwise.
    """

    def __init__(self, now_ms: int | None = None, *, seed_value: int = 20_240_601, team_name: str = "acme") -> None:
        self._lock = threading.RLock()
        self._rng = random.Random(seed_value)
        self._request_rng = random.Random(seed_value + 1)
        self.started_ms = now_ms if now_ms is not None else _real_ms()
        self._offset_ms = self.started_ms - _real_ms()
        self._roles: dict[str, Record] = default_roles(self._rng, self.started_ms)
        self._users: dict[str, Record] = {}
        self._sessions: dict[str, Record] = {}
        self._team_members: dict[tuple[str, str], Record] = {}  # (team id, user id) -> TeamMember
        self._teams: dict[str, Record] = {}
        self._init_messaging()
        self._init_mentions()
        self._init_access_tokens()
        self._init_commands()
        self._init_command_webhooks()
        self.team: Record = self._create_team(team_name)
        self.exchanges: list[Exchange] = []
        self.faults = Faults()
        self.latency_s = 0.0
        self.site_url = "http://localhost:8065"
        self.network = Network()  # the apps this world's server can reach in process (the bot, in tests)
        self.enable_user_access_tokens = False  # ServiceSettings.EnableUserAccessTokens default
        self.show_email_address = True  # PrivacySettings.ShowEmailAddress default
        self.show_full_name = True  # PrivacySettings.ShowFullName default
        self.bot_user_id = ""
        self.bot_token = ""

    @classmethod
    def seeded(cls, now_ms: int | None = None) -> World:
        """The realistic installation described in :mod:`bot.sandbox.seed`."""
        world = cls(now_ms)
        seed.populate(world)
        return world

    # -- clock and ids -------------------------------------------------------------------

    def now_ms(self) -> int:
        """The world's current time in epoch milliseconds."""
        return _real_ms() + self._offset_ms

    def advance(self, ms: int) -> None:
        """Move the world's clock forward by ``ms`` milliseconds."""
        with self._lock:
            self._offset_ms += ms

    def new_id(self) -> str:
        """A fresh, deterministic 26-character id."""
        with self._lock:
            return new_id(self._rng)

    def new_request_id(self) -> str:
        """An id for one HTTP request (drawn from its own sequence, so traffic does not shift entity ids)."""
        with self._lock:
            return new_id(self._request_rng)

    # -- users ---------------------------------------------------------------------------

    def add_user(
        self,
        username: str,
        roles: str = "system_user",
        *,
        is_bot: bool = False,
        deactivated: bool = False,
        email: str | None = None,
        first_name: str = "",
        last_name: str = "",
        nickname: str = "",
        create_ms: int | None = None,
        join_team: bool = True,
        team_admin: bool = False,
    ) -> Record:
        """Create a user (as stored, with a password hash) and return a copy of the record.

        ``join_team`` makes them a member of the team and of its default channels
        (``town-square``, ``off-topic``), as joining a team does; ``team_admin`` gives the team
        membership the admin scheme role;
        ``deactivated`` creates them already deactivated (``delete_at`` set).
        """
        with self._lock:
            if any(u["username"] == username for u in self._users.values()):
                raise ValueError(f"username {username!r} is taken")
            created = create_ms if create_ms is not None else self.now_ms()
            user_id = new_id(self._rng)
            user: Record = {
                "id": user_id, "create_at": created, "update_at": created, "delete_at": 0,
                "username": username,
                "password": "" if is_bot else "$2a$10$" + new_id(self._rng) + new_id(self._rng)[:27],
                "auth_data": None, "auth_service": "",
                "email": email if email is not None else f"{username}@{'localhost' if is_bot else 'example.com'}",
                "email_verified": True, "nickname": nickname, "first_name": first_name,
                "last_name": last_name, "position": "", "roles": roles, "allow_marketing": False,
                "props": {}, "notify_props": dict(_DEFAULT_NOTIFY_PROPS),
                "last_password_update": created, "last_picture_update": 0, "failed_attempts": 0,
                "locale": "en",
                "timezone": {"automaticTimezone": "", "manualTimezone": "", "useAutomaticTimezone": "true"},
                "mfa_active": False, "mfa_secret": "", "remote_id": None, "is_bot": is_bot,
                "bot_description": "", "bot_last_icon_update": 0, "terms_of_service_id": "",
                "terms_of_service_create_at": 0, "disable_welcome_email": False,
            }
            self._users[user_id] = user
            if join_team:
                self._join_team(user, self.team["id"], team_admin)
            if deactivated:
                self._deactivate(user, at_ms=max(created, self.started_ms))
            return copied(user)

    def add_users(self, prefix: str, count: int, *, sessions_each: int = 0, roles: str = "system_user",
                  join_team: bool = True) -> list[Record]:
        """Create ``count`` users called ``<prefix>1`` … ``<prefix><count>`` (numbers zero-padded to the
        width of ``count``: ``user001`` … ``user500``), each with ``sessions_each`` live sessions, and
        return their records (copies, as :meth:`add_user` does), in that order.

        Sessions cycle through Chrome on Windows, the desktop app on a Mac, the iPhone app, Firefox on
        Linux and the Android app. The k-th session made (counting across users) was last active k
        minutes ago and created an hour per session index before that, so activity times are distinct
        and nothing expires (for up to ~40,000 sessions). ``ValueError`` if a username is taken. Made
        for crowds: 500 users with 5 sessions each take a fraction of a second.
        """
        width = len(str(count))
        names = [f"{prefix}{number:0{width}d}" for number in range(1, count + 1)]
        with self._lock:
            taken = {u["username"] for u in self._users.values()}.intersection(names)
            if taken:
                raise ValueError(f"usernames taken: {sorted(taken)[:5]}")
            now = self.now_ms()
            made: list[Record] = []
            k = 0
            for name in names:
                user = self.add_user(name, roles, join_team=join_team)
                stored = self._users[user["id"]]
                for index in range(sessions_each):
                    platform, os, browser, device_prefix = _CROWD_DEVICES[index % len(_CROWD_DEVICES)]
                    k += 1
                    last_active = now - k * MINUTE_MS
                    created = last_active - (index + 1) * HOUR_MS
                    self._store_session(
                        stored, id=None, token=None,
                        props=self.login_props(user["id"], platform=platform, os=os, browser=browser,
                                               mobile=device_prefix is not None),
                        device_id=f"{device_prefix}:{self._rng.getrandbits(256):064x}" if device_prefix else "",
                        create_ms=created, last_activity_ms=last_active, expires_ms=created + SESSION_LENGTH_MS,
                        is_oauth=False)
                made.append(user)
            return made

    def _join_team(self, user: Record, team_id: str, team_admin: bool) -> None:
        guest = is_guest(user)
        self._team_members[(team_id, user["id"])] = {
            "team_id": team_id, "user_id": user["id"],
            "roles": "team_guest" if guest else ("team_user team_admin" if team_admin else "team_user"),
            "delete_at": 0, "scheme_guest": guest, "scheme_user": not guest,
            "scheme_admin": team_admin and not guest, "explicit_roles": "",
        }
        self._join_default_channels(user, team_id)

    def users(self) -> list[Record]:
        """Every stored user record (copies), bots and deactivated users included."""
        with self._lock:
            return copied(list(self._users.values()))

    def user_by_username(self, username: str) -> Record:
        """The stored user record (a copy, password hash included); ``KeyError`` if unknown."""
        with self._lock:
            return copied(self._user_named(username))

    def user_by_id(self, user_id: str) -> Record | None:
        """The stored user record with this id (a copy), or ``None``."""
        with self._lock:
            return copied(self._users.get(user_id))

    def user_by_email(self, email: str) -> Record | None:
        """The stored user record with this (lowercase) email (a copy), or ``None``."""
        with self._lock:
            for user in self._users.values():
                if user["email"] == email:
                    return copied(user)
        return None

    def team_users(self, team_id: str) -> list[Record]:
        """The active members of a team (user records, copies), by username, as ``GET /users?in_team`` sorts them."""
        with self._lock:
            ids = [user_id for (member_team, user_id), m in self._team_members.items()
                   if member_team == team_id and m["delete_at"] == 0]
            return sorted((copied(self._users[user_id]) for user_id in ids), key=lambda u: u["username"])

    def team_members_of(self, user_id: str) -> list[Record]:
        """The user's active team memberships (``TeamMember`` records), oldest team first."""
        with self._lock:
            return [dict(m) for (_team, member_id), m in self._team_members.items()
                    if member_id == user_id and m["delete_at"] == 0]

    def set_roles(self, username: str, roles: str) -> None:
        """Change a user's system roles, like ``PUT /users/{id}/roles``: their sessions get the new roles too."""
        with self._lock:
            user = self._user_named(username)
            user["roles"] = roles
            user["update_at"] = self.now_ms()
            for session in self._sessions.values():
                if session["user_id"] == user["id"]:
                    session["roles"] = roles

    def deactivate(self, username: str) -> None:
        """Deactivate a user like ``UpdateActive(false)``: set ``delete_at`` and revoke all their sessions."""
        with self._lock:
            self._deactivate(self._user_named(username), at_ms=self.now_ms())

    def _deactivate(self, user: Record, *, at_ms: int) -> None:
        user["delete_at"] = user["update_at"] = at_ms
        self._revoke_all_sessions(user["id"])

    def _user_named(self, username: str) -> Record:
        for user in self._users.values():
            if user["username"] == username:
                return user
        raise KeyError(username)

    # -- traffic -------------------------------------------------------------------------

    def record(self, exchange: Exchange) -> None:
        """Append one HTTP exchange to :attr:`exchanges`."""
        with self._lock:
            self.exchanges.append(exchange)

    def calls(self, method: str | None = None, path_regex: str | None = None) -> list[Exchange]:
        """The recorded exchanges with this method (any case) and a path matching ``path_regex`` (``re.search``)."""
        with self._lock:
            return [e for e in self.exchanges
                    if (method is None or e.method.upper() == method.upper())
                    and (path_regex is None or re.search(path_regex, e.path))]
